"""Decision memory as a use case: load it, keep a suggester's copy current, and
let a person's decisions in an article beat it.

What is remembered is kept by the database itself (triggers on ``spans``, see
storage/schema.py m003): accepting, correcting, writing, rejecting, undoing and
importing accepted spans all teach or un-teach without calling anything here.
How it is applied is :mod:`annotator.nlp.memory`. The project setting ``memory``
(default on) turns its use in suggestions off.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from annotator.core.model import SpanDraft
from annotator.nlp.memory import ORIGIN_MEMORY, DecisionMemory
from annotator.storage import Project
from annotator.storage.memory import memory_generation, memory_rows

if TYPE_CHECKING:
    from annotator.nlp.suggester import Suggester

__all__ = ["MEMORY_SETTING", "load_memory", "memory_enabled", "drop_overruled", "sync_memory"]

#: Project setting: false stops suggestions from using the decision memory.
MEMORY_SETTING = "memory"


def memory_enabled(project: Project) -> bool:
    return bool(project.setting(MEMORY_SETTING, True))


def load_memory(project: Project) -> DecisionMemory:
    """The project's decision memory as it is now."""
    generation = memory_generation(project)
    return DecisionMemory(memory_rows(project), generation=generation)


def sync_memory(project: Project, suggester: Suggester, *, enabled: bool | None = None) -> bool:
    """Give ``suggester`` the project's current memory (or none, when the project
    or ``enabled`` says so). Cheap when nothing changed; returns whether the
    suggester's memory changed."""
    if enabled is None:
        enabled = memory_enabled(project)
    if not enabled:
        changed = suggester.memory is not None
        suggester.memory = None
        return changed
    generation = memory_generation(project)
    memory = suggester.memory
    if memory is not None and memory.generation == generation:
        return False
    if memory is None:
        suggester.memory = DecisionMemory(memory_rows(project), generation=generation)
    else:  # only the strings decided or un-taught since the copy was made
        memory.update(memory_rows(project, since=memory.generation), generation=generation)
    return True


def drop_overruled(project: Project, doc_id: int, drafts: Sequence[SpanDraft]) -> list[SpanDraft]:
    """A person's decision in the article beats memory: memory suggestions that
    overlap an entity a person accepted or wrote there (with other offsets) go."""
    if not any(d.origin == ORIGIN_MEMORY for d in drafts):
        return list(drafts)
    decided = [(s.start, s.end) for s in project.spans(doc_id, statuses=("accepted",), layer="entity")]
    if not decided:
        return list(drafts)
    return [d for d in drafts
            if d.origin != ORIGIN_MEMORY
            or not any(d.start < e and s < d.end and (s, e) != (d.start, d.end) for s, e in decided)]


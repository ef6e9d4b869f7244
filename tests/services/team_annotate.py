"""One annotator's work on their project copy, done through the annotation session
in a process of its own (``python -m tests.services.team_annotate PROJECT NAME PLAN``).

PLAN is a JSON file: article title -> {"entities": [[phrase, label], ...],
"relabel": [[phrase, label], ...], "stances": [[phrase in the sentence, target, label], ...]}.
Every article of the plan is marked done.
"""

from __future__ import annotations

import json
import sys

from annotator.services.session import AnnotationSession
from annotator.storage import open_project


def main(path: str, who: str, plan_path: str) -> None:
    with open(plan_path, encoding="utf-8") as fh:
        plan = json.load(fh)
    with open_project(path, annotator=who) as project:
        session = AnnotationSession(project)
        for document in project.iter_documents():
            work = plan.get(document.title)
            if work is None:
                continue
            session.load(document.id)
            text = session.text
            for phrase, label in work.get("entities", []):
                start = text.index(phrase)
                session.run(session.create(start, start + len(phrase), "entity", label))
            for phrase, label in work.get("relabel", []):
                start = text.index(phrase)
                span = next(s for s in session.spans("entity") if (s.start, s.end) == (start, start + len(phrase)))
                session.run(session.relabel(label, span))
            for phrase, target, label in work.get("stances", []):
                sentence = session.sentence_at(text.index(phrase))
                session.run(session.create(*sentence, "stance", label, target=target))
            session.run(session.set_doc_status("done"))


if __name__ == "__main__":
    main(*sys.argv[1:4])

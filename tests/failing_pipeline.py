"""A user's spaCy pipeline with a component of their own that fails on some articles.

The component reads the dateline of an article ("Kyiv, 12 March 2024") with
``datetime.strptime``, as a newsroom's pipeline might, and so raises ``ValueError``
on an impossible date ("31 February 2024"): one article that genuinely breaks the
pipeline while every other one goes through. It counts the texts it saw, so tests
can tell how often the failing article was tried.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime
from pathlib import Path

from spacy.language import Language

COMPONENT = "test_dateline_reader"
#: An article text that makes the component fail.
BAD_DATELINE = "Kyiv, 31 February 2024. Zelensky met Macron in Kyiv to discuss air defence for Ukraine."

_DATE = re.compile(r"\b\d{1,2} (?:January|February|March|April|May|June|July|August|September|October|"
                   r"November|December) \d{4}\b")
#: text -> how many times the component processed it
SEEN: Counter[str] = Counter()

if not Language.has_factory(COMPONENT):
    @Language.component(COMPONENT)
    def read_dateline(doc):  # noqa: ANN001, ANN202 - spaCy component signature
        SEEN[doc.text] += 1
        found = _DATE.search(doc.text[:80])
        if found:
            datetime.strptime(found.group(0), "%d %B %Y")  # ValueError: day is out of range for month
        return doc


def registered() -> bool:
    """Whether this process knows the component: calling it on Dask workers
    (``client.run(registered)``) imports this module there, which registers it."""
    return Language.has_factory(COMPONENT)


def save_pipeline(folder: Path) -> Path:
    """A blank English pipeline with the dateline reader, saved as a pipeline folder."""
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe(COMPONENT)
    nlp.to_disk(folder)
    return folder

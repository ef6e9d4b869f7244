"""Small team projects built span by span, for agreement, review and export tests."""

from __future__ import annotations

from annotator.core.model import Span
from annotator.core.text import text_hash
from annotator.storage.project import NewDocument

#: Four sentences; every word that is labelled occurs once.
TEXT = ("Paris backed Macron on Monday. Berlin said Scholz disagreed. "
        "Warsaw and Tusk stayed quiet. Kyiv thanked Zelensky.")
TROOPS = "Western troops in Ukraine"
AID = "US military aid to Ukraine"


def at(word: str, text: str = TEXT) -> tuple[int, int]:
    start = text.index(word)
    return start, start + len(word)


def sentence(n: int, text: str = TEXT) -> tuple[int, int]:
    """The n-th sentence (0-based), without the space that follows it."""
    starts = [0] + [i + 2 for i, ch in enumerate(text[:-1]) if ch == "." and text[i + 1] == " "]
    start = starts[n]
    return start, text.index(".", start) + 1


def add_doc(project, text: str = TEXT, title: str = "Allies") -> int:
    ids, _ = project.add_documents([NewDocument(text=text, title=title, text_hash=text_hash(text))])
    return ids[0]


def annotate(project, doc_id: int, who: str, entities=(), stances=(), *, done: bool = True) -> None:
    """Store ``who``'s accepted entities ((word, label)) and stances
    ((sentence index, target, label)) and mark the article done for them."""
    spans = [Span(*at(word), label, "entity", annotator=who) for word, label in entities]
    spans += [Span(*sentence(n), label, "stance", target=target, annotator=who) for n, target, label in stances]
    with project.write():
        project.insert_span_rows(doc_id, spans)
    if done:
        project.put_doc_status(doc_id, who, "done")


# -- two annotators on copies of the sample corpus -------------------------------------

MACRON = "Macron refuses to rule out Western troops in Ukraine as allies keep their distance"
HOUSE = "House approves long-delayed Ukraine aid after Johnson defies party hardliners"
QUOTE = "Nothing can be ruled out"
NO_SOLDIERS = "No European or NATO country"

PLANS = {
    "ana": {
        MACRON: {"entities": [["Emmanuel Macron", "PERSON"], ["Paris", "GPE"], ["Olaf Scholz", "PERSON"]],
                 "stances": [[QUOTE, TROOPS, "FAVOR"]]},
        HOUSE: {"entities": [["Mike Johnson", "PERSON"]]},
    },
    "ben": {
        MACRON: {"entities": [["Emmanuel Macron", "PERSON"], ["Paris", "GPE"], ["Scholz", "PERSON"],
                              ["Donald Tusk", "PERSON"]],
                 "relabel": [["Paris", "ORG"]],
                 "stances": [[QUOTE, TROOPS, "FAVOR"], [NO_SOLDIERS, TROOPS, "AGAINST"]]},
        HOUSE: {"entities": [["Mike Johnson", "PERSON"]]},
    },
}


def build_team(folder, sample_corpus) -> dict:
    """Import the sample corpus, give everyone every article (``assign``), let
    ana and ben annotate their copies at the same time in two processes (through
    the annotation session), then merge the copies. Returns the paths."""
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    from annotator.services import teams
    from annotator.services.importing import import_paths
    from annotator.storage import open_project

    folder = Path(folder)
    base = folder / "news.db"
    with open_project(base, create=True, annotator="lead") as project:
        import_paths(project, [sample_corpus])
        files = teams.assign(project, to=["ana", "ben"], overlap=1.0).files
    root = Path(__file__).resolve().parents[2]
    procs = []
    for who, path in files.items():
        plan = folder / f"{who}.plan.json"
        plan.write_text(json.dumps(PLANS[who]), encoding="utf-8")
        env = {**os.environ, "PYTHONPATH": str(root)}
        procs.append(subprocess.Popen([sys.executable, "-m", "tests.services.team_annotate", str(path), who, str(plan)],
                                      cwd=root, env=env, stderr=subprocess.PIPE, text=True))
    for proc in procs:
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
    team = folder / "team.db"
    summary = teams.merge([files["ana"], files["ben"]], into=team)
    return {"base": base, "ana": files["ana"], "ben": files["ben"], "team": team, "merge": summary}


def copy_project(src, dst):
    """A copy of a closed project file, made through SQLite."""
    import sqlite3
    from contextlib import closing

    with closing(sqlite3.connect(src)) as a, closing(sqlite3.connect(dst)) as b:
        a.backup(b)
    return dst

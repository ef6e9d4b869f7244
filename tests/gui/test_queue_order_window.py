"""View > Most uncertain article next: the list and "done and next" follow the
suggester's uncertainty, and the choice is kept with the project."""

from __future__ import annotations

from annotator.core.text import text_hash
from annotator.gui import app as app_module
from annotator.services.doclist import QUEUE_ORDER_SETTING
from annotator.storage import NewDocument, open_project
from annotator.storage.queue import set_certainty

TEXTS = [f"Report {i}: officials met in Oslo on day {i}." for i in range(1, 6)]


def test_the_view_menu_puts_the_most_uncertain_article_next(qtbot, qapp, tmp_path):
    path = tmp_path / "queue.db"
    with open_project(path, create=True, annotator="tester") as setup:
        setup.set_setting("model", "rules")
        ids, _ = setup.add_documents([NewDocument(text=t, title=t[:9], text_hash=text_hash(t)) for t in TEXTS])
        for doc_id, value in zip(ids, (0.9, 1.0, 0.2, 1.0, 0.5)):
            set_certainty(setup, doc_id, value)
    window, project, _ = app_module.open_window(path, suggest=False)
    qtbot.addWidget(window)
    try:
        action = window.actions_by_id["annotator.view.uncertain_first"]
        assert not action.isChecked()
        window.load_document(ids[0])
        assert window.doc_list.next_doc_id(ids[0]) == ids[1]  # import order by default
        action.trigger()
        assert action.isChecked() and project.setting(QUEUE_ORDER_SETTING) == "uncertainty"
        window.load_document(ids[2])
        window.mark_done_and_next()
        assert window.editor.doc_id == ids[4]
        window.mark_done_and_next()
        assert window.editor.doc_id == ids[0]
        action.trigger()
        assert project.setting(QUEUE_ORDER_SETTING) == "import"
        assert window.doc_list.next_doc_id(ids[0]) == ids[1]
    finally:
        window.close()
        project.close()
    # The next session starts in the order chosen last.
    with open_project(path) as again:
        again.set_setting(QUEUE_ORDER_SETTING, "uncertainty")
    window, project, _ = app_module.open_window(path, suggest=False)
    qtbot.addWidget(window)
    try:
        assert window.actions_by_id["annotator.view.uncertain_first"].isChecked()
        assert window.doc_list.next_doc_id(ids[2]) == ids[4]
    finally:
        window.close()
        project.close()

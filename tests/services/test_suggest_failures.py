"""An article the pipeline fails on is left out, named with E308, and the run goes on."""

from __future__ import annotations

import queue
import threading

from click.testing import CliRunner

from annotator.cli import cli
from annotator.gui.jobs import ChildTask, suggest_job
from annotator.services.suggesting import SuggestAhead, project_suggester, suggest_project
from tests.failing_pipeline import BAD_DATELINE, SEEN, save_pipeline
from tests.services.test_suggesting import add_docs, run_ids

TEXTS = [
    "Kyiv, 12 March 2024. Macron said France would send more air defence to Ukraine.",
    BAD_DATELINE,
    "Berlin, 3 April 2024. Scholz said Germany would not send long-range missiles to Ukraine.",
    "Washington, 9 May 2024. Biden asked Congress for more military aid to Ukraine.",
    "Fico opposed new sanctions on Russia.",
]


def _newsroom(project, tmp_path):
    project.set_setting("model", str(save_pipeline(tmp_path / "newsroom")))
    return project_suggester(project)


def test_suggest_project_leaves_out_the_failing_article_and_does_the_rest(project, tmp_path):
    ids = add_docs(project, TEXTS)
    bad = ids[1]
    suggester = _newsroom(project, tmp_path)
    seen: list[tuple[int, str | None]] = []
    steps: list[int] = []
    # Batches of two: the article sharing a batch with the failing one still gets its suggestions.
    summary = suggest_project(project, suggester=suggester, batch_size=2,
                              on_document=lambda d, f: seen.append((d, f and f["code"])),
                              progress=lambda done, _todo: steps.append(done))
    assert summary.documents == 4 and summary.doc_ids == [i for i in ids if i != bad]
    assert run_ids(project, suggester.name) == set(ids) - {bad}
    (failure,) = summary.failed
    assert failure["doc_id"] == bad and failure["code"] == "E308"
    assert f"#{bad}" in failure["message"] and "day is out of range for month" in failure["message"]
    assert "Retry failed suggestions" in failure["message"]  # what to do
    assert seen == [(ids[0], None), (bad, "E308"), *[(i, None) for i in ids[2:]]]
    assert steps[-1] == len(ids)
    assert summary.to_dict()["failed"] == [failure]
    # The next run (the next session) tries it again, and only it.
    SEEN.clear()
    again = suggest_project(project, suggester=suggester)
    assert again.documents == 0 and [f["doc_id"] for f in again.failed] == [bad]
    assert list(SEEN) == [BAD_DATELINE]


def test_suggest_ahead_skips_a_failing_article_once_until_retried(project_path, project, tmp_path):
    ids = add_docs(project, TEXTS)
    model = str(save_pipeline(tmp_path / "newsroom"))
    project.set_setting("model", model)
    failures: list[dict] = []
    ready: list[int] = []
    ahead = SuggestAhead(project_path, ahead=5, on_ready=ready.append, on_failure=failures.append)
    try:
        SEEN.clear()
        ahead.request(ids)
        assert ahead.wait_idle(60.0) and ahead.error is None and ahead.alive
        assert ready == [i for i in ids if i != ids[1]]
        assert [f["doc_id"] for f in failures] == [ids[1]] and failures[0]["code"] == "E308"
        ahead.poke()
        ahead.request(ids[1:])
        assert ahead.wait_idle(30.0)
        assert SEEN[BAD_DATELINE] == 1 and len(failures) == 1
        assert ahead.retry() == [ids[1]]
        assert ahead.wait_idle(30.0)
        assert SEEN[BAD_DATELINE] == 2 and len(failures) == 2
    finally:
        ahead.close()


def test_the_suggestion_job_posts_the_failure_and_goes_on(project_path, project, tmp_path):
    ids = add_docs(project, TEXTS)
    _newsroom(project, tmp_path)
    messages: queue.Queue = queue.Queue()
    result = suggest_job(ChildTask(messages, threading.Event()), str(project_path), first=ids[1])
    items = []
    while not messages.empty():
        kind, *rest = messages.get()
        if kind == "item":
            items.append(rest[0])
    posted = [i for i in items if not (isinstance(i, tuple) and i[0] == "pipeline")]
    assert posted[0][0] == "failed" and posted[0][1]["doc_id"] == ids[1]
    assert posted[1:] == [i for i in ids if i != ids[1]]
    assert result["documents"] == 4 and [f["doc_id"] for f in result["failed"]] == [ids[1]]


def test_cli_suggest_names_the_failing_article_and_suggests_the_others(project_path, project, tmp_path):
    ids = add_docs(project, TEXTS)
    project.set_setting("model", str(save_pipeline(tmp_path / "newsroom")))
    project.close()
    result = CliRunner().invoke(cli, ["suggest", "--project", str(project_path)])
    assert result.exit_code == 0, result.output
    assert "Suggested 4 document(s)" in result.output
    assert f"Error [E308] Article #{ids[1]}" in result.output
    assert "Traceback" not in result.output

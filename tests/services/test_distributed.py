"""Suggestions on a real Dask cluster (a LocalCluster of two worker processes):
the same spans as a single-process run, a worker killed mid-run, cancel and resume,
a pipeline folder shipped to workers that lack it, the CLI against a scheduler."""

from __future__ import annotations

import os
import signal

import pytest
from click.testing import CliRunner

from annotator.cli import cli
from annotator.core.errors import AnnotatorError
from annotator.core.text import text_hash
from annotator.nlp.suggester import load_suggester
from annotator.services import distributed
from annotator.services.suggesting import suggest_project
from annotator.storage import NewDocument, open_project
from tests import failing_pipeline

distributed_pkg = pytest.importorskip("dask.distributed")

LINES = [
    "Macron said he did not rule out sending Western troops to Ukraine.",
    "Vance expressed skepticism about more US military aid to Kyiv.",
    "Scholz said Germany would not send Taurus missiles for strikes into Russia.",
    "Stoltenberg said Ukraine's future is in NATO.",
    "The weather in Brussels was mild on Tuesday.",
    "Fico opposed new sanctions on Russia, calling them pointless.",
]


def _texts(n: int) -> list[str]:
    return [f"Briefing {i} from Warsaw\n{LINES[i % len(LINES)]} {LINES[(i * 5 + 1) % len(LINES)]}\n"
            f"Officials met in Paris on day {i}." for i in range(n)]


def _make_project(path, n: int):
    project = open_project(path, create=True, annotator="tester")
    project.add_documents([NewDocument(text=t, title=t.split("\n")[0], text_hash=text_hash(t)) for t in _texts(n)])
    project.set_setting("model", "rules")
    return project


def _spans(project) -> list[tuple]:
    return project.conn.execute(
        'SELECT doc_id, start, "end", layer, label, coalesce(target, \'\'), coalesce(score, -1), '
        "coalesce(cue, ''), origin, status FROM spans ORDER BY 1, 2, 3, 4, 5, 6").fetchall()


def _runs(project, name: str) -> list[int]:
    return [r[0] for r in project.conn.execute(
        "SELECT doc_id FROM suggestion_runs WHERE suggester = ? ORDER BY doc_id", (name,))]


@pytest.fixture(scope="module")
def client():
    client = distributed.connect(local=2)
    yield client
    distributed.close_client(client)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The single-process result on 24 documents."""
    project = _make_project(tmp_path_factory.mktemp("ref") / "ref.db", 24)
    suggester = load_suggester("rules", scheme=project.scheme())
    suggest_project(project, suggester=suggester)
    spans = _spans(project)
    project.close()
    assert spans, "the rules must suggest something on these texts"
    return spans


def test_a_local_cluster_gives_exactly_the_single_process_suggestions(client, reference, tmp_path):
    project = _make_project(tmp_path / "p.db", 24)
    seen: list[tuple[int, int]] = []
    summary = distributed.suggest_project_dask(project, client=client, shard_size=5,
                                               progress=lambda done, total: seen.append((done, total)))
    assert summary.documents == 24 and summary.skipped == 0 and not summary.cancelled
    assert _spans(project) == reference
    assert _runs(project, summary.suggester) == list(range(1, 25))
    assert seen[0] == (0, 24) and seen[-1] == (24, 24)
    assert 0 < summary.write_seconds < summary.seconds
    # A second run finds nothing to do and changes nothing.
    again = distributed.suggest_project_dask(project, client=client, shard_size=5)
    assert (again.documents, again.skipped) == (0, 24)
    assert _spans(project) == reference
    project.close()


def test_decided_spans_survive_a_distributed_run(client, tmp_path):
    project = _make_project(tmp_path / "p.db", 6)
    first = distributed.suggest_project_dask(project, client=client, shard_size=4)
    doc_id = 1
    accepted = project.spans(doc_id, statuses=["suggested"])[0]
    project.update_span(accepted.id, status="accepted")
    # Another suggester version (another patterns setting) suggests the project again.
    project.set_setting("patterns", "all")
    second = distributed.suggest_project_dask(project, client=client, shard_size=4)
    assert second.suggester != first.suggester and second.documents == 6
    keys = [(s.start, s.end, s.layer, s.label, s.target) for s in project.spans(doc_id)]
    assert len(keys) == len(set(keys)), "a suggestion duplicated a decided span"
    assert project.span(accepted.id).status == "accepted"
    project.close()


def test_workers_apply_the_clients_decision_memory_and_refresh_resuggests(client, tmp_path):
    project = _make_project(tmp_path / "p.db", 6)
    distributed.suggest_project_dask(project, client=client, shard_size=4)
    text = project.document(1).text
    start = text.index("Briefing")
    # A person labels "Briefing 0" as an EVENT in the first article: every other
    # article's "Briefing N" is another string, but "Warsaw" rejected as GPE is not.
    warsaw = next(s for s in project.spans(1, statuses=["suggested"]) if text[s.start:s.end] == "Warsaw")
    project.update_span(warsaw.id, status="rejected")
    project.add_span(1, __import__("annotator.core.model", fromlist=["Span"]).Span(start, start + 8, "EVENT"))
    summary = distributed.suggest_project_dask(project, client=client, shard_size=4, refresh=True)
    assert summary.documents == 5  # the started article is left alone
    for doc_id in range(2, 7):
        doc_text = project.document(doc_id).text
        shown = {(doc_text[s.start:s.end], s.label, s.origin)
                 for s in project.spans(doc_id, statuses=["suggested"], layer="entity")}
        assert ("Briefing", "EVENT", "memory") in shown
        assert not any(string == "Warsaw" for string, _label, _origin in shown)
    project.close()


def test_cancel_keeps_finished_shards_and_a_second_run_resumes(client, reference, tmp_path):
    project = _make_project(tmp_path / "p.db", 24)
    done = {"n": 0}

    def progress(n: int, _total: int) -> None:
        done["n"] = n

    first = distributed.suggest_project_dask(project, client=client, shard_size=3, in_flight=2,
                                             progress=progress, cancelled=lambda: done["n"] >= 6)
    assert first.cancelled and 6 <= first.documents < 24
    stored = _runs(project, first.suggester)
    assert stored == sorted(first.doc_ids) and len(stored) == first.documents
    second = distributed.suggest_project_dask(project, client=client, shard_size=3)
    assert second.documents == 24 - first.documents and second.skipped == first.documents
    assert _spans(project) == reference
    project.close()


def test_a_pipeline_folder_is_shipped_to_a_worker_that_lacks_it(tmp_path):
    import spacy

    folder = tmp_path / "made" / "news_pipeline"
    folder.parent.mkdir()
    nlp = spacy.blank("en")
    nlp.meta["name"] = "news_pipeline"
    nlp.meta["version"] = "0.0.7"
    nlp.to_disk(folder)
    scheme = open_project(tmp_path / "s.db", create=True).scheme()
    local = load_suggester(str(folder), scheme=scheme)
    archive, digest = distributed.pack_folder(folder)
    gone = tmp_path / "elsewhere" / "news_pipeline"  # the path as the client named it; absent here
    spec = distributed.SuggesterSpec(model=str(gone), scheme=scheme, cues=None, patterns="auto",
                                     folder_name="news_pipeline", folder_digest=digest)
    with pytest.raises(AnnotatorError) as err:
        distributed.worker_suggester(spec, None)
    assert err.value.code == "E352"
    shipped = distributed.worker_suggester(spec, archive)
    assert shipped.name == local.name and "news_pipeline" in shipped.name
    result = distributed.suggest_shard(spec, [("Macron met Scholz in Berlin.", 1)], archive)
    assert result.suggester == local.name and result.records[0][0] == 1


def test_the_cli_runs_on_a_scheduler_and_reports_the_write_share(client, reference, tmp_path):
    _make_project(tmp_path / "p.db", 24).close()
    address = client.scheduler.address
    result = CliRunner().invoke(cli, ["suggest", "--project", str(tmp_path / "p.db"), "--engine", "dask",
                                      "--scheduler", address, "--shard-size", "7"])
    assert result.exit_code == 0, result.output
    assert "Suggested 24 document(s)" in result.output and "Writing took" in result.output
    again = CliRunner().invoke(cli, ["suggest", "--project", str(tmp_path / "p.db"), "--engine", "dask",
                                     "--scheduler", address])
    assert again.exit_code == 0 and "Nothing to do" in again.output and "Writing took" not in again.output
    with open_project(tmp_path / "p.db") as project:
        assert _spans(project) == reference


def test_dask_options_without_the_dask_engine_are_refused(tmp_path):
    _make_project(tmp_path / "p.db", 1).close()
    result = CliRunner().invoke(cli, ["suggest", "--project", str(tmp_path / "p.db"), "--local", "2"])
    assert result.exit_code == 2 and "--engine dask" in result.output


def test_an_unreachable_scheduler_is_a_coded_error():
    with pytest.raises(AnnotatorError) as err:
        distributed.connect(scheduler="tcp://127.0.0.1:9", timeout="2s")
    assert err.value.code == "E351" and "tcp://127.0.0.1:9" in str(err.value)


def test_a_worker_killed_mid_run_is_replaced_and_nothing_is_lost_or_duplicated(client, reference, tmp_path):
    project = _make_project(tmp_path / "p.db", 24)
    pids = client.run(os.getpid)
    killed: list[int] = []

    def progress(done: int, _total: int) -> None:
        if done and not killed:
            victim = sorted(pids.values())[0]
            os.kill(victim, signal.SIGKILL)
            killed.append(victim)

    summary = distributed.suggest_project_dask(project, client=client, shard_size=2, in_flight=4,
                                               progress=progress)
    assert killed, "no worker was killed"
    assert summary.documents == 24 and not summary.cancelled
    assert _runs(project, summary.suggester) == list(range(1, 25))
    assert _spans(project) == reference
    client.wait_for_workers(2, timeout=60)
    assert killed[0] not in client.run(os.getpid).values()
    project.close()


FAILING_TEXTS = [
    "Kyiv, 12 March 2024. Macron said France would send more air defence to Ukraine.",
    failing_pipeline.BAD_DATELINE,
    "Berlin, 3 April 2024. Scholz said Germany would not send long-range missiles to Ukraine.",
    "Washington, 9 May 2024. Biden asked Congress for more military aid to Ukraine.",
    "Fico opposed new sanctions on Russia.",
]


def _newsroom_project(path, pipeline):
    """Five articles (the second one breaks the pipeline's own dateline component)
    and a project that uses that pipeline."""
    project = open_project(path, create=True, annotator="tester")
    project.add_documents([NewDocument(text=t, title=f"Wire {i}", text_hash=text_hash(t))
                           for i, t in enumerate(FAILING_TEXTS)])
    project.set_setting("model", str(pipeline))
    return project


@pytest.fixture
def newsroom(client, tmp_path):
    """A pipeline folder with a component that fails on one article, known to the
    workers (importing tests.failing_pipeline there registers it)."""
    assert all(client.run(failing_pipeline.registered).values())
    return failing_pipeline.save_pipeline(tmp_path / "newsroom")


def test_a_failing_article_is_left_out_and_the_rest_of_its_shard_is_stored(client, newsroom, tmp_path):
    local = _newsroom_project(tmp_path / "local.db", newsroom)
    expected = suggest_project(local, batch_size=2)
    project = _newsroom_project(tmp_path / "p.db", newsroom)
    steps: list[tuple[int, int]] = []
    # Shards of three: the failing article shares its shard (and its nlp.pipe batch) with others.
    summary = distributed.suggest_project_dask(project, client=client, shard_size=3, batch_size=2,
                                               progress=lambda done, total: steps.append((done, total)))
    assert summary.documents == 4 and sorted(summary.doc_ids) == [1, 3, 4, 5]
    assert _runs(project, summary.suggester) == [1, 3, 4, 5]
    for doc_id in (1, 3):  # the failing article's shard mates
        assert project.spans(doc_id, statuses=["suggested"]), f"document {doc_id} got no suggestions"
    assert not project.spans(2)
    (failure,) = summary.failed
    assert failure["doc_id"] == 2 and failure["code"] == "E308"
    assert "#2 'Wire 1'" in failure["message"] and "day is out of range for month" in failure["message"]
    # Reported exactly as a local run reports it, with the same suggestions for the others.
    assert summary.to_dict()["failed"] == expected.to_dict()["failed"]
    assert _spans(project) == _spans(local)
    assert steps[0] == (0, 5) and steps[-1] == (5, 5)
    # The next run tries the failing article again, and only it.
    seen: list[tuple[int, str | None]] = []
    again = distributed.suggest_project_dask(project, client=client, shard_size=3,
                                             on_document=lambda d, f: seen.append((d, f and f["code"])))
    assert again.documents == 0 and again.skipped == 4 and [f["doc_id"] for f in again.failed] == [2]
    assert seen == [(2, "E308")]
    local.close()
    project.close()


def test_the_cli_on_dask_prints_the_failing_article_and_suggests_the_others(client, newsroom, tmp_path):
    _newsroom_project(tmp_path / "p.db", newsroom).close()
    args = ["suggest", "--project", str(tmp_path / "p.db"), "--engine", "dask",
            "--scheduler", client.scheduler.address, "--shard-size", "3"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert "Suggested 4 document(s)" in result.output
    assert "Error [E308] Article #2 'Wire 1' could not be suggested: ValueError:" in result.output
    assert "Traceback" not in result.output
    again = CliRunner().invoke(cli, args)
    assert again.exit_code == 0 and "Error [E308] Article #2" in again.output
    assert "Nothing to do" not in again.output

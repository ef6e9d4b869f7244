"""Project, import and statistics commands."""

from __future__ import annotations

from pathlib import Path

import click

from annotator.cli import PROJECT_OPTION, cli, handle_errors, print_json, progress_bar
from annotator.services import importing, projects


@cli.command("init")
@PROJECT_OPTION
@click.option("--labels", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Label scheme file (TOML or JSON; format in resources/scheme.toml).")
@click.option("--targets", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Stance targets file (TOML or JSON; format in resources/targets.toml).")
@click.option("--model", help="spaCy pipeline for suggestions: a package name, a folder, 'auto' or 'rules'.")
@handle_errors
def init_cmd(project_path: Path, labels: Path | None, targets: Path | None, model: str | None) -> None:
    """Create a project, or replace the scheme of an existing one.

    Example:

        annotator init --project news.db --labels my-labels.toml --targets my-targets.toml
    """
    with projects.create_project(project_path, labels=labels, targets=targets, model=model) as project:
        scheme = project.scheme()
        click.echo(f"Project {project_path}: {len(scheme.entity_labels)} entity labels, "
                   f"{len(scheme.stance_labels)} stance labels, {len(scheme.targets)} stance targets.")


@cli.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@PROJECT_OPTION
@click.option("--encoding", help="Encoding of the files (default: detected; UTF-8 unless a BOM says otherwise).")
@click.option("--as-suggestions", is_flag=True, help="Store the files' spans as suggestions to review, not as accepted annotations.")
@click.option("--skip-invalid", is_flag=True, help="Import the good records and write the bad ones to a report file.")
@click.option("--report", "report_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Where --skip-invalid writes rejected records (default: PROJECT.import-report.jsonl).")
@click.option("--offsets", type=click.Choice(["codepoints", "utf16", "graphemes"]),
              help="Unit of the files' span offsets (default: the format's own: UTF-16 for doccano and Label "
                   "Studio, code points otherwise; detected from span texts when records carry them).")
@click.option("--status", "doc_status", type=click.Choice(["new", "in_progress", "done", "skipped"]),
              help="Mark every imported article with this status (e.g. done for finished training data).")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@handle_errors
def import_cmd(paths: tuple[Path, ...], project_path: Path, encoding: str | None, as_suggestions: bool,
               skip_invalid: bool, report_path: Path | None, offsets: str | None, doc_status: str | None,
               as_json: bool) -> None:
    """Import articles: .txt/.md, JSONL/JSON (ours, Prodigy, doccano, Label Studio
    JSON and JSON-MIN), CSV/TSV (Label Studio's too), CoNLL/IOB and spaCy .spacy.

    A file's content decides its format before its extension does (a CoNLL file
    named .txt is read as CoNLL). The project is created if it does not exist.
    Articles already in the project (same text) are not added again; spans they
    do not hold yet are added to them. A file with a bad record imports nothing
    unless --skip-invalid is given.

    Example:

        annotator import sample_corpus --project demo.db
    """
    from annotator.storage import open_project

    with open_project(project_path, create=True) as project, progress_bar("Importing") as progress:
        summary = importing.import_paths(project, paths, encoding=encoding, as_suggestions=as_suggestions,
                                         skip_invalid=skip_invalid, report_path=report_path, progress=progress,
                                         offsets=offsets, status=doc_status)
    if as_json:
        print_json(summary.to_dict())
        return
    click.echo(f"Imported {summary.imported} article(s) with {summary.spans} span(s) from {summary.files} file(s); "
               f"{summary.duplicates} duplicate(s) skipped (same text already in the project or earlier in this import); "
               f"{summary.invalid} invalid.")
    if summary.formats:
        click.echo("  read as: " + ", ".join(f"{name} ({n} file(s))" for name, n in sorted(summary.formats.items())))
    if summary.units:
        from annotator.core.offsets import UNIT_NAMES

        click.echo("  offsets: " + ", ".join(f"{UNIT_NAMES[u]} ({n} record(s))" for u, n in sorted(summary.units.items()))
                   + f"; {summary.units_detected} record(s) detected from span texts; "
                   f"{summary.moved} span(s) moved by the conversion to code points")
    if summary.merged_duplicates:
        click.echo(f"  {summary.merged_duplicates} exact duplicate span(s) merged")
    if summary.merged_into_existing:
        click.echo(f"  {summary.merged_into_existing} span(s) added to articles already in the project")
    if summary.suggestions:
        click.echo(f"  {summary.suggestions} predicted span(s) stored as suggestions to review")
    if summary.relations_in_meta:
        click.echo(f"  {summary.relations_in_meta} relation(s) other than stance holders kept in the articles' meta")
    if summary.imported == 0 and summary.duplicates and not summary.merged_into_existing:
        click.echo("Nothing new: every article is already in the project.")
    if summary.report_path:
        click.echo(f"Invalid records and their reasons: {summary.report_path}")
        for err in summary.errors[:5]:
            click.secho(f"  {err}", fg="yellow", err=True)


@cli.command("stats")
@PROJECT_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
@handle_errors
def stats_cmd(project_path: Path, as_json: bool) -> None:
    """Documents by status, and spans by layer, label and status.

    Example:

        annotator stats --project demo.db --json
    """
    with projects.open_existing(project_path) as project:
        stats = project.stats()
    if as_json:
        print_json(stats)
        return
    docs = stats["documents"]
    click.echo(f"Project {project_path} (annotator: {stats['annotator']}, model: {stats['model']})")
    click.echo(f"Documents: {docs['total']} (done by anyone: {docs['done_by_anyone']})")
    click.echo(f"  your status ({stats['annotator']}): "
               + "  ".join(f"{k}: {v}" for k, v in docs["by_status"].items()))
    for layer, labels in stats["spans"].items():
        click.echo(f"{layer} spans:")
        click.echo(f"  {'label':<10} {'suggested':>10} {'accepted':>10} {'rejected':>10}")
        for label, counts in labels.items():
            click.echo(f"  {label:<10} {counts['suggested']:>10} {counts['accepted']:>10} {counts['rejected']:>10}")
    if not stats["spans"]:
        click.echo("No spans yet: run 'annotator suggest' or start labelling.")

"""Team commands: split a project per annotator, merge the copies, measure agreement."""

from __future__ import annotations

from pathlib import Path

import click

from annotator.cli import PROJECT_OPTION, cli, handle_errors, print_json, progress_bar


@cli.command("merge")
@click.argument("sources", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--into", "into", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The team project to merge into (created, with the first project's scheme, if missing).")
@click.option("--json", "as_json", is_flag=True, help="Print the summary, conflicts included, as JSON.")
@handle_errors
def merge_cmd(sources: tuple[Path, ...], into: Path, as_json: bool) -> None:
    """Merge annotators' project files into one team project.

    Articles are matched by their text. Every annotator's spans and statuses are
    kept under their name, so two people's work on one article coexists; merging
    the same file again changes nothing. Schemes must be equal. Where the team
    project already holds a different decision of the same annotator, it is kept
    and reported as a conflict. All or nothing.

    Example:

        annotator merge news.ana.db news.ben.db --into team.db
    """
    from annotator.services import teams

    with progress_bar("Merging") as progress:
        summary = teams.merge(sources, into=into, progress=progress)
    if as_json:
        print_json(summary.to_dict())
        return
    click.echo(f"{'Created' if summary.created else 'Merged into'} {into}: {summary.documents_added} new article(s), "
               f"{summary.documents_matched} matched, {summary.spans_added} decision(s), "
               f"{summary.suggestions_added} suggestion(s) and {summary.statuses_added} status(es) added.")
    for source in summary.sources:
        click.echo(f"  {source['path']}: {source['documents_added']} new article(s), {source['spans_added']} "
                   f"decision(s), {source['conflicts']} conflict(s); annotators: "
                   f"{', '.join(source['annotators']) or 'none'}")
    if summary.conflicts:
        click.secho(f"{len(summary.conflicts)} conflict(s): the team project's version was kept.", fg="yellow", err=True)
        for c in summary.conflicts[:20]:
            where = (f"{c['layer']} {c['start']}-{c['end']} {c['text']!r}" if c["kind"] == "span" else "status")
            click.secho(f"  {c['document']!r} ({c['annotator']}, {where}): kept {c['kept']}, "
                        f"not taken {c['incoming']} from {c['source']}", fg="yellow", err=True)
        if len(summary.conflicts) > 20:
            click.secho(f"  … and {len(summary.conflicts) - 20} more (see --json)", fg="yellow", err=True)


@cli.command("assign")
@PROJECT_OPTION
@click.option("--to", "names", required=True, help="Comma-separated annotator names, e.g. ana,ben.")
@click.option("--overlap", type=float, default=0.2, show_default=True,
              help="Share of articles everyone gets, to measure agreement on.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path),
              help="Folder for the files (default: beside the project).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the draw of shared articles.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@handle_errors
def assign_cmd(project_path: Path, names: str, overlap: float, out: Path | None, seed: int, as_json: bool) -> None:
    """Split a project into one project file per annotator.

    Each file gets the shared overlap (the same articles for everyone) plus its
    share of the rest, with the scheme and the pending suggestions. Hand each
    person their file; merge them back with 'annotator merge'.

    Example:

        annotator assign --project news.db --to ana,ben --overlap 0.2
    """
    from annotator.services import projects, teams

    with projects.open_existing(project_path) as project, progress_bar("Writing") as progress:
        summary = teams.assign(project, to=[n for n in names.split(",") if n.strip()], overlap=overlap, out=out,
                               seed=seed, progress=progress)
    if as_json:
        print_json(summary.to_dict())
        return
    click.echo(f"{summary.total} article(s); {summary.shared} shared by everyone.")
    for name, path in summary.files.items():
        click.echo(f"  {name}: {summary.documents[name]} article(s) in {path}")


def _fmt(value: float | None) -> str:
    return "  n/a" if value is None else f"{value:5.3f}"


@cli.command("agreement")
@PROJECT_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print every figure as JSON.")
@handle_errors
def agreement_cmd(project_path: Path, as_json: bool) -> None:
    """Inter-annotator agreement on the articles two annotators both finished.

    Per pair and overall: entity span F1 (exact and overlap) per label, Cohen's
    kappa of entity labels on matched spans and of stance labels per (sentence,
    target), Krippendorff's alpha for three or more annotators, and the articles
    with the most disagreement.

    Example:

        annotator agreement --project team.db
    """
    from annotator.services import agreement, projects

    with projects.open_existing(project_path) as project:
        report = agreement.agreement(project)
    if as_json:
        print_json(report.to_dict())
        return
    blocks = [(f"{p['a']} / {p['b']}", p) for p in report.pairs]
    if len(report.pairs) > 1:
        blocks.append(("all pairs", report.overall))
    for title, fig in blocks:
        ent, st = fig["entity"], fig["stance"]
        click.echo(f"{title}: {fig['documents']} article(s) finished by both")
        click.echo(f"  entities  F1 exact {_fmt(ent['f1_exact'])}  overlap {_fmt(ent['f1_overlap'])}  "
                   f"kappa {_fmt(ent['kappa'])} on {ent['matched_spans']} matched span(s)")
        for label, c in ent["labels"].items():
            click.echo(f"    {label:<12} F1 exact {_fmt(c['f1_exact'])}  overlap {_fmt(c['f1_overlap'])}  "
                       f"({c['a']} / {c['b']} spans)")
        click.echo(f"  stances   F1 {_fmt(st['f1'])}  kappa {_fmt(st['kappa'])} on {st['units']} (sentence, target) unit(s)")
        for label, c in st["labels"].items():
            click.echo(f"    {label:<12} F1 {_fmt(c['f1'])}  ({c['a']} / {c['b']})")
    if report.alpha is not None:
        click.echo(f"Krippendorff's alpha ({len(report.annotators)} annotators): entities "
                   f"{_fmt(report.alpha['entity'])}, stances {_fmt(report.alpha['stance'])}")
    click.echo("Articles, most disagreement first:")
    for art in report.articles[:15]:
        click.echo(f"  #{art['doc_id']:<5} {art['disagreements']:>3} disagreement(s)  entity F1 "
                   f"{_fmt(art['entity_f1_exact'])}  {art['title'][:60]}")

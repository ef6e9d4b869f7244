"""The ``export`` command: training data out of a project."""

from __future__ import annotations

from pathlib import Path

import click

from annotator.cli import PROJECT_OPTION, cli, handle_errors, print_json, progress_bar

#: Kept in step with the registry (a test checks it); listed here so that
#: ``import annotator.cli`` does not import the writers.
FORMATS = ("spacy", "jsonl", "prodigy", "doccano", "conll", "labelstudio")


@cli.command("export")
@PROJECT_OPTION
@click.option("--format", "-f", "fmt", type=click.Choice(FORMATS), required=True,
              help="spacy: train/dev .spacy + config.cfg; jsonl: ours (lossless); prodigy; doccano; conll (IOB2); "
                   "labelstudio: tasks with annotations and scored predictions + labeling-config.xml.")
@click.option("--out", "-o", type=click.Path(path_type=Path), required=True,
              help="Output folder (created if needed); single-file formats also take a file name.")
@click.option("--split", type=float, default=0.8, show_default=True,
              help="spaCy: share of documents for training (the rest is dev); split by document.")
@click.option("--seed", type=int, default=0, show_default=True, help="spaCy: seed of the train/dev shuffle.")
@click.option("--annotator", help="Only this annotator's finished documents and accepted spans ('adjudicated': the reviewed version of a team project).")
@click.option("--all", "include_all", is_flag=True,
              help="Every document, not only those marked done (unfinished ones are not taken as 'no entities').")
@click.option("--include-suggestions", is_flag=True, help="Also export pending suggestions.")
@click.option("--stance-docs", is_flag=True,
              help="spaCy: also one doc per (stance, target) with one-hot cats for textcat (stance-*.spacy).")
@click.option("--offsets", type=click.Choice(["codepoints", "utf16", "graphemes"]),
              help="JSON formats: unit of the written offsets (default: what the format's tool counts in: "
                   "UTF-16 for doccano and Label Studio, code points for jsonl and prodigy).")
@click.option("--shard-mb", type=click.FloatRange(0.001, 1900), default=512, show_default=True,
              help="spaCy: split train/dev into numbered .spacy shards in a folder past this size.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@handle_errors
def export_cmd(project_path: Path, fmt: str, out: Path, split: float, seed: int, annotator: str | None,
               include_all: bool, include_suggestions: bool, stance_docs: bool, offsets: str | None,
               shard_mb: float,
               as_json: bool) -> None:
    """Export annotations as training data (spaCy, our JSONL, Prodigy, doccano, CoNLL).

    By default only documents marked done, and only accepted spans. Spans whose
    edges cut tokens are listed in export-report.json beside the output, never
    dropped silently.

    Example:

        annotator export --project demo.db --format spacy --out corpus/

        python -m spacy train corpus/config.cfg --paths.train corpus/train.spacy --paths.dev corpus/dev.spacy
    """
    from annotator.services import exporting, projects

    with projects.open_existing(project_path) as project, progress_bar("Exporting") as progress:
        summary = exporting.export(project, format=fmt, out=out, split=split, seed=seed, annotator=annotator,
                                   include_all=include_all, include_suggestions=include_suggestions,
                                   stance_docs=stance_docs, shard_mb=shard_mb, progress=progress, offsets=offsets)
    if as_json:
        print_json(summary.to_dict())
        return
    click.echo(f"Exported {summary.documents} document(s) as {fmt} to {summary.folder}"
               + (f" ({summary.train_documents} train, {summary.dev_documents} dev)" if fmt == "spacy" else "") + ".")
    for layer, labels in summary.spans.items():
        click.echo(f"  {layer} spans: " + ", ".join(f"{label} {n}" for label, n in labels.items()))
    if not summary.spans:
        click.echo("  No spans exported.")
    if "offsets" in summary.extra:
        from annotator.core.offsets import UNIT_NAMES

        shifted = summary.extra.get("browser_shifted", 0)
        click.echo(f"  Offsets: {UNIT_NAMES[summary.extra['offsets']]}; spans a browser tool counting UTF-16 units "
                   f"(doccano, Label Studio) would show on other characters: {shifted}")
        if shifted and fmt in ("doccano", "labelstudio"):
            click.secho(f"    {shifted} span(s) will look shifted in {fmt}'s browser: export without --offsets "
                        "(UTF-16, its default) for it.", fg="yellow", err=True)
    elif fmt == "spacy":
        click.echo("  Offsets: code points (spaCy's Span.start_char / end_char)")
    elif fmt == "conll":
        click.echo("  Offsets: none (one token a line; the text is rebuilt from the tokens)")
    if summary.extra.get("predictions"):
        click.echo(f"  Suggestions written as scored predictions: {summary.extra['predictions']}")
    undecided = summary.extra.get("done_with_undecided") or {}
    if undecided.get("documents"):
        click.echo(f"  Done articles with suggestions nobody decided: {undecided['documents']} "
                   f"({undecided['suggestions']} suggestion{'s' if undecided['suggestions'] != 1 else ''}, "
                   "exported as unknown, not as entities or O)")
    for what, n, reasons in summary.left_out_of_training():
        click.echo(f"  {what} (left out of training, so nothing unknown is taught as \"none\"): {n} ({reasons})")
    click.echo(f"  Overlapping entities resolved (longest kept): {len(summary.overlaps)}")
    click.echo(f"  Spans snapped to token boundaries: {len(summary.snapped)}")
    click.echo(f"  Spans not aligned to tokens (not exported in this format): {len(summary.not_aligned)}")
    for item in summary.not_aligned[:5]:
        click.secho(f"    span {item['id']} in document {item['doc_id']} {item['text']!r}: {item['reason']}",
                    fg="yellow", err=True)
    for path in summary.files:
        click.echo(f"  wrote {path}")
    click.echo(f"  report: {summary.report_path}")
    if fmt == "spacy" and any(p.name == "config.cfg" for p in summary.files):
        folder = summary.folder
        paths = summary.extra.get("paths", {})
        if summary.extra.get("shards"):
            shards = summary.extra["shards"]
            click.echo(f"  DocBins split into shards: {shards['train']} train, {shards['dev']} dev "
                       "(config.cfg names their folders)")
        click.echo(f"Train with: python -m spacy train {folder / 'config.cfg'} --paths.train "
                   f"{paths.get('train', folder / 'train.spacy')} --paths.dev {paths.get('dev', folder / 'dev.spacy')}")

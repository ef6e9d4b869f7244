"""The ``train`` command: a spaCy pipeline from the project's finished documents."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from annotator.cli import PROJECT_OPTION, cli, handle_errors, print_json
from annotator.services import projects


def _components(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


@cli.command("train")
@PROJECT_OPTION
@click.option("--base", help="Fine-tune the entity recogniser of this pipeline (an installed package such as "
                             "en_core_web_sm, or a folder); without it the recogniser is trained from scratch.")
@click.option("--components", default="ner,stance", show_default=True,
              help="What to train, comma-separated: 'ner' (entities) and/or 'stance' (stance classifier).")
@click.option("--max-minutes", type=click.FloatRange(min=0, min_open=True),
              help="Stop after this many minutes, keeping the best checkpoint so far.")
@click.option("--max-steps", type=click.IntRange(min=1),
              help="Update steps per component (default 2000).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Folder for the pipeline (default: <project>-models/<name>-<version> beside the project).")
@click.option("--use", "use_it", is_flag=True, help="Switch the project's suggestions to the new pipeline.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@handle_errors
def train_cmd(project_path: Path, base: str | None, components: str, max_minutes: float | None,
              max_steps: int | None, out_dir: Path | None, use_it: bool, as_json: bool) -> None:
    """Train a spaCy pipeline on the finished documents and save it beside the project.

    The finished documents are exported as spaCy training data, a fifth of them
    held out for evaluation; the pipeline's meta.json records the data sizes, the
    per-label scores on the held-out documents and the date. Ctrl-C stops the
    run without saving anything.

    Example:

        annotator train --project demo.db --base en_core_web_sm --max-minutes 10
    """
    from annotator.services import training

    err = sys.stderr
    last = {"phase": ""}

    def progress(event: training.TrainProgress) -> None:
        if event.phase != last["phase"] or event.step == 0:
            if last["phase"] in ("ner", "stance"):
                click.echo("", err=True)
            last["phase"] = event.phase
            if event.step == 0:
                click.echo(f"[{event.phase}] {event.message}", err=True)
                return
        loss = f"{event.loss:9.3f}" if event.loss is not None else "        -"
        score = f"{event.score:6.3f}" if event.score is not None else "     -"
        limit = f"/{event.max_steps}" if event.max_steps else ""
        err.write(f"\r[{event.phase}] step {event.step}{limit}  loss {loss}  dev score {score}  "
                  f"docs seen {event.docs_seen}  {event.seconds:6.1f} s")
        err.flush()

    with projects.open_existing(project_path) as project:
        try:
            summary = training.train(project, base=base, components=_components(components),
                                     max_minutes=max_minutes, max_steps=max_steps, progress=progress,
                                     out_dir=out_dir)
        except KeyboardInterrupt:
            click.secho("\nTraining interrupted; no pipeline was saved.", fg="yellow", err=True)
            sys.exit(130)
        if use_it:
            project.set_setting("model", summary.model_setting)
    click.echo("", err=True)
    if as_json:
        print_json(summary.to_dict())
        return
    click.echo(format_summary(summary))
    if use_it:
        click.echo(f"The project now suggests with {summary.origin}.")
    else:
        click.echo(f"Suggest with it: annotator config --project {project_path} --model {summary.model_path}")


def format_summary(summary) -> str:  # noqa: ANN001 (a training.TrainSummary)
    """The summary as plain text: where the pipeline is, the data and per-label scores."""
    lines = [f"Saved {summary.origin} to {summary.model_path}",
             f"Components: {', '.join(summary.components)}"
             + (f" (recogniser fine-tuned from {summary.base})" if summary.base else ""),
             f"Documents: {summary.documents} finished; {summary.train_documents} for training, "
             f"{summary.dev_documents} held out"
             + (f"; stance units {summary.stance_train_documents} / {summary.stance_dev_documents}"
                if "stance" in summary.components else ""),
             "Steps: " + ", ".join(f"{k} {v}" for k, v in summary.steps.items())
             + f" in {summary.seconds:.1f} s"]
    for component, why in summary.stopped.items():
        lines.append(f"Stopped {component}: {why}")
    lines.extend(f"Note: {note}" for note in summary.notes)
    lines += ["", f"  {'component':<9} {'label':<12} {'P':>6} {'R':>6} {'F1':>6} {'support':>8}"]
    for row in summary.labels:
        if row.support or row.f1:
            lines.append(f"  {row.component:<9} {row.label:<12} {row.precision:6.3f} {row.recall:6.3f} "
                         f"{row.f1:6.3f} {row.support:8d}")
    scores = summary.scores
    if "ents_f" in scores:
        lines.append(f"  {'ner':<9} {'overall':<12} {scores['ents_p']:6.3f} {scores['ents_r']:6.3f} "
                     f"{scores['ents_f']:6.3f}")
    if "stance_cats_macro_f" in scores:
        lines.append(f"  {'stance':<9} {'macro':<12} {scores.get('stance_cats_macro_p', 0):6.3f} "
                     f"{scores.get('stance_cats_macro_r', 0):6.3f} {scores['stance_cats_macro_f']:6.3f}")
    return "\n".join(lines)


@cli.command("train-stance")
@PROJECT_OPTION
@click.option("--use", "use_it", type=click.Choice(["auto", "yes", "no"]), default="auto", show_default=True,
              help="Label the project's stance suggestions with the model: 'auto' only when it beats the "
                   "rules on the held-out decisions.")
@click.option("--combine", type=click.Choice(["both", "model"]), default="both", show_default=True,
              help="'both': the model decides where it is confident or the rules found no cue; "
                   "'model': the model labels every candidate.")
@click.option("--epochs", type=click.IntRange(min=1, max=100), default=12, show_default=True,
              help="Passes over the training decisions.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@handle_errors
def train_stance_cmd(project_path: Path, use_it: str, combine: str, epochs: int, as_json: bool) -> None:
    """Train a stance model from the project's stance decisions (seconds, CPU).

    Accepted, corrected and written stances teach the labels; rejected suggestions
    teach where there is no stance. A fifth of the documents is held out to compare
    the model with the rules; the model is saved as <project>-models/stance-model.

    Example:

        annotator train-stance --project demo.db
    """
    from annotator.services.stance_learning import train_from_project

    use = {"auto": None, "yes": True, "no": False}[use_it]
    with projects.open_existing(project_path) as project:
        report = train_from_project(project, use=use, combine=combine, epochs=epochs)
    if as_json:
        print_json(report.to_dict())
        return
    click.echo(f"Stance model: {report.train} decisions to train, {report.heldout} held out "
               f"({', '.join(f'{k} {v}' for k, v in sorted(report.counts.items()))}).")
    click.echo(f"Held-out stance labels: model {report.model_accuracy:.3f}, rules {report.rules_accuracy:.3f}."
               + (f" {report.note}." if report.note else ""))
    click.echo(f"Saved to {report.path}; "
               + ("the project's stance suggestions now use it (run 'annotator suggest')." if report.used
                  else "the project keeps the rules."))

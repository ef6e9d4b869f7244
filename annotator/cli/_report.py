"""The ``report`` command: the dashboard as one shareable HTML file, or its numbers as JSON."""

from __future__ import annotations

from pathlib import Path

import click

from annotator.cli import PROJECT_OPTION, cli, handle_errors
from annotator.services import projects


@cli.command("report")
@PROJECT_OPTION
@click.option("--out", "out_path", type=click.Path(path_type=Path),
              help="File to write: report.html (or, with --json, a .json file). "
                   "Without --out, --json prints to standard output.")
@click.option("--json", "as_json", is_flag=True, help="The raw numbers as JSON instead of the HTML report.")
@click.option("--theme", type=click.Choice(["light", "dark"]), default="light", show_default=True,
              help="Colours of the plots and the page.")
@handle_errors
def report_cmd(project_path: Path, out_path: Path | None, as_json: bool, theme: str) -> None:
    """Write progress, speed, label balance, suggestion quality, agreement and
    learning curves as one self-contained HTML file (plots as inline SVG, nothing
    fetched from the network), to share with people who do not run annotator.

    Example:

        annotator report --project demo.db --out report.html
    """
    from annotator.services import dashboard, report

    if out_path is None and not as_json:
        raise click.UsageError("Pass --out FILE (or --json to print the numbers).")
    with projects.open_existing(project_path) as project:
        dash = dashboard.compute(project)
    if out_path is None:
        click.echo(report.report_json(dash))
        return
    written = report.write_report(dash, out_path, as_json=as_json, theme=theme)
    p = dash.progress
    click.echo(f"Wrote {written} ({p.done_any:,} of {p.total:,} articles done, "
               f"{dash.quality.total():,} suggestions decided).", err=True)

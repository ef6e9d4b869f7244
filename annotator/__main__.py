"""Entry point: ``annotator`` (and ``python -m annotator``).

With no command it opens the window on the default project; ``annotator gui``
opens a given project. Every other command is headless and never imports Qt.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from annotator.cli import cli, handle_errors


@cli.command("gui")
@click.option("--project", "-p", "project_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Project file to open (default: your default project, made from the sample corpus on first start).")
@handle_errors
def gui_cmd(project_path: Path | None) -> None:
    """Open the annotation window.

    Example:

        annotator gui --project demo.db
    """
    from annotator.gui.app import run

    sys.exit(run(project_path))


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if not args:
        args = ["gui"]
    cli.main(args=args, prog_name="annotator")


if __name__ == "__main__":
    main()

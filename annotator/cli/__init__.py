"""The command line: thin click commands over :mod:`annotator.services`.

Note for developers: this module never imports Qt; the ``gui`` command is added by
:mod:`annotator.__main__`. Every command has a one-line summary and an example,
and turns :class:`~annotator.core.errors.AnnotatorError` into a message on stderr
and exit code 1 (a test checks that every command has help).
"""

from __future__ import annotations

import contextlib
import errno
import functools
import json
import os
import sqlite3
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NoReturn

import click

from annotator import __version__
from annotator.core.errors import AnnotatorError, Errors, os_error

PROJECT_OPTION = click.option(
    "--project", "-p", "project_path", type=click.Path(dir_okay=False, path_type=Path), required=True,
    help="Project file (.db). One file is one project.",
)


def handle_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Print coded errors cleanly (no traceback) and exit 1; Ctrl-C exits 130."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            result = fn(*args, **kwargs)
            sys.stdout.flush()  # a reader that went away shows here, not at interpreter exit
            return result
        except BrokenPipeError:
            _closed_stdout()
        except AnnotatorError as exc:
            click.secho(f"Error {exc}", fg="red", err=True)
            sys.exit(1)
        except sqlite3.Error as exc:
            # An SQLite failure no service turned into a coded error yet.
            from annotator.storage.project import storage_error

            error = storage_error(exc, None, action="use the project") or AnnotatorError(
                Errors.E905, action="use the project", reason=str(exc))
            click.secho(f"Error {error}", fg="red", err=True)
            sys.exit(1)
        except OSError as exc:
            if exc.errno == errno.EPIPE:
                _closed_stdout()
            # A file operation the command did not foresee failing (full disk,
            # read-only, odd path): still a coded error, never a traceback.
            click.secho(f"Error {os_error(exc, action='read or write a file')}", fg="red", err=True)
            sys.exit(1)
        except KeyboardInterrupt:
            click.secho("Interrupted; everything committed so far is kept.", fg="yellow", err=True)
            sys.exit(130)

    return wrapper


def _closed_stdout() -> NoReturn:
    """The reader of stdout went away (``annotator stats | head -1``): end quietly,
    as Unix tools do, with the status a shell gives a command SIGPIPE ended (141).
    stdout points at /dev/null from here on, so the interpreter's last flush at
    exit cannot complain either."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    sys.exit(128 + 13)


@contextlib.contextmanager
def progress_bar(label: str, *, rate_unit: str | None = None) -> Iterator[Callable[..., None]]:
    """A progress bar on stderr, fed by a service's ``progress(done, total, ...)``.

    With ``rate_unit`` ("docs"), the bar also shows the rate so far.
    """
    started = time.perf_counter()
    state = {"shown": 0}

    def rate(_item: object) -> str:
        elapsed = time.perf_counter() - started
        return f"{state['shown'] / elapsed:.1f} {rate_unit}/s" if elapsed > 0 and state["shown"] else ""

    with click.progressbar(length=1, label=label, file=sys.stderr, show_eta=True, show_pos=rate_unit is not None,
                           item_show_func=rate if rate_unit else None) as bar:

        def update(done: int, total: int, *_detail: object) -> None:
            total = max(total, 1)
            if bar.length != total:
                bar.length = total
            bar.update(done - state["shown"], current_item=done)
            state["shown"] = done

        yield update


def print_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="annotator")
def cli() -> None:
    """Label entities and stances in news articles, and export training data.

    Run 'annotator' with no command to open the window on your default project.

    Example:

        annotator import sample_corpus --project demo.db
    """


from annotator.cli import _commands  # noqa: E402,F401  (registers the commands)

__all__ = ["cli", "handle_errors", "print_json", "progress_bar", "PROJECT_OPTION"]
from annotator.cli import (  # noqa: E402,F401
    _export,
    _report,
    _suggest,
    _teams,  # noqa: E402,F401
    _train,
)

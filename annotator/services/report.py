"""The shareable report: the dashboard's figures and plots in one HTML file.

The file is self-contained: plots are inline SVG (text kept as text, so it stays
searchable and small), styles are inline, there are no scripts, fonts or images to
fetch, so it opens offline in any browser and can be mailed as it is. The markup
is well-formed XML as well as HTML, which keeps it easy to check and to parse.
The same numbers are available as JSON (:func:`report_json`).
"""

from __future__ import annotations

import contextlib
import html
import io
import json
import os
import re
import string
import uuid
from pathlib import Path
from typing import Any

from annotator import __version__
from annotator.core.errors import AnnotatorError, Errors
from annotator.services import plots
from annotator.services.dashboard import OUTCOMES, Dashboard, rates

__all__ = ["render_html", "report_json", "svg_of", "write_report"]

_XML_PROLOGUE = re.compile(r"^.*?(?=<svg\b)", re.DOTALL)
_METADATA = re.compile(r"<metadata>.*?</metadata>\s*", re.DOTALL)
_ID = re.compile(r'\b(id)="([^"]+)"')
_REF = re.compile(r'(url\(|xlink:href="|\bhref=")#')


def svg_of(spec: plots.PlotSpec, dash: Dashboard, theme: plots.Theme) -> str:
    """One plot as an inline ``<svg>`` element (no XML prologue, no metadata that
    points at web addresses)."""
    fig = plots.render(spec, dash, theme)
    buf = io.StringIO()
    with plots.themed(theme):
        # The salt makes every plot's clip-path ids its own within one HTML page.
        import matplotlib

        with matplotlib.rc_context({"svg.hashsalt": f"annotator-{spec.key}"}):
            fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    text = _METADATA.sub("", _XML_PROLOGUE.sub("", buf.getvalue(), count=1))
    # matplotlib numbers its element ids per figure ("axes_1"); in one page every
    # id must be unique, so each plot's ids (and references to them) get its key.
    text = _ID.sub(lambda m: f'{m.group(1)}="{spec.key}-{m.group(2)}"', text)
    text = _REF.sub(lambda m: f"{m.group(1)}#{spec.key}-", text)
    return text.replace("<svg ", f'<svg role="img" aria-label="{html.escape(spec.title)}" ', 1)


def _table(headers: list[str], rows: list[list[Any]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _pct(x: float) -> str:
    return f"{x * 100:.0f}%"


def _tables(dash: Dashboard) -> dict[str, str]:
    speed = _table(["annotator", "decisions", "active hours", "median / min", "quartiles / min"], [
        [s.annotator, f"{s.decisions:,}", f"{s.active_minutes / 60:.2f}",
         "–" if s.median is None else f"{s.median:.1f}",
         "–" if s.q1 is None else f"{s.q1:.1f} – {s.q3:.1f}"] for s in dash.speed])
    origins = _table(["origin", "decided", *OUTCOMES], [
        [origin, f"{sum(c.values()):,}", *(_pct(rates(c)[o]) for o in OUTCOMES)]
        for origin, c in dash.quality.by_origin().items()])
    by_label = _table(["label", "decided", *OUTCOMES], [
        [label, f"{sum(c.values()):,}", *(_pct(rates(c)[o]) for o in OUTCOMES)]
        for label, c in dash.quality.by_label().items()])
    progress = _table(["annotator", "done", "in progress", "skipped"], [
        [who, f"{c.get('done', 0):,}", f"{c.get('in_progress', 0):,}", f"{c.get('skipped', 0):,}"]
        for who, c in sorted(dash.progress.statuses.items())])
    tables = {"progress": progress, "speed": speed, "quality_origins": origins, "quality_labels": by_label}
    if dash.agreement:
        tables["agreement"] = _table(["layer", "label", "F1 exact", "F1 overlap", "spans marked"], [
            [r["layer"], r["label"], _num(r["f1_exact"]), _num(r["f1_overlap"]), f"{r['support']:,}"]
            for r in dash.agreement])
    return tables


def _num(x: float | None) -> str:
    return "–" if x is None else f"{x:.2f}"


_CSS = """
:root { color-scheme: $scheme; }
body { font-family: "DejaVu Sans", system-ui, sans-serif; margin: 2rem auto; max-width: 72rem;
       padding: 0 1rem; color: $fg; background: $bg; line-height: 1.45; }
h1 { font-size: 1.5rem; margin-bottom: 0.2rem; }
h2 { font-size: 1.15rem; margin-top: 2.2rem; border-bottom: 1px solid $grid; padding-bottom: 0.2rem; }
.meta { color: $muted; font-size: 0.9rem; }
.summary { display: flex; gap: 1.5rem; flex-wrap: wrap; margin: 1rem 0; }
.summary div { background: $panel; border-radius: 6px; padding: 0.6rem 1rem; }
.summary b { display: block; font-size: 1.4rem; }
figure { margin: 0.5rem 0; }
figure svg { max-width: 100%; height: auto; }
table { border-collapse: collapse; font-size: 0.85rem; margin: 0.5rem 0 1rem; }
th, td { border: 1px solid $grid; padding: 0.25rem 0.6rem; text-align: left; }
th { background: $panel; }
.note { color: $muted; font-size: 0.85rem; }
"""


def _css(theme: plots.Theme) -> str:
    """The page's style in the plots' theme (a dark report is dark all over)."""
    panel = "#f6f8fa" if theme.name == "light" else "#2b2d31"
    return string.Template(_CSS).substitute(scheme=theme.name, fg=theme.foreground, bg=theme.background,
                                            grid=theme.grid, muted=theme.muted, panel=panel)


def render_html(dash: Dashboard, *, theme: str = "light") -> str:
    """The report as one HTML document (a string)."""
    t = plots.THEMES[theme]
    tables = _tables(dash)
    p = dash.progress
    decided = dash.quality.total()
    accepted = sum(r.n for r in dash.quality.rows if r.outcome == "accepted")
    n_decisions = sum(s.decisions for s in dash.speed)
    summary = [
        ("articles", f"{p.total:,}"),
        ("done by anyone", f"{p.done_any:,}" + (f" ({p.done_any / p.total:.0%})" if p.total else "")),
        ("decisions", f"{n_decisions:,}"),
        ("suggestions accepted as suggested", _pct(accepted / decided) if decided else "–"),
    ]
    parts = [
        '<!DOCTYPE html>',
        '<html xmlns="http://www.w3.org/1999/xhtml" lang="en"><head><meta charset="utf-8"/>',
        f"<title>{html.escape(_title(dash))}</title>",
        f"<style>{_css(t)}</style></head><body>",
        f"<h1>{html.escape(_title(dash))}</h1>",
        f'<p class="meta">Generated {html.escape(dash.generated_at)} by annotator {html.escape(__version__)}'
        f" · times in UTC</p>",
        '<div class="summary">' + "".join(
            f"<div><b>{html.escape(v)}</b>{html.escape(k)}</div>" for k, v in summary) + "</div>",
    ]
    for spec in plots.PLOTS:
        parts.append(f'<section id="{spec.key}"><h2>{html.escape(spec.title)}</h2>')
        parts.append(f"<figure>{svg_of(spec, dash, t)}</figure>")
        if spec.key in tables:
            parts.append(tables[spec.key])
        parts.append("</section>")
    parts.append(
        '<p class="note">Speed counts the decisions that follow another decision of the same person within '
        "five minutes, per minute of such working time; longer pauses are left out. Suggestion outcomes count "
        "each decided suggestion once, by its final state (undone decisions do not count).</p>")
    parts.append("</body></html>\n")
    return "\n".join(parts)


def _title(dash: Dashboard) -> str:
    name = Path(dash.project).stem if dash.project else "project"
    return f"Annotation report: {name}"


def report_json(dash: Dashboard) -> str:
    return json.dumps(dash.to_dict(), indent=2, ensure_ascii=False)


def write_report(dash: Dashboard, out: str | Path, *, as_json: bool = False, theme: str = "light") -> Path:
    """Write the HTML report (or, with ``as_json``, the raw numbers) to ``out``
    atomically: a reader never sees half a file, and a failure leaves any
    earlier report as it was."""
    out = Path(out)
    if out.is_dir():
        raise AnnotatorError(Errors.E801, path=out, reason="it is a folder; give a file name such as report.html")
    text = report_json(dash) if as_json else render_html(dash, theme=theme)
    parent = out.parent
    if not parent.is_dir():
        raise AnnotatorError(Errors.E801, path=out, reason=f"the folder {parent} does not exist")
    # Opened with "x" (not mkstemp) so the file gets the user's umask like any other.
    tmp = parent / f".{out.name}.{uuid.uuid4().hex[:8]}.part"
    try:
        with tmp.open("x", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, out)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise AnnotatorError(Errors.E801, path=out, reason=exc.strerror or str(exc)) from None
    return out


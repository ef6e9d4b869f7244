"""The dashboard's plots, drawn with matplotlib into any ``Figure``, without Qt.

The window puts each figure on a QtAgg canvas; the report saves the same figures
as SVG. Nothing here selects a backend or imports ``pyplot``: figures are plain
``matplotlib.figure.Figure`` objects, so importing this module never touches a
display.

Every plot has axis labels with units, integer ticks wherever it counts things
(no "0 0 0 1 1" axis when there are two points), a message instead of empty
axes when there is nothing to show yet, and colours that read on the light and
the dark theme (Okabe-Ito's colour-blind safe set).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from annotator.services.dashboard import OUTCOMES, Dashboard, bucket_start, rates

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["THEMES", "Theme", "PLOTS", "PlotSpec", "themed", "new_figure"]


@dataclass(frozen=True)
class Theme:
    name: str
    background: str
    foreground: str
    muted: str
    grid: str
    series: tuple[str, ...]
    outcomes: dict[str, str]


_OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442")

THEMES: dict[str, Theme] = {
    "light": Theme("light", "#ffffff", "#1f2328", "#57606a", "#d8dee4", (*_OKABE_ITO, "#000000"),
                   {"accepted": "#009E73", "corrected": "#E69F00", "rejected": "#D55E00"}),
    "dark": Theme("dark", "#1e1f22", "#e6e6e6", "#a0a4ab", "#3b3e44", ("#56B4E9", "#E69F00", "#2FC79A", "#E08FC0",
                                                                       "#9BD0F0", "#FF7A33", "#F0E442", "#ffffff"),
                  {"accepted": "#2FC79A", "corrected": "#E69F00", "rejected": "#FF7A33"}),
}


def _rc(theme: Theme) -> dict[str, Any]:
    from cycler import cycler

    return {
        "figure.facecolor": theme.background, "axes.facecolor": theme.background,
        "savefig.facecolor": theme.background, "axes.edgecolor": theme.muted,
        "axes.labelcolor": theme.foreground, "axes.titlecolor": theme.foreground,
        "text.color": theme.foreground, "xtick.color": theme.muted, "ytick.color": theme.muted,
        "xtick.labelcolor": theme.foreground, "ytick.labelcolor": theme.foreground,
        "grid.color": theme.grid, "grid.linewidth": 0.8, "axes.grid": False,
        "legend.frameon": False, "legend.labelcolor": theme.foreground,
        "axes.prop_cycle": cycler(color=list(theme.series)),
        "axes.spines.top": False, "axes.spines.right": False,
        "font.size": 9.0, "axes.titlesize": 10.5, "axes.titleweight": "bold", "axes.labelsize": 9.0,
        "svg.fonttype": "none", "font.family": ["DejaVu Sans", "sans-serif"],
    }


@contextlib.contextmanager
def themed(theme: Theme) -> Iterator[None]:
    """matplotlib settings of ``theme`` while figures are built and drawn."""
    import matplotlib

    with matplotlib.rc_context(_rc(theme)):
        yield


def new_figure(width: float = 6.4, height: float = 3.6) -> Figure:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


# ---- helpers ------------------------------------------------------------------------------------


def _integer_axis(axis: Any) -> None:
    from matplotlib.ticker import MaxNLocator, StrMethodFormatter

    axis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))
    axis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))


def _percent_axis(axis: Any) -> None:
    from matplotlib.ticker import PercentFormatter

    axis.set_major_formatter(PercentFormatter(1.0, decimals=0))


def _empty(ax: Axes, theme: Theme, message: str) -> None:
    ax.set_axis_off()
    ax.text(0.5, 0.5, message, ha="center", va="center", wrap=True, color=theme.muted,
            transform=ax.transAxes, fontsize=9.5)


def _short(text: str, limit: int = 28) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _grid(ax: Axes, axis: str) -> None:
    ax.grid(True, axis=axis)
    ax.set_axisbelow(True)


def _date_axis(ax: Axes) -> None:
    import matplotlib.dates as mdates

    locator = mdates.AutoDateLocator(minticks=2, maxticks=7)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))


# ---- the plots ---------------------------------------------------------------------------------


def plot_progress(fig: Figure, dash: Dashboard, theme: Theme) -> None:
    ax = fig.add_subplot()
    p = dash.progress
    ax.set_title(f"Articles finished · {p.done_any:,} of {p.total:,} done")
    if not p.cumulative:
        _empty(ax, theme, "No article is marked done yet.\nPress the 'done' key on a finished article.")
        return
    for who, rows in sorted(p.cumulative.items()):
        xs = [bucket_start(b) for b, _ in rows]
        ys = [n for _, n in rows]
        # A step that starts at zero just before the first mark reads as "from nothing".
        ax.step(xs, ys, where="post", marker="o" if len(xs) <= 40 else None, markersize=3.5,
                linewidth=1.8, label=f"{_short(who, 18)} ({ys[-1]:,})")
    _date_axis(ax)
    _integer_axis(ax.yaxis)
    ax.set_ylim(bottom=0)
    ax.set_ylabel("articles done (cumulative)")
    ax.set_xlabel(f"time (UTC, per {p.unit})")
    _grid(ax, "y")
    ax.legend(loc="upper left", fontsize=8, title="annotator", title_fontsize=8)


def plot_speed(fig: Figure, dash: Dashboard, theme: Theme) -> None:
    ax = fig.add_subplot()
    ax.set_title("Decisions per minute of active work")
    people = [s for s in dash.speed if s.median is not None]
    if not people:
        _empty(ax, theme, "No timed decisions yet.\nSpeed appears after a few accepts, rejects or corrections.")
        return
    stats = []
    for s in people:
        ws = s.windows or [s.median]
        stats.append({"label": _short(s.annotator, 14), "med": s.median, "q1": s.q1, "q3": s.q3,
                      "whislo": min(ws), "whishi": max(ws), "fliers": []})
    bp = ax.bxp(stats, orientation="horizontal", widths=0.5, showfliers=False, patch_artist=True,
                boxprops={"edgecolor": theme.foreground, "linewidth": 1.0},
                medianprops={"color": theme.foreground, "linewidth": 2.0},
                whiskerprops={"color": theme.muted}, capprops={"color": theme.muted})
    for box, colour in zip(bp["boxes"], theme.series):
        box.set_facecolor(colour)
        box.set_alpha(0.75)
    for i, s in enumerate(people, start=1):
        ax.annotate(f"median {s.median:.1f}/min · {s.decisions:,} decisions · {s.active_minutes / 60:.1f} h active",
                    (s.q3 or 0, i), xytext=(6, 9), textcoords="offset points", fontsize=7.5, color=theme.muted,
                    va="bottom")
    ax.set_xlim(left=0, right=max(st["whishi"] for st in stats) * 1.35 + 0.5)
    ax.set_xlabel("decisions per minute (per 10-minute window; pauses over 5 min excluded)")
    ax.set_ylabel("annotator")
    _grid(ax, "x")


def plot_labels(fig: Figure, dash: Dashboard, theme: Theme) -> None:
    layers = [(layer, counts) for layer, counts in sorted(dash.labels.items()) if counts]
    if not layers:
        ax = fig.add_subplot()
        ax.set_title("Accepted spans per label")
        _empty(ax, theme, "No accepted spans yet.")
        return
    axes = fig.subplots(1, len(layers), squeeze=False)[0]
    for ax, (layer, counts) in zip(axes, layers):
        items = sorted(counts.items(), key=lambda kv: kv[1])
        names = [_short(k, 22) for k, _ in items]
        values = [v for _, v in items]
        bars = ax.barh(names, values, color=theme.series[0] if layer == "entity" else theme.series[1])
        ax.bar_label(bars, labels=[f"{v:,}" for v in values], padding=3, fontsize=7.5, color=theme.foreground)
        ax.set_title(f"Accepted {layer} spans per label")
        _integer_axis(ax.xaxis)
        ax.set_xlim(0, max(values) * 1.2 + 1)
        ax.set_xlabel("accepted spans")
        _grid(ax, "x")


def plot_targets(fig: Figure, dash: Dashboard, theme: Theme) -> None:
    ax = fig.add_subplot()
    ax.set_title("Accepted stances per target")
    if not dash.stance_targets:
        _empty(ax, theme, "No accepted stances yet.")
        return
    targets = sorted(dash.stance_targets, key=lambda t: sum(dash.stance_targets[t].values()))
    stance_labels = sorted({lab for counts in dash.stance_targets.values() for lab in counts})
    left = [0] * len(targets)
    for i, lab in enumerate(stance_labels):
        values = [dash.stance_targets[t].get(lab, 0) for t in targets]
        ax.barh([_short(t, 30) for t in targets], values, left=left, label=lab,
                color=theme.series[i % len(theme.series)])
        left = [a + b for a, b in zip(left, values)]
    _integer_axis(ax.xaxis)
    ax.set_xlim(0, max(left) * 1.1 + 1)
    ax.set_xlabel("accepted stances")
    _grid(ax, "x")
    ax.legend(loc="lower right", fontsize=8, title="stance", title_fontsize=8)


def _outcome_bars(ax: Axes, groups: dict[str, dict[str, int]], theme: Theme, names: list[str]) -> None:
    keys = list(groups)
    left = [0.0] * len(keys)
    shares = [rates(groups[k]) for k in keys]
    for outcome in OUTCOMES:
        values = [s[outcome] for s in shares]
        ax.barh(names, values, left=left, color=theme.outcomes[outcome], label=outcome)
        left = [a + b for a, b in zip(left, values)]
    for i, k in enumerate(keys):
        n = sum(groups[k].values())
        ax.text(1.01, i, f"{n:,}", va="center", fontsize=7.5, color=theme.muted,
                transform=ax.get_yaxis_transform())
    ax.set_xlim(0, 1)
    _percent_axis(ax.xaxis)
    ax.set_xlabel("share of decided suggestions (% ; number decided at right)")
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=3, fontsize=8)


def plot_quality_labels(fig: Figure, dash: Dashboard, theme: Theme) -> None:
    ax = fig.add_subplot()
    groups = dash.quality.by_label()
    if not groups:
        ax.set_title("Suggestion outcomes per label")
        _empty(ax, theme, "No suggestion has been decided yet.")
        return
    keys = sorted(groups, key=lambda k: sum(groups[k].values()))
    ordered = {k: groups[k] for k in keys}
    _outcome_bars(ax, ordered, theme, [_short(k.replace("entity:", "").replace("stance:", "stance "), 24)
                                       for k in keys])
    ax.set_title("Suggestion outcomes per label", pad=22)


def plot_quality_origins(fig: Figure, dash: Dashboard, theme: Theme) -> None:
    ax = fig.add_subplot()
    groups = dash.quality.by_origin()
    if not groups:
        ax.set_title("Suggestion outcomes per origin")
        _empty(ax, theme, "No suggestion has been decided yet.")
        return
    keys = sorted(groups, key=lambda k: sum(groups[k].values()))
    _outcome_bars(ax, {k: groups[k] for k in keys}, theme, [_short(k, 30) for k in keys])
    ax.set_title("Suggestion outcomes per origin (suggester and version)", pad=22)


def plot_quality_time(fig: Figure, dash: Dashboard, theme: Theme) -> None:
    ax = fig.add_subplot()
    ax.set_title("Suggestions accepted as suggested, over time")
    series = dash.quality.over_time()
    if not series:
        _empty(ax, theme, "No suggestion has been decided yet.")
        return
    for origin, rows in series.items():
        xs = [bucket_start(b) for b, _ in rows]
        ys = [rates(c)["accepted"] for _, c in rows]
        ax.plot(xs, ys, marker="o" if len(xs) <= 60 else None, markersize=3.5, linewidth=1.6,
                label=_short(origin, 34))
    _date_axis(ax)
    _percent_axis(ax.yaxis)
    ax.set_ylim(-0.02, 1.02)
    ax.set_ylabel("accepted (% of decided)")
    ax.set_xlabel(f"time of decision (UTC, per {dash.quality.unit})")
    _grid(ax, "y")
    ax.legend(loc="lower left", fontsize=7.5, title="origin", title_fontsize=8)


def plot_agreement(fig: Figure, dash: Dashboard, theme: Theme) -> None:
    ax = fig.add_subplot()
    ax.set_title("Agreement between annotators per label")
    rows = [r for r in dash.agreement or [] if r.get("f1_exact") is not None]
    if not rows:
        _empty(ax, theme, dash.agreement_note or "No label was marked on articles two annotators finished.")
        return
    rows.sort(key=lambda r: (r["f1_exact"], r["label"]))
    names = [_short(r["label"] if r["layer"] == "entity" else f"stance {r['label']}", 24) for r in rows]
    exact = [r["f1_exact"] for r in rows]
    colours = [theme.outcomes["accepted"] if v >= 0.8 else theme.outcomes["corrected"] if v >= 0.6
               else theme.outcomes["rejected"] for v in exact]
    bars = ax.barh(names, exact, color=colours, label="exact match")
    ax.bar_label(bars, labels=[f"{v:.2f} (n={r['support']:,})" for v, r in zip(exact, rows)], padding=3,
                 fontsize=7.5, color=theme.foreground)
    overlap = [(i, r["f1_overlap"]) for i, r in enumerate(rows) if r.get("f1_overlap") is not None]
    if overlap:
        ax.scatter([v for _, v in overlap], [i for i, _ in overlap], marker="D", s=22, zorder=3,
                   color=theme.foreground, label="overlapping spans")
    ax.axvline(0.8, color=theme.muted, linestyle="--", linewidth=0.9)
    ax.set_xlim(0, 1.25)
    ax.set_xticks([0, 0.2, 0.4, 0.6, 0.8, 1.0])
    ax.set_xlabel("span F1 between annotators (0–1; dashed line at 0.8; n = spans marked)")
    _grid(ax, "x")
    ax.legend(loc="lower right", fontsize=7.5)


def plot_learning(fig: Figure, dash: Dashboard, theme: Theme) -> None:
    ax = fig.add_subplot()
    ax.set_title("Learning curves of trained models")
    if not dash.learning_curves:
        _empty(ax, theme, "No trained model yet.\nTrain one with Tools ▸ Train or 'annotator train'.")
        return
    draw_learning_curve(ax, [(f"{c.model} · {c.component}", c.points) for c in dash.learning_curves], theme)


def draw_learning_curve(ax: Axes, curves: list[tuple[str, list[tuple[int, float]]]], theme: Theme) -> None:
    """Dev score against training documents seen, one line per (name, points);
    shared with the training dialog."""
    top = 0.0
    for i, (name, points) in enumerate(curves):
        if not points:
            continue
        xs = [d for d, _ in points]
        ys = [s for _, s in points]
        top = max(top, max(ys))
        ax.plot(xs, ys, marker="o" if len(xs) <= 60 else None, markersize=3.5, linewidth=1.6,
                color=theme.series[i % len(theme.series)], label=_short(name, 40))
    _integer_axis(ax.xaxis)
    ax.set_xlim(left=0)
    ax.set_ylim(0, 1.0 if top <= 1.0 else top * 1.05)
    ax.set_xlabel("training documents seen")
    ax.set_ylabel("dev score (F1 or accuracy, 0–1)")
    _grid(ax, "y")
    ax.legend(loc="lower right", fontsize=7.5)


@dataclass(frozen=True)
class PlotSpec:
    key: str
    title: str
    draw: Callable[[Figure, Dashboard, Theme], None]
    size: tuple[float, float] = (6.4, 3.6)


PLOTS: tuple[PlotSpec, ...] = (
    PlotSpec("progress", "Progress", plot_progress),
    PlotSpec("speed", "Speed", plot_speed),
    PlotSpec("labels", "Label balance", plot_labels, (7.2, 3.6)),
    PlotSpec("targets", "Stance targets", plot_targets),
    PlotSpec("quality_origins", "Suggestions by origin", plot_quality_origins),
    PlotSpec("quality_labels", "Suggestions by label", plot_quality_labels),
    PlotSpec("quality_time", "Suggestions over time", plot_quality_time),
    PlotSpec("agreement", "Agreement", plot_agreement),
    PlotSpec("learning", "Learning curves", plot_learning),
)


def render(spec: PlotSpec, dash: Dashboard, theme: Theme, fig: Figure | None = None) -> Figure:
    """Draw one plot into ``fig`` (cleared) or a new figure, under the theme."""
    with themed(theme):
        if fig is None:
            fig = new_figure(*spec.size)
        else:
            fig.clear()
            fig.set_facecolor(theme.background)
        spec.draw(fig, dash, theme)
    return fig

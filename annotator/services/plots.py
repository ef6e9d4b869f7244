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

__all__ = ["THEMES", "Theme", "PLOTS", "PlotSpec", "draw_learning_curve", "empty_axes", "new_figure", "render", "themed"]


@dataclass(frozen=True)
class Theme:
    name: str
    background: str
    foreground: str
    muted: str
    grid: str
    series: tuple[str, ...]
    outcomes: dict[str, str]


# Okabe-Ito's colour-blind safe set, ordered so that neighbours differ in hue; the
# dark theme takes lighter variants (and yellow, which is lost on white).
THEMES: dict[str, Theme] = {
    "light": Theme("light", "#ffffff", "#1f2328", "#57606a", "#d8dee4",
                   ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9", "#000000"),
                   {"accepted": "#009E73", "corrected": "#E69F00", "rejected": "#D55E00"}),
    "dark": Theme("dark", "#1e1f22", "#e6e6e6", "#a0a4ab", "#3b3e44",
                  ("#56B4E9", "#E69F00", "#2FC79A", "#E08FC0", "#F0E442", "#FF7A33", "#ffffff"),
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


def _count(x: float, _pos: Any = None) -> str:
    """A count for a tick: 950, 1,250, 12k, 1.5M (narrow axes stay readable)."""
    if abs(x) >= 1e6:
        return f"{x / 1e6:.3g}M"
    if abs(x) >= 1e4:
        return f"{x / 1e3:.3g}k"
    return f"{x:,.0f}"


def _integer_axis(axis: Any, bins: int | str = "auto") -> None:
    """Whole-number ticks (never "0 0 0 1 1" for a count of two)."""
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    axis.set_major_locator(MaxNLocator(nbins=bins, integer=True, min_n_ticks=1))
    axis.set_major_formatter(FuncFormatter(_count))


def _percent_axis(axis: Any) -> None:
    from matplotlib.ticker import PercentFormatter

    axis.set_major_formatter(PercentFormatter(1.0, decimals=0))


def empty_axes(ax: Axes, theme: Theme, message: str) -> None:
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


def _over_time(ax: Axes, *, ylabel: str, xlabel: str, legend: tuple[str, str], share: bool = False) -> None:
    """Axes of a time line: dates below, counts (or shares, 0–100%) up the side."""
    _date_axis(ax)
    if share:
        _percent_axis(ax.yaxis)
        ax.set_ylim(-0.02, 1.02)
    else:
        _integer_axis(ax.yaxis)
        ax.set_ylim(bottom=0)
    ax.set_ylabel(ylabel)
    ax.set_xlabel(xlabel)
    _grid(ax, "y")
    ax.legend(loc=legend[0], fontsize=8, title=legend[1], title_fontsize=8)


# ---- the plots ---------------------------------------------------------------------------------


def plot_progress(fig: Figure, dash: Dashboard, theme: Theme) -> None:
    ax = fig.add_subplot()
    p = dash.progress
    ax.set_title(f"Articles finished · {p.done_any:,} of {p.total:,} done")
    if not p.cumulative:
        empty_axes(ax, theme, "No article is marked done yet.\nPress the 'done' key on a finished article.")
        return
    for who, rows in sorted(p.cumulative.items()):
        # Each line rises from zero at its first group, then steps at each later one.
        xs = [bucket_start(rows[0][0]), *(bucket_start(b) for b, _ in rows)]
        ys = [0, *(n for _, n in rows)]
        ax.step(xs, ys, where="post", marker="o" if len(xs) <= 40 else None, markersize=3.5,
                linewidth=1.8, label=f"{_short(who, 18)} ({ys[-1]:,})")
    _over_time(ax, ylabel="articles done (cumulative)", xlabel=f"time (UTC, per {p.unit})",
               legend=("lower right", "annotator (done)"))


def plot_speed(fig: Figure, dash: Dashboard, theme: Theme) -> None:
    ax = fig.add_subplot()
    ax.set_title("Decisions per minute of active work")
    people = [s for s in dash.speed if s.median is not None]
    if not people:
        empty_axes(ax, theme, "No timed decisions yet.\nSpeed appears after a few accepts, rejects or corrections.")
        return
    stats = []
    for s in people:
        ws = s.windows or [s.median]
        label = (f"{_short(s.annotator, 16)}\n{s.decisions:,} decisions\n"
                 f"{s.active_minutes / 60:.1f} h active")
        stats.append({"label": label, "med": s.median, "q1": s.q1, "q3": s.q3,
                      "whislo": min(ws), "whishi": max(ws), "fliers": []})
    bp = ax.bxp(stats, orientation="horizontal", widths=0.5, showfliers=False, patch_artist=True,
                boxprops={"edgecolor": theme.foreground, "linewidth": 1.0},
                medianprops={"color": theme.foreground, "linewidth": 2.0},
                whiskerprops={"color": theme.muted}, capprops={"color": theme.muted})
    for box, colour in zip(bp["boxes"], theme.series):
        box.set_facecolor(colour)
        box.set_alpha(0.75)
    for i, s in enumerate(people, start=1):
        ax.text(s.median, i + 0.28, f"median {s.median:.1f}/min", ha="center", va="bottom", fontsize=8,
                color=theme.foreground)
    ax.set_xlim(left=0, right=max(st["whishi"] for st in stats) * 1.1 + 0.5)
    ax.set_xlabel("decisions per minute (median, quartiles and range of 10-minute windows;\n"
                  "pauses over 5 minutes left out)")
    _grid(ax, "x")


def _stance_colours(dash: Dashboard, theme: Theme) -> dict[str, str]:
    """One colour per stance label, the same in every plot."""
    names = sorted({*dash.labels.get("stance", {}), *(lab for c in dash.stance_targets.values() for lab in c)})
    return {name: theme.series[i % len(theme.series)] for i, name in enumerate(names)}


def plot_labels(fig: Figure, dash: Dashboard, theme: Theme) -> None:
    layers = [(layer, counts) for layer, counts in sorted(dash.labels.items()) if counts]
    if not layers:
        ax = fig.add_subplot()
        ax.set_title("Accepted spans per label")
        empty_axes(ax, theme, "No accepted spans yet.")
        return
    stance_colours = _stance_colours(dash, theme)
    axes = fig.subplots(1, len(layers), squeeze=False)[0]
    for ax, (layer, counts) in zip(axes, layers):
        items = sorted(counts.items(), key=lambda kv: kv[1])
        names = [_short(k, 22) for k, _ in items]
        values = [v for _, v in items]
        colours = ([theme.series[0]] * len(items) if layer == "entity"
                   else [stance_colours[k] for k, _ in items])
        bars = ax.barh(names, values, color=colours)
        ax.bar_label(bars, labels=[_count(v) for v in values], padding=3, fontsize=7.5, color=theme.foreground)
        ax.set_title("Accepted entities" if layer == "entity" else "Accepted stances")
        _integer_axis(ax.xaxis, bins=4)
        ax.set_xlim(0, max(values) * 1.25 + 1)
        ax.set_xlabel("spans per label")
        _grid(ax, "x")


def plot_targets(fig: Figure, dash: Dashboard, theme: Theme) -> None:
    ax = fig.add_subplot()
    if not dash.stance_targets:
        ax.set_title("Accepted stances per target")
        empty_axes(ax, theme, "No accepted stances yet.")
        return
    colours = _stance_colours(dash, theme)
    targets = sorted(dash.stance_targets, key=lambda t: sum(dash.stance_targets[t].values()))
    left = [0] * len(targets)
    for lab, colour in colours.items():
        values = [dash.stance_targets[t].get(lab, 0) for t in targets]
        ax.barh([_short(t, 30) for t in targets], values, left=left, label=lab, color=colour)
        left = [a + b for a, b in zip(left, values)]
    for i, total in enumerate(left):
        ax.text(total, i, f" {_count(total)}", va="center", fontsize=7.5, color=theme.muted)
    _integer_axis(ax.xaxis)
    ax.set_xlim(0, max(left) * 1.12 + 1)
    ax.set_xlabel("accepted stances")
    _grid(ax, "x")
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=max(1, len(colours)), fontsize=8)
    ax.set_title("Accepted stances per target", pad=22)


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
    ax.set_xlabel("share of decided suggestions (%); number decided at right")
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=3, fontsize=8)


def _outcome_plot(fig: Figure, theme: Theme, groups: dict[str, dict[str, int]], title: str,
                  name: Callable[[str], str]) -> None:
    """Outcome shares per group (label or origin), the most decided at the top."""
    ax = fig.add_subplot()
    if not groups:
        ax.set_title(title)
        empty_axes(ax, theme, "No suggestion has been decided yet.")
        return
    keys = sorted(groups, key=lambda k: sum(groups[k].values()))
    _outcome_bars(ax, {k: groups[k] for k in keys}, theme, [name(k) for k in keys])
    ax.set_title(title, pad=22)


def plot_quality_labels(fig: Figure, dash: Dashboard, theme: Theme) -> None:
    _outcome_plot(fig, theme, dash.quality.by_label(), "Suggestion outcomes per label",
                  lambda k: _short(k.replace("entity:", "").replace("stance:", "stance "), 24))


def plot_quality_origins(fig: Figure, dash: Dashboard, theme: Theme) -> None:
    _outcome_plot(fig, theme, dash.quality.by_origin(), "Suggestion outcomes per origin (suggester and version)",
                  lambda k: _short(k, 30))


def plot_quality_time(fig: Figure, dash: Dashboard, theme: Theme) -> None:
    ax = fig.add_subplot()
    ax.set_title("Suggestions accepted as suggested, over time")
    series = dash.quality.over_time()
    if not series:
        empty_axes(ax, theme, "No suggestion has been decided yet.")
        return
    for origin, rows in series.items():
        xs = [bucket_start(b) for b, _ in rows]
        ys = [rates(c)["accepted"] for _, c in rows]
        ax.plot(xs, ys, marker="o" if len(xs) <= 60 else None, markersize=3.5, linewidth=1.6,
                label=_short(origin, 34))
    _over_time(ax, ylabel="accepted (% of decided)", xlabel=f"time of decision (UTC, per {dash.quality.unit})",
               legend=("lower left", "origin"), share=True)


def plot_agreement(fig: Figure, dash: Dashboard, theme: Theme) -> None:
    ax = fig.add_subplot()
    ax.set_title("Agreement between annotators per label", pad=22)
    rows = [r for r in dash.agreement or [] if r.get("f1_exact") is not None]
    if not rows:
        empty_axes(ax, theme, dash.agreement_note or "No label was marked on articles two annotators finished.")
        return
    rows.sort(key=lambda r: (r["f1_exact"], r["label"]))
    names = [_short(r["label"] if r["layer"] == "entity" else f"stance {r['label']}", 24) for r in rows]
    exact = [r["f1_exact"] for r in rows]
    colours = [theme.outcomes["accepted"] if v >= 0.8 else theme.outcomes["corrected"] if v >= 0.6
               else theme.outcomes["rejected"] for v in exact]
    ax.barh(names, exact, color=colours)
    overlap = [(i, r["f1_overlap"]) for i, r in enumerate(rows) if r.get("f1_overlap") is not None]
    ax.scatter([v for _, v in overlap], [i for i, _ in overlap], marker="D", s=22, zorder=3,
               color=theme.foreground, clip_on=False)
    for i, r in enumerate(rows):
        text = f"exact {r['f1_exact']:.2f}"
        if r.get("f1_overlap") is not None and r["f1_overlap"] != r["f1_exact"]:
            text += f" · overlap {r['f1_overlap']:.2f}"
        spans = f"{r['support']:,} span{'s' if r['support'] != 1 else ''}"
        ax.text(1.02, i, f"{text}\n{spans}", va="center", fontsize=7.5, color=theme.foreground,
                transform=ax.get_yaxis_transform())
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    ax.legend(handles=[Patch(color=theme.muted, label="exact match (bar)"),
                       Line2D([], [], marker="D", linestyle="", color=theme.foreground, label="overlapping spans")],
              loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=2, fontsize=8)
    ax.axvline(0.8, color=theme.muted, linestyle="--", linewidth=0.9)
    ax.set_xlim(0, 1.0)
    ax.set_xticks([0, 0.2, 0.4, 0.6, 0.8, 1.0])
    ax.set_xlabel("span F1 between annotators (0–1; dashed line at 0.8)")
    _grid(ax, "x")


def plot_learning(fig: Figure, dash: Dashboard, theme: Theme) -> None:
    ax = fig.add_subplot()
    ax.set_title("Learning curves of trained models")
    if not dash.learning_curves:
        empty_axes(ax, theme, "No trained model yet.\nTrain one with Tools ▸ Train or 'annotator train'.")
        return
    draw_learning_curve(ax, [(f"{c.model} · {c.component}", c.points) for c in dash.learning_curves], theme)


def draw_learning_curve(ax: Axes, curves: list[tuple[str, list[tuple[int, float]]]], theme: Theme,
                        colours: dict[str, str] | None = None) -> None:
    """Dev score against training documents seen, one line per (name, points),
    coloured by ``colours[name]`` or the theme's series; shared with the training dialog."""
    top = 0.0
    for i, (name, points) in enumerate(curves):
        if not points:
            continue
        xs = [d for d, _ in points]
        ys = [s for _, s in points]
        top = max(top, max(ys))
        ax.plot(xs, ys, marker="o" if len(xs) <= 60 else None, markersize=3.5, linewidth=1.6,
                color=(colours or {}).get(name, theme.series[i % len(theme.series)]), label=_short(name, 40))
    _integer_axis(ax.xaxis)
    right = max((d for _, pts in curves for d, _ in pts), default=0)
    ax.set_xlim(0, right * 1.04 if right > 0 else 1)
    ax.set_ylim(0, 1.0 if top <= 1.0 else top * 1.05)
    ax.set_xlabel("training documents seen")
    ax.set_ylabel("dev score (F1 or accuracy, 0–1)")
    _grid(ax, "y")
    ax.legend(loc="best", fontsize=7.5)


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

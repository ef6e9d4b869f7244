"""Every dashboard plot draws with no data, one data point and many, with labelled
axes and whole-number ticks wherever it counts things."""

from __future__ import annotations

import warnings

import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg

from annotator.core.model import SpanDraft
from annotator.core.text import text_hash
from annotator.services import dashboard, plots
from annotator.services.session import AnnotationSession
from annotator.services.synthetic import generate_activity
from annotator.storage.project import NewDocument

TEXT = "Macron said on Monday that France was not ruling out sending troops to Ukraine."


def _one_decision(project, nlp):
    (doc,), _ = project.add_documents([NewDocument(text=TEXT, title="T", text_hash=text_hash(TEXT))])
    project.store_suggestions(doc, "en_core_web_sm 3.8.0", [SpanDraft(0, 6, "PERSON")])
    s = AnnotationSession(project, nlp=nlp)
    s.load(doc)
    s.run(s.accept(s.spans()[0]))
    s.run(s.set_doc_status("done"))


def _ticks(axis, low, high):
    return [t.get_text() for t, v in zip(axis.get_ticklabels(), axis.get_ticklocs()) if low <= v <= high]


@pytest.mark.parametrize("size", ["empty", "one", "many"])
@pytest.mark.parametrize("theme", ["light", "dark"])
def test_every_plot_draws_with_labelled_axes(project, blank_nlp, size, theme):
    if size == "one":
        _one_decision(project, blank_nlp)
    elif size == "many":
        generate_activity(project, articles=300)
    dash = dashboard.compute(project)
    for spec in plots.PLOTS:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # no "identical low and high xlims" and the like
            fig = plots.render(spec, dash, plots.THEMES[theme])
            with plots.themed(plots.THEMES[theme]):
                FigureCanvasAgg(fig).draw()
        axes = [ax for ax in fig.axes if ax.axison]
        messages = [t.get_text() for ax in fig.axes if not ax.axison for t in ax.texts]
        if size == "empty" or (not axes and size == "one"):
            assert messages and all(messages), spec.key  # a sentence, not empty axes
            continue
        if not axes:  # nothing of this kind in the data (agreement, learning curves)
            assert messages, spec.key
            continue
        for ax in axes:
            assert ax.get_xlabel(), spec.key
            assert ax.get_title() or fig.axes[0].get_title(), spec.key
            for axis, (low, high) in ((ax.xaxis, ax.get_xlim()), (ax.yaxis, ax.get_ylim())):
                labels = _ticks(axis, low, high)
                numbers = [lab for lab in labels if lab.replace(",", "").replace("−", "").isdigit()]
                # Count axes: distinct whole numbers ("0 0 0 1 1" cannot happen).
                assert len(numbers) == len(set(numbers)), (spec.key, labels)
        assert fig.get_facecolor()[:3] == pytest.approx(
            tuple(int(plots.THEMES[theme].background[i:i + 2], 16) / 255 for i in (1, 3, 5)), abs=0.01)


def test_one_point_progress_is_a_visible_step(project, blank_nlp):
    _one_decision(project, blank_nlp)
    dash = dashboard.compute(project)
    fig = plots.render(plots.PLOTS[0], dash, plots.THEMES["light"])
    FigureCanvasAgg(fig).draw()
    (ax,) = fig.axes
    (line,) = ax.get_lines()
    assert list(line.get_ydata()) == [0, 1]  # rises from zero to the one article
    low, high = ax.get_ylim()
    assert _ticks(ax.yaxis, low, high) == ["0", "1"]

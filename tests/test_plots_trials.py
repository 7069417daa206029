"""published_results_plot: one row per result, each on its panel, annotated with what it plots."""

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd

from helpers.plots import published_results_plot


def _results():
    return pd.DataFrame({"label": ["A", "B", "C"], "estimate": [0.23, 0.18, 0.18], "low": [0.09, 0.07, -0.34],
                         "high": [0.37, 0.29, 0.69], "kind": ["mixed", "group", "group"],
                         "read": ["review", "Cooper", "Cooper"], "measure": ["SMD", "SMD", "MD"]})


def test_each_scale_gets_its_own_panel_and_each_result_its_row():
    fig = published_results_plot(_results(), colour_by="kind", marker_by="read", panel_by="measure",
                                 panel_titles={"MD": "raw MD"}, panel_xlims={"MD": (-1.0, 1.3)})
    smd_ax, md_ax = fig.axes
    assert [t.get_text() for t in smd_ax.get_yticklabels()] == ["A", "B"]
    assert [t.get_text() for t in md_ax.get_yticklabels()] == ["C"]
    assert md_ax.get_title(loc="left") == "raw MD" and md_ax.get_xlim() == (-1.0, 1.3)
    notes = [t.get_text() for t in smd_ax.texts]
    assert notes == ["0.23 [0.09, 0.37]", "0.18 [0.07, 0.29]"]


def test_the_ci_lines_span_the_limits_and_the_legend_names_every_colour_and_marker():
    fig = published_results_plot(_results(), colour_by="kind", marker_by="read")
    ax = fig.axes[0]
    spans = sorted(tuple(np.round(line.get_xdata(), 2)) for line in ax.lines if len(line.get_xdata()) == 2
                   and line.get_xdata()[0] != line.get_xdata()[1])
    assert spans == sorted([(0.09, 0.37), (0.07, 0.29), (-0.34, 0.69)])
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["mixed", "group", "review", "Cooper"]

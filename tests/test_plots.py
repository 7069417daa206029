"""Tests for helpers.plots: what the figures show (rows, coordinates, labels, limits), not pixels.

Data: dat.bcg (Colditz et al. 1994, log risk ratios) and dat.normand1999
(Normand 1999, mean differences in length of stay), from
tests/reference/metafor_reference.json.
"""

import json
from itertools import combinations
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.text import Text
from scipy import stats

from helpers.bias import trim_and_fill
from helpers.plots import forest_plot, funnel_plot, tau2_sensitivity_plot
from helpers.pooling import meta_analysis, subgroup_analysis

REF = json.loads((Path(__file__).parent / "reference" / "metafor_reference.json").read_text())
BCG = REF["bcg_logRR"]
BCG_LABELS = [f"{s['author']} {s['year']}" for s in BCG["input"]]
NORMAND = REF["normand_MD"]
NORMAND_INPUT = pd.DataFrame(NORMAND["input"])
CENTRES = [s.split("-")[0] for s in NORMAND_INPUT["source"]]  # Orpington and Montreal have several trials
Z95 = stats.norm.isf(0.025)


@pytest.fixture(scope="module")
def bcg():
    return meta_analysis(BCG["yi"], BCG["vi"], labels=BCG_LABELS)


@pytest.fixture(scope="module")
def bcg_forest(bcg):
    return forest_plot(bcg, direction="lower_is_better", favours=("BCG", "control"), effect_label="log risk ratio")


@pytest.fixture(scope="module")
def normand_sg():
    return subgroup_analysis(NORMAND["yi"], NORMAND["vi"], CENTRES, labels=list(NORMAND_INPUT["source"]))


@pytest.fixture(scope="module")
def normand_forest(normand_sg):
    arms = {"Specialist": ("m1i", "sd1i", "n1i"), "Routine": ("m2i", "sd2i", "n2i")}
    group_data = pd.DataFrame({(arm, field): NORMAND_INPUT[col] for arm, cols in arms.items()
                               for field, col in zip(("Mean", "SD", "Total"), cols)})
    return forest_plot(normand_sg, group_data=group_data, direction="lower_is_better", effect_label="Mean difference (days)")


def _panel(fig):
    (panel,) = fig.axes[0].child_axes
    return panel


def _texts(fig):
    return [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]


def _text_y(fig, text):
    """Row (data y) of the table text ``text``; the lower one where a subgroup heading repeats a study's name."""
    return max(t.get_position()[1] for t in fig.axes[0].texts if t.get_text() == text)


def _overlaps(fig):
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    boxes = [(t.get_text(), t.get_window_extent(renderer).expanded(0.98, 0.9)) for t in _texts(fig)]
    return [(a, b) for (a, box_a), (b, box_b) in combinations(boxes, 2) if box_a.overlaps(box_b)]


# ------------------------------------------------------------------ forest plot

def test_forest_rows_in_order_top_to_bottom(bcg, bcg_forest):
    info = bcg_forest.forest
    assert info.rows == tuple(BCG_LABELS) + ("Total (95% CI)", "Prediction interval")
    assert info.studies == tuple(BCG_LABELS)
    drawn = [_text_y(bcg_forest, label) for label in info.rows]
    assert drawn == sorted(drawn) and len(set(drawn)) == len(drawn)  # y grows downwards: one row each


def test_forest_weights_and_intervals_are_the_fits(bcg, bcg_forest):
    info = bcg_forest.forest
    weights = np.array([float(w.rstrip("%")) for w in info.weights])
    np.testing.assert_allclose(weights, bcg.weights, atol=0.05)
    assert abs(weights.sum() - 100) <= 0.05 * bcg.k
    table = bcg.studies()
    assert info.intervals[0] == f"{table.yi.iloc[0]:.2f} [{table.ci_low.iloc[0]:.2f}, {table.ci_high.iloc[0]:.2f}]"
    assert info.intervals[0] == "-0.89 [-2.01, 0.23]"


def test_forest_diamond_vertices_are_ci_and_estimate(bcg, bcg_forest):
    row = _text_y(bcg_forest, "Total (95% CI)")
    (diamond,) = [p for p in _panel(bcg_forest).patches if p.get_gid() == f"diamond-{row:.0f}"]
    xy = diamond.get_xy()[:4]
    left, right = xy[np.argmin(xy[:, 0])], xy[np.argmax(xy[:, 0])]
    assert left[0] == pytest.approx(bcg.ci_low, abs=1e-12) and right[0] == pytest.approx(bcg.ci_high, abs=1e-12)
    np.testing.assert_allclose(np.delete(xy, [np.argmin(xy[:, 0]), np.argmax(xy[:, 0])], axis=0)[:, 0], bcg.estimate)
    assert left[1] == right[1] == row and xy[:, 1].mean() == pytest.approx(row)
    assert bcg_forest.forest.diamond == pytest.approx((bcg.ci_low, bcg.estimate, bcg.ci_high), abs=1e-12)


def test_forest_prediction_interval_bar(bcg, bcg_forest):
    (bar,) = [line for line in _panel(bcg_forest).lines if line.get_gid() == "prediction"]
    np.testing.assert_allclose(bar.get_xdata(), [bcg.pi_low, bcg.pi_high])
    assert bar.get_ydata()[0] == _text_y(bcg_forest, "Prediction interval") > _text_y(bcg_forest, "Total (95% CI)")
    assert bcg_forest.forest.prediction == pytest.approx((bcg.pi_low, bcg.pi_high))
    fe = forest_plot(meta_analysis(BCG["yi"][:4], BCG["vi"][:4], method="FE"))
    hidden = forest_plot(meta_analysis(BCG["yi"][:4], BCG["vi"][:4]), show_prediction=False)
    for fig in (fe, hidden):
        assert fig.forest.prediction is None and "Prediction interval" not in fig.forest.rows


def test_forest_squares_have_area_proportional_to_weight(bcg, bcg_forest):
    (squares,) = [c for c in _panel(bcg_forest).collections if c.get_gid() == "study-squares"]
    ratio = squares.get_sizes() / bcg.weights
    np.testing.assert_allclose(ratio, ratio[0])
    np.testing.assert_allclose(squares.get_offsets()[:, 0], bcg.yi)


def test_forest_axis_is_symmetric_and_holds_every_interval(bcg, bcg_forest):
    low, high = bcg_forest.forest.xlim
    table = bcg.studies()
    assert low == -high
    assert low <= min(table.ci_low.min(), bcg.pi_low) and high >= max(table.ci_high.max(), bcg.pi_high)


@pytest.mark.parametrize("direction, left, right", [
    ("higher_is_better", "Favours control", "Favours peer support"),
    ("lower_is_better", "Favours peer support", "Favours control"),
])
def test_forest_favours_labels_sit_on_the_right_side(direction, left, right):
    fig = forest_plot(meta_analysis(BCG["yi"][:3], BCG["vi"][:3]), direction=direction)
    assert (fig.forest.favours_left, fig.forest.favours_right) == (left, right)
    panel = _panel(fig)
    null_x = panel.transData.transform((0.0, 0.0))[0]
    renderer = FigureCanvasAgg(fig).get_renderer()
    boxes = {t.get_text(): t.get_window_extent(renderer) for t in panel.texts}
    assert boxes[left].x1 < null_x < boxes[right].x0


def test_forest_footer_reports_heterogeneity_and_overall_test(bcg, bcg_forest):
    fit = BCG["fits"]["REML"]
    assert bcg_forest.forest.footer == (
        f"Heterogeneity: Tau² (REML) = {fit['tau2']:.2f}; Chi² = {fit['Q']:.2f}, df = 12 (P < 0.00001); I² = {fit['I2']:.0f}%",
        f"Test for overall effect: Z = {abs(fit['z']):.2f} (P = 0.000071)",
    )
    assert bcg_forest.forest.footer[0] == "Heterogeneity: Tau² (REML) = 0.31; Chi² = 152.23, df = 12 (P < 0.00001); I² = 92%"
    drawn = {t.get_text() for t in bcg_forest.axes[0].texts}
    assert set(bcg_forest.forest.footer) <= drawn


def test_forest_hksj_diamond_and_t_test():
    fit = meta_analysis(BCG["yi"], BCG["vi"], ci_method="hksj")
    fig = forest_plot(fit)
    assert fig.forest.diamond == pytest.approx((fit.ci_low, fit.estimate, fit.ci_high))
    assert fig.forest.footer[1] == f"Test for overall effect: t = {abs(fit.statistic):.2f}, df = 12 (P = {fit.pvalue:.4f})"
    assert fit.ci_low == pytest.approx(BCG["fits"]["REML"]["knha_ci_low"], rel=1e-6)


def test_forest_ratio_scale_exponentiates_everything(bcg):
    fig = forest_plot(bcg, ratio=True, effect_label="Risk ratio")
    panel, info = _panel(fig), fig.forest
    assert panel.get_xscale() == "log" and info.null == 1.0
    assert info.diamond == pytest.approx(tuple(np.exp([bcg.ci_low, bcg.estimate, bcg.ci_high])))
    assert info.xlim[0] == pytest.approx(1 / info.xlim[1])
    assert info.xlim[0] <= np.exp(bcg.studies().ci_low.min()) and info.xlim[1] >= np.exp(bcg.studies().ci_high.max())
    assert info.intervals[0] == "0.41 [0.13, 1.26]"  # Aronson 1948: RR 4/123 vs 11/139


def test_forest_group_data_columns(normand_forest):
    drawn = [t.get_text() for t in normand_forest.axes[0].texts]
    assert drawn.count("Specialist") == 1 and drawn.count("Routine") == 1  # one spanning header per arm
    assert drawn.count("Mean") == 2 and drawn.count("Total") == 2
    edinburgh = _text_y(normand_forest, "Edinburgh")
    row = [t.get_text() for t in normand_forest.axes[0].texts if t.get_position()[1] == edinburgh]
    assert row == ["Edinburgh", "55", "47", "155", "75", "64", "156", "11.0%", "-20.00 [-32.47, -7.53]"]


def test_forest_group_data_must_match_the_studies(bcg):
    with pytest.raises(ValueError, match="group_data has 2 rows but there are 13 studies"):
        forest_plot(bcg, group_data=pd.DataFrame({"n": [1, 2]}))
    shuffled = pd.DataFrame({"n": range(13)}, index=BCG_LABELS[::-1])
    with pytest.raises(ValueError, match="order"):
        forest_plot(bcg, group_data=shuffled)


def test_forest_subgroups(normand_sg, normand_forest):
    info = normand_forest.forest
    expected = []
    for name, fit in normand_sg.fits.items():
        expected += [name, *fit.labels, "Subtotal (95% CI)"]
    assert info.rows == (*expected, "Total (95% CI)", "Prediction interval")
    for (name, drawn), (name_fit, fit) in zip(info.subtotals, normand_sg.fits.items()):
        assert name == name_fit and drawn == pytest.approx((fit.ci_low, fit.estimate, fit.ci_high))
    assert info.diamond == pytest.approx((normand_sg.overall.ci_low, normand_sg.overall.estimate, normand_sg.overall.ci_high))
    subtotal_weights = [float(t.get_text().rstrip("%")) for t in normand_forest.axes[0].texts
                        if t.get_text().endswith("%") and t.get_fontweight() == "bold" and t.get_text() != "100.0%"]
    assert len(subtotal_weights) == 6 and sum(subtotal_weights) == pytest.approx(100, abs=0.05 * 6)
    assert info.footer[-1] == (f"Test for subgroup differences: Chi² = {normand_sg.q_between:.2f}, df = 5 "
                               f"(P = {normand_sg.pvalue:.6f}), I² = {normand_sg.i2_between:.0f}%")
    assert "Heterogeneity: not applicable (one study)" in info.footer  # Edinburgh alone


def test_forest_subgroups_from_labels_keeps_the_given_overall_fit():
    fit = meta_analysis(NORMAND["yi"], NORMAND["vi"], pi_method="hts", labels=list(NORMAND_INPUT["source"]))
    fig = forest_plot(fit, subgroups=CENTRES)
    assert fig.forest.prediction == pytest.approx((fit.pi_low, fit.pi_high))
    assert [name for name, _ in fig.forest.subtotals] == list(dict.fromkeys(CENTRES))


def test_forest_40_studies_has_no_overlapping_text_and_grows(bcg_forest):
    y = np.tile(BCG["yi"], 4)[:40]
    v = np.tile(BCG["vi"], 4)[:40]
    labels = [f"{label} ({i // 13 + 1})" for i, label in enumerate(BCG_LABELS * 4)][:40]
    fig = forest_plot(meta_analysis(y, v, labels=labels), title="dat.bcg, four times")
    assert _overlaps(fig) == []
    assert fig.get_figheight() > bcg_forest.get_figheight() + 26 * 0.15
    assert 10 <= fig.get_figwidth() <= 11


def test_forest_subgroups_and_group_data_have_no_overlapping_text(normand_forest):
    assert _overlaps(normand_forest) == []


def test_forest_saves_as_png_and_svg(tmp_path):
    fig = forest_plot(meta_analysis(BCG["yi"][:3], BCG["vi"][:3], labels=BCG_LABELS[:3]))
    fig.savefig(tmp_path / "forest.png", dpi=60)
    fig.savefig(tmp_path / "forest.svg")
    assert (tmp_path / "forest.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    svg = (tmp_path / "forest.svg").read_text()
    assert svg.lstrip().startswith("<?xml") and "Favours peer support" in svg


def test_forest_into_a_given_ax():
    fig = Figure(figsize=(12, 5))
    ax = fig.add_subplot()
    out = forest_plot(meta_analysis(BCG["yi"][:5], BCG["vi"][:5]), ax=ax)
    assert out is fig and not ax.axison and ax.child_axes
    with pytest.raises(ValueError, match="wide"):
        forest_plot(meta_analysis(BCG["yi"][:5], BCG["vi"][:5]), ax=Figure(figsize=(4, 5)).add_subplot())
    with pytest.raises(ValueError, match="high"):
        forest_plot(meta_analysis(BCG["yi"], BCG["vi"]), ax=Figure(figsize=(12, 2)).add_subplot())


@pytest.mark.parametrize("kwargs, message", [
    ({"direction": "up"}, "direction"),
    ({"favours": "peer support"}, "favours"),
    ({"decimals": -1}, "decimals"),
    ({"ax": "not an axes"}, "ax must be"),
])
def test_forest_rejects_bad_options(bcg, kwargs, message):
    with pytest.raises(ValueError, match=message):
        forest_plot(bcg, **kwargs)


def test_forest_rejects_wrong_result(normand_sg):
    with pytest.raises(ValueError, match="MetaAnalysis or SubgroupAnalysis"):
        forest_plot(pd.DataFrame({"yi": [1.0]}))
    with pytest.raises(ValueError, match="already has its subgroups"):
        forest_plot(normand_sg, subgroups=CENTRES)


# ------------------------------------------------------------------ funnel plot

@pytest.fixture(scope="module")
def bcg_dl():
    return meta_analysis(BCG["yi"], BCG["vi"], method="DL")


def test_funnel_points_axis_and_pseudo_ci(bcg_dl):
    fig = funnel_plot(bcg_dl, effect_label="log risk ratio")
    ax, info = fig.axes[0], fig.funnel
    (studies,) = [c for c in ax.collections if c.get_gid() == "studies"]
    np.testing.assert_allclose(studies.get_offsets(), np.column_stack([BCG["yi"], np.sqrt(BCG["vi"])]))
    assert ax.get_ylim() == (info.se_max, 0) and info.se_max >= np.sqrt(max(BCG["vi"]))  # inverted, 0 at top
    (funnel,) = [line for line in ax.lines if line.get_gid() == "pseudo-ci"]
    np.testing.assert_allclose(funnel.get_xdata(), bcg_dl.estimate + Z95 * info.se_max * np.array([-1, 0, 1]))
    np.testing.assert_allclose(funnel.get_ydata(), [info.se_max, 0, info.se_max])
    (centre,) = [line for line in ax.lines if line.get_gid() == "estimate"]
    assert centre.get_xdata()[0] == info.centre == bcg_dl.estimate
    assert info.contours == () and info.filled.shape == (0, 2) and info.adjusted is None
    assert ax.get_xlim()[0] < info.pseudo_ci[0] and ax.get_xlim()[1] > info.pseudo_ci[1]


def test_funnel_contours_are_significance_regions_around_zero(bcg_dl):
    fig = funnel_plot(bcg_dl, contour_enhanced=True)
    ax, info = fig.axes[0], fig.funnel
    assert info.contours == (0.90, 0.95, 0.99)
    for level in info.contours:
        (region,) = [c for c in ax.collections if c.get_gid() == f"contour-{level:g}"]
        xy = region.get_paths()[0].vertices
        bottom = xy[np.isclose(xy[:, 1], info.se_max), 0]
        np.testing.assert_allclose(sorted(set(bottom.round(12))), stats.norm.isf((1 - level) / 2) * info.se_max * np.array([-1, 1]))
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[:4] == ["p ≥ 0.1", "0.05 ≤ p < 0.1", "0.01 ≤ p < 0.05", "p < 0.01"]


def test_funnel_trim_and_fill_matches_metafor(bcg_dl):
    tf = trim_and_fill(meta_analysis(BCG["yi"], BCG["vi"], method="DL"))
    fig = funnel_plot(bcg_dl, trimfill=tf)
    ax, info = fig.axes[0], fig.funnel
    assert info.filled.shape == (BCG["trimfill_DL"]["k0"], 2)
    assert info.adjusted == pytest.approx(BCG["trimfill_DL"]["estimate"], rel=1e-6)
    (filled,) = [c for c in ax.collections if c.get_gid() == "filled"]
    assert filled.get_facecolor()[0].tolist() == [1, 1, 1, 1]  # open circles
    (adjusted,) = [line for line in ax.lines if line.get_gid() == "adjusted"]
    assert adjusted.get_xdata()[0] == info.adjusted


def test_funnel_rejects_bad_input(bcg_dl):
    other = trim_and_fill(meta_analysis(NORMAND["yi"], NORMAND["vi"], method="DL"))
    with pytest.raises(ValueError, match="different studies"):
        funnel_plot(bcg_dl, trimfill=other)
    with pytest.raises(ValueError, match="contours"):
        funnel_plot(bcg_dl, contours=(0.95, 95))
    with pytest.raises(ValueError, match="MetaAnalysis"):
        funnel_plot(BCG["yi"])


# ------------------------------------------------------------------ tau² sensitivity

def test_tau2_curve_equals_fe_at_zero_and_reml_at_its_tau2():
    fe = meta_analysis(BCG["yi"], BCG["vi"], method="FE")
    reml = meta_analysis(BCG["yi"], BCG["vi"], method="REML")
    dl = meta_analysis(BCG["yi"], BCG["vi"], method="DL")
    fig = tau2_sensitivity_plot(BCG["yi"], BCG["vi"], mark={"DL": dl.tau2, "REML": reml.tau2})
    info = fig.tau2_sensitivity
    assert info.tau2[0] == 0 and abs(info.estimate[0] - fe.estimate) < 1e-10
    assert abs(info.ci_low[0] - fe.ci_low) < 1e-10 and abs(info.ci_high[0] - fe.ci_high) < 1e-10
    for name, fit in (("REML", reml), ("DL", dl)):
        tau2, estimate = info.marks[name]
        assert tau2 == fit.tau2 and abs(estimate - fit.estimate) < 1e-10
    assert info.tau2[-1] == pytest.approx(2 * max(reml.tau2, reml.tau2_ci[1]))
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels[-2:] == [f"DL: τ² = {dl.tau2:.3g}", f"REML: τ² = {reml.tau2:.3g}"]


def test_tau2_grid_given_matches_refits():
    grid = [0.0, 0.1, 1.0]
    info = tau2_sensitivity_plot(NORMAND["yi"], NORMAND["vi"], grid, level=0.9).tau2_sensitivity
    w = 1 / (np.asarray(NORMAND["vi"]) + 1.0)
    assert info.estimate[-1] == pytest.approx(w @ NORMAND["yi"] / w.sum(), rel=1e-12)
    assert info.ci_high[-1] - info.estimate[-1] == pytest.approx(stats.norm.isf(0.05) / np.sqrt(w.sum()), rel=1e-12)


@pytest.mark.parametrize("args, kwargs, message", [
    (([0.1], [0.01]), {}, "at least two studies"),
    ((BCG["yi"], BCG["vi"], [0.5, 0.1]), {}, "increasing"),
    ((BCG["yi"], BCG["vi"]), {"mark": {"DL": -0.1}}, "mark 'DL'"),
    ((BCG["yi"], BCG["vi"]), {"level": 95}, "level"),
    ((BCG["yi"], BCG["vi"], [0.0, 0.2]), {"mark": {"REML": 0.31}}, "outside tau2_grid"),
])
def test_tau2_rejects_bad_input(args, kwargs, message):
    with pytest.raises(ValueError, match=message):
        tau2_sensitivity_plot(*args, **kwargs)


# ---------------------------------------------------------------- figures sized and labelled for reading (issue 13)

def test_forest_ratio_axis_is_sized_to_the_data(bcg):
    fig = forest_plot(bcg, ratio=True, direction="lower_is_better")
    table = bcg.studies()
    low, high = np.exp(table.ci_low.min()), np.exp(table.ci_high.max())   # 0.073 and 6.53
    xlim = fig.forest.xlim
    assert xlim[0] <= low and high <= xlim[1]
    assert xlim == pytest.approx((0.05, 20.0))   # the smallest symmetric scale that holds them, not 0.01-100


def test_forest_subgroup_headings_name_the_variable(normand_sg):
    fig = forest_plot(normand_sg, subgroup_label="Centre")
    assert "Centre: Orpington" in fig.forest.rows and "Orpington" not in fig.forest.rows
    with pytest.raises(ValueError, match="give subgroups too"):
        forest_plot(meta_analysis(BCG["yi"], BCG["vi"]), subgroup_label="Centre")


def test_funnel_on_the_ratio_scale_labels_ratios_at_log_positions(bcg_dl):
    fig = funnel_plot(bcg_dl, ratio=True, effect_label="Risk ratio (log scale)")
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert "1" in labels and "0.5" in labels
    for tick, text in zip(ax.get_xticks(), labels):
        assert np.exp(tick) == pytest.approx(float(text))
    assert f"({np.exp(bcg_dl.estimate):.2f})" in " ".join(t.get_text() for t in ax.get_legend().get_texts())
    assert ax.get_ylabel() == "Standard error of the log ratio"


def test_bubble_plot_legend_covers_no_study_and_band_is_the_fits_ci():
    from helpers.plots import bubble_plot
    from helpers.regression import meta_regression
    x = np.array([i["year"] for i in BCG["input"]], float) - 1948       # years since the first trial, 0 to 32
    for ci_method in ("z", "hksj"):
        reg = meta_regression(BCG["yi"], BCG["vi"], mods=x, ci_method=ci_method)
        fig = bubble_plot(reg, x, BCG["yi"], BCG["vi"], ratio=True)
        grid, low, high = fig.bubble["band"]
        assert grid[0] == 0.0     # at x = 0 the fitted value is the intercept, and its CI is the intercept's
        assert (low[0], high[0]) == pytest.approx((reg.ci_low[0], reg.ci_high[0]), rel=1e-10)
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    ax = fig.axes[0]
    legend_box = ax.get_legend().get_window_extent(canvas.get_renderer())
    points = ax.transData.transform(np.column_stack([x, BCG["yi"]]))
    assert not any(legend_box.contains(px, py) for px, py in points)
    assert legend_box.y1 < ax.get_window_extent().y0          # below the axes altogether
    for tick, label in zip(ax.get_yticks(), ax.get_yticklabels()):   # the effect axis is labelled in ratios
        assert np.exp(tick) == pytest.approx(float(label.get_text()))
    with pytest.raises(ValueError, match="moderator has 3 values"):
        bubble_plot(reg, x[:3], BCG["yi"], BCG["vi"])


def test_leave_one_out_plot_draws_one_row_per_omitted_study(bcg):
    from helpers.plots import leave_one_out_plot
    from helpers.pooling import leave_one_out
    loo = leave_one_out(bcg)
    fig = leave_one_out_plot(loo, bcg)
    left = fig.axes[0]
    assert [t.get_text() for t in left.get_yticklabels()] == BCG_LABELS
    assert not _overlaps(fig)


def test_lines_by_k_plot_ticks_every_k_without_collisions():
    from helpers.plots import lines_by_k_plot
    ks = [2, 3, 4, 5, 7, 10, 15, 20]
    frame = pd.DataFrame({"Wald": np.linspace(0.8, 0.94, 8), "HKSJ": np.full(8, 0.94)}, index=pd.Index(ks, name="k"))
    fig = lines_by_k_plot({"τ² = 0.2": frame, "τ² = 0": frame}, reference=0.95, band=(0.936, 0.964),
                          ylabel="coverage", title="SIMULATED")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == [str(k) for k in ks]
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    boxes = [t.get_window_extent(canvas.get_renderer()) for t in ax.get_xticklabels()]
    assert not any(a.overlaps(b) for a, b in zip(boxes, boxes[1:]))
    np.testing.assert_allclose(ax.lines[1].get_ydata(), frame["Wald"])   # lines[0] is the reference


def test_hedges_correction_plot_shows_the_gap_in_units_of_1e4():
    from helpers.effect_sizes import hedges_correction
    from helpers.plots import hedges_correction_plot
    fig = hedges_correction_plot(marks=[21, 36])
    gap = fig.axes[1].lines[0]
    n, y = gap.get_xdata(), gap.get_ydata()
    i = list(n).index(21)
    assert y[i] == pytest.approx(1e4 * (hedges_correction(19, "revman") - hedges_correction(19, "exact")))


def test_weight_share_plot_draws_the_fit_weights_beside_the_participant_shares():
    from helpers.plots import weight_share_plot
    yi, vi, n = np.array([0.1, 0.5, -0.2]), np.array([0.04, 0.01, 0.09]), np.array([300, 50, 100])
    fit = meta_analysis(yi, vi, method="FE", labels=["A", "B", "C"])
    fig = weight_share_plot(fit, n)
    info = fig.weight_share
    # w = 1/v = 25, 100, 11.1: B (the smallest trial) is heaviest and drawn at the top
    assert info["labels"] == ["C (n = 100)", "A (n = 300)", "B (n = 50)"]
    np.testing.assert_allclose(info["weight"], 100 * np.array([1 / 0.09, 1 / 0.04, 1 / 0.01]) / (1 / vi).sum(), rtol=1e-12)
    np.testing.assert_allclose(info["participants"], [100 / 4.5, 300 / 4.5, 50 / 4.5], rtol=1e-12)
    bars = [p.get_width() for p in fig.axes[0].patches]
    np.testing.assert_allclose(bars, np.concatenate([info["weight"], info["participants"]]), rtol=1e-12)
    with pytest.raises(ValueError, match="2 values but the fit has 3"):
        weight_share_plot(fit, n[:2])
    with pytest.raises(ValueError, match="not for: B"):
        weight_share_plot(fit, [300, 0, 100])

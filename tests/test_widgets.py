"""Widgets redraw when their slider moves and degrade to a static figure (timing: benchmarks/, not here)."""

import numpy as np
import pytest
from scipy import special

from helpers.pooling import meta_analysis
from helpers.widgets import mcid_explorer, overlap, smd_explorer, tau2_explorer


def _bars(fig):
    """Widths of the weight bars drawn for the slider's tau² (the filled ones, first k patches)."""
    right = fig.axes[1]
    return np.array([p.get_width() for p in right.patches if p.get_fill()])


def test_tau2_slider_reweights_the_studies(reference):
    d = reference["bcg_logRR"]
    live = tau2_explorer(d["yi"], d["vi"])
    assert abs(live.value - meta_analysis(d["yi"], d["vi"]).tau2) <= live.slider.step / 2
    before_text, before_bars = live.text, _bars(live.figure)
    live.slider.value = 0.0
    fe = meta_analysis(d["yi"], d["vi"], method="FE")
    assert live.text != before_text and np.allclose(_bars(live.figure), fe.weights)
    diamond = live.figure.axes[0].patches[0].get_xy()[:, 0]
    assert np.allclose(sorted(set(np.round(diamond, 12))), sorted([fe.ci_low, fe.estimate, fe.ci_high]))
    assert not np.allclose(before_bars, _bars(live.figure))
    # large tau²: the weights flatten towards 100/k each
    live.slider.value = live.slider.max
    weights = _bars(live.figure)
    assert weights.max() - weights.min() < 2.0


def test_mcid_slider_changes_the_verdict():
    live = mcid_explorer(-3.48, -6.61, -0.35, "lower_is_better", mcid_max=20, start=10, unit="points")
    title = live.figure.axes[0].get_title(loc="left")
    assert title == "clearly not important" and live.text.startswith("MCID 10 points: ")
    live.slider.value = 2.0
    assert live.figure.axes[0].get_title(loc="left") != title and live.text.startswith("MCID 2 points: ")


def test_rule_of_thumb_zones_name_a_size_not_importance():
    live = mcid_explorer(-0.23, -0.37, -0.09, "lower_is_better", mcid_max=0.8, start=0.2, unit="SD",
                         threshold_kind="rule of thumb")
    words = {t.get_text() for t in live.figure.axes[0].texts}
    assert {"at least small benefit", "below small", "at least small harm"} <= words
    assert not any("important" in w for w in words)
    plain = mcid_explorer(-0.23, -0.37, -0.09, "lower_is_better", mcid_max=0.8, start=0.2, unit="SD")
    assert "important benefit" in {t.get_text() for t in plain.figure.axes[0].texts}


def test_degrades_to_a_static_figure_and_text():
    live = mcid_explorer(0.26, 0.16, 0.36, "higher_is_better", mcid_max=1.0, start=0.5)
    bundle = live._repr_mimebundle_()
    assert bundle["image/png"] and bundle["text/plain"].startswith("Confidence interval against an MCID")
    assert "application/vnd.jupyter.widget-view+json" in bundle



def test_tau2_static_image_states_the_slider_value(reference):
    d = reference["bcg_logRR"]
    live = tau2_explorer(d["yi"], d["vi"], start=0.0)
    assert live.figure._suptitle.get_text().startswith("tau² = 0.0000")
    live.slider.value = 0.5
    assert live.figure._suptitle.get_text().startswith("tau² = 0.5000")


def test_overlap_equal_sds_is_two_phi_of_minus_half_d():
    from scipy import stats
    for d in (0.0, 0.2, 0.5, 0.8, 2.0):
        assert overlap(10.0, 4.0, 10.0 + 4.0 * d, 4.0) == pytest.approx(2 * stats.norm.cdf(-d / 2), abs=1e-6)
    # unequal SDs: symmetric in the two groups, and below 1 even with equal means
    assert overlap(0, 1, 1, 2) == pytest.approx(overlap(1, 2, 0, 1), abs=1e-12)
    assert overlap(0, 1, 0, 2) < 0.9


def test_smd_sliders_move_d_g_and_the_overlap():
    live = smd_explorer(55.0, 47.0, 75.0, 64.0, n=20)
    sp = np.sqrt((47.0**2 + 64.0**2) / 2)  # equal n: the pooled SD is the root mean square
    m = 38
    j = np.exp(special.gammaln(m / 2) - 0.5 * np.log(m / 2) - special.gammaln((m - 1) / 2))
    assert f"d = {-20 / sp:.3f}, g = {-20 / sp * j:.3f}" in live.text
    before = live.text
    live.sliders[1].value = 20.0       # a smaller SD in group 1: a larger |d|, less overlap
    assert live.text != before and live.figure.axes[0].get_title(loc="left").startswith("n = 20 per group")
    live.sliders[4].value = 300        # a large trial: g approaches d
    d, g = (float(x.split(" = ")[1]) for x in live.text.split(": ")[1].split(", ")[:2])
    assert abs(d - g) < 0.005 * abs(d)
    assert live.value[4] == 300


def test_what_if_slider_holds_tau2_and_moves_i2(reference):
    from helpers.widgets import i2_what_if_explorer
    d = reference["normand_MD"]
    live = i2_what_if_explorer(d["yi"], d["vi"])
    fit = meta_analysis(d["yi"], d["vi"])
    assert f"I² = {fit.i2:.1f}% (from tau²)" in live.text
    live.slider.value = 0.1
    w = 0.1 / np.array(d["vi"])        # n x 0.1: every variance ten times larger
    vt = 8 / (w.sum() - (w**2).sum() / w.sum())
    assert f"I² = {100 * fit.tau2 / (fit.tau2 + vt):.1f}% (from tau²)" in live.text
    assert live.figure._suptitle.get_text().startswith("n × 0.10")


def test_simulated_intervals_slider_counts_misses():
    from helpers.widgets import simulated_intervals_explorer
    low, high = np.array([-0.1, 0.4, 0.0]), np.array([0.5, 0.9, 0.2])   # the second and third miss mu = 0.3
    live = simulated_intervals_explorer({3: {"Wald": (low, high), "HKSJ": (low - 1, high + 1), "coverage": (0.8, 0.9)},
                                         5: {"Wald": (low, high + 1), "HKSJ": (low, high), "coverage": (0.85, 0.93)}},
                                        0.3, start=3, tau2=0.2, n_sim=1000)
    assert live.figure.axes[0].get_title() == "Wald: 2 of 3 miss μ" and live.figure.axes[1].get_title() == "HKSJ: 0 of 3 miss μ"
    live.slider.value = 5
    assert "k = 5" in live.text and live.figure.axes[0].get_title() == "Wald: 1 of 3 miss μ"

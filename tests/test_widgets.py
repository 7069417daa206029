"""Widgets redraw when their slider moves and degrade to a static figure (timing: benchmarks/, not here)."""

import numpy as np

from helpers.pooling import meta_analysis
from helpers.widgets import mcid_explorer, tau2_explorer


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
    assert "clearly not important" in live.text
    live.slider.value = 2.0
    assert "clearly not important" not in live.text


def test_degrades_to_a_static_figure_and_text():
    live = mcid_explorer(0.26, 0.16, 0.36, "higher_is_better", mcid_max=1.0, start=0.5)
    bundle = live._repr_mimebundle_()
    assert bundle["image/png"] and bundle["text/plain"].startswith("Confidence interval against an MCID")
    assert "application/vnd.jupyter.widget-view+json" in bundle


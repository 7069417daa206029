"""The forest plot draws a Mantel-Haenszel or Peto fit as RevMan does (M-H/Peto, Fixed; "Not estimable")."""

import json
from pathlib import Path

import numpy as np
import pytest

from helpers.plots import forest_plot
from helpers.pooling import mantel_haenszel, peto

D = json.loads((Path(__file__).parent / "reference" / "metafor_binary.json").read_text())["datasets"]["nielweise2007"]


def test_forest_plot_of_mantel_haenszel():
    d = D["input"]
    res = mantel_haenszel(d["ai"], d["n1i"], d["ci"], d["n2i"], labels=d["label"])
    fig = forest_plot(res, ratio=True, effect_label="Risk ratio")
    info = fig.forest
    assert info.studies == tuple(d["label"]) and info.rows[-1] == "Total (95% CI)"
    yucel = d["label"].index("Yucel 2004")  # the double-zero study
    assert info.intervals[yucel] == "Not estimable" and info.weights[yucel] == "0.0%"
    np.testing.assert_allclose(info.diamond, np.exp([res.ci_low, res.estimate, res.ci_high]), rtol=1e-12)
    assert info.footer[0] == f"Heterogeneity: Chi² = {res.q:.2f}, df = 16 (P = 0.43); I² = 2%"
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "M-H, Fixed, 95% CI" in texts and not any(t.startswith("IV,") for t in texts)
    assert info.weights[0] == f"{res.weights[0]:.1f}%"  # MH weights, not inverse-variance ones


def test_forest_plot_of_peto_and_no_subgroups():
    d = D["input"]
    res = peto(d["ai"], d["n1i"], d["ci"], d["n2i"], labels=d["label"])
    fig = forest_plot(res, ratio=True)
    assert "Peto, Fixed, 95% CI" in [t.get_text() for t in fig.axes[0].texts]
    with pytest.raises(ValueError, match="subgroups are not supported"):
        forest_plot(res, subgroups=["a"] * res.k)

"""The lessons' plots (notebooks 07 and 08): zones where compare_to_mcid puts them, one axis per scale."""

import matplotlib

matplotlib.use("Agg")

import pandas as pd
import pytest

from helpers.mcid import compare_to_mcid
from helpers.plots import mcid_zones_plot, pooled_estimates_plot


def test_mcid_zones_follow_the_direction_and_each_panel_keeps_its_own_range():
    fig = mcid_zones_plot(-3.48, -6.61, -0.35, [("0-10", 2.0, (-8, 3)), ("0-100", 15.0, (-25, 5))],
                          direction="lower_is_better", xlabel="MD")
    ax10, ax100 = fig.axes[:2]
    assert ax10.get_xlim() == (-8, 3) and ax100.get_xlim() == (-25, 5)
    benefit, trivial, harm = fig.zones[0]
    assert benefit == (-8, -2.0) and trivial == (-2.0, 2.0) and harm == (2.0, 3)
    assert fig.zones[1] == ((-25, -15.0), (-15.0, 5), None)            # +15 lies beyond the axis: no harm zone
    # the zone the estimate is drawn in is the zone compare_to_mcid names
    c = compare_to_mcid(-3.48, -6.61, -0.35, 2.0, "lower_is_better")
    assert c.point_zone == "important benefit" and benefit[0] <= -3.48 <= benefit[1]
    up = mcid_zones_plot(0.3, 0.1, 0.5, [("SMD", 0.2, (-1, 1))], direction="higher_is_better", xlabel="SMD")
    assert up.zones[0][0] == (0.2, 1)


def test_mcid_zones_reject_an_axis_that_hides_the_ci():
    with pytest.raises(ValueError, match="must hold the CI"):
        mcid_zones_plot(-3.48, -6.61, -0.35, [("0-10", 2.0, (-5, 3))], direction="lower_is_better", xlabel="MD")
    with pytest.raises(ValueError, match="must hold the CI"):      # the upper end too
        mcid_zones_plot(-3.48, -6.61, -0.35, [("0-10", 2.0, (-8, -0.5))], direction="lower_is_better", xlabel="MD")
    with pytest.raises(ValueError, match="direction"):
        mcid_zones_plot(-3.48, -6.61, -0.35, [("0-10", 2.0, (-8, 3))], direction="down", xlabel="MD")


def _frame(*rows):
    return pd.DataFrame(rows, columns=["label", "estimate", "ci_low", "ci_high", "text", "favours"])


def test_pooled_estimates_get_one_symmetric_axis_per_scale():
    md = _frame(("pain, medium", -3.48, -6.61, -0.35, "-3.48", "< 0 favours"), ("pain, long", -1.97, -3.53, -0.42, "-1.97", "< 0 favours"))
    smd = _frame(("self-efficacy", 0.26, 0.16, 0.36, "0.26", "> 0 favours"))
    fig = pooled_estimates_plot([("MD", md), ("SMD", smd)], xlabel="as printed")
    lo, hi = fig.axes[0].get_xlim()
    assert lo == pytest.approx(-hi) and hi == pytest.approx(1.15 * 6.61)
    assert fig.axes[1].get_xlim()[1] == pytest.approx(1.15 * 0.36)
    assert fig.rows == [["pain, medium", "pain, long"], ["self-efficacy"]]
    with pytest.raises(ValueError, match="outside its CI"):
        pooled_estimates_plot([("MD", _frame(("x", 1.0, 2.0, 3.0, "", "")))], xlabel="")
    with pytest.raises(ValueError, match="lacks column"):
        pooled_estimates_plot([("MD", md.drop(columns="favours"))], xlabel="")

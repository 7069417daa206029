"""NNT and risk differences at an assumed control risk, against the Cochrane Handbook's and Altman's worked numbers."""

import math

import numpy as np
import pytest

from helpers.absolute_effects import nnt, per_1000, risk_difference_at


def test_handbook_nnt_from_rd():
    # Cochrane Handbook v5.1 12.5.4.1: "if the risk difference is -0.12 the NNT is 9; if ... -0.22 the NNT is 5"
    assert (nnt(-0.12).rounded, nnt(-0.12).label) == (9, "NNTB")
    assert nnt(-0.22).rounded == 5
    assert nnt(-0.12).value == pytest.approx(1 / 0.12, rel=1e-15)


def test_handbook_rr_and_or_at_assumed_control_risk():
    # v5.1 12.5.4.2: RR 0.92 at ACR 0.3 -> 24 fewer per 1000, NNT 42
    rd = risk_difference_at(0.92, 0.3, "RR")
    assert per_1000(rd) == "24 fewer per 1000" and nnt(rd).rounded == 42 and nnt(rd).label == "NNTB"
    # v5.1 12.5.4.3: OR 0.73 at ACR 0.3 -> 62 fewer per 1000, NNT 17
    rd = risk_difference_at(0.73, 0.3, "OR")
    assert per_1000(rd) == "62 fewer per 1000" and nnt(rd).rounded == 17


def test_barrowman_2002_interval():
    # Barrowman (2002) CMAJ 166:1676: ARR 16.6% (95% CI 0.9% to 32.2%) -> NNT 1/0.166, CI 3.1 to 111.1
    res = nnt(-0.166, ci=(-0.322, -0.009))  # an undesirable outcome avoided: RD < 0
    assert res.value == pytest.approx(6.024, abs=5e-4)
    assert (round(res.ci[0].value, 1), round(res.ci[1].value, 1)) == (3.1, 111.1)
    assert not res.ci_includes_infinity
    assert str(res) == "NNTB 7 (95% CI 4 to 112)"  # rounded up, the Handbook's convention


def test_altman_1998_interval_through_infinity():
    # Altman (1998) BMJ 317:1309, as quoted by Newcombe (BMJ rapid response, 1999): an ARR from -5% to +25%
    # gives an NNT interval "from a NNTB of 4, through infinity to a NNTH of 20"
    res = nnt(-0.10, ci=(-0.25, 0.05))
    assert res.ci_includes_infinity
    assert (str(res.ci[0]), str(res.ci[1])) == ("NNTB 4", "NNTH 20")
    assert str(res) == "NNTB 10 (95% CI NNTB 4 to ∞ to NNTH 20)"


def test_desirable_outcomes_flip_the_wording():
    assert nnt(0.10, outcome="desirable").label == "NNTB"
    assert nnt(0.10).label == "NNTH"
    res = nnt(0.10, ci=(-0.05, 0.25), outcome="desirable")
    assert str(res) == "NNTB 10 (95% CI NNTB 4 to ∞ to NNTH 20)"


def test_edges():
    assert math.isinf(nnt(0).value) and str(nnt(0)) == "NNT ∞ (no difference)"
    assert str(nnt(-0.2, ci=(-0.3, 0.0))) == "NNTB 5 (95% CI NNTB 4 to ∞)"
    assert str(nnt(0.2, ci=(0.0, 0.25))) == "NNTH 5 (95% CI NNTH 4 to ∞)"
    assert nnt(-1.0).rounded == 1
    assert nnt(-0.1).rounded == 10  # 1/0.1 is 10.000000000000002 in floating point


def test_risk_difference_at_is_vectorised_and_inverts():
    acr = np.array([0.05, 0.2, 0.5])
    rr = 0.8
    rd = risk_difference_at(rr, acr)
    np.testing.assert_allclose(rd, acr * (rr - 1), rtol=1e-15)
    or_rd = risk_difference_at(1.5, acr, "OR")
    p1 = acr + or_rd
    np.testing.assert_allclose(p1 / (1 - p1) / (acr / (1 - acr)), 1.5, rtol=1e-12)  # back to the OR
    # a CI maps limit by limit (increasing)
    lo, hi = risk_difference_at(np.array([0.7, 1.1]), 0.3)
    assert lo < risk_difference_at(0.92, 0.3) < hi
    assert per_1000(-0.024, ci=(lo, hi)) == "24 fewer per 1000 (95% CI 90 fewer to 30 more)"


def test_bad_input():
    with pytest.raises(ValueError, match="between -1 and 1"):
        nnt(1.5)
    with pytest.raises(ValueError, match="bracket"):
        nnt(-0.1, ci=(0.0, 0.2))
    with pytest.raises(ValueError, match="outcome"):
        nnt(-0.1, outcome="bad")
    with pytest.raises(ValueError, match="control_risk"):
        risk_difference_at(0.8, 1.2)
    with pytest.raises(ValueError, match="ratio"):
        risk_difference_at(-0.8, 0.2)
    with pytest.raises(ValueError, match="risk above 1"):
        risk_difference_at(2.5, 0.5, "RR")
    with pytest.raises(ValueError, match="measure"):
        risk_difference_at(0.8, 0.2, "RD")

"""Meta-regression and small-study tests, checked by independent routes (least squares, optimisers, identities)."""

import numpy as np
import pytest
from scipy import optimize

from helpers.bias import egger_test, trim_and_fill
from helpers.pooling import meta_analysis, subgroup_analysis
from helpers.regression import meta_regression


@pytest.fixture
def bcg(reference):
    d = reference["bcg_logRR"]
    return np.array(d["yi"]), np.array(d["vi"]), np.array([row["year"] for row in d["input"]], float)


def test_fe_meta_regression_is_weighted_least_squares(bcg):
    y, v, year = bcg
    fit = meta_regression(y, v, mods=year, method="FE")
    X = np.column_stack([np.ones_like(year), year]) / np.sqrt(v)[:, None]
    beta, *_ = np.linalg.lstsq(X, y / np.sqrt(v), rcond=None)
    assert np.allclose(fit.estimate, beta, rtol=1e-12, atol=0)
    # the normal equations on raw years (~1950) lose digits themselves: the kit centres, numpy here does not
    assert np.allclose(fit.se, np.sqrt(np.diag(np.linalg.inv(X.T @ X))), rtol=1e-8, atol=0)


def test_binary_moderator_qm_equals_fe_subgroup_q_between(bcg):
    y, v, year = bcg
    late = (year > 1950).astype(float)
    fit = meta_regression(y, v, mods=late, method="FE")
    sg = subgroup_analysis(y, v, late, method="FE")
    assert np.isclose(fit.qm, sg.q_between, rtol=1e-12, atol=0)
    # QE + QM partition the total Q under the common-effect model
    assert np.isclose(fit.qe + fit.qm, meta_analysis(y, v, method="FE").q, rtol=1e-12, atol=0)


@pytest.mark.parametrize("method", ["REML", "ML"])
def test_residual_tau2_maximises_the_likelihood(bcg, method):
    y, v, year = bcg
    X = np.column_stack([np.ones_like(year), year - year.mean()])

    def negloglik(t):
        w = 1 / (v + t)
        beta = np.linalg.solve(X.T @ (X * w[:, None]), X.T @ (w * y))
        r = y - X @ beta
        ll = -0.5 * (np.log(v + t).sum() + (w * r**2).sum())
        if method == "REML":
            ll -= 0.5 * np.linalg.slogdet(X.T @ (X * w[:, None]))[1]
        return -ll

    best = optimize.minimize_scalar(negloglik, bounds=(0, 5), method="bounded", options={"xatol": 1e-12}).x
    assert np.isclose(meta_regression(y, v, mods=year, method=method).tau2, best, rtol=1e-5)


def test_meta_regression_refuses_a_constant_moderator():
    with pytest.raises(ValueError, match="not of full rank: moderator takes one value in every study"):
        meta_regression([0.1, 0.2, 0.3], [0.01] * 3, mods=[5, 5, 5])


def test_egger_intercept_equals_the_slope_on_se_in_weighted_regression(bcg):
    """The two textbook forms of Egger's test are the same regression (metafor regtest docs)."""
    y, v, _ = bcg
    fe = meta_regression(y, v, mods=np.sqrt(v), method="FE")
    e = egger_test(meta_analysis(y, v))
    assert np.isclose(e.intercept, fe.estimate[1], rtol=1e-12, atol=0)


def test_egger_warns_below_ten_studies():
    assert "fewer than 10" in egger_test(meta_analysis([0.1, 0.3, 0.5, 0.9], [0.01, 0.02, 0.03, 0.06])).note
    with pytest.raises(ValueError, match="at least three"):
        egger_test(meta_analysis([0.1, 0.2], [0.01, 0.02]))


def test_trim_and_fill_is_mirror_symmetric(bcg):
    """Flipping the sign of every effect flips the side and the adjusted estimate, not k0."""
    y, v, _ = bcg
    a, b = trim_and_fill(meta_analysis(y, v)), trim_and_fill(meta_analysis(-y, v))
    assert a.k0 == b.k0 and {a.side, b.side} == {"left", "right"}
    assert np.isclose(a.estimate, -b.estimate, rtol=1e-12, atol=0)
    assert np.allclose(np.sort(a.filled_yi), np.sort(-b.filled_yi))

"""Peters' and Harbord's tests against metafor's regtest(model="lm") on R meta's recipes (metafor_binary.json)."""

import json
from pathlib import Path

import numpy as np
import pytest

from helpers.bias import harbord_test, peters_test
from helpers.pooling import mantel_haenszel

REF = json.loads((Path(__file__).parent / "reference" / "metafor_binary.json").read_text())["datasets"]
WITH_TESTS = [name for name, entry in REF.items() if "peters" in entry]


def _args(name):
    d = REF[name]["input"]
    return d["ai"], d["n1i"], d["ci"], d["n2i"]


@pytest.mark.parametrize("name", WITH_TESTS)
def test_peters_matches_metafor_regtest(name):
    ref = REF[name]["peters"]
    res = peters_test(*_args(name))
    assert res.t == pytest.approx(ref["t"], rel=1e-12)
    assert res.t == pytest.approx(ref["t_via_ninv"], rel=1e-12)  # metafor's own predictor="ninv" agrees
    assert res.bias == pytest.approx(ref["slope"], rel=1e-12)
    assert res.se == pytest.approx(ref["se_slope"], rel=1e-12)
    assert res.intercept == pytest.approx(ref["intercept"], rel=1e-12)
    assert res.pvalue == pytest.approx(ref["p"], rel=1e-12) and res.df == ref["df"]


@pytest.mark.parametrize("name", WITH_TESTS)
def test_harbord_matches_metafor_regtest(name):
    ref = REF[name]["harbord"]
    res = harbord_test(*_args(name))
    assert res.t == pytest.approx(ref["t"], rel=1e-12)
    assert res.bias == pytest.approx(ref["bias"], rel=1e-12)
    assert res.se == pytest.approx(ref["se_bias"], rel=1e-12)
    assert res.intercept == pytest.approx(ref["intercept"], rel=1e-12)
    assert res.pvalue == pytest.approx(ref["p"], rel=1e-12) and res.df == ref["df"]


def test_harbord_is_the_galbraith_regression_of_the_paper():
    # Harbord et al. (2006): OLS of Z/sqrt(V) on sqrt(V); the intercept is the bias (formula-level check)
    a, n1, c, n2 = (np.asarray(x, float) for x in _args("li2007"))
    b, d, N = n1 - a, n2 - c, n1 + n2
    V = n1 * n2 * (a + c) * (b + d) / (N**2 * (N - 1))
    Z = a - (a + c) * n1 / N
    X = np.column_stack([np.ones_like(V), np.sqrt(V)])
    coef, *_ = np.linalg.lstsq(X, Z / np.sqrt(V), rcond=None)
    assert harbord_test(a, n1, c, n2).bias == pytest.approx(coef[0], rel=1e-12)


def test_takes_a_binary_fit_and_drops_double_zero_studies():
    d = REF["yusuf1985_table9"]["input"]
    fit = mantel_haenszel(d["ai"], d["n1i"], d["ci"], d["n2i"], measure="OR", labels=d["label"])
    for test in (peters_test, harbord_test):
        res = test(fit)
        assert res == test(*_args("yusuf1985_table9"))
        assert res.k == fit.k_estimable == 20 and res.note == ""
    with pytest.raises(ValueError, match="not both"):
        peters_test(fit, d["n1i"], d["ci"], d["n2i"])


def test_bad_input():
    with pytest.raises(ValueError, match="at least three"):
        peters_test([1, 2], [10, 10], [2, 3], [10, 10])
    with pytest.raises(ValueError, match=r"study 'B' \(row 1\): events1 must be <= n1"):
        harbord_test([1, 12, 3], [10, 10, 10], [2, 3, 4], [10, 10, 10], labels=["A", "B", "C"])
    with pytest.raises(ValueError, match="BinaryMetaAnalysis"):
        harbord_test([1, 2, 3])
    assert "fewer than 10" in peters_test(*_args("hine1989")).note

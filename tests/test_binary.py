"""Mantel-Haenszel and Peto against metafor 3.8-1 (tests/reference/metafor_binary.json), and their bad input."""

import json
from pathlib import Path

import numpy as np
import pytest

from helpers.pooling import BinaryMetaAnalysis, mantel_haenszel, peto

REF = json.loads((Path(__file__).parent / "reference" / "metafor_binary.json").read_text())["datasets"]
RTOL = 1e-12
SCALARS = {"estimate": "estimate", "se": "se", "z": "statistic", "p": "pvalue", "ci_low": "ci_low",
           "ci_high": "ci_high", "Q": "q", "Q_p": "q_pvalue", "I2": "i2", "H2": "h2"}


def _fit(name, key):
    d = REF[name]["input"]
    args = (d["ai"], d["n1i"], d["ci"], d["n2i"])
    if key == "peto":
        return peto(*args, labels=d["label"])
    kind, measure = key.split("_")
    return mantel_haenszel(*args, measure=measure, labels=d["label"],
                           conventions="metafor" if kind == "mh" else "revman5")


def _close(got, want, what):
    want = np.asarray([np.nan if w is None else w for w in np.atleast_1d(want)], float)
    got = np.atleast_1d(np.asarray(got, float))
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want), err_msg=what)
    ok = ~np.isnan(want)
    # absolute floor for statistics that are 0 in exact arithmetic (I² = 0, an RD of 0)
    np.testing.assert_allclose(got[ok], want[ok], rtol=RTOL, atol=1e-14, err_msg=what)


CASES = [(name, key) for name, entry in REF.items() for key in entry["fits"]]


@pytest.mark.parametrize("name,key", CASES)
def test_matches_metafor(name, key):
    ref = REF[name]["fits"][key]
    res = _fit(name, key)
    for r_name, attr in SCALARS.items():
        _close(getattr(res, attr), ref[r_name], f"{name} {key} {attr}")
    assert res.k_estimable == ref["k_yi"]
    assert res.q_df == max(ref["k_yi"] - 1, 0)
    _close(res.yi, ref["yi"], f"{name} {key} yi")
    _close(res.vi, ref["vi"], f"{name} {key} vi")
    # metafor gives NA weight to a study RevMan's rule leaves out; the kit gives it 0
    _close(res.weights, [0.0 if w is None else w for w in ref["weights"]], f"{name} {key} weights")
    if key.startswith("mh_") or key == "peto":
        assert res.k == ref["k"]


def test_data_sets_cover_the_issue():
    # five published data sets, with zero cells and double-zero studies among them
    assert {"bcg", "yusuf1985_table6", "li2007", "nielweise2007", "hine1989"} <= set(REF)
    zero = [n for n, e in REF.items() if 0 in e["input"]["ai"] or 0 in e["input"]["ci"]]
    double = [n for n, e in REF.items()
              if any(a == 0 and c == 0 for a, c in zip(e["input"]["ai"], e["input"]["ci"]))]
    assert {"li2007", "nielweise2007"} <= set(zero) and {"yusuf1985_table6", "nielweise2007"} <= set(double)


def test_revman_conventions_move_only_zero_cell_analyses():
    d = REF["bcg"]["input"]
    args = (d["ai"], d["n1i"], d["ci"], d["n2i"])
    for m in ("RR", "OR"):
        assert mantel_haenszel(*args, measure=m, conventions="revman").estimate == pytest.approx(
            mantel_haenszel(*args, measure=m).estimate, rel=1e-13)
    d = REF["nielweise2007"]["input"]
    args = (d["ai"], d["n1i"], d["ci"], d["n2i"])
    a, b = mantel_haenszel(*args, conventions="revman", labels=d["label"]), mantel_haenszel(*args)
    assert a.k == b.k == 18 and a.k_estimable == 17 and a.estimate > b.estimate  # towards the null
    assert "Yucel" in " ".join(a.notes) and a.weights[14] == 0


def test_rd_revman_variance_is_greenland_robins_1985():
    # no zero cells: same estimate as metafor; the variance is the GR (1985) form, checked term by term
    d = REF["hine1989"]["input"]
    a, n1, c, n2 = (np.array(d[k], float) for k in ("ai", "n1i", "ci", "n2i"))
    res = mantel_haenszel(a, n1, c, n2, measure="RD", conventions="revman5")
    assert res.estimate == pytest.approx(REF["hine1989"]["fits"]["mh_RD"]["estimate"], rel=1e-12)
    b, dd, N = n1 - a, n2 - c, n1 + n2
    var = np.sum((a * b * n2**3 + c * dd * n1**3) / (n1 * n2 * N**2)) / np.sum(n1 * n2 / N) ** 2
    assert res.se == pytest.approx(np.sqrt(var), rel=1e-13)
    # the two variances agree closely on large strata (both consistent there)
    assert res.se == pytest.approx(REF["hine1989"]["fits"]["mh_RD"]["se"], rel=0.01)


def test_revman_rd_keeps_double_zero_studies():
    d = REF["double_zero"]["input"]
    res = mantel_haenszel(d["ai"], d["n1i"], d["ci"], d["n2i"], measure="RD", conventions="revman")
    assert res.k_estimable == 5 and res.yi[0] == 0 and np.all(res.weights > 0)


def test_result_object():
    d = REF["li2007"]["input"]
    res = mantel_haenszel(d["ai"], d["n1i"], d["ci"], d["n2i"], measure="OR", labels=d["label"])
    assert isinstance(res, BinaryMetaAnalysis)
    table = res.summary()
    for name in table.index:
        assert table.loc[name, "value"] == getattr(res, name)
    assert res.exp_estimate == pytest.approx(np.exp(res.estimate))
    assert res.weights.sum() == pytest.approx(100)
    assert res.labels == tuple(d["label"]) and res.k == 22
    assert "Urek 1996" in " ".join(res.notes)  # the zero-cell correction is reported
    studies = res.studies()
    assert list(studies.index) == d["label"]
    np.testing.assert_allclose(studies["ci_high"] - studies["yi"], 1.959963984540054 * np.sqrt(res.vi), rtol=1e-12)
    assert "Mantel-Haenszel" in repr(res) and "OR =" in repr(res)
    rd = mantel_haenszel(d["ai"], d["n1i"], d["ci"], d["n2i"], measure="RD")
    assert rd.exp_estimate is None and "exp_estimate" not in rd.summary().index


def test_level():
    d = REF["hine1989"]["input"]
    res = mantel_haenszel(d["ai"], d["n1i"], d["ci"], d["n2i"], level=0.9)
    assert res.ci_high - res.estimate == pytest.approx(1.6448536269514722 * res.se, rel=1e-12)


@pytest.mark.parametrize("fn", [lambda *a, **k: mantel_haenszel(*a, **k), lambda *a, **k: peto(*a, **k)])
@pytest.mark.parametrize("args,match", [
    (([5, 12], [10, 10], [3, 4], [10, 10]), r"study 'B' \(row 1\): events1 must be <= n1"),
    (([5, 2], [10, 10], [-1, 4], [10, 10]), r"study 'A' \(row 0\): events2 must be >= 0"),
    (([5, 2.5], [10, 10], [1, 4], [10, 10]), r"study 'B' \(row 1\): events1 must be a whole number"),
    (([5, 2], [10, 10.5], [1, 4], [10, 10]), r"study 'B' \(row 1\): n1 must be a whole number"),
    (([0, 2], [0, 10], [1, 4], [10, 10]), r"study 'A' \(row 0\): n1 must be >= 1"),
    (([5, np.nan], [10, 10], [1, 4], [10, 10]), r"study 'B' \(row 1\): events1 is missing"),
])
def test_bad_counts_name_study_and_field(fn, args, match):
    with pytest.raises(ValueError, match=match):
        fn(*args, labels=["A", "B"])


def test_bad_options():
    args = ([5, 2], [10, 10], [1, 4], [10, 10])
    with pytest.raises(ValueError, match="measure"):
        mantel_haenszel(*args, measure="SMD")
    with pytest.raises(ValueError, match="add"):
        mantel_haenszel(*args, add=-0.5)
    with pytest.raises(ValueError, match="conventions"):
        mantel_haenszel(*args, conventions="stata")
    with pytest.raises(ValueError, match="level"):
        peto(*args, level=95)


def test_undefined_pooled_effects_raise():
    # no events in group 2 anywhere: the MH RR is infinite, metafor returns NA
    with pytest.raises(ValueError, match="no study has an event in group 2"):
        mantel_haenszel([3, 2], [10, 12], [0, 0], [11, 10], measure="RR")
    with pytest.raises(ValueError, match="odds ratio is undefined"):
        mantel_haenszel([3, 2], [10, 12], [0, 0], [11, 10], measure="OR")
    with pytest.raises(ValueError, match="every study is double-zero"):
        mantel_haenszel([0, 0], [10, 12], [0, 0], [11, 10], measure="RD")
    with pytest.raises(ValueError, match="every study is double-zero"):
        mantel_haenszel([10, 12], [10, 12], [11, 10], [11, 10], measure="RR")  # only events, everywhere
    with pytest.raises(ValueError, match="Peto's method cannot be used"):
        peto([0, 0], [10, 12], [0, 0], [11, 10])
    # with the RevMan correction the same tables give a (biased) finite RR, as RevMan prints
    res = mantel_haenszel([3, 2], [10, 12], [0, 0], [11, 10], measure="RR", conventions="revman5")
    assert np.isfinite(res.estimate) and res.estimate > 0


def test_invariants():
    rng = np.random.default_rng(1)
    n1, n2 = rng.integers(20, 200, 8), rng.integers(20, 200, 8)
    a, c = rng.binomial(n1, 0.3), rng.binomial(n2, 0.2)
    for m in ("RR", "OR", "RD"):
        res = mantel_haenszel(a, n1, c, n2, measure=m)
        swapped = mantel_haenszel(c, n2, a, n1, measure=m)  # swapping the groups flips the sign
        assert swapped.estimate == pytest.approx(-res.estimate, rel=1e-12)
        assert swapped.se == pytest.approx(res.se, rel=1e-12) and swapped.q == pytest.approx(res.q, rel=1e-10)
        twice = mantel_haenszel(np.r_[a, a], np.r_[n1, n1], np.r_[c, c], np.r_[n2, n2], measure=m)
        assert twice.estimate == pytest.approx(res.estimate, rel=1e-12)  # duplicating every study
        assert twice.se == pytest.approx(res.se / np.sqrt(2), rel=1e-12)
    one = mantel_haenszel([a[0]], [n1[0]], [c[0]], [n2[0]], measure="OR")  # one table: its own OR
    aa, bb, cc, dd = a[0], n1[0] - a[0], c[0], n2[0] - c[0]
    assert one.estimate == pytest.approx(np.log(aa * dd / (bb * cc)), rel=1e-12)
    assert one.se == pytest.approx(np.sqrt(1 / aa + 1 / bb + 1 / cc + 1 / dd), rel=1e-12)  # RBG reduces to Woolf


def test_revman_peto_shows_uncorrected_study_estimates():
    d = REF["zero_cells"]["input"]
    a, n1, c, n2 = (np.array(d[k], float) for k in ("ai", "n1i", "ci", "n2i"))
    mf, rm = peto(a, n1, c, n2), peto(a, n1, c, n2, conventions="revman5")
    assert rm.estimate == mf.estimate and rm.q == mf.q  # no correction enters the pooled result either way
    N = n1 + n2
    V = n1 * n2 * (a + c) * (N - a - c) / (N**2 * (N - 1))
    np.testing.assert_allclose(rm.yi, (a - n1 * (a + c) / N) / V, rtol=1e-13)
    assert not np.allclose(rm.yi, mf.yi)  # metafor's escalc corrects the zero-cell studies' own estimates

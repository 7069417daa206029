"""Effect sizes against metafor's escalc() output, and extraction conversions against hand calculation."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from helpers import effect_sizes as es


def test_smd_exact_matches_escalc(reference):
    e = reference["escalc_normand"]
    d = pd.DataFrame(e["input"])
    got = es.smd(d.m1i, d.sd1i, d.n1i, d.m2i, d.sd2i, d.n2i)
    assert np.allclose(got.yi, e["smd_yi"], rtol=1e-10)
    assert np.allclose(got.vi, e["smd_vi_LS"], rtol=1e-10)


def test_md_and_smd_match_reference_yi_vi(reference):
    d = pd.DataFrame(reference["normand_MD"]["input"])
    md = es.mean_difference(d.m1i, d.sd1i, d.n1i, d.m2i, d.sd2i, d.n2i)
    assert np.allclose(md.yi, reference["normand_MD"]["yi"], rtol=1e-12, atol=0) and np.allclose(md.vi, reference["normand_MD"]["vi"], rtol=1e-12, atol=0)
    g = es.smd(d.m1i, d.sd1i, d.n1i, d.m2i, d.sd2i, d.n2i)
    assert np.allclose(g.yi, reference["normand_SMD"]["yi"], rtol=1e-12, atol=0) and np.allclose(g.vi, reference["normand_SMD"]["vi"], rtol=1e-12, atol=0)


def test_log_risk_ratio_matches_escalc(reference):
    b = pd.DataFrame(reference["bcg_logRR"]["input"])
    rr = es.log_risk_ratio(b.tpos, b.tpos + b.tneg, b.cpos, b.cpos + b.cneg, labels=b.author)
    assert np.allclose(rr.yi, reference["bcg_logRR"]["yi"], rtol=1e-12, atol=0) and np.allclose(rr.vi, reference["bcg_logRR"]["vi"], rtol=1e-12, atol=0)
    assert list(rr.index) == list(b.author)


def test_revman_correction_is_the_approximation_and_close_to_exact():
    m = np.array([8.0, 18.0, 60.0, 500.0])
    assert np.allclose(es.hedges_correction(m, "revman"), 1 - 3 / (4 * m - 1), rtol=1e-12, atol=0)
    assert np.all(np.abs(es.hedges_correction(m, "revman") - es.hedges_correction(m, "exact")) < 1e-3)


def test_revman_smd_variance_formula():
    # RevMan 5: v = N/(n1 n2) + g²/(2(N - 3.94))
    out = es.smd(10.0, 2.0, 20, 8.0, 2.0, 20, correction="revman")
    g = (1 - 3 / (4 * 40 - 9)) * 1.0
    assert np.isclose(out.yi.iloc[0], g, rtol=1e-12, atol=0)
    assert np.isclose(out.vi.iloc[0], 40 / 400 + g**2 / (2 * (40 - 3.94)), rtol=1e-12, atol=0)


def test_cohens_d_is_uncorrected():
    out = es.smd(10.0, 2.0, 20, 8.0, 2.0, 20, correction="none")
    assert out.yi.iloc[0] == 1.0


def test_zero_cell_correction_as_metafor():
    # a study with no events in one arm gets 0.5 in all four cells; the other study is untouched
    rr = es.log_risk_ratio([0, 5], [10, 10], [3, 5], [10, 20])
    assert np.isclose(rr.yi.iloc[0], np.log(0.5 / 11) - np.log(3.5 / 11), rtol=1e-12, atol=0)
    assert np.isclose(rr.vi.iloc[0], 1 / 0.5 - 1 / 11 + 1 / 3.5 - 1 / 11, rtol=1e-12, atol=0)
    assert np.isclose(rr.yi.iloc[1], np.log(0.5) - np.log(0.25), rtol=1e-12, atol=0)
    odds = es.log_odds_ratio([0], [10], [3], [10])
    assert np.isclose(odds.yi.iloc[0], np.log(0.5 * 7.5 / (10.5 * 3.5)), rtol=1e-12, atol=0)


def test_risk_difference_johnson_2018_counts():
    # Johnson et al. 2018, Lancet (CORE trial) abstract: readmission 64/218 vs 83/216
    rd = es.risk_difference(64, 218, 83, 216)
    assert np.isclose(rd.yi.iloc[0], 64 / 218 - 83 / 216, rtol=1e-12, atol=0)


def test_from_ci_recovers_se_on_both_scales():
    out = es.from_ci(0.18, 0.07, 0.29)
    assert np.isclose(np.sqrt(out.vi.iloc[0]), 0.22 / (2 * 1.959963984540054), rtol=1e-12, atol=0)
    ratio = es.from_ci(0.66, 0.43, 0.99, log_scale=True)
    assert np.isclose(ratio.yi.iloc[0], np.log(0.66), rtol=1e-12, atol=0)
    assert np.isclose(np.sqrt(ratio.vi.iloc[0]), (np.log(0.99) - np.log(0.43)) / (2 * 1.959963984540054), rtol=1e-12, atol=0)


def test_combine_groups_equals_pooled_raw_data():
    rng = np.random.default_rng(1)
    a, b = rng.normal(0, 1, 13), rng.normal(2, 3, 29)
    n, m, sd = es.combine_groups(a.size, a.mean(), a.std(ddof=1), b.size, b.mean(), b.std(ddof=1))
    both = np.concatenate([a, b])
    assert n == 42 and np.isclose(m, both.mean(), rtol=1e-12, atol=0) and np.isclose(sd, both.std(ddof=1), rtol=1e-12, atol=0)


def test_sd_conversions_round_trip():
    assert np.isclose(es.sd_from_se(2.0, 25), 10.0, rtol=1e-12, atol=0)
    # a CI built as mean ± t * sd / sqrt(n) gives the sd back
    sd, n = 7.0, 20
    half = 2.0930240544082634 * sd / np.sqrt(n)  # qt(0.975, 19)
    assert np.isclose(es.sd_from_ci(50 - half, 50 + half, n), sd, rtol=1e-12, atol=0)
    se = es.se_from_p(3.0, stats.t.sf(2.5, 58) * 2, 30, 30)  # scipy.stats: an independent route
    assert np.isclose(se, 3.0 / 2.5, rtol=1e-12, atol=0)
    assert np.isclose(es.change_score_sd(10.0, 10.0, 0.5), 10.0, rtol=1e-12, atol=0)
    assert np.isclose(es.change_score_sd(3.0, 4.0, 0.0), 5.0, rtol=1e-12, atol=0)


@pytest.mark.parametrize(
    "kwargs,message",
    [
        (dict(m1=[1, 2], sd1=[1, -1], n1=[10, 10], m2=[0, 0], sd2=[1, 1], n2=[10, 10]), "study '#2' (row 1): sd1 must be > 0"),
        (dict(m1=[1], sd1=[1], n1=[1], m2=[0], sd2=[1], n2=[10]), "n1 must be >= 2"),
        (dict(m1=[1, float("nan")], sd1=1, n1=10, m2=0, sd2=1, n2=10), "m1 is missing"),
        (dict(m1=[1, 2], sd1=[1, 1, 1], n1=10, m2=0, sd2=1, n2=10), "different lengths"),
        (dict(m1=[1], sd1=[1], n1=[10.5], m2=[0], sd2=[1], n2=[10]), "n1 must be a whole number"),
    ],
)
def test_bad_group_data_is_named(kwargs, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        es.smd(**kwargs)


def test_bad_counts_and_ci_are_named():
    with pytest.raises(ValueError, match=r"study 'Smith' \(row 0\): events1 must be <= n1"):
        es.log_risk_ratio([12], [10], [3], [10], labels=["Smith"])
    with pytest.raises(ValueError, match="estimate must be inside its confidence interval"):
        es.from_ci(0.5, 0.1, 0.3)
    with pytest.raises(ValueError, match="ci_low must be below ci_high"):
        es.from_ci(0.5, 0.9, 0.3)
    with pytest.raises(ValueError, match="must be > 0 for a ratio"):
        es.from_ci(0.5, 0.0, 0.9, log_scale=True)

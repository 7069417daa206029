"""Named conventions reproduce each tool's published output.

meta: printed outputs in Harrer, Cuijpers, Furukawa & Ebert (2021) *Doing Meta-Analysis in R*,
book source MathiasHarrer/Doing-Meta-Analysis-in-R @ 08ee8c46, ch. "Pooling Effect Sizes"
(06-pooling_effect_sizes.Rmd lines 603-642), "Between-Study Heterogeneity" (07-heterogeneity.Rmd
lines 462-485) and "Subgroup Analyses" (09-subgroup.Rmd lines 247-277), on the ThirdWave data.
Printed values are rounded, so each check allows half a unit in the last printed digit.
metafor: tests/reference/metafor_reference.json (test_pooling_metafor.py does the full check).
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from helpers import effect_sizes as es
from helpers.conventions import CONVENTIONS, get_convention
from helpers.pooling import meta_analysis, subgroup_analysis

DATA = Path(__file__).resolve().parent.parent / "data" / "teaching"
TW = pd.read_csv(DATA / "harrer2021_thirdwave.csv")


def printed(value, shown, decimals):
    return abs(value - shown) <= 0.5 * 10**-decimals + 1e-12


def test_meta_convention_reproduces_book_metagen_reml_hk():
    r = meta_analysis(TW.TE, TW.seTE**2, conventions="meta", ci_method="hksj", labels=TW.study)
    assert printed(r.estimate, 0.5771, 4) and printed(r.ci_low, 0.3782, 4) and printed(r.ci_high, 0.7760, 4)
    assert printed(r.statistic, 6.12, 2)
    assert printed(r.tau2, 0.0820, 4) and printed(r.tau2_ci[0], 0.0295, 4) and printed(r.tau2_ci[1], 0.3533, 4)
    assert printed(r.i2, 62.6, 1) and printed(r.i2_ci[0], 37.9, 1) and printed(r.i2_ci[1], 77.5, 1)
    assert printed(np.sqrt(r.h2), 1.64, 2) and printed(r.q, 45.50, 2) and printed(r.q_pvalue, 0.0002, 4)
    # update(m.gen, prediction = TRUE): t(k-2) with the classic SE (meta >= 5.2-0)
    assert printed(r.pi_low, -0.0572, 4) and printed(r.pi_high, 1.2115, 4)
    # study weights, %W(random)
    assert printed(r.weights[0], 5.0, 1) and printed(r.weights[3], 7.9, 1)


def test_meta_convention_subgroups_use_hk_standard_errors_in_q_between():
    sg = subgroup_analysis(TW.TE, TW.seTE**2, TW.RiskOfBias, conventions="meta", ci_method="hksj")
    high, low = sg.fits["high"], sg.fits["low"]
    assert (high.k, low.k) == (7, 11)
    assert printed(high.estimate, 0.8126, 4) and printed(high.ci_low, 0.2835, 4) and printed(high.ci_high, 1.3417, 4)
    assert printed(high.tau2, 0.2423, 4) and printed(high.q, 25.89, 2) and printed(high.i2, 76.8, 1)
    assert printed(low.estimate, 0.4300, 4) and printed(low.ci_low, 0.2770, 4) and printed(low.ci_high, 0.5830, 4)
    assert printed(low.tau2, 0.0099, 4) and printed(low.q, 13.42, 2) and printed(low.i2, 25.5, 1)
    assert printed(sg.q_between, 2.84, 2) and printed(sg.pvalue, 0.0917, 4)
    # RevMan's choice (Wald SEs) gives a different Q-between on the same fits
    wald = subgroup_analysis(TW.TE, TW.seTE**2, TW.RiskOfBias, conventions="meta", ci_method="hksj", between_se="wald")
    assert abs(wald.q_between - sg.q_between) > 0.05


def test_common_tau2_is_shared_and_equals_the_meta_regression_residual():
    from helpers.regression import meta_regression

    sg = subgroup_analysis(TW.TE, TW.seTE**2, TW.RiskOfBias, common_tau2=True, method="REML")
    expected = meta_regression(TW.TE, TW.seTE**2, mods={"rob": TW.RiskOfBias}, method="REML").tau2
    assert all(f.tau2 == expected for f in sg.fits.values())


def test_revman5_convention_choices(reference):
    d = reference["bcg_logRR"]
    rm = meta_analysis(d["yi"], d["vi"], conventions="revman5")
    dl = reference["bcg_logRR"]["fits"]["DL"]
    assert rm.method == "DL" and np.isclose(rm.estimate, dl["estimate"]) and np.isclose(rm.tau2, dl["tau2"])
    assert np.isclose(rm.i2, 100 * (rm.q - 12) / rm.q)
    assert rm.pi_low is None and rm.i2_ci is None  # RevMan 5 prints neither
    # the Cochrane Handbook's prediction interval on request
    assert meta_analysis(d["yi"], d["vi"], conventions="revman5", pi_method="hts").pi_low is not None


def test_i2_from_q_and_from_tau2_differ_except_under_dl(reference):
    d = reference["normand_SMD"]
    for method in ("REML", "PM"):
        a = meta_analysis(d["yi"], d["vi"], method=method, i2_method="tau2")
        b = meta_analysis(d["yi"], d["vi"], method=method, i2_method="q")
        assert not np.isclose(a.i2, b.i2)
    a, b = (meta_analysis(d["yi"], d["vi"], method="DL", i2_method=m) for m in ("tau2", "q"))
    assert np.isclose(a.i2, b.i2)


def test_explicit_arguments_override_the_convention(reference):
    d = reference["bcg_logRR"]
    r = meta_analysis(d["yi"], d["vi"], conventions="revman5", method="REML")
    assert r.method == "REML" and r.i2_method == "q" and r.conventions == "revman5"
    assert np.isclose(r.tau2, reference["bcg_logRR"]["fits"]["REML"]["tau2"])


def test_metafor_convention_is_the_default(reference):
    d = reference["bcg_logRR"]
    assert meta_analysis(d["yi"], d["vi"]).summary().equals(meta_analysis(d["yi"], d["vi"], conventions="metafor").summary())


def test_smd_variance_choices():
    """meta's exact SMD variance is metafor's vtype="UB"; RevMan's uses N - 3.94."""
    m1, sd1, n1, m2, sd2, n2 = 14.98, 3.29, 90, 15.54, 4.41, 95  # SuicidePrevention row 1 (Berry et al.)
    n = n1 + n2
    ub = es.smd(m1, sd1, n1, m2, sd2, n2, conventions="meta")
    j = es.hedges_correction(n - 2, "exact")
    g = ub.yi.iloc[0]
    assert np.isclose(ub.vi.iloc[0], 1 / n1 + 1 / n2 + (1 - (n - 4) / ((n - 2) * j**2)) * g**2)
    rm = es.smd(m1, sd1, n1, m2, sd2, n2, conventions="revman5")
    assert np.isclose(rm.vi.iloc[0], n / (n1 * n2) + rm.yi.iloc[0] ** 2 / (2 * (n - 3.94)))
    assert np.isclose(es.smd(m1, sd1, n1, m2, sd2, n2, conventions="metafor").yi.iloc[0], g)


def test_revman_excludes_double_zero_studies_with_a_clear_error():
    with pytest.raises(ValueError, match="no events in either arm"):
        es.log_risk_ratio([0, 3], [10, 10], [0, 5], [10, 10], conventions="revman5")
    assert len(es.log_risk_ratio([0, 3], [10, 10], [0, 5], [10, 10], conventions="metafor")) == 2


def test_unknown_convention_is_refused():
    with pytest.raises(ValueError, match="conventions must be one of"):
        get_convention("stata")
    assert set(CONVENTIONS) == {"metafor", "revman5", "meta"}


def test_revman5_export_of_fleiss1993_mean_difference_is_reproduced():
    """RevMan 5's own CSV export (R meta, inst/extdata/Fleiss1993_CR.csv): MD, IV, fixed, all 8 printed decimals."""
    rows = pd.read_csv(DATA / "fleiss1993_revman5_export.csv")
    out = rows[rows.outcome == 2]
    studies, total = out[out.row_type == "study"], out[out.row_type == "overall"].iloc[0]
    md = es.mean_difference(studies.mean_1, studies.sd_1, studies.total_1, studies.mean_2, studies.sd_2,
                            studies.total_2, labels=studies.name)
    assert np.allclose(md.yi, studies.effect_estimate, atol=5e-9)
    assert np.allclose(np.sqrt(md.vi), studies.se, atol=5e-9)
    r = meta_analysis(md.yi, md.vi, method="FE", conventions="revman5")
    close = lambda a, b: abs(a - b) <= 5e-9 * max(1, abs(b))  # noqa: E731  8 decimals as exported
    assert close(r.estimate, total.effect_estimate) and close(r.ci_low, total.ci_start) and close(r.ci_high, total.ci_end)
    assert close(r.q, total.Q) and close(r.i2, total.I2_Q_pct) and close(abs(r.statistic), total.Z)
    # RevMan's chi² and normal tail routines agree with the exact ones to ~3e-7 relative (P(Q) = 0.22600895
    # exported, 0.2260088925 exact): within the kit's 1e-6 bar, not to all 8 exported decimals.
    assert np.isclose(r.q_pvalue, total.P_Q, rtol=1e-6, atol=0) and np.isclose(r.pvalue, total.P_Z, rtol=1e-6, atol=0)
    assert np.allclose(r.weights, studies.weight_pct, atol=5e-9)

"""data/teaching/bcg.csv (dat.bcg with latitude and allocation) and the meta-regressions notebook 06 teaches,
against metafor 3.8-1 (tests/reference/metafor_bcg_latitude.R / .json)."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from helpers.effect_sizes import log_risk_ratio
from helpers.regression import meta_regression

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = json.loads((ROOT / "tests" / "reference" / "metafor_bcg_latitude.json").read_text())
BCG = pd.read_csv(ROOT / "data" / "teaching" / "bcg.csv")
TOL = dict(rtol=1e-6, atol=1e-9)


def test_bcg_csv_is_dat_bcg_with_latitude_and_allocation_and_its_source():
    ref = REFERENCE["data"]
    for column in ("author", "year", "tpos", "tneg", "cpos", "cneg", "ablat", "alloc"):
        assert BCG[column].tolist() == ref[column], column
    assert set(BCG["alloc"]) == {"random", "alternate", "systematic"}
    assert BCG["source"].str.contains("dat.bcg").all() and BCG["source"].str.contains("Colditz").all()
    assert (BCG["location"] == [f"dat.bcg row {i}" for i in range(1, 14)]).all()
    assert (BCG["read_or_derived"] == "read").all()


@pytest.fixture(scope="module")
def es():
    e = log_risk_ratio(BCG.tpos, BCG.tpos + BCG.tneg, BCG.cpos, BCG.cpos + BCG.cneg)
    np.testing.assert_allclose(e.yi, REFERENCE["yi"], **TOL)
    np.testing.assert_allclose(e.vi, REFERENCE["vi"], **TOL)
    return e


def _agree(fit, ref, names):
    assert list(fit.coef_names) == names
    for ours, theirs in [("estimate", "estimate"), ("se", "se"), ("ci_low", "ci_low"), ("ci_high", "ci_high"),
                         ("pvalue", "pvalue"), ("statistic", "statistic")]:
        np.testing.assert_allclose(getattr(fit, ours), ref[theirs], rtol=1e-9, err_msg=ours)
    np.testing.assert_allclose([fit.tau2, fit.qe, fit.qe_pvalue, fit.qm, fit.qm_pvalue],
                               [ref["tau2"], ref["QE"], ref["QE_p"], ref["QM"], ref["QM_p"]], rtol=1e-9)
    assert fit.qe_df == ref["QE_df"]


@pytest.mark.parametrize("key, method, ci_method", [("ablat_REML", "REML", "z"), ("ablat_REML_knha", "REML", "hksj"),
                                                     ("ablat_DL", "DL", "z")])
def test_latitude_meta_regression_matches_metafor(es, key, method, ci_method):
    ref = REFERENCE["fits"][key]
    fit = meta_regression(es.yi, es.vi, mods={"ablat": BCG.ablat}, method=method, ci_method=ci_method)
    _agree(fit, ref, ["intercept", "ablat"])
    np.testing.assert_allclose([fit.i2, fit.h2, fit.r2], [ref["I2"], ref["H2"], ref["R2"]], rtol=1e-9)
    if method == "REML":
        np.testing.assert_allclose(fit.tau2_ci, ref["tau2_ci"], rtol=1e-9)


def test_allocation_as_a_categorical_moderator_matches_metafor(es):
    fit = meta_regression(es.yi, es.vi, mods=BCG[["alloc"]].set_axis(es.index), method="REML")
    _agree(fit, REFERENCE["fits"]["alloc_REML"], ["intercept", "alloc[random]", "alloc[systematic]"])
    both = meta_regression(es, mods=BCG[["ablat", "alloc"]].set_axis(es.index), method="REML")
    _agree(both, REFERENCE["fits"]["ablat_alloc_REML"], ["intercept", "ablat", "alloc[random]", "alloc[systematic]"])


def test_latitude_explains_most_of_the_heterogeneity(es):
    # invariant: residual tau² with the moderator is below the tau² without it, and R² = 100 (1 - ratio)
    fit = meta_regression(es.yi, es.vi, mods={"ablat": BCG.ablat})
    tau2_total = REFERENCE["fits"]["intercept_REML"]["tau2"]
    assert fit.tau2 < tau2_total
    np.testing.assert_allclose(fit.r2, 100 * (1 - fit.tau2 / tau2_total), rtol=1e-9)


def test_predicted_risk_ratios_by_latitude_match_metafor_predict(es):
    fit = meta_regression(es, mods=BCG[["ablat"]].set_axis(es.index))
    ref = REFERENCE["predict_ablat_REML"]
    predicted = np.exp(fit.estimate[0] + fit.estimate[1] * np.asarray(ref["ablat"], dtype=float))
    np.testing.assert_allclose(predicted, ref["pred"], rtol=1e-9)

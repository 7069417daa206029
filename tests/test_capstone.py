"""Notebook 14 (the capstone): its pooled numbers and its answer key against R metafor 3.8-1 on the same rows.

Reference: tests/reference/metafor_capstone.json, written by tests/reference/metafor_capstone.R, which picks the
rows of the capstone's question (SMI x clinical recovery) by a rule of its own (means in both arms, not Davidson
2004) and computes Hedges g with escalc(). Here the rows are picked as the notebook picks them (the kit's effect
flags), so the first test also checks that the two rules agree.
"""

import json
from pathlib import Path

import numpy as np
import pytest

from helpers.bias import egger_test
from helpers.pooling import leave_one_out, meta_analysis, subgroup_analysis
from helpers.replication import peer_support_effects

HERE = Path(__file__).parent
REF = json.loads((HERE / "reference" / "metafor_capstone.json").read_text())
KEY = json.loads((HERE.parent / "notebooks" / "keys" / "14_capstone.json").read_text())
RTOL = 1e-10
FIT_FIELDS = ("estimate", "se", "ci_low", "ci_high", "statistic", "pvalue", "q", "q_pvalue", "pi_low", "pi_high")


@pytest.fixture(scope="module")
def question():
    kit = peer_support_effects(rows="kit")
    smi = kit[(kit.disorder == "SMI") & (kit.outcome_category == "clinical recovery")]
    return smi, smi[~smi.effect_flagged]


@pytest.fixture(scope="module")
def fit(question):
    _, rows = question
    return meta_analysis(rows.yi, rows.vi, method="REML", ci_method="hksj")


def _same_fit(kit, ref, what):
    assert kit.k == ref["k"], what
    for field in FIT_FIELDS:
        np.testing.assert_allclose(getattr(kit, field), ref[field], rtol=RTOL, err_msg=f"{what}: {field}")
    # tau² is 0 here (REML truncated at the boundary): compared absolutely, with I²
    np.testing.assert_allclose(kit.tau2, ref["tau2"], rtol=1e-8, atol=1e-12, err_msg=f"{what}: tau2")
    np.testing.assert_allclose(kit.i2, ref["i2"], rtol=1e-8, atol=1e-8, err_msg=f"{what}: i2")


def test_the_flag_rule_picks_the_rows_the_r_script_picked(question):
    smi, rows = question
    assert list(rows.source_row) == REF["inputs"]["source_row"]
    assert list(smi.source_row) == REF["inputs"]["all_rows_source_row"]
    assert list(rows.study) == REF["inputs"]["study"]
    assert int((rows.n_1 + rows.n_2).sum()) == REF["n_total"]


def test_hedges_g_oriented_as_escalc(question):
    smi, rows = question
    np.testing.assert_allclose(rows.yi, REF["inputs"]["yi"], rtol=RTOL)
    np.testing.assert_allclose(rows.vi, REF["inputs"]["vi"], rtol=RTOL)
    np.testing.assert_allclose(smi.yi, REF["inputs"]["all_rows_yi"], rtol=RTOL)
    np.testing.assert_allclose(smi.vi, REF["inputs"]["all_rows_vi"], rtol=RTOL)


def test_primary_analysis_reml_hksj_and_wald(question, fit):
    _, rows = question
    _same_fit(fit, REF["hksj"], "REML + knha")
    _same_fit(meta_analysis(rows.yi, rows.vi, method="REML"), REF["wald"], "REML + Wald")
    np.testing.assert_allclose(fit.weights, REF["hksj"]["weights"], rtol=RTOL)
    np.testing.assert_allclose(fit.tau2_ci_high, REF["hksj"]["tau2_ci_high"], rtol=1e-6)  # Q-profile root, tol 1e-13 in R
    np.testing.assert_allclose(fit.i2_ci_high, REF["hksj"]["i2_ci_high"], rtol=1e-6)
    assert fit.tau2_ci_low == REF["hksj"]["tau2_ci_low"] == 0


def test_sensitivity_analyses(question, fit):
    smi, rows = question
    _same_fit(meta_analysis(smi.yi, smi.vi, method="REML", ci_method="hksj"), REF["all_rows"], "every row")
    high = (rows.overall_rob == "High risk").to_numpy()
    np.testing.assert_allclose(fit.weights[high].sum(), REF["weight_high_risk_percent"], rtol=RTOL)
    lower = rows[~high]
    assert list(lower.source_row) == REF["rob_sensitivity"]["source_row"]
    _same_fit(meta_analysis(lower.yi, lower.vi, method="REML", ci_method="hksj"), REF["rob_sensitivity"], "not high risk")


def test_subgroups_by_format(question):
    _, rows = question
    two = rows[rows.format != "mixed"]
    sg = subgroup_analysis(two.yi, two.vi, two.format, method="REML")
    for name, ref in REF["subgroups"].items():
        _same_fit(sg.fits[name], ref, name)
    np.testing.assert_allclose(sg.q_between, REF["q_between"], rtol=RTOL)
    np.testing.assert_allclose(sg.pvalue, REF["q_between_pvalue"], rtol=RTOL)
    assert sg.df == REF["q_between_df"]


def test_egger(fit):
    eg = egger_test(fit, model="lm")
    for field in ("statistic", "df", "pvalue", "limit_estimate"):
        np.testing.assert_allclose(getattr(eg, field), REF["egger"][field], rtol=RTOL, err_msg=field)


def test_the_answer_key_holds_metafor_values():
    """The key's numbers were copied from the notebook's solutions; metafor computes the same ones."""
    solomon = REF["inputs"]["study"].index("Solomon, 1995")
    pairs = {"14-g-solomon": REF["inputs"]["yi"][solomon], "14-ci-high": REF["hksj"]["ci_high"],
             "14-qb-p": REF["q_between_pvalue"], "14-high-weight": REF["weight_high_risk_percent"],
             "14-k": REF["hksj"]["k"], "14-n": REF["n_total"]}
    for exercise_id, value in pairs.items():
        np.testing.assert_allclose(KEY[exercise_id]["value"], value, rtol=RTOL, err_msg=exercise_id)
    wrong = dict(zip(["wald", "all_rows"], [REF["wald"]["ci_high"], REF["all_rows"]["ci_high"]]))
    mistakes = [m[0] for m in KEY["14-ci-high"]["mistakes"]]
    for name, value in wrong.items():
        assert any(np.isclose(m, value, rtol=RTOL) for m in mistakes), name


def test_leave_one_out(fit):
    loo = leave_one_out(fit)
    for field in ("estimate", "se", "ci_low", "ci_high"):
        np.testing.assert_allclose(loo[field], REF["leave1out"][field], rtol=RTOL, err_msg=field)

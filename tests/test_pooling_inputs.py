"""Bad input gets a clear error naming the study and field (issue 16.5, 16.6), and the call shapes of issue 14.3."""

import numpy as np
import pandas as pd
import pytest

from helpers import effect_sizes as es
from helpers.bias import egger_test, trim_and_fill
from helpers.pooling import compare_conventions, leave_one_out, meta_analysis, meta_analysis_batch, subgroup_analysis
from helpers.regression import meta_regression

Y = [0.1, 0.3, 0.5, 0.9, -0.2]
V = [0.01, 0.02, 0.03, 0.02, 0.05]


def test_batch_refuses_infinite_effects_as_the_single_fit_does():
    y = np.array([Y, Y], float)
    y[1, 2] = np.inf
    with pytest.raises(ValueError, match="meta-analysis 1, study 2: yi is not finite"):
        meta_analysis_batch(y, np.array([V, V]))
    with pytest.raises(ValueError, match="yi is not finite"):
        meta_analysis(y[1], V)


def test_text_in_a_numeric_field_names_the_study_and_field():
    with pytest.raises(ValueError, match=r"study 'C' \(row 2\): yi is not a number \('abc'\)"):
        meta_analysis(["0.1", "0.2", "abc"], [0.01] * 3, labels=["A", "B", "C"])
    with pytest.raises(ValueError, match=r"row 1: sd1 is not a number"):
        es.mean_difference([1, 2], [1, "x"], [10, 10], [1, 1], [1, 1], [10, 10])


def test_series_are_paired_by_label_not_position():
    yi = pd.Series(Y, index=list("abcde"))
    vi = pd.Series(V, index=list("abcde"))
    shuffled = vi[list("edcba")]
    assert meta_analysis(yi, shuffled) == meta_analysis(yi, vi)
    with pytest.raises(ValueError, match="different index labels"):
        meta_analysis(yi, pd.Series(V, index=list("abcdf")))


def test_an_effect_size_frame_stands_for_yi_and_vi():
    es_frame = es.log_risk_ratio([4, 6, 3], [123, 306, 231], [11, 29, 11], [139, 303, 220], labels=["A", "B", "C"])
    fit = meta_analysis(es_frame, method="DL")
    assert fit == meta_analysis(es_frame.yi, es_frame.vi, method="DL") and fit.labels == ("A", "B", "C")
    with pytest.raises(ValueError, match="not both"):
        meta_analysis(es_frame, es_frame.vi)
    assert list(compare_conventions(es_frame).columns) == ["metafor", "revman5", "meta"]


def test_options_after_the_data_are_keyword_only():
    with pytest.raises(TypeError):
        meta_analysis(Y, V, "DL")
    with pytest.raises(TypeError):
        es.log_risk_ratio([4], [123], [11], [139], 0.5, ["A"])
    with pytest.raises(TypeError):
        meta_regression(Y, V, [1, 2, 3, 4, 5])


def test_summary_rows_are_attribute_names():
    fit = meta_analysis(Y, V)
    table = fit.summary()
    for name, value in table["value"].items():
        assert getattr(fit, name) == value or (value is None and getattr(fit, name) is None), name
    assert table.loc["pvalue", "value"] == fit.pvalue


def test_level_is_a_confidence_level():
    with pytest.raises(ValueError, match="not 95"):
        meta_analysis(Y, V, level=95)
    with pytest.raises(ValueError, match="not 95"):
        es.sd_from_ci(10.0, 14.0, 25, level=95)


@pytest.mark.parametrize("call", [lambda: es.sd_from_t(3.0, 2.0, 0, 30), lambda: es.se_from_p(3.0, 0.05, 0, 30),
                                  lambda: es.sd_from_p(3.0, 0.05, 30, 0)])
def test_group_sizes_of_zero_are_refused(call):
    with pytest.raises(ValueError, match="n[12] must be >= 1"):
        call()


def test_negative_continuity_correction_is_refused():
    with pytest.raises(ValueError, match="add .* must be a number >= 0"):
        es.log_odds_ratio([0], [10], [3], [10], add=-0.5)


def test_equal_variances_make_egger_and_the_side_of_trim_and_fill_an_error():
    fit = meta_analysis([0.1, 0.3, 0.5, 0.9, -0.2, 0.4], [0.02] * 6)
    with pytest.raises(ValueError, match="same sampling variance"):
        egger_test(fit)
    with pytest.raises(ValueError, match="same sampling variance") as info:
        trim_and_fill(fit)
    assert "moderator" not in str(info.value)
    assert trim_and_fill(fit, side="left").k0 >= 0


def test_model_based_tools_take_the_fit_and_inherit_its_settings():
    fit = meta_analysis(Y, V, method="PM", ci_method="hksj", level=0.9, labels=list("abcde"))
    loo = leave_one_out(fit)
    first = meta_analysis(Y[1:], V[1:], method="PM", ci_method="hksj", level=0.9)
    assert list(loo.index) == list("abcde") and np.isclose(loo["ci_low"].iloc[0], first.ci_low, rtol=1e-14)
    tf = trim_and_fill(fit)
    assert tf.adjusted.method == "PM" and tf.adjusted.ci_method == "hksj" and tf.adjusted.level == 0.9
    for tool in (leave_one_out, trim_and_fill, egger_test):
        with pytest.raises(ValueError, match="takes a MetaAnalysis"):
            tool(Y)


def test_fixed_tau2_common_tau2_and_fe_in_subgroups():
    g = ["a", "a", "b", "b", "b"]
    fixed = subgroup_analysis(Y, V, g, tau2=0.05)
    assert all(f.tau2 == 0.05 for f in fixed.fits.values())
    fe = subgroup_analysis(Y, V, g, method="FE", common_tau2=True)
    assert all(f.tau2 == 0 for f in fe.fits.values()) and fe.common_tau2
    with pytest.raises(ValueError, match="True or False"):
        subgroup_analysis(Y, V, g, common_tau2="common")


def test_categorical_moderator_needs_studies_in_more_than_one_level():
    with pytest.raises(ValueError, match="not of full rank"):
        meta_regression(Y, V, mods={"g": ["a"] * 5, "x": [1, 2, 3, 4, 5]})
    with pytest.raises(ValueError, match="reference level 'z'"):
        meta_regression(Y, V, mods={"g": list("aabbb")}, reference={"g": "z"})
    with pytest.raises(ValueError, match=r"study '#3' \(row 2\): moderator 'x' is missing"):
        meta_regression(Y, V, mods={"x": [1, 2, None, 4, 5]})


def test_the_old_common_tau2_switch_gets_a_pointer_to_the_new_one():
    with pytest.raises(ValueError, match="use common_tau2=True"):
        subgroup_analysis(Y, V, ["a", "a", "b", "b", "b"], tau2="common")


def test_a_custom_convention_carries_through_the_model_based_tools():
    from dataclasses import replace

    from helpers.conventions import get_convention

    mine = replace(get_convention("meta"), name="meta, DL", method="DL")
    fit = meta_analysis(Y, V, conventions=mine)
    assert fit.method == "DL" and fit.conventions == "meta, DL"
    tf = trim_and_fill(fit, side="left")
    assert tf.adjusted.conventions == "meta, DL" and tf.adjusted.method == "DL"
    assert len(leave_one_out(fit)) == 5

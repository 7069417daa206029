"""Design effect, effective sample sizes, inflated SEs and split control groups (Cochrane Handbook v6.4 23.1, 23.3)."""

import numpy as np
import pytest

from helpers.cluster_trials import design_effect, effective_sample_size, inflate_se, split_shared_control
from helpers.effect_sizes import log_risk_ratio, mean_difference


def test_design_effect():
    # a textbook worked example (Park's Textbook of Preventive and Social Medicine, as quoted in a
    # StethoPrep MCQ): ICC 0.05, 40 per cluster -> 1 + 0.05 x 39 = 2.95. The kit could not read the
    # Cochrane Handbook's own worked example (23.1.4), so this and the invariants below are the checks.
    assert design_effect(40, 0.05) == pytest.approx(2.95, rel=1e-15)
    assert design_effect(1, 0.3) == 1 and design_effect(50, 0) == 1  # no clusters, or no correlation
    np.testing.assert_allclose(design_effect([10, 20], [0.1, 0.01]), [1.9, 1.19], rtol=1e-15)


def test_both_approximations_agree():
    # Handbook 23.1.4 and 23.1.5 are the same correction: dividing counts by DE multiplies the variance by DE
    m, icc = 12, 0.05
    de = design_effect(m, icc)
    naive = log_risk_ratio(30, 120, 45, 118)
    e1, n1 = effective_sample_size(120, m, icc, events=30)
    e2, n2 = effective_sample_size(118, m, icc, events=45)
    # log_risk_ratio wants whole counts; the exact identity is on the formula: 1/a - 1/n + 1/c - 1/m scales by DE
    v_eff = 1 / e1 - 1 / n1 + 1 / e2 - 1 / n2
    assert v_eff == pytest.approx(de * naive["vi"].iloc[0], rel=1e-13)
    assert inflate_se(np.sqrt(naive["vi"].iloc[0]), m, icc) == pytest.approx(np.sqrt(v_eff), rel=1e-13)
    # continuous: means and SDs unchanged, n divided -> the MD's variance times DE
    md = mean_difference(10.0, 4.0, 100, 12.0, 5.0, 90)
    n1e, n2e = effective_sample_size(np.array([100, 90]), m, icc)
    assert 16 / n1e + 25 / n2e == pytest.approx(de * md["vi"].iloc[0], rel=1e-13)


def test_effective_sample_size_whole_numbers():
    e, n = effective_sample_size(120, 12, 0.05, events=30, whole=True)
    assert (e, n) == (19.0, 77.0)
    e, n = effective_sample_size(10, 10, 0.9, events=10, whole=True)  # events never exceed n after rounding
    assert e <= n and n >= 1


def test_split_shared_control():
    parts = split_shared_control(51, 2, events=13)
    assert parts["n"].tolist() == [26, 25] and parts["events"].tolist() == [7, 6]
    assert parts.sum().tolist() == [13, 51]
    exact = split_shared_control(51, 3, events=13, whole=False)
    np.testing.assert_allclose(exact["events"] / exact["n"], 13 / 51, rtol=1e-15)  # the risk is unchanged
    parts = split_shared_control(100, 3)
    assert parts["n"].tolist() == [34, 33, 33] and list(parts.columns) == ["n"]
    for n, e, m in [(7, 6, 3), (10, 1, 4), (9, 9, 2)]:
        p = split_shared_control(n, m, events=e)
        assert (p["events"] <= p["n"]).all() and p["n"].sum() == n and p["events"].sum() == e


def test_bad_input_names_the_field():
    with pytest.raises(ValueError, match=r"study 'B' \(row 1\): icc must be in \[0, 1\)"):
        design_effect([10, 10], [0.1, 1.0], labels=["A", "B"])
    with pytest.raises(ValueError, match="icc must be in"):
        design_effect(10, -0.01)
    with pytest.raises(ValueError, match="mean_cluster_size must be >= 1"):
        inflate_se(0.2, 0.5, 0.1)
    with pytest.raises(ValueError, match="se must be > 0"):
        inflate_se(0.0, 5, 0.1)
    with pytest.raises(ValueError, match="events must be <= n"):
        effective_sample_size(10, 2, 0.1, events=11)
    with pytest.raises(ValueError, match="n must be a whole number"):
        effective_sample_size(10.5, 2, 0.1)
    with pytest.raises(ValueError, match="mean_cluster_size must be <= n"):
        effective_sample_size(10, 20, 0.1)
    with pytest.raises(ValueError, match="n_comparisons"):
        split_shared_control(50, 1)
    with pytest.raises(ValueError, match="events must be <= n_control"):
        split_shared_control(50, 2, events=60)
    with pytest.raises(ValueError, match="is missing"):
        design_effect(np.nan, 0.1)

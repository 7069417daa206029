"""Tests for helpers.effect_sizes.mean_sd_from_median (Wan et al. 2014; Luo et al. 2018).

The papers' formulas are restated here with scipy.stats (an independent
route to the normal quantile), and checked on invariants: a symmetric
summary gives mean = median, and on a large normal sample the estimates
recover the sample's own mean and SD.
"""

import numpy as np
import pytest
from scipy import stats

from helpers.effect_sizes import mean_sd_from_median

N = np.array([10, 27, 50, 200, 1000])


def xi(n):   # Wan et al. 2014: 2 Phi^-1((n - 0.375) / (n + 0.25))
    return 2 * stats.norm.ppf((n - 0.375) / (n + 0.25))


def eta(n):  # Wan et al. 2014: 2 Phi^-1((0.75 n - 0.125) / (n + 0.25))
    return 2 * stats.norm.ppf((0.75 * n - 0.125) / (n + 0.25))


def test_s1_range_matches_luo_mean_and_wan_sd():
    a, m, b = 2.0, 5.0, 11.0
    out = mean_sd_from_median(N, m, minimum=a, maximum=b)
    w = 4 / (4 + N**0.75)
    np.testing.assert_allclose(out["mean"], w * (a + b) / 2 + (1 - w) * m, rtol=1e-13)
    np.testing.assert_allclose(out["sd"], (b - a) / xi(N), rtol=1e-13)
    assert set(out["scenario"]) == {"S1"}


def test_s2_iqr_matches_luo_mean_and_wan_sd():
    q1, m, q3 = 10.0, 15.0, 22.0
    out = mean_sd_from_median(N, m, q1=q1, q3=q3)
    w = 0.7 + 0.39 / N
    np.testing.assert_allclose(out["mean"], w * (q1 + q3) / 2 + (0.3 - 0.39 / N) * m, rtol=1e-13)
    np.testing.assert_allclose(out["sd"], (q3 - q1) / eta(N), rtol=1e-13)


def test_s3_five_numbers():
    a, q1, m, q3, b = 1.0, 3.0, 4.8, 6.0, 9.0
    out = mean_sd_from_median(N, m, q1=q1, q3=q3, minimum=a, maximum=b)
    w1, w2 = 2.2 / (2.2 + N**0.75), 0.7 - 0.72 / N**0.55
    np.testing.assert_allclose(out["mean"], w1 * (a + b) / 2 + w2 * (q1 + q3) / 2 + (1 - w1 - w2) * m, rtol=1e-13)
    np.testing.assert_allclose(out["sd"], ((b - a) / xi(N) + (q3 - q1) / eta(N)) / 2, rtol=1e-13)


def test_symmetric_summary_gives_mean_equal_to_median():
    out = mean_sd_from_median([12, 80], 20.0, q1=15.0, q3=25.0, minimum=5.0, maximum=35.0)
    np.testing.assert_allclose(out["mean"], 20.0, rtol=1e-14)


def test_iqr_sd_tends_to_iqr_over_1349_for_large_n():
    sd = mean_sd_from_median(10**7, 0.0, q1=-1.0, q3=1.0)["sd"].iloc[0]
    assert sd == pytest.approx(2 / (2 * stats.norm.ppf(0.75)), rel=1e-6)


def test_recovers_a_large_normal_samples_mean_and_sd():
    x = np.random.default_rng(20140219).normal(40.0, 8.0, size=20001)
    q = np.percentile(x, [0, 25, 50, 75, 100])
    # the range rests on two extreme values, so it recovers the SD far less closely than the IQR
    for kwargs, rel in (({"q1": q[1], "q3": q[3]}, 0.02), ({"minimum": q[0], "maximum": q[4]}, 0.1),
                        ({"q1": q[1], "q3": q[3], "minimum": q[0], "maximum": q[4]}, 0.05)):
        out = mean_sd_from_median(x.size, q[2], **kwargs).iloc[0]
        assert out["mean"] == pytest.approx(x.mean(), abs=0.2)
        assert out["sd"] == pytest.approx(x.std(ddof=1), rel=rel)


@pytest.mark.parametrize("kwargs, message", [
    ({}, "a median alone gives no SD"),
    ({"q1": 1.0}, "give both q1 and q3"),
    ({"maximum": 9.0}, "give both minimum and maximum"),
    ({"q1": 6.0, "q3": 8.0}, "median must be >= q1"),
    ({"q1": 5.0, "q3": 5.0}, "no spread"),
])
def test_bad_input_says_what_is_wrong(kwargs, message):
    with pytest.raises(ValueError, match=message):
        mean_sd_from_median(30, 5.0, **kwargs)


def test_names_the_study_with_bad_n():
    with pytest.raises(ValueError, match="study 'Umea' .*n must be >= 3"):
        mean_sd_from_median([2], [5.0], q1=[4.0], q3=[7.0], labels=["Umea"])

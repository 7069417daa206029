"""Effect sizes and their sampling variances, one row per study.

Every function returns a :class:`pandas.DataFrame` with columns ``yi`` (the
effect size) and ``vi`` (its sampling variance), in the order of the input,
so that its output can go straight into :func:`helpers.pooling.meta_analysis`.
The names follow R's metafor (``escalc``), the field's reference
implementation; where RevMan does something else, the function says so and
offers RevMan's convention by name.

Also here: the small conversions that data extraction needs (an SD from a
standard error, a confidence interval, a t or p value; two subgroups merged
into one; the SD of a change score), each from the Cochrane Handbook,
chapter 6 (Higgins, Li & Deeks 2023).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import special

from ._validate import as_arrays, require, require_whole
from .conventions import Convention, get_convention
from ._distributions import t_isf, z_for_level

__all__ = [
    "mean_difference",
    "smd",
    "hedges_correction",
    "log_risk_ratio",
    "log_odds_ratio",
    "risk_difference",
    "from_ci",
    "sd_from_se",
    "sd_from_ci",
    "se_from_t",
    "se_from_p",
    "sd_from_t",
    "sd_from_p",
    "combine_groups",
    "change_score_sd",
    "SMD_CORRECTIONS",
]

SMD_CORRECTIONS = ("exact", "revman", "none")
SMD_VARIANCES = ("LS", "UB", "revman")


def _like_input(values: np.ndarray, *inputs):
    """Scalars in, scalar out: sd_from_se(2.0, 25) gives 10.0, not array([10.])."""
    return float(values[0]) if all(np.ndim(x) == 0 for x in inputs) else values


def _frame(yi: np.ndarray, vi: np.ndarray, labels: list[str]) -> pd.DataFrame:
    return pd.DataFrame({"yi": yi, "vi": vi}, index=pd.Index(labels, name="study"))


def _check_groups(labels, m1, sd1, n1, m2, sd2, n2):
    names, a = as_arrays(labels, m1=m1, sd1=sd1, n1=n1, m2=m2, sd2=sd2, n2=n2)
    for g in ("1", "2"):
        require(a["sd" + g] > 0, names, "sd" + g, "> 0", a["sd" + g])
        require(a["n" + g] >= 2, names, "n" + g, ">= 2 (an SD needs two people)", a["n" + g])
        require_whole(a["n" + g], names, "n" + g)
    return names, a


def mean_difference(m1, sd1, n1, m2, sd2, n2, *, labels: Sequence[object] | None = None) -> pd.DataFrame:
    """Raw mean difference, group 1 minus group 2.

    .. math:: y_i = \\bar x_{1i} - \\bar x_{2i}, \\qquad
              v_i = \\frac{s_{1i}^2}{n_{1i}} + \\frac{s_{2i}^2}{n_{2i}}

    The variance does not assume equal SDs in the two groups (metafor's
    ``escalc("MD")`` default, and RevMan's). Reference: Borenstein et al.
    (2009) *Introduction to Meta-Analysis*, eq. 4.5; Cochrane Handbook 6.5.1.

    >>> mean_difference(55, 47, 155, 75, 64, 156).round(4)
             yi      vi
    study
    #1    -20.0  40.508
    """
    names, a = _check_groups(labels, m1, sd1, n1, m2, sd2, n2)
    yi = a["m1"] - a["m2"]
    vi = a["sd1"] ** 2 / a["n1"] + a["sd2"] ** 2 / a["n2"]
    return _frame(yi, vi, names)


def hedges_correction(df, correction: str = "exact") -> np.ndarray:
    """Small-sample correction factor J for a standardised mean difference.

    ``"exact"``: :math:`J(m) = \\Gamma(m/2) / (\\sqrt{m/2}\\,\\Gamma((m-1)/2))`
    with m = n1 + n2 - 2 (Hedges 1981, eq. 6e; metafor's default).
    ``"revman"``: :math:`J = 1 - 3 / (4N - 9)` with N = n1 + n2 (RevMan 5's
    approximation; Deeks & Higgins, *Statistical algorithms in Review
    Manager 5*, 2010, section on SMDs). Identical to
    :math:`1 - 3/(4m - 1)`. ``"none"``: J = 1 (Cohen's d).

    >>> float(hedges_correction(18, "exact").round(6)), float(hedges_correction(18, "revman").round(6))
    (0.957646, 0.957746)
    """
    m = np.asarray(df, dtype=float)
    if correction == "exact":
        # lgamma avoids the overflow of gamma() for m > 340
        return np.exp(special.gammaln(m / 2) - 0.5 * np.log(m / 2) - special.gammaln((m - 1) / 2))
    if correction == "revman":
        return 1 - 3 / (4 * (m + 2) - 9)
    if correction == "none":
        return np.ones_like(m)
    raise ValueError(f"correction must be one of {SMD_CORRECTIONS}, got {correction!r}")


def smd(m1, sd1, n1, m2, sd2, n2, *, correction: str | None = None, labels: Sequence[object] | None = None,
        variance: str | None = None, conventions: str | Convention = "metafor") -> pd.DataFrame:
    """Standardised mean difference (Hedges' g or Cohen's d), group 1 minus group 2.

    .. math:: d_i = \\frac{\\bar x_{1i} - \\bar x_{2i}}{s_{p,i}}, \\quad
              s_{p,i}^2 = \\frac{(n_1-1)s_1^2 + (n_2-1)s_2^2}{n_1+n_2-2}, \\quad
              g_i = J\\,d_i

    ``correction`` (the factor J, see :func:`hedges_correction`) and
    ``variance`` pick the formulas; ``conventions`` picks both at once to
    reproduce a tool:

    * ``"metafor"`` (``escalc("SMD")``): exact gamma-function J and
      ``variance="LS"``, :math:`v = 1/n_1 + 1/n_2 + g^2 / (2(n_1+n_2))`
      (Hedges & Olkin 1985, eq. 15).
    * ``"revman5"``: J = 1 - 3/(4N - 9) and ``variance="revman"``,
      :math:`v = N/(n_1 n_2) + g^2 / (2(N - 3.94))` (Deeks & Higgins 2010,
      *Statistical algorithms in Review Manager 5*, as implemented in R meta).
    * ``"meta"`` (R meta >= 5.1): exact J and ``variance="UB"``, the unbiased
      :math:`v = 1/n_1 + 1/n_2 + (1 - (m-2)/(m J^2))\\,g^2` with m = N - 2
      (Hedges 1983, eq. 9; White & Thomas 2005).

    ``correction="revman"`` alone also selects RevMan's variance.
    ``correction="none"`` gives Cohen's d. The corrections differ in the
    fourth decimal for small trials and the variances in the third; say which
    one a review used (RevMan for most Cochrane reviews) before comparing.

    >>> smd(55, 47, 155, 75, 64, 156).round(6)
                 yi        vi
    study
    #1    -0.35517  0.013065
    """
    conv = get_convention(conventions)
    if variance is None:
        # RevMan's J comes with RevMan's variance unless a variance is asked for
        variance = "revman" if correction == "revman" else conv.variance
    correction = conv.correction if correction is None else correction
    if variance not in SMD_VARIANCES:
        raise ValueError(f"variance must be one of {SMD_VARIANCES}, got {variance!r}")
    names, a = _check_groups(labels, m1, sd1, n1, m2, sd2, n2)
    n1, n2 = a["n1"], a["n2"]
    n = n1 + n2
    sp = np.sqrt(((n1 - 1) * a["sd1"] ** 2 + (n2 - 1) * a["sd2"] ** 2) / (n - 2))
    j = hedges_correction(n - 2, correction)
    g = j * (a["m1"] - a["m2"]) / sp
    if variance == "revman":
        vi = n / (n1 * n2) + g**2 / (2 * (n - 3.94))
    elif variance == "UB":
        vi = 1 / n1 + 1 / n2 + (1 - (n - 4) / ((n - 2) * j**2)) * g**2
    else:
        vi = 1 / n1 + 1 / n2 + g**2 / (2 * n)
    return _frame(g, vi, names)


def _two_by_two(events1, n1, events2, n2, labels, add, conventions):
    conv = get_convention(conventions)
    add = conv.add if add is None else add
    if not (np.isscalar(add) and np.isfinite(add) and add >= 0):
        raise ValueError(f"add (the continuity correction) must be a number >= 0, got {add!r}")
    names, a = as_arrays(labels, events1=events1, n1=n1, events2=events2, n2=n2)
    for g in ("1", "2"):
        e, n = a["events" + g], a["n" + g]
        require(n >= 1, names, "n" + g, ">= 1", n)
        require_whole(n, names, "n" + g)
        require(e >= 0, names, "events" + g, ">= 0", e)
        require_whole(e, names, "events" + g)
        require(e <= n, names, "events" + g, f"<= n{g}", e)
    a1, c1 = a["events1"], a["events2"]
    b1, d1 = a["n1"] - a1, a["n2"] - c1
    if conv.drop_double_zero:
        both = np.flatnonzero(((a1 == 0) & (c1 == 0)) | ((b1 == 0) & (d1 == 0)))
        if both.size:
            raise ValueError(f"study {names[both[0]]!r} (row {both[0]}) has no events in either arm (or only events): "
                             f"{conv.name} excludes such studies from a ratio analysis; remove it first, or use "
                             "conventions='metafor', which keeps it with 0.5 added to each cell")
    # metafor's escalc(add=1/2, to="only0"): the correction goes to all four
    # cells of a study with any empty cell, and only to those studies.
    zero = (a1 == 0) | (b1 == 0) | (c1 == 0) | (d1 == 0)
    inc = np.where(zero, add, 0.0)
    return names, a1 + inc, b1 + inc, c1 + inc, d1 + inc


def log_risk_ratio(events1, n1, events2, n2, *, add: float | None = None, labels: Sequence[object] | None = None,
                   conventions: str | Convention = "metafor") -> pd.DataFrame:
    """Log risk ratio, group 1 over group 2.

    .. math:: y_i = \\ln\\frac{a/n_1}{c/n_2}, \\qquad
              v_i = \\frac1a - \\frac1{n_1} + \\frac1c - \\frac1{n_2}

    Studies with a zero cell get ``add`` (0.5) in every cell, as metafor's
    ``escalc`` does by default (``add=1/2, to="only0"``). Double-zero studies
    are kept under ``conventions="metafor"``; RevMan and meta exclude them
    from ratio analyses, so ``"revman5"`` and ``"meta"`` raise an error
    naming the study, to be removed knowingly.
    Reference: Borenstein et al. (2009), eq. 5.1-5.3.

    >>> log_risk_ratio(4, 123, 11, 139).round(6)
                 yi        vi
    study
    #1    -0.889311  0.325585
    """
    names, a, b, c, d = _two_by_two(events1, n1, events2, n2, labels, add, conventions)
    yi = np.log(a / (a + b)) - np.log(c / (c + d))
    vi = 1 / a - 1 / (a + b) + 1 / c - 1 / (c + d)
    return _frame(yi, vi, names)


def log_odds_ratio(events1, n1, events2, n2, *, add: float | None = None, labels: Sequence[object] | None = None,
                   conventions: str | Convention = "metafor") -> pd.DataFrame:
    """Log odds ratio, group 1 over group 2 (Woolf's variance).

    .. math:: y_i = \\ln\\frac{a d}{b c}, \\qquad v_i = \\frac1a + \\frac1b + \\frac1c + \\frac1d

    Zero cells as in :func:`log_risk_ratio`. Reference: Borenstein et al.
    (2009), eq. 5.8-5.10.

    >>> log_odds_ratio(4, 123, 11, 139).round(6)
                 yi        vi
    study
    #1    -0.938694  0.357125
    """
    names, a, b, c, d = _two_by_two(events1, n1, events2, n2, labels, add, conventions)
    return _frame(np.log(a * d / (b * c)), 1 / a + 1 / b + 1 / c + 1 / d, names)


def risk_difference(events1, n1, events2, n2, *, add: float | None = None, labels: Sequence[object] | None = None,
                    conventions: str | Convention = "metafor") -> pd.DataFrame:
    """Risk difference, group 1 minus group 2.

    .. math:: y_i = p_1 - p_2, \\qquad v_i = \\frac{p_1(1-p_1)}{n_1} + \\frac{p_2(1-p_2)}{n_2}

    metafor applies its zero-cell correction to the RD as well (so that a
    0/n arm does not get a variance of zero); so does this function, with the
    same ``add``. Reference: Borenstein et al. (2009), eq. 5.14-5.15.

    >>> risk_difference(64, 218, 83, 216).round(6)
                 yi        vi
    study
    #1    -0.090681  0.002047
    """
    names, a, b, c, d = _two_by_two(events1, n1, events2, n2, labels, add, conventions)
    p1, p2 = a / (a + b), c / (c + d)
    return _frame(p1 - p2, p1 * (1 - p1) / (a + b) + p2 * (1 - p2) / (c + d), names)


def from_ci(estimate, ci_low, ci_high, *, level: float = 0.95, log_scale: bool = False,
            labels: Sequence[object] | None = None) -> pd.DataFrame:
    """Effect size and variance from a reported estimate and confidence interval.

    The generic inverse-variance route (Cochrane Handbook 6.3.1 and 6.3.2):

    .. math:: SE = \\frac{\\text{upper} - \\text{lower}}{2\\,z_{1-\\alpha/2}}, \\qquad v = SE^2

    Ratios (RR, OR, HR) are symmetric only on the log scale: give them as
    printed (e.g. RR 0.80, 0.64 to 1.00) with ``log_scale=True``, and yi comes
    back as the log ratio. A CI that does not contain its estimate is an
    extraction error and raises.

    >>> from_ci(-3.48, -6.61, -0.35).round(4)
             yi      vi
    study
    #1    -3.48  2.5503
    """
    names, a = as_arrays(labels, estimate=estimate, ci_low=ci_low, ci_high=ci_high)
    est, lo, hi = a["estimate"], a["ci_low"], a["ci_high"]
    if log_scale:
        for field in ("estimate", "ci_low", "ci_high"):
            require(a[field] > 0, names, field, "> 0 for a ratio (log_scale=True)", a[field])
        est, lo, hi = np.log(est), np.log(lo), np.log(hi)
    require(lo < hi, names, "ci_low", "below ci_high", a["ci_low"])
    require((lo <= est) & (est <= hi), names, "estimate", "inside its confidence interval", a["estimate"])
    se = (hi - lo) / (2 * z_for_level(level))
    return _frame(est, se**2, names)


def sd_from_se(se, n):
    """SD of a group mean from its standard error: :math:`SD = SE\\sqrt n`.

    Cochrane Handbook 6.5.2.2. The commonest extraction error in the field is
    an SE typed into an SD column; this undoes it when the paper says "SE".

    >>> float(sd_from_se(2.0, 25))
    10.0
    """
    names, a = as_arrays(None, se=se, n=n)
    require(a["se"] > 0, names, "se", "> 0", a["se"])
    require(a["n"] >= 2, names, "n", ">= 2", a["n"])
    return _like_input(a["se"] * np.sqrt(a["n"]), se, n)


def sd_from_ci(ci_low, ci_high, n, *, level: float = 0.95, small_sample: bool = True):
    """SD of a group mean from the CI of that mean.

    .. math:: SD = \\sqrt n \\, \\frac{\\text{upper} - \\text{lower}}{2\\,t_{1-\\alpha/2,\\,n-1}}

    Cochrane Handbook 6.5.2.2: the CI of a mean from a small sample (say
    n < 60 per group) was built with the t distribution, so divide by the t
    quantile with n - 1 df (``small_sample=True``, the default); for large
    samples the Handbook's 3.92 (= 2 x 1.96) is the normal quantile
    (``small_sample=False``).

    >>> round(float(sd_from_ci(10.0, 14.0, 25)), 4)
    4.8452
    """
    _check_level(level)
    names, a = as_arrays(None, ci_low=ci_low, ci_high=ci_high, n=n)
    require(a["ci_low"] < a["ci_high"], names, "ci_low", "below ci_high", a["ci_low"])
    require(a["n"] >= 2, names, "n", ">= 2", a["n"])
    crit = t_isf((1 - level) / 2, a["n"] - 1) if small_sample else z_for_level(level)
    return _like_input(np.sqrt(a["n"]) * (a["ci_high"] - a["ci_low"]) / (2 * crit), ci_low, ci_high, n)


def se_from_t(difference, t):
    """SE of a mean difference from its t statistic: :math:`SE = |MD / t|` (Handbook 6.5.2.3).

    >>> float(se_from_t(3.0, 2.0))
    1.5
    """
    names, a = as_arrays(None, difference=difference, t=t)
    require(a["t"] != 0, names, "t", "non-zero", a["t"])
    return _like_input(np.abs(a["difference"] / a["t"]), difference, t)


def se_from_p(difference, p, n1, n2):
    """SE of a mean difference from a two-sided p value of a two-sample t test.

    The p value gives t = :math:`t^{-1}_{n_1+n_2-2}(1 - p/2)` and then
    SE = |MD| / t (Cochrane Handbook 6.5.2.3). An exact p is needed: "p < 0.05"
    gives only a bound.

    >>> round(float(se_from_p(3.0, 0.05, 30, 30)), 4)
    1.4987
    """
    names, a = as_arrays(None, difference=difference, p=p, n1=n1, n2=n2)
    require((a["p"] > 0) & (a["p"] < 1), names, "p", "strictly between 0 and 1", a["p"])
    _check_two_groups(names, a)
    t = t_isf(a["p"] / 2, a["n1"] + a["n2"] - 2)
    return _like_input(np.abs(a["difference"]) / t, difference, p, n1, n2)


def _check_level(level) -> None:
    if not (np.isscalar(level) and 0 < level < 1):
        raise ValueError(f"level must be a confidence level between 0 and 1 (e.g. 0.95, not 95), got {level!r}")


def _check_two_groups(names, a) -> None:
    for g in ("n1", "n2"):
        require(a[g] >= 1, names, g, ">= 1 (a group size)", a[g])
        require_whole(a[g], names, g)
    require(a["n1"] + a["n2"] >= 3, names, "n1 + n2", ">= 3 (a two-sample t test has n1 + n2 - 2 df)",
            a["n1"] + a["n2"])


def _sd_from_se_of_difference(se, n1, n2):
    names, a = as_arrays(None, se=se, n1=n1, n2=n2)
    _check_two_groups(names, a)
    return _like_input(a["se"] / np.sqrt(1 / a["n1"] + 1 / a["n2"]), se, n1, n2)


def sd_from_t(difference, t, n1, n2):
    """Common within-group SD from the t statistic of a two-group comparison.

    :math:`SD = SE / \\sqrt{1/n_1 + 1/n_2}` with SE from :func:`se_from_t`
    (Cochrane Handbook 6.5.2.3). Use the same SD for both groups.

    >>> round(float(sd_from_t(3.0, 2.0, 30, 30)), 4)
    5.8095
    """
    return _sd_from_se_of_difference(se_from_t(difference, t), n1, n2)


def sd_from_p(difference, p, n1, n2):
    """Common within-group SD from an exact two-sided p value (Handbook 6.5.2.3).

    >>> round(float(sd_from_p(3.0, 0.05, 30, 30)), 4)
    5.8045
    """
    return _sd_from_se_of_difference(se_from_p(difference, p, n1, n2), n1, n2)


def combine_groups(n1, m1, sd1, n2, m2, sd2) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Merge two subgroups (e.g. two intervention arms) into one group.

    Cochrane Handbook Table 6.5.a:

    .. math:: N = n_1 + n_2, \\quad M = \\frac{n_1 m_1 + n_2 m_2}{N}, \\quad
              SD = \\sqrt{\\frac{(n_1-1)s_1^2 + (n_2-1)s_2^2 + \\frac{n_1 n_2}{N}(m_1 - m_2)^2}{N - 1}}

    Returns ``(n, mean, sd)``. This is exact: the SD equals the SD of the
    pooled raw data.

    >>> [round(float(x), 4) for x in combine_groups(10, 5.0, 2.0, 20, 8.0, 3.0)]
    [30.0, 7.0, 3.0343]
    """
    names, a = as_arrays(None, n1=n1, m1=m1, sd1=sd1, n2=n2, m2=m2, sd2=sd2)
    for g in ("1", "2"):
        require(a["sd" + g] >= 0, names, "sd" + g, ">= 0", a["sd" + g])
        require(a["n" + g] >= 1, names, "n" + g, ">= 1", a["n" + g])
    n = a["n1"] + a["n2"]
    mean = (a["n1"] * a["m1"] + a["n2"] * a["m2"]) / n
    ss = ((a["n1"] - 1) * a["sd1"] ** 2 + (a["n2"] - 1) * a["sd2"] ** 2
          + a["n1"] * a["n2"] / n * (a["m1"] - a["m2"]) ** 2)
    inputs = (n1, m1, sd1, n2, m2, sd2)
    return tuple(_like_input(x, *inputs) for x in (n, mean, np.sqrt(ss / (n - 1))))


def change_score_sd(sd_baseline, sd_final, corr):
    """SD of change from baseline, given the baseline-final correlation.

    .. math:: SD_{change} = \\sqrt{SD_b^2 + SD_f^2 - 2\\,r\\,SD_b\\,SD_f}

    Cochrane Handbook 6.5.2.8. The correlation is rarely reported: borrow it
    from a similar trial and run a sensitivity analysis over plausible values
    (0.5 is a common, arbitrary, choice).

    >>> round(float(change_score_sd(10.0, 10.0, 0.5)), 4)
    10.0
    """
    names, a = as_arrays(None, sd_baseline=sd_baseline, sd_final=sd_final, corr=corr)
    require(a["sd_baseline"] > 0, names, "sd_baseline", "> 0", a["sd_baseline"])
    require(a["sd_final"] > 0, names, "sd_final", "> 0", a["sd_final"])
    require(np.abs(a["corr"]) <= 1, names, "corr", "between -1 and 1", a["corr"])
    b, f, r = a["sd_baseline"], a["sd_final"], a["corr"]
    return _like_input(np.sqrt(b**2 + f**2 - 2 * r * b * f), sd_baseline, sd_final, corr)

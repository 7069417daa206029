"""Small-study effects: Egger's regression test and Duval & Tweedie's trim and fill.

Both look for funnel-plot asymmetry: small studies with larger effects than
big ones. Asymmetry can come from publication bias, but also from genuine
heterogeneity, poorer quality of small trials, or chance; and with fewer than
10 studies the tests have too little power to be used at all (Cochrane
Handbook 13.3.5.4; Sterne et al. 2011, BMJ 343:d4002).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from ._binary import BinaryMetaAnalysis
from ._validate import as_arrays
from .effect_sizes import log_odds_ratio
from .pooling import MetaAnalysis, meta_analysis
from .regression import meta_regression

__all__ = ["EggerTest", "egger_test", "TrimAndFill", "trim_and_fill",
           "BinarySmallStudyTest", "peters_test", "harbord_test"]

EGGER_MODELS = ("lm", "rma")
TRIMFILL_ESTIMATORS = ("L0", "R0")


def _require_fit(fit, tool: str) -> MetaAnalysis:
    if not isinstance(fit, MetaAnalysis):
        raise ValueError(f"{tool} takes a MetaAnalysis (from meta_analysis), got {type(fit).__name__}; "
                         f"e.g. {tool}(meta_analysis(yi, vi))")
    return fit


def _sei_regression(fit: MetaAnalysis, method: str, ci_method: str, tool: str):
    if np.ptp(fit.vi) == 0:
        raise ValueError(f"{tool}: every study has the same sampling variance, so effects cannot be regressed "
                         "on their standard errors (the funnel plot has no spread in precision)")
    return meta_regression(fit.yi, fit.vi, mods={"sei": np.sqrt(fit.vi)}, method=method, ci_method=ci_method,
                           level=fit.level, labels=fit.labels)


@dataclass(frozen=True)
class EggerTest:
    """Egger's regression test.

    ``intercept`` is Egger's asymmetry coefficient (the intercept of the
    classical regression of y/se on 1/se; in metafor's form the slope on
    sqrt(vi)), with its ``se``, ``statistic`` (t, or z for ``model="rma"``
    with a Wald fit), ``df`` (inf for z) and ``pvalue``; ``limit_estimate``
    is the effect predicted for a study of infinite precision (metafor's
    ``est``). ``model``: ``"lm"`` or ``"rma"``.
    """

    intercept: float
    se: float
    statistic: float
    df: float
    pvalue: float
    k: int
    model: str = "lm"
    limit_estimate: float = float("nan")
    note: str = ""


def egger_test(fit: MetaAnalysis, *, model: str = "lm") -> EggerTest:
    """Egger's regression test for funnel-plot asymmetry, on the studies of a fit.

    ``model="lm"`` (default): the classical test (Egger et al. 1997, BMJ
    315:629; Cochrane Handbook 13.3.5.4; R meta's ``metabias``): ordinary
    least squares of the standardised effect on precision,

    .. math:: \\frac{y_i}{\\sqrt{v_i}} = \\beta_0 + \\beta_1 \\frac{1}{\\sqrt{v_i}} + \\varepsilon_i,

    testing :math:`\\beta_0 = 0` with t(k-2); equal to metafor's
    ``regtest(model="lm")``, a weighted regression of :math:`y_i` on
    :math:`\\sqrt{v_i}` (weights :math:`1/v_i`, residual variance
    estimated) whose slope is Egger's intercept.

    ``model="rma"``: metafor's *default* ``regtest()``, the meta-regression
    ``rma(yi, vi, mods = ~ sqrt(vi))`` with the fit's own tau² estimator and
    test (z, or t(k-2) under HKSJ). It allows heterogeneity beyond the
    multiplicative scale of "lm" and can reach the opposite conclusion (on
    dat.konstantopoulos2011 "lm" gives p = 0.022, "rma" p = 0.71): say which was used.

    >>> round(egger_test(meta_analysis([0.1, 0.3, 0.5, 0.9], [0.01, 0.02, 0.03, 0.06])).statistic, 4)
    28.0296
    """
    fit = _require_fit(fit, "egger_test")
    if model not in EGGER_MODELS:
        raise ValueError(f"model must be one of {EGGER_MODELS}, got {model!r}")
    k = fit.k
    if k < 3:
        raise ValueError("Egger's test needs at least three studies (a regression with k - 2 df)")
    if model == "lm":
        reg = _sei_regression(fit, "FE", "hksj", "Egger's test")
    else:
        ci = "z" if fit.ci_method == "z" else "hksj"
        reg = _sei_regression(fit, fit.method, ci, "Egger's test")
    return EggerTest(intercept=float(reg.estimate[1]), se=float(reg.se[1]), statistic=float(reg.statistic[1]),
                     df=reg.df if np.isfinite(reg.df) else float("inf"), pvalue=float(reg.pvalue[1]), k=k,
                     model=model, limit_estimate=float(reg.estimate[0]), note=_power_note(k))


@dataclass(frozen=True, repr=False)
class TrimAndFill:
    """Trim-and-fill result: ``k0`` studies imputed on ``side``, and the fit with them added.

    ``filled_yi``/``filled_vi`` are the imputed studies; ``adjusted`` is the
    :class:`~helpers.pooling.MetaAnalysis` of observed plus filled studies;
    ``original`` the fit of the observed studies alone; ``se_k0`` the SE of
    k0 (as metafor), ``estimator`` "L0" or "R0".
    """

    k0: int
    side: str
    filled_yi: np.ndarray
    filled_vi: np.ndarray
    original: MetaAnalysis
    adjusted: MetaAnalysis
    estimator: str = "L0"
    se_k0: float = float("nan")

    @property
    def estimate(self) -> float:
        return self.adjusted.estimate

    def __repr__(self) -> str:
        return (f"Trim and fill ({self.estimator} estimator): {self.k0} studies imputed on the {self.side}\n"
                f"estimate {self.original.estimate:.4f} -> {self.adjusted.estimate:.4f} "
                f"(CI {self.adjusted.ci_low:.4f} to {self.adjusted.ci_high:.4f})")


def trim_and_fill(fit: MetaAnalysis, *, side: str | None = None, estimator: str = "L0",
                  maxiter: int = 100) -> TrimAndFill:
    """Duval & Tweedie's trim-and-fill on a fit, as metafor's ``trimfill()``.

    The fit's estimator (and its other settings) is used throughout, as in
    metafor: ``trim_and_fill(meta_analysis(y, v, method="DL"))`` for the
    classic DL version.

    1. Side: unless given, the missing studies are assumed on the side
       opposite the small-study effect, found by a meta-regression of yi on
       :math:`\\sqrt{v_i}` with the fit's estimator (a negative slope puts
       them on the right).
    2. Iterate: fit the model to the k - k0 least extreme studies, rank the
       absolute deviations :math:`|y_i - \\hat\\mu|` (ties by position), and
       update k0 with the L0 estimator,
       :math:`L_0 = (4 S_r - k(k+1)) / (2k - 1)` (:math:`S_r` the sum of the
       positive signed ranks), or R0, :math:`R_0 = \\gamma^* - 1` with
       :math:`\\gamma^*` the length of the rightmost run of positive ranks;
       k0 = max(0, round(.)).
    3. Fill: mirror the k0 most extreme studies about :math:`\\hat\\mu`
       (:math:`2\\hat\\mu - y_i`, same variance) and refit.

    References: Duval & Tweedie (2000), Biometrics 56:455 and JASA 95:89;
    Borenstein et al. (2009) ch. 30. The adjusted estimate is a sensitivity
    analysis, not a corrected truth: trim and fill assumes asymmetry is
    caused by suppressed studies. (metafor refits the filled data with
    ``test="z"`` whatever the fit's test; the kit keeps the fit's CI method.)

    >>> y, v = [0.05, 0.12, 0.2, 0.35, 0.42, 0.61, 0.75], [0.005, 0.01, 0.02, 0.04, 0.05, 0.08, 0.1]
    >>> tf = trim_and_fill(meta_analysis(y, v, method="DL"))
    >>> tf.k0, tf.side, round(tf.original.estimate, 4), round(tf.estimate, 4)
    (4, 'left', 0.2315, 0.1021)
    """
    fit = _require_fit(fit, "trim_and_fill")
    if estimator not in TRIMFILL_ESTIMATORS:
        raise ValueError(f"estimator must be one of {TRIMFILL_ESTIMATORS}, got {estimator!r}")
    y, v, k = fit.yi, fit.vi, fit.k
    if k < 3:
        raise ValueError("trim and fill needs at least three studies")
    # every option explicit, so a custom Convention (known to the fit only by name) needs no look-up
    refit = dict(method=fit.method, level=fit.level, i2_method=fit.i2_method, i2_ci_method=fit.i2_ci_method,
                 tau2=fit.tau2 if fit.tau2_fixed else None)
    if side is None:
        slope = _sei_regression(fit, fit.method, "z", "trim and fill (choosing the side)").estimate[1]
        side = "right" if slope < 0 else "left"
    if side not in ("left", "right"):
        raise ValueError(f"side must be 'left', 'right' or None, got {side!r}")
    # work on a scale where the missing studies are on the left
    sign = -1.0 if side == "right" else 1.0
    order = np.argsort(sign * y, kind="stable")
    ys, vs = sign * y[order], v[order]
    k0, previous = 0, -1
    for _ in range(maxiter):
        if k0 == previous:
            break
        previous = k0
        mu = meta_analysis(ys[: k - k0], vs[: k - k0], **refit).estimate
        centred = ys - mu
        # ranks of |centred|, ties broken by position (R's ties.method="first")
        ranks = np.empty(k)
        ranks[np.argsort(np.abs(centred), kind="stable")] = np.arange(1, k + 1)
        if estimator == "L0":
            s_r = ranks[centred > 0].sum()
            raw = (4 * s_r - k * (k + 1)) / (2 * k - 1)
            var_sr = (k * (k + 1) * (2 * k + 1) + 10 * raw**3 + 27 * raw**2 + 17 * raw - 18 * k * raw**2
                      - 18 * k * raw + 6 * k**2 * raw) / 24
            se_k0 = 4 * np.sqrt(var_sr) / (2 * k - 1)
        else:
            negative = ranks[centred < 0]
            raw = k - (negative.max() if negative.size else 0) - 1
            se_k0 = np.sqrt(2 * max(0, raw) + 2)
        k0 = int(max(0, np.round(raw)))
    else:
        raise ValueError(f"trim and fill did not converge in {maxiter} iterations")
    filled_y = sign * (2 * mu - ys[k - k0:])
    filled_v = vs[k - k0:]
    adjusted = fit
    if k0 > 0:
        adjusted = meta_analysis(np.concatenate([y, filled_y]), np.concatenate([v, filled_v]),
                                 ci_method=fit.ci_method, pi_method=fit.pi_method,
                                 labels=list(fit.labels) + [f"Filled {i + 1}" for i in range(k0)], **refit)
        adjusted = replace(adjusted, conventions=fit.conventions)
    return TrimAndFill(k0=k0, side=side, filled_yi=filled_y, filled_vi=filled_v, original=fit, adjusted=adjusted,
                       estimator=estimator, se_k0=float(max(0.0, se_k0)))


# ---------------------------------------------------------------- small-study tests for binary outcomes
# Egger's test above regresses on the SE, which for a log odds ratio is correlated with the log OR itself, so
# it can signal asymmetry where there is none (Peters et al. 2006; Harbord et al. 2006; Cochrane Handbook
# v6.4 13.3.5.3)


@dataclass(frozen=True)
class BinarySmallStudyTest:
    """Peters' or Harbord's test: the asymmetry coefficient ``bias``, its ``se``, ``t`` on ``df`` = k - 2, ``pvalue``.

    ``intercept`` is the regression's other coefficient (Peters: the log OR of
    an infinitely large study; Harbord: the slope, an estimate of the log OR).
    ``k`` counts the studies used (double-zero studies are left out).
    """

    method: str
    bias: float
    se: float
    t: float
    df: int
    pvalue: float
    k: int
    intercept: float
    note: str = ""


def _two_by_two_counts(fit_or_events1, n1, events2, n2, labels):
    """Counts a, b, c, d from a BinaryMetaAnalysis or from four arrays (validated by helpers.effect_sizes)."""
    if isinstance(fit_or_events1, BinaryMetaAnalysis):
        if any(x is not None for x in (n1, events2, n2)):
            raise ValueError("give either a BinaryMetaAnalysis or the four count arrays, not both")
        a, b, c, d = fit_or_events1.tables.T
        return list(fit_or_events1.labels), a, b, c, d
    if any(x is None for x in (n1, events2, n2)):
        raise ValueError("give a BinaryMetaAnalysis (from mantel_haenszel or peto) or events1, n1, events2, n2")
    log_odds_ratio(fit_or_events1, n1, events2, n2, labels=labels)  # the counts' checks, naming study and field
    names, x = as_arrays(labels, events1=fit_or_events1, n1=n1, events2=events2, n2=n2)
    a, c = x["events1"], x["events2"]
    return names, a, x["n1"] - a, c, x["n2"] - c


def _power_note(k: int) -> str:
    return "" if k >= 10 else (f"only {k} studies: with fewer than 10 the test has too little power "
                               "to tell asymmetry from chance (Cochrane Handbook 13.3.5.4).")


def _wls_test(y, x, w, method) -> BinarySmallStudyTest:
    """Weighted least squares y = b0 + b1 x with the residual variance estimated (R's lm with weights), t test of
    b1: the engine's common-effect meta-regression with vi = 1/w and the HKSJ scaling, as Egger's "lm" test."""
    k = y.size
    if k < 3:
        raise ValueError(f"{method}'s test needs at least three studies with events (a regression with k - 2 df); "
                         f"got {k}")
    reg = meta_regression(y, 1 / w, mods={"x": x}, method="FE", ci_method="hksj")
    return BinarySmallStudyTest(method=method, bias=float(reg.estimate[1]), se=float(reg.se[1]),
                                t=float(reg.statistic[1]), df=k - 2, pvalue=float(reg.pvalue[1]), k=k,
                                intercept=float(reg.estimate[0]), note=_power_note(k))


def peters_test(fit_or_events1, n1=None, events2=None, n2=None, *, labels: Sequence[object] | None = None,
                add: float = 0.5) -> BinarySmallStudyTest:
    """Peters' regression test for funnel-plot asymmetry of log odds ratios (Peters et al. 2006, JAMA 295:676).

    Weighted regression of each study's log OR on the inverse of its total
    sample size, with weights the inverse variance of the average event
    rate:

    .. math:: \\ln OR_i = \\beta_0 + \\beta_1 \\frac{1}{N_i} + \\varepsilon_i, \\qquad
              w_i = \\Big(\\frac{1}{a_i + c_i} + \\frac{1}{b_i + d_i}\\Big)^{-1},

    residual variance estimated (a multiplicative dispersion, as Egger's);
    :math:`H_0: \\beta_1 = 0` by t(k - 2). Using N rather than the SE
    avoids the built-in correlation between a log OR and its SE that makes
    Egger's test too liberal for odds ratios. Log ORs as metafor's
    ``escalc`` (``add`` = 0.5 in every cell of a zero-cell study); studies
    without events, or with only events, in both arms are left out. The same
    recipe as R meta's ``metabias(method.bias = "Peters")``; tested against
    metafor's ``regtest(model = "lm", predictor = "ninv")`` on it.

    Takes a :class:`~helpers.pooling.BinaryMetaAnalysis` (its counts) or
    the four count arrays. Use it with at least 10 studies (Cochrane
    Handbook v6.4 13.3.5.4; Sterne et al. 2011, BMJ 343:d4002).

    >>> res = peters_test([4, 6, 3, 62, 33], [123, 306, 231, 13598, 5069], [11, 29, 11, 248, 47], [139, 303, 220, 12867, 5808])
    >>> round(res.t, 4), res.df
    (-0.0708, 3)
    """
    names, a, b, c, d = _two_by_two_counts(fit_or_events1, n1, events2, n2, labels)
    ok = ~(((a == 0) & (c == 0)) | ((b == 0) & (d == 0)))
    yi = log_odds_ratio(a[ok], (a + b)[ok], c[ok], (c + d)[ok], add=add)["yi"].to_numpy()
    w = 1 / (1 / (a + c)[ok] + 1 / (b + d)[ok])
    return _wls_test(yi, 1 / (a + b + c + d)[ok], w, "Peters")


def harbord_test(fit_or_events1, n1=None, events2=None, n2=None, *,
                 labels: Sequence[object] | None = None) -> BinarySmallStudyTest:
    """Harbord's modified Egger test for log odds ratios (Harbord, Egger & Sterne 2006, Stat Med 25:3443).

    Egger's regression with the efficient score :math:`Z_i` and score
    variance (Fisher information) :math:`V_i` of the log OR in place of the
    estimate and its variance, computed from the counts under the null
    (no continuity correction needed):

    .. math:: Z_i = a_i - \\frac{(a_i + c_i)\\,n_{1i}}{N_i}, \\qquad
              V_i = \\frac{n_{1i} n_{2i} (a_i + c_i)(b_i + d_i)}{N_i^2 (N_i - 1)}, \\qquad
              \\frac{Z_i}{\\sqrt{V_i}} = \\beta_0 + \\beta_1 \\sqrt{V_i} + \\varepsilon_i

    by ordinary least squares; :math:`H_0: \\beta_0 = 0` (``bias``) by
    t(k - 2). Z and V are the O - E and V of Peto's method, which share no
    sampling error the way a log OR and its SE do, so the test keeps its
    size when Egger's does not. Studies with V = 0 (no events, or only
    events, in both arms) are left out. The recipe is R meta's
    ``metabias(method.bias = "Harbord")`` for odds ratios; tested against
    metafor's ``regtest(model = "lm")`` on Z/V with SE 1/sqrt(V) (the kit
    could not run meta itself or read the paper's worked example).

    >>> res = harbord_test([4, 6, 3, 62, 33], [123, 306, 231, 13598, 5069], [11, 29, 11, 248, 47], [139, 303, 220, 12867, 5808])
    >>> round(res.bias, 4), res.k
    (0.9222, 5)
    """
    names, a, b, c, d = _two_by_two_counts(fit_or_events1, n1, events2, n2, labels)
    m1, m2 = a + b, c + d
    N = m1 + m2
    V = m1 * m2 * (a + c) * (b + d) / (N**2 * (N - 1))
    ok = V > 0
    Z = (a - (a + c) * m1 / N)[ok]
    V = V[ok]
    # Egger's form, regressed as metafor's regtest(model="lm"): Z/V on 1/sqrt(V) with weights V
    return _wls_test(Z / V, 1 / np.sqrt(V), V, "Harbord")

"""Vectorised tau² estimators and inference for stacks of meta-analyses.

Everything here works on arrays of shape ``(n, k)``: n meta-analyses of up
to k studies, padded where a meta-analysis has fewer studies and marked by a
boolean ``mask``. One meta-analysis is the stack with n = 1, so the single
fit (:func:`helpers.pooling.meta_analysis`), the batch fit
(:func:`helpers.pooling.meta_analysis_batch`) and leave-one-out share this
one implementation and cannot drift apart.

The algorithms follow R's metafor (``rma.uni``, ``confint.rma.uni``;
Viechtbauer 2010, J Stat Softw 36(3)); where metafor iterates by Fisher
scoring, this module does too, with a step-halving safeguard on the
likelihood that metafor leaves to the user (``control=list(stepadj=...)``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from ._distributions import chi2_isf, chi2_ppf, chi2_sf, norm_isf, norm_sf, t_isf, t_sf

METHODS = ("FE", "DL", "REML", "ML", "PM", "HS", "SJ", "HE", "EB")
CI_METHODS = ("z", "hksj", "hksj-adhoc")
PI_METHODS = ("z", "hksj", "hts")
I2_METHODS = ("tau2", "q")
I2_CI_METHODS = ("q-profile", "test-based", "none")

_TOL = 1e-13       # convergence on tau², relative to (1 + tau²)
_MAXITER = 1000


@dataclass(frozen=True)
class Stack:
    """n meta-analyses side by side: padded cells have mask False, y 0, v 1."""

    y: np.ndarray
    v: np.ndarray
    mask: np.ndarray

    @property
    def k(self) -> np.ndarray:
        return self.mask.sum(axis=1)

    def weights(self, tau2: np.ndarray) -> np.ndarray:
        """Inverse-variance weights 1/(v + tau²); zero in padded cells."""
        return np.where(self.mask, 1.0 / (self.v + tau2[:, None]), 0.0)


def _sum(a: np.ndarray) -> np.ndarray:
    return a.sum(axis=1)


def _weighted_mean(w: np.ndarray, y: np.ndarray) -> np.ndarray:
    return _sum(w * y) / _sum(w)


def q_statistic(s: Stack, tau2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Generalised Q, :math:`\\sum w_i (y_i - \\hat\\mu)^2` with w = 1/(v + tau²), and dQ/dtau².

    At tau² = 0 this is Cochran's Q. Its derivative is
    :math:`-\\sum w_i^2 (y_i - \\hat\\mu)^2` (the dependence through
    :math:`\\hat\\mu` vanishes because :math:`\\hat\\mu` minimises Q).
    """
    w = s.weights(tau2)
    r = s.y - _weighted_mean(w, s.y)[:, None]
    wr2 = w * r**2
    return _sum(wr2), -_sum(w * wr2)


def _q_equation(s: Stack, t: np.ndarray, target: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Q(tau²) = target, written as 1/target - 1/Q: Q falls roughly like c/(tau² + v), so 1/Q is
    nearly linear in tau² and Newton needs about three steps instead of seven."""
    q, dq = q_statistic(s, t)
    return 1 / target - 1 / q, dq / q**2


def _score_equation(s: Stack, t: np.ndarray, reml: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Twice the (restricted) likelihood score in tau², and its derivative.

    REML score :math:`y'PPy - \\mathrm{tr}P`, ML score :math:`y'PPy - \\sum w`
    (Viechtbauer 2005, J Educ Behav Stat 30:261), with
    :math:`P = W - ww'/\\sum w`. metafor steps by Fisher scoring (expected
    information :math:`\\mathrm{tr}(PP)` or :math:`\\sum w^2`); Newton with
    the observed derivative, :math:`-2y'PPPy + \\mathrm{tr}(PP)` (REML) or
    :math:`-2y'PPPy + \\sum w^2` (ML), reaches the same root in fewer steps.
    """
    w = s.weights(t)
    sw, sw2 = _sum(w), _sum(w**2)
    u = w * (s.y - _weighted_mean(w, s.y)[:, None])      # P y
    ypppy = _sum(u**2)                                    # y'PPy = u'u
    yppppy = _sum(w * u**2) - _sum(w * u) ** 2 / sw       # y'PPPy = u'Pu
    tr_p = sw - sw2 / sw
    tr_pp = sw2 - 2 * _sum(w**3) / sw + (sw2 / sw) ** 2
    score = np.where(reml, ypppy - tr_p, ypppy - sw)
    return score, -2 * yppppy + np.where(reml, tr_pp, sw2)


def _root(s: Stack, equation, arg: np.ndarray, start: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """tau² >= 0 where ``equation`` crosses from positive to negative; 0 where it is <= 0 at tau² = 0.

    Safeguarded Newton: a Newton step is taken when it stays inside the
    bracket [lo, hi] that the signs seen so far define, and bisection
    otherwise, so the iteration cannot oscillate or run away (plain Fisher
    scoring can: metafor needs ``stepadj=0.5`` for REML on dat.normand1999).
    Only rows still iterating are computed. Returns ``(tau2, converged)``.
    """
    n = s.k.shape[0]
    f0, _ = equation(s, np.zeros(n), arg)
    t = np.where(f0 > 0, np.maximum(start, 0.0), 0.0)
    done = f0 <= 0
    rows = np.flatnonzero(~done)
    # compact copies of the rows still iterating; shrunk only when some row finishes
    sub = Stack(s.y[rows], s.v[rows], s.mask[rows])
    tr, a = t[rows], arg[rows]
    lo, hi = np.zeros(rows.size), np.full(rows.size, np.inf)
    for _ in range(_MAXITER):
        if rows.size == 0:
            break
        f, df = equation(sub, tr, a)
        lo = np.where(f > 0, tr, lo)
        hi = np.where(f <= 0, tr, hi)
        newton = tr - f / df
        inside = (newton >= lo) & (newton <= hi) & np.isfinite(newton)
        bisect = np.where(np.isfinite(hi), (lo + hi) / 2, 2 * lo + 1)
        new = np.where(f == 0, tr, np.where(inside, newton, bisect))
        tol = _TOL * (1 + np.abs(tr))
        finished = (np.abs(new - tr) <= tol) | (hi - lo <= tol) | (f == 0)
        t[rows] = tr = new
        if finished.any():
            done[rows[finished]] = True
            keep = ~finished
            rows, tr, a, lo, hi = rows[keep], tr[keep], a[keep], lo[keep], hi[keep]
            sub = Stack(sub.y[keep], sub.v[keep], sub.mask[keep])
    return t, done


def solve_q(s: Stack, target: np.ndarray) -> np.ndarray:
    """tau² >= 0 at which the generalised Q equals ``target``; 0 where Q(0) <= target.

    Q(tau²) decreases monotonically, so the root is unique. Used for
    Paule-Mandel (target k - 1; DerSimonian & Kacker 2007) and the Q-profile
    CI (Viechtbauer 2007). Newton starts from the one-step moment estimate
    :math:`(Q(0) - \\text{target}) / (\\sum w - \\sum w^2/\\sum w)`, which is
    DerSimonian-Laird's when the target is k - 1.
    """
    target = np.broadcast_to(np.asarray(target, float), s.k.shape)
    w = s.weights(np.zeros(s.k.shape))
    q0, _ = q_statistic(s, np.zeros(s.k.shape))
    sw = _sum(w)
    start = (q0 - target) / (sw - _sum(w**2) / sw)
    return _root(s, _q_equation, target, start)[0]


def tau2_estimate(s: Stack, method: str) -> tuple[np.ndarray, np.ndarray]:
    """tau² by the named estimator, for every meta-analysis in the stack.

    Returns ``(tau2, converged)``. Formulas (intercept-only model, w = 1/v):

    * FE: 0.
    * DL (DerSimonian & Laird 1986): :math:`\\max(0, (Q - (k-1))/(\\sum w - \\sum w^2/\\sum w))`.
    * HS (Hunter & Schmidt 2004): :math:`\\max(0, (Q - k)/\\sum w)`.
    * HE (Hedges 1983): :math:`\\max(0, s_y^2 - \\bar v)`, unweighted.
    * SJ (Sidik & Jonkman 2005): :math:`\\tau_0^2\\,Q(\\tau_0^2)/(k-1)` with
      :math:`\\tau_0^2 = \\sum(y-\\bar y)^2/k`.
    * PM (Paule & Mandel 1982) and EB (Morris 1983): the root of
      :math:`Q(\\tau^2) = k - 1`; metafor's EB iteration has this same fixed
      point, so one solver serves both.
    * ML, REML: Fisher scoring from the HE estimate (Viechtbauer 2005),
      safeguarded by bisection (see :func:`_root`).
    """
    k = s.k.astype(float)
    n = k.shape[0]
    done = np.ones(n, bool)
    if method == "FE":
        return np.zeros(n), done
    if method in ("DL", "HS"):
        w = s.weights(np.zeros(n))
        q, _ = q_statistic(s, np.zeros(n))
        sw = _sum(w)
        raw = (q - (k - 1)) / (sw - _sum(w**2) / sw) if method == "DL" else (q - k) / sw
        return _zero_if_single(np.maximum(raw, 0.0), k), done
    ybar = _sum(np.where(s.mask, s.y, 0)) / k
    rss = _sum(np.where(s.mask, (s.y - ybar[:, None]) ** 2, 0))
    he = np.maximum((rss - _sum(np.where(s.mask, s.v, 0)) * (k - 1) / k) / np.maximum(k - 1, 1), 0.0)
    if method == "HE":
        return _zero_if_single(he, k), done
    if method == "SJ":
        tau0 = rss / k
        q, _ = q_statistic(s, tau0)
        return _zero_if_single(tau0 * q / np.maximum(k - 1, 1), k), done
    if method in ("PM", "EB"):
        return _zero_if_single(solve_q(s, k - 1), k), done
    if method in ("REML", "ML"):
        # the maximum sits at tau² = 0 when the score is <= 0 there (metafor's ll0check)
        t, conv = _root(s, _score_equation, np.full(n, method == "REML"), he)
        return _zero_if_single(t, k), conv | (k == 1)
    raise ValueError(f"method must be one of {METHODS}, got {method!r}")


def _zero_if_single(tau2: np.ndarray, k: np.ndarray) -> np.ndarray:
    return np.where(k > 1, tau2, 0.0)


def fit(s: Stack, method: str, ci_method: str, pi_method: str, level: float, i2_method: str = "tau2",
        i2_ci_method: str = "q-profile", tau2_fixed: np.ndarray | None = None,
        with_intervals: bool = True) -> dict[str, np.ndarray]:
    """See :func:`_fit`; degenerate rows (k = 1, identical yi) divide by zero by design and are handled there."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return _fit(s, method, ci_method, pi_method, level, i2_method, i2_ci_method, tau2_fixed, with_intervals)


def _fit(s: Stack, method: str, ci_method: str, pi_method: str, level: float, i2_method: str,
         i2_ci_method: str, tau2_fixed: np.ndarray | None, with_intervals: bool) -> dict[str, np.ndarray]:
    """Pooled estimate, heterogeneity statistics and intervals for every row of the stack.

    Wald inference (metafor's default):
    :math:`\\hat\\mu = \\sum w_i y_i / \\sum w_i`, :math:`SE = (\\sum w_i)^{-1/2}`,
    w = 1/(v + tau²). HKSJ (Hartung & Knapp 2001; Sidik & Jonkman 2002):
    :math:`SE^2_{HK} = SE^2 \\cdot Q(\\hat\\tau^2)/(k-1)` with t(k-1) quantiles,
    no truncation (metafor's ``test="knha"``); ``"hksj-adhoc"`` floors the
    factor at 1 (Knapp & Hartung 2003; metafor's ``test="adhoc"``).
    I² and H² from tau² and the "typical" within-study variance
    :math:`\\tilde v = (k-1)/(\\sum w - \\sum w^2/\\sum w)` (Higgins & Thompson
    2002; metafor), or from Q, :math:`I^2 = (Q - (k-1))/Q` and
    :math:`H^2 = Q/(k-1)` (``i2_method="q"``: RevMan, meta; and metafor for FE).
    Intervals for tau² and I²: :func:`heterogeneity_intervals`.
    """
    if ci_method not in CI_METHODS:
        raise ValueError(f"ci_method must be one of {CI_METHODS}, got {ci_method!r}")
    if pi_method not in PI_METHODS:
        raise ValueError(f"pi_method must be one of {PI_METHODS}, got {pi_method!r}")
    k = s.k.astype(float)
    n = k.shape[0]
    if tau2_fixed is None:
        tau2, converged = tau2_estimate(s, method)
    else:
        tau2, converged = np.asarray(tau2_fixed, float), np.ones(n, bool)
    w = s.weights(tau2)
    sw = _sum(w)
    mu = _weighted_mean(w, s.y)
    se = np.sqrt(1 / sw)
    zcrit = norm_isf((1 - level) / 2)

    q_gen, _ = q_statistic(s, tau2)
    s2w = np.where(q_gen <= np.finfo(float).eps, 0.0, q_gen / (k - 1))
    if ci_method == "hksj-adhoc":
        s2w = np.maximum(s2w, 1.0)
    if ci_method == "z":
        se_used, df = se, np.full(n, np.inf)
        crit = np.full(n, zcrit)
        pvalue = 2 * norm_sf(np.abs(mu / se))
    else:
        se_used, df = se * np.sqrt(s2w), k - 1
        crit = t_isf((1 - level) / 2, df)
        pvalue = 2 * t_sf(np.abs(mu / se_used), df)

    q, _ = q_statistic(s, np.zeros(n))
    single = k == 1
    q = np.where(single, 0.0, q)
    q_p = np.where(single, 1.0, chi2_sf(q, k - 1))
    vt = typical_variance(s)
    if method == "FE" or i2_method == "q":
        i2 = np.where(single, 0.0, np.maximum(0.0, 100 * (q - (k - 1)) / q))
        h2 = np.where(single, 1.0, q / (k - 1))
    else:
        i2 = np.where(single, 0.0, 100 * tau2 / (vt + tau2))
        h2 = np.where(single, 1.0, tau2 / vt + 1)
    i2 = np.where(np.isnan(i2), 0.0, i2)  # Q = 0 exactly: all yi equal

    if pi_method == "z":
        pi_se, pi_crit = np.sqrt(se**2 + tau2), np.full(n, zcrit)
    elif pi_method == "hksj":
        pi_se, pi_crit = np.sqrt(se_used**2 + tau2), t_isf((1 - level) / 2, k - 1)
    else:
        pi_se, pi_crit = np.sqrt(se**2 + tau2), t_isf((1 - level) / 2, k - 2)

    intervals = (heterogeneity_intervals(s, q, level, i2_ci_method) if with_intervals
                 else dict.fromkeys(("tau2_ci_low", "tau2_ci_high", "i2_ci_low", "i2_ci_high")))
    return {
        "k": s.k, "estimate": mu, "se": se_used, "se_wald": se, "df": df,
        "statistic": mu / se_used, "pvalue": pvalue,
        "ci_low": mu - crit * se_used, "ci_high": mu + crit * se_used,
        "tau2": tau2, "converged": converged, "q": q, "q_pvalue": q_p, "i2": i2, "h2": h2,
        "pi_low": mu - pi_crit * pi_se, "pi_high": mu + pi_crit * pi_se,
        "weights": 100 * w / sw[:, None], "s2w": s2w, **intervals,
    }


def i2_test_based_ci(q, k, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Test-based CI for I² (percent) from Q and k alone (Higgins & Thompson 2002, Stat Med 21:1539, appendix).

    Built on ln H, :math:`H = \\sqrt{Q/(k-1)}`, with
    :math:`SE(\\ln H) = \\tfrac12 (\\ln Q - \\ln(k-1))/(\\sqrt{2Q} - \\sqrt{2k-3})` if Q > k, else
    :math:`\\sqrt{(1 - 1/(3(k-2)^2))/(2(k-2))}`; H's limits are floored at 1 and
    mapped to :math:`I^2 = 1 - 1/H^2`. R meta's default interval; needs k >= 3.
    Works from printed numbers, so it serves summary-level replication too.

    >>> [round(float(x), 1) for x in i2_test_based_ci(45.5026, 18)]
    [37.9, 77.5]
    """
    q, k = np.asarray(q, float), np.asarray(k, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        zcrit = norm_isf((1 - level) / 2)
        ln_h = 0.5 * np.log(q / (k - 1))
        se_ln_h = np.where(q > k, 0.5 * (np.log(q) - np.log(k - 1)) / (np.sqrt(2 * q) - np.sqrt(2 * k - 3)),
                           np.sqrt((1 - 1 / (3 * (k - 2) ** 2)) / (2 * (k - 2))))
        h_lo = np.maximum(1.0, np.exp(ln_h - zcrit * se_ln_h))
        h_hi = np.maximum(1.0, np.exp(ln_h + zcrit * se_ln_h))
    return 100 * (1 - 1 / h_lo**2), 100 * (1 - 1 / h_hi**2)


def typical_variance(s: Stack) -> np.ndarray:
    """The "typical" within-study variance :math:`\\tilde v = (k-1)/(\\sum w - \\sum w^2/\\sum w)`, w = 1/v,
    that turns tau² into I² (Higgins & Thompson 2002; metafor's ``vt``)."""
    w = s.weights(np.zeros(s.k.shape))
    sw = _sum(w)
    return (s.k - 1) / (sw - _sum(w**2) / sw)


def heterogeneity_intervals(s: Stack, q: np.ndarray, level: float, i2_ci_method: str) -> dict[str, np.ndarray]:
    """Q-profile CI for tau² (Viechtbauer 2007), and the CI for I² (Q-profile or test-based).

    tau² limits: the roots of :math:`Q_{gen}(\\tau^2) = \\chi^2_{k-1}` quantiles
    (0 where Q(0) is already below the quantile); I² limits:
    :math:`100\\,\\tau^2/(\\tilde v + \\tau^2)` at those roots, or the
    test-based interval of :func:`i2_test_based_ci`.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        k = s.k.astype(float)
        alpha = 1 - level
        tau2_lo = solve_q(s, chi2_isf(alpha / 2, np.maximum(k - 1, 1)))
        tau2_hi = solve_q(s, chi2_ppf(alpha / 2, np.maximum(k - 1, 1)))
        if i2_ci_method == "test-based":
            i2_lo, i2_hi = i2_test_based_ci(q, k, level)
        else:
            vt = typical_variance(s)
            i2_lo, i2_hi = 100 * tau2_lo / (vt + tau2_lo), 100 * tau2_hi / (vt + tau2_hi)
    return {"tau2_ci_low": tau2_lo, "tau2_ci_high": tau2_hi, "i2_ci_low": i2_lo, "i2_ci_high": i2_hi}

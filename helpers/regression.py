"""Mixed-effects meta-regression on one moderator (metafor's ``rma(yi, vi, mods = ~ x)``).

.. math:: y_i = \\beta_0 + \\beta_1 x_i + u_i + e_i, \\quad
          u_i \\sim N(0, \\tau^2), \\quad e_i \\sim N(0, v_i)

tau² here is the *residual* heterogeneity, what the moderator leaves
unexplained. Estimators follow metafor's general (matrix) forms with
:math:`P = W - W X (X'WX)^{-1} X' W` (Viechtbauer 2005; Raudenbush 2009 in
*The Handbook of Research Synthesis*, ch. 16).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._validate import as_arrays, require
from ._distributions import chi2_sf, f_sf, norm_isf, norm_sf, t_isf, t_sf

__all__ = ["MetaRegression", "meta_regression", "residual_tau2", "REGRESSION_METHODS"]

REGRESSION_METHODS = ("FE", "DL", "REML", "ML")


@dataclass(frozen=True, repr=False)
class MetaRegression:
    """Coefficients (intercept, slope) with SE, test and CI; residual tau², QE, QM and R²."""

    method: str
    ci_method: str
    k: int
    coef: np.ndarray
    se: np.ndarray
    statistic: np.ndarray
    pvalue: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    tau2: float
    qe: float
    qe_pvalue: float
    qm: float
    qm_pvalue: float
    r2: float | None
    names: tuple[str, str]

    def summary(self) -> pd.DataFrame:
        stat = "z" if self.ci_method == "z" else "t"
        return pd.DataFrame({"estimate": self.coef, "se": self.se, stat: self.statistic, "p": self.pvalue,
                             "ci_low": self.ci_low, "ci_high": self.ci_high}, index=list(self.names))

    def __repr__(self) -> str:
        r2 = "" if self.r2 is None else f", R² = {self.r2:.2f}%"
        return (f"Mixed-effects meta-regression ({self.method}), k = {self.k}\n"
                f"residual tau² = {self.tau2:.4f}{r2}\n"
                f"QE({self.k - 2}) = {self.qe:.4f}, p = {self.qe_pvalue:.4g}; "
                f"QM(1) = {self.qm:.4f}, p = {self.qm_pvalue:.4g}\n\n{self.summary().round(4).to_string()}")


def _projection(X: np.ndarray, w: np.ndarray) -> np.ndarray:
    WX = X * w[:, None]
    return np.diag(w) - WX @ np.linalg.solve(X.T @ WX, WX.T)


def _tau2(y, v, X, method):
    k, p = X.shape
    if method == "FE":
        return 0.0
    if method == "DL":
        P = _projection(X, 1 / v)
        return max(0.0, (y @ P @ y - (k - p)) / np.trace(P))
    # Fisher scoring from the Hedges start, with likelihood step halving (see _estimators)
    H = np.eye(k) - X @ np.linalg.solve(X.T @ X, X.T)
    t = max(0.0, (y @ H @ y - np.trace(H * v)) / (k - p))

    def loglik(t):
        w = 1 / (v + t)
        P = _projection(X, w)
        ll = -0.5 * (np.log(v + t).sum() + y @ P @ y)
        return ll - 0.5 * np.linalg.slogdet(X.T @ (X * w[:, None]))[1] if method == "REML" else ll

    ll = loglik(t)
    for _ in range(1000):
        w = 1 / (v + t)
        P = _projection(X, w)
        Py = P @ y
        if method == "REML":
            step = (Py @ Py - np.trace(P)) / np.sum(P * P)
        else:
            step = (Py @ Py - w.sum()) / np.sum(w**2)
        for _ in range(60):
            new = max(t + step, 0.0)
            ll_new = loglik(new)
            if ll_new >= ll - 1e-12 * abs(ll):
                break
            step /= 2
        done = abs(new - t) <= 1e-13 * (1 + t)
        t, ll = new, ll_new
        if done:
            return t
    raise ValueError(f"{method} iterations did not converge for the meta-regression; try method='DL'")


def residual_tau2(yi, vi, moderators, method: str = "REML") -> float:
    """Residual tau² of a mixed-effects model with an intercept and the given moderator columns.

    Used for a common tau² across subgroups (moderators = subgroup indicators).
    ``method``: ``"FE"``, ``"DL"``, ``"REML"`` or ``"ML"``; other estimators
    fall back to REML, which is said in the ValueError if the data are too few.

    >>> round(residual_tau2([0.1, 0.3, 0.6, 0.7], [0.01] * 4, [[0], [0], [1], [1]], method="DL"), 4)
    0.0025
    """
    y, v = np.asarray(yi, float), np.asarray(vi, float)
    Z = np.asarray(moderators, float).reshape(y.size, -1)
    X = np.column_stack([np.ones(y.size), Z])
    if y.size <= X.shape[1]:
        raise ValueError(f"{y.size} studies cannot estimate tau² next to {X.shape[1]} coefficients")
    return float(_tau2(y, v, X, method if method in REGRESSION_METHODS else "REML"))


def meta_regression(yi, vi, moderator, method: str = "REML", ci_method: str = "z", level: float = 0.95,
                    moderator_name: str = "moderator", labels: Sequence[object] | None = None) -> MetaRegression:
    """Regress effect sizes on one study-level moderator, weighting by 1/(v + tau²).

    .. math:: \\hat\\beta = (X'WX)^{-1}X'Wy, \\quad \\mathrm{Var}(\\hat\\beta) = (X'WX)^{-1}, \\quad
              W = \\mathrm{diag}(1/(v_i + \\hat\\tau^2))

    QE tests residual heterogeneity (chi², k - 2 df); QM tests the moderator
    (chi², 1 df; F(1, k-2) with ``ci_method="hksj"``, Knapp & Hartung 2003).
    R² is the proportional reduction in tau² against the model without the
    moderator, as metafor (Raudenbush 2009), truncated at 0.
    ``method``: ``"FE"``, ``"DL"``, ``"REML"`` (default) or ``"ML"``.

    >>> fit = meta_regression([0.1, 0.3, 0.4, 0.8], [0.02, 0.02, 0.03, 0.04], [1, 2, 3, 4], method="FE")
    >>> fit.coef.round(4).tolist()
    [-0.1284, 0.2104]
    """
    if method not in REGRESSION_METHODS:
        raise ValueError(f"method must be one of {REGRESSION_METHODS}, got {method!r}")
    if ci_method not in ("z", "hksj"):
        raise ValueError(f"ci_method must be 'z' or 'hksj', got {ci_method!r}")
    names, a = as_arrays(labels, yi=yi, vi=vi, moderator=moderator)
    require(a["vi"] > 0, names, "vi", "> 0 (a sampling variance)", a["vi"])
    y, v, x = a["yi"], a["vi"], a["moderator"]
    k = y.size
    if k < 3:
        raise ValueError("meta-regression needs at least three studies")
    if np.ptp(x) == 0:
        raise ValueError(f"{moderator_name} takes one value in every study: it cannot explain anything")
    X = np.column_stack([np.ones(k), x])
    tau2 = _tau2(y, v, X, method)
    w = 1 / (v + tau2)
    XtWX = X.T @ (X * w[:, None])
    cov = np.linalg.inv(XtWX)
    beta = cov @ (X.T @ (w * y))
    P0 = _projection(X, 1 / v)
    qe = float(max(0.0, y @ P0 @ y))
    if ci_method == "hksj":
        cov = cov * (y @ _projection(X, w) @ y) / (k - 2)
        df = k - 2
        crit = t_isf((1 - level) / 2, df)
    se = np.sqrt(np.diag(cov))
    stat = beta / se
    if ci_method == "hksj":
        p = 2 * t_sf(np.abs(stat), df)
        qm, qm_p = stat[1] ** 2, f_sf(stat[1] ** 2, 1, df)
    else:
        crit = norm_isf((1 - level) / 2)
        p = 2 * norm_sf(np.abs(stat))
        qm, qm_p = stat[1] ** 2, chi2_sf(stat[1] ** 2, 1)
    r2 = None
    if method != "FE":
        from .pooling import meta_analysis

        tau2_all = meta_analysis(y, v, method=method).tau2
        r2 = 0.0 if tau2_all == 0 else max(0.0, 100 * (tau2_all - tau2) / tau2_all)
    return MetaRegression(
        method=method, ci_method=ci_method, k=k, coef=beta, se=se, statistic=stat, pvalue=p,
        ci_low=beta - crit * se, ci_high=beta + crit * se, tau2=float(tau2), qe=qe,
        qe_pvalue=float(chi2_sf(qe, k - 2)), qm=float(qm), qm_pvalue=float(qm_p), r2=r2,
        names=("intercept", moderator_name),
    )

"""Small-study effects: Egger's regression test and Duval & Tweedie's trim and fill.

Both look for funnel-plot asymmetry: small studies with larger effects than
big ones. Asymmetry can come from publication bias, but also from genuine
heterogeneity, poorer quality of small trials, or chance; and with fewer than
10 studies the tests have too little power to be used at all (Cochrane
Handbook 13.3.5.4; Sterne et al. 2011, BMJ 343:d4002).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .pooling import MetaAnalysis, _inputs, meta_analysis
from .regression import meta_regression
from ._distributions import t_sf

__all__ = ["EggerTest", "egger_test", "TrimAndFill", "trim_and_fill"]


@dataclass(frozen=True)
class EggerTest:
    """Egger's test: ``intercept`` (the asymmetry coefficient), its ``se``, ``t``, ``df``, ``pvalue``."""

    intercept: float
    se: float
    t: float
    df: int
    pvalue: float
    k: int
    note: str = ""


def egger_test(yi, vi, labels: Sequence[object] | None = None) -> EggerTest:
    """Classical Egger regression test for funnel-plot asymmetry.

    Regress the standardised effect on precision by ordinary least squares,

    .. math:: \\frac{y_i}{\\sqrt{v_i}} = \\beta_0 + \\beta_1 \\frac{1}{\\sqrt{v_i}} + \\varepsilon_i,

    and test :math:`\\beta_0 = 0` with t(k-2) (Egger et al. 1997, BMJ
    315:629). This equals metafor's ``regtest(model="lm")``: a weighted
    regression of :math:`y_i` on :math:`\\sqrt{v_i}` with weights
    :math:`1/v_i`, whose slope is Egger's intercept.

    >>> round(egger_test([0.1, 0.3, 0.5, 0.9], [0.01, 0.02, 0.03, 0.06]).t, 4)
    28.0296
    """
    names, y, v = _inputs(yi, vi, labels)
    k = y.size
    if k < 3:
        raise ValueError("Egger's test needs at least three studies (a regression with k - 2 df)")
    sei = np.sqrt(v)
    X = np.column_stack([1 / sei, np.ones(k)])  # slope on precision, then Egger's intercept
    z = y / sei
    coef, *_ = np.linalg.lstsq(X, z, rcond=None)
    resid = z - X @ coef
    sigma2 = resid @ resid / (k - 2)
    cov = sigma2 * np.linalg.inv(X.T @ X)
    se = float(np.sqrt(cov[1, 1]))
    t = float(coef[1] / se)
    note = "" if k >= 10 else (f"only {k} studies: with fewer than 10 the test has too little power "
                               "to tell asymmetry from chance (Cochrane Handbook 13.3.5.4).")
    return EggerTest(intercept=float(coef[1]), se=se, t=t, df=k - 2,
                     pvalue=float(2 * t_sf(abs(t), k - 2)), k=k, note=note)


@dataclass(frozen=True, repr=False)
class TrimAndFill:
    """Trim-and-fill result: ``k0`` studies imputed on ``side``, and the fit with them added.

    ``filled_yi``/``filled_vi`` are the imputed studies; ``adjusted`` is the
    :class:`~helpers.pooling.MetaAnalysis` of observed plus filled studies;
    ``original`` the fit of the observed studies alone.
    """

    k0: int
    side: str
    filled_yi: np.ndarray
    filled_vi: np.ndarray
    original: MetaAnalysis
    adjusted: MetaAnalysis

    @property
    def estimate(self) -> float:
        return self.adjusted.estimate

    def __repr__(self) -> str:
        return (f"Trim and fill (L0 estimator): {self.k0} studies imputed on the {self.side}\n"
                f"estimate {self.original.estimate:.4f} -> {self.adjusted.estimate:.4f} "
                f"(CI {self.adjusted.ci_low:.4f} to {self.adjusted.ci_high:.4f})")


def trim_and_fill(yi, vi, method: str = "DL", side: str | None = None, maxiter: int = 100,
                  labels: Sequence[object] | None = None) -> TrimAndFill:
    """Duval & Tweedie's trim-and-fill with the L0 estimator, as metafor's ``trimfill()``.

    1. Side: unless given, the missing studies are assumed on the side
       opposite the small-study effect, found by regressing yi on
       :math:`\\sqrt{v_i}` (a negative slope puts them on the right).
    2. Iterate: fit the model to the k - k0 least extreme studies, rank the
       absolute deviations :math:`|y_i - \\hat\\mu|`, and update
       :math:`L_0 = (4 S_r - k(k+1)) / (2k - 1)`, with :math:`S_r` the sum
       of the positive signed ranks; k0 = max(0, round(L0)).
    3. Fill: mirror the k0 most extreme studies about :math:`\\hat\\mu`
       (:math:`2\\hat\\mu - y_i`, same variance) and refit.

    References: Duval & Tweedie (2000), Biometrics 56:455 and JASA 95:89;
    Borenstein et al. (2009) ch. 30. The adjusted estimate is a sensitivity
    analysis, not a corrected truth: trim and fill assumes asymmetry is
    caused by suppressed studies.

    >>> tf = trim_and_fill([0.05, 0.12, 0.2, 0.35, 0.42, 0.61, 0.75], [0.005, 0.01, 0.02, 0.04, 0.05, 0.08, 0.1])
    >>> tf.k0, tf.side, round(tf.original.estimate, 4), round(tf.estimate, 4)
    (4, 'left', 0.2315, 0.1021)
    """
    names, y, v = _inputs(yi, vi, labels)
    k = y.size
    if k < 3:
        raise ValueError("trim and fill needs at least three studies")
    original = meta_analysis(y, v, method=method, labels=names)
    if side is None:
        slope = meta_regression(y, v, np.sqrt(v), method=method if method in ("FE", "DL", "REML", "ML") else "DL").coef[1]
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
        mu = meta_analysis(ys[: k - k0], vs[: k - k0], method=method).estimate
        centred = ys - mu
        # ranks of |centred|, ties broken by position (R's ties.method="first")
        ranks = np.empty(k)
        ranks[np.argsort(np.abs(centred), kind="stable")] = np.arange(1, k + 1)
        s_r = ranks[centred > 0].sum()
        k0 = int(max(0, np.round((4 * s_r - k * (k + 1)) / (2 * k - 1))))
    else:
        raise ValueError(f"trim and fill did not converge in {maxiter} iterations")
    filled_y = sign * (2 * mu - ys[k - k0:])
    filled_v = vs[k - k0:]
    adjusted = original
    if k0 > 0:
        adjusted = meta_analysis(np.concatenate([y, filled_y]), np.concatenate([v, filled_v]), method=method,
                                 labels=list(names) + [f"Filled {i + 1}" for i in range(k0)])
    return TrimAndFill(k0=k0, side=side, filled_yi=filled_y, filled_vi=filled_v, original=original, adjusted=adjusted)

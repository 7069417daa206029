"""Pooling effect sizes: common-effect and random-effects meta-analysis.

One function per idea, named as in R's metafor:

* :func:`meta_analysis` -- one meta-analysis (metafor's ``rma()``), returning
  a frozen :class:`MetaAnalysis` with a ``summary()``.
* :func:`meta_analysis_batch` -- thousands of meta-analyses at once, for
  simulation; identical numbers to :func:`meta_analysis`.
* :func:`leave_one_out` -- the fit with each study left out in turn.
* :func:`subgroup_analysis` -- separate fits per subgroup and the test for
  subgroup differences, as RevMan computes it.

Every statistic is checked against metafor 3.8-1 to a relative error of
1e-10 in ``tests/test_pooling_metafor.py``. The one documented difference: the
upper Q-profile limit for tau², where metafor stops its search at
``max(100, 10 * tau2)`` and reports that cap; the kit reports the root.

References: Borenstein, Hedges, Higgins & Rothstein (2009) *Introduction to
Meta-Analysis*, ch. 11-12 and 16-17; Cochrane Handbook (v6.4) ch. 10;
Viechtbauer (2005, 2007, 2010).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from . import _estimators as est
from ._estimators import CI_METHODS, I2_CI_METHODS, I2_METHODS, METHODS, PI_METHODS, canonical_method, i2_test_based_ci
from ._binary import BinaryMetaAnalysis, mantel_haenszel, peto
from ._validate import batch_inputs, study_inputs
from .conventions import Convention, get_convention
from ._distributions import z_for_level

__all__ = [
    "METHODS", "CI_METHODS", "PI_METHODS",
    "MetaAnalysis", "meta_analysis",
    "BatchMetaAnalysis", "meta_analysis_batch",
    "leave_one_out", "SubgroupAnalysis", "subgroup_analysis", "compare_conventions", "i2_test_based_ci",
    "BinaryMetaAnalysis", "mantel_haenszel", "peto",
]

_METHOD_NAMES = {
    "FE": "common-effect (fixed-effect)", "DL": "DerSimonian-Laird", "REML": "restricted maximum likelihood",
    "ML": "maximum likelihood", "PM": "Paule-Mandel", "HS": "Hunter-Schmidt", "SJ": "Sidik-Jonkman",
    "HE": "Hedges", "EB": "empirical Bayes",
}
_CI_NAMES = {"z": "Wald (normal)", "hksj": "Hartung-Knapp-Sidik-Jonkman, t(k-1)",
             "hksj-adhoc": "HKSJ with ad hoc variance correction, t(k-1)"}
_PI_NAMES = {"z": "normal, sqrt(se² + tau²)", "hksj": "t(k-1), sqrt(se² + tau²) with the SE of the CI method",
             "hts": "Higgins-Thompson-Spiegelhalter t(k-2), sqrt(se² + tau²)", "none": "not computed"}


@dataclass(frozen=True, repr=False)
class MetaAnalysis:
    """The result of one meta-analysis; shaped after statsmodels' results classes.

    Attributes mirror metafor's ``rma`` object: ``estimate`` (metafor's
    ``b``), ``se``, ``statistic`` (z, or t for HKSJ), ``pvalue``, ``ci_low``,
    ``ci_high``, ``tau2``, ``q`` (Cochran's Q, df = k - 1), ``q_pvalue``,
    ``i2`` (percent), ``h2``, prediction interval ``pi_low``/``pi_high``
    (None for a common-effect model or where it cannot be computed),
    Q-profile intervals ``tau2_ci`` and ``i2_ci`` (tuples), and ``weights``
    (percent, summing to 100). ``notes`` says what a reader must know
    (k = 1, non-convergence, an empty tau² interval).
    """

    method: str
    ci_method: str
    pi_method: str
    level: float
    k: int
    estimate: float
    se: float
    se_wald: float
    statistic: float
    df: float
    pvalue: float
    ci_low: float
    ci_high: float
    tau2: float
    q: float
    q_pvalue: float
    i2: float
    h2: float
    pi_low: float | None
    pi_high: float | None
    weights: np.ndarray = field(compare=False)
    yi: np.ndarray = field(compare=False)
    vi: np.ndarray = field(compare=False)
    labels: tuple[str, ...] = ()
    converged: bool = True
    notes: tuple[str, ...] = ()
    conventions: str = "metafor"
    i2_method: str = "tau2"
    i2_ci_method: str = "q-profile"
    tau2_fixed: bool = False

    @property
    def tau(self) -> float:
        return float(np.sqrt(self.tau2))

    @cached_property
    def _intervals(self) -> dict | None:
        # two root searches: computed when first asked for, so simulations and widgets do not pay for them
        if self.method == "FE" or self.k < 2:
            return None
        stack = est.Stack(self.yi[None, :], self.vi[None, :], np.ones((1, self.k), bool))
        method = "q-profile" if self.i2_ci_method == "none" else self.i2_ci_method
        return {key: float(val[0]) for key, val in
                est.heterogeneity_intervals(stack, np.array([self.q]), self.level, method).items()}

    @property
    def tau2_ci(self) -> tuple[float, float] | None:
        """Q-profile confidence interval for tau² (Viechtbauer 2007); None for a common-effect model or k = 1."""
        r = self._intervals
        return None if r is None else (r["tau2_ci_low"], r["tau2_ci_high"])

    @property
    def i2_ci(self) -> tuple[float, float] | None:
        """Confidence interval for I² (percent): Q-profile, or test-based on ln H (``i2_ci_method``)."""
        r = self._intervals
        if r is None or self.i2_ci_method == "none" or (self.i2_ci_method == "test-based" and self.k < 3):
            return None
        return (r["i2_ci_low"], r["i2_ci_high"])

    @property
    def tau2_ci_low(self) -> float | None:
        return None if self.tau2_ci is None else self.tau2_ci[0]

    @property
    def tau2_ci_high(self) -> float | None:
        return None if self.tau2_ci is None else self.tau2_ci[1]

    @property
    def i2_ci_low(self) -> float | None:
        return None if self.i2_ci is None else self.i2_ci[0]

    @property
    def i2_ci_high(self) -> float | None:
        return None if self.i2_ci is None else self.i2_ci[1]

    @property
    def q_df(self) -> int:
        return max(self.k - 1, 0)

    @property
    def is_random(self) -> bool:
        return self.method != "FE"

    def studies(self) -> pd.DataFrame:
        """Per-study table: yi, vi, se, CI (normal, at the fit's level) and weight (%)."""
        se = np.sqrt(self.vi)
        z = z_for_level(self.level)
        return pd.DataFrame(
            {"yi": self.yi, "vi": self.vi, "se": se, "ci_low": self.yi - z * se,
             "ci_high": self.yi + z * se, "weight": self.weights},
            index=pd.Index(self.labels, name="study"),
        )

    def summary(self) -> pd.DataFrame:
        """All statistics in one two-column table (statistic, value); each row is named after its attribute,
        so ``res.summary().loc["pvalue", "value"] == res.pvalue``."""
        names = ("k", "estimate", "se", "statistic", "pvalue", "ci_low", "ci_high", "pi_low", "pi_high", "tau2",
                 "tau", "tau2_ci_low", "tau2_ci_high", "i2", "i2_ci_low", "i2_ci_high", "h2", "q", "q_df",
                 "q_pvalue")
        table = pd.DataFrame([(name, getattr(self, name)) for name in names],
                             columns=["statistic", "value"]).set_index("statistic")
        table.attrs["model"] = self.describe()
        return table

    def describe(self) -> str:
        """One line naming the model, the estimator, the interval methods and the conventions."""
        if self.method == "FE":
            model = "Common-effect model"
        elif self.tau2_fixed:
            model = "Random-effects model (tau² fixed by the user)"
        else:
            model = f"Random-effects model ({_METHOD_NAMES[self.method]} tau²)"
        text = f"{model}; CI: {_CI_NAMES[self.ci_method]}"
        if self.is_random and self.pi_method != "none":
            text += f"; PI: {_PI_NAMES[self.pi_method]}"
        return text + f"; I² from {'Q' if self.i2_method == 'q' else 'tau²'}; conventions: {self.conventions}"

    def __repr__(self) -> str:
        pct = f"{100 * self.level:g}%"
        stat = "t" if self.ci_method != "z" else "z"
        lines = [f"{self.describe()}, k = {self.k}", ""]
        if self.is_random:
            lines.append(f"tau² = {self.tau2:.4f}" + _ci_text(self.tau2_ci, pct, ".4f") + f"   tau = {self.tau:.4f}")
        lines.append(f"I² = {self.i2:.2f}%" + _ci_text(self.i2_ci, pct, ".2f") + f"   H² = {self.h2:.2f}")
        lines.append(f"Q({self.q_df}) = {self.q:.4f}, p {_p_text(self.q_pvalue)}")
        lines.append("")
        lines.append(f"estimate = {self.estimate:.4f} (se {self.se:.4f}), {stat} = {self.statistic:.4f}, p {_p_text(self.pvalue)}")
        lines.append(f"{pct} CI {self.ci_low:.4f} to {self.ci_high:.4f}")
        if self.pi_low is not None:
            lines.append(f"{pct} prediction interval {self.pi_low:.4f} to {self.pi_high:.4f}")
        lines += [f"Note: {note}" for note in self.notes]
        return "\n".join(lines)


def _ci_text(ci, pct, fmt):
    return "" if ci is None else f" ({pct} CI {ci[0]:{fmt}} to {ci[1]:{fmt}})"


def _p_text(p: float) -> str:
    return "< .0001" if p < 1e-4 else f"= {p:.4f}"


@dataclass(frozen=True)
class _Options:
    method: str
    ci_method: str
    pi_method: str
    i2_method: str
    i2_ci_method: str
    level: float
    conventions: str


def _options(conventions, method, ci_method, pi_method, i2_method, i2_ci_method, level) -> _Options:
    """Resolve each choice: an explicit argument wins, otherwise the convention's default."""
    conv: Convention = get_convention(conventions)
    method = canonical_method(conv.method if method is None else method)
    ci_method = conv.ci_method if ci_method is None else ci_method
    pi_method = conv.pi_method if pi_method is None else pi_method
    if pi_method == "auto":
        pi_method = "z" if ci_method == "z" else "hksj"
    i2_method = conv.i2_method if i2_method is None else i2_method
    i2_ci_method = conv.i2_ci_method if i2_ci_method is None else i2_ci_method
    for value, allowed, name in [(method, METHODS, "method"), (ci_method, CI_METHODS, "ci_method"),
                                 (pi_method, PI_METHODS + ("none",), "pi_method"), (i2_method, I2_METHODS, "i2_method"),
                                 (i2_ci_method, I2_CI_METHODS, "i2_ci_method")]:
        if value not in allowed:
            raise ValueError(f"{name} must be one of {allowed}, got {value!r}")
    if not (np.isscalar(level) and 0 < level < 1):
        raise ValueError(f"level must be a confidence level between 0 and 1 (e.g. 0.95, not 95), got {level!r}")
    return _Options(method, ci_method, pi_method, i2_method, i2_ci_method, level, conv.name)


def _fit_stack(stack, o: _Options, tau2_fixed=None, with_intervals: bool = True):
    return est.fit(stack, o.method, o.ci_method, "z" if o.pi_method == "none" else o.pi_method, o.level,
                   o.i2_method, "q-profile" if o.i2_ci_method == "none" else o.i2_ci_method, tau2_fixed,
                   with_intervals)


def meta_analysis(yi, vi=None, *, method: str | None = None, ci_method: str | None = None, level: float = 0.95,
                  pi_method: str | None = None, labels: Sequence[object] | None = None,
                  conventions: str | Convention = "metafor", i2_method: str | None = None,
                  i2_ci_method: str | None = None, tau2: float | None = None) -> MetaAnalysis:
    """Inverse-variance meta-analysis of effect sizes ``yi`` with sampling variances ``vi``.

    .. math:: \\hat\\mu = \\frac{\\sum_i w_i y_i}{\\sum_i w_i}, \\quad
              w_i = \\frac{1}{v_i + \\hat\\tau^2}, \\quad
              SE(\\hat\\mu) = \\Big(\\sum_i w_i\\Big)^{-1/2}

    ``yi`` and ``vi`` may be given as one effect-size DataFrame with columns
    ``yi`` and ``vi`` (what every function of :mod:`helpers.effect_sizes`
    returns), as metafor's ``rma()`` takes an ``escalc`` object.

    ``method`` is the tau² estimator, as in metafor: ``"FE"`` (common effect,
    tau² = 0; metafor's current name ``"EE"`` is accepted too), ``"DL"``, ``"REML"`` (default, as metafor), ``"ML"``, ``"PM"``,
    ``"HS"``, ``"SJ"``, ``"HE"``, ``"EB"``.

    ``ci_method``: ``"z"`` (Wald, normal quantiles) or ``"hksj"``
    (Hartung-Knapp-Sidik-Jonkman: the SE scaled by :math:`\\sqrt{Q_{gen}/(k-1)}`
    and t(k-1) quantiles, metafor's ``test="knha"``; IntHout et al. 2014 show
    it keeps nominal coverage where Wald does not), or ``"hksj-adhoc"``
    (the scaling floored at 1, never narrower than Wald).

    ``pi_method`` (prediction interval for the true effect in a new study):

    * ``"z"``: :math:`\\hat\\mu \\pm z_{1-\\alpha/2}\\sqrt{SE^2 + \\hat\\tau^2}`
      -- metafor's ``predict()`` after a Wald fit; the default with ``ci_method="z"``.
    * ``"hksj"``: :math:`\\hat\\mu \\pm t_{k-1}\\sqrt{SE_{HK}^2 + \\hat\\tau^2}`
      -- metafor's ``predict()`` after ``test="knha"``; the default with HKSJ.
    * ``"hts"``: :math:`\\hat\\mu \\pm t_{k-2}\\sqrt{SE^2 + \\hat\\tau^2}`
      (Higgins, Thompson & Spiegelhalter 2009), the interval of the Cochrane
      Handbook (10.10.4.3) and RevMan. Its k - 2 df account for estimating
      both mu and tau², so it is wider than the z interval when k is small,
      and undefined for k < 3.

    ``tau2_ci`` and ``i2_ci`` are Q-profile intervals (Viechtbauer 2007):
    the tau² values where the generalised Q equals the chi²(k-1) quantiles.
    ``i2_method="q"`` computes I² from Q as RevMan and meta do, and
    ``i2_ci_method="test-based"`` gives meta's interval on ln H.

    ``conventions`` (``"metafor"``, ``"revman5"`` or ``"meta"``, see
    :mod:`helpers.conventions`) sets the defaults of every argument left as
    None: the estimator (REML, DL, REML), the CI and prediction interval, and
    how I² and its CI are computed. ``tau2`` fixes tau² instead of
    estimating it (metafor's ``rma(tau2=)``), e.g. for a sensitivity analysis.

    ``labels`` name the studies in error messages, tables and plots (a pandas
    index is used when ``yi`` is a Series or frame with one; Series are
    paired by label).

    ML and REML report the global maximum of the (restricted) likelihood:
    every local maximum, and tau² = 0, are compared, and ``notes`` says when
    there was more than one.

    >>> res = meta_analysis([-0.89, -1.59, -1.35, -1.44, -0.22], [0.33, 0.19, 0.42, 0.02, 0.05], method="DL")
    >>> round(res.estimate, 4), round(res.tau2, 4), round(res.i2, 1)
    (-1.0677, 0.4246, 82.4)
    """
    o = _options(conventions, method, ci_method, pi_method, i2_method, i2_ci_method, level)
    method, ci_method, pi_method = o.method, o.ci_method, o.pi_method
    names, y, v = study_inputs(yi, vi, labels)
    k = y.size
    if k == 1 and ci_method != "z":
        raise ValueError("HKSJ needs at least two studies (its t distribution has k - 1 df); use ci_method='z' for k = 1")
    if tau2 is not None and (not np.isfinite(tau2) or tau2 < 0):
        raise ValueError(f"tau2 must be a number >= 0, got {tau2}")
    if tau2 is not None and method == "FE":
        raise ValueError("a fixed tau2 needs a random-effects model: give method='DL' (or any estimator) with it")
    stack = est.Stack(y[None, :], v[None, :], np.ones((1, k), bool))
    r = {key: val[0] for key, val in
         _fit_stack(stack, o, None if tau2 is None else np.array([tau2]), with_intervals=False).items()
         if val is not None}

    notes = []
    if k == 1:
        notes.append("k = 1: the pooled result is the single study's own; "
                     "no heterogeneity (tau², I², Q) can be estimated from one study.")
    if not r["converged"]:
        notes.append(f"the {method} iterations did not converge; treat tau² with caution "
                     "or use a non-iterative estimator (DL, HE, SJ).")
    if r["maxima"] > 1:
        notes.append(f"the {'restricted ' if method == 'REML' else ''}likelihood has {int(r['maxima'])} local maxima "
                     f"in tau² (counting tau² = 0); the kit reports the highest, tau² = {float(r['tau2']):.4g}. "
                     "A search from one starting value (e.g. metafor's Fisher scoring) may stop at another.")
    if ci_method != "z" and r["s2w"] == 0:
        notes.append("all effect sizes are identical, so the HKSJ standard error is 0 (as in metafor); "
                     "the CI collapses to the estimate. Use ci_method='z' or 'hksj-adhoc'.")
    has_tau = method != "FE" and k > 1
    pi = (None, None)
    if has_tau and pi_method != "none" and not (pi_method == "hts" and k < 3):
        pi = (float(r["pi_low"]), float(r["pi_high"]))
    elif has_tau and pi_method == "hts":
        notes.append("the HTS prediction interval needs k >= 3 (t with k - 2 df); not computed.")
    if has_tau and r["q"] < est.chi2_ppf((1 - level) / 2, k - 1):
        notes.append("Q is below its lower chi² quantile: the Q-profile CI for tau² is the null set {0}.")

    return MetaAnalysis(
        method=method, ci_method=ci_method, pi_method=pi_method, level=level, k=k,
        estimate=float(r["estimate"]), se=float(r["se"]), se_wald=float(r["se_wald"]),
        statistic=float(r["statistic"]), df=float(r["df"]), pvalue=float(r["pvalue"]),
        ci_low=float(r["ci_low"]), ci_high=float(r["ci_high"]), tau2=float(r["tau2"]),
        q=float(r["q"]), q_pvalue=float(r["q_pvalue"]), i2=float(r["i2"]), h2=float(r["h2"]),
        pi_low=pi[0], pi_high=pi[1],
        weights=r["weights"].copy(), yi=y, vi=v, labels=tuple(names),
        converged=bool(r["converged"]), notes=tuple(notes), conventions=o.conventions,
        i2_method=o.i2_method, i2_ci_method=o.i2_ci_method, tau2_fixed=tau2 is not None,
    )


@dataclass(frozen=True, repr=False)
class BatchMetaAnalysis:
    """Many meta-analyses fitted at once: every field is an array with one entry per meta-analysis.

    The fields have the names and meanings of :class:`MetaAnalysis`
    (``tau2_ci_low``/``tau2_ci_high`` and ``i2_ci_low``/``i2_ci_high`` for the
    Q-profile intervals). ``to_frame()`` gives them as a DataFrame.
    """

    method: str
    ci_method: str
    pi_method: str
    level: float
    k: np.ndarray
    estimate: np.ndarray
    se: np.ndarray
    statistic: np.ndarray
    pvalue: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    tau2: np.ndarray
    q: np.ndarray
    q_pvalue: np.ndarray
    i2: np.ndarray
    h2: np.ndarray
    pi_low: np.ndarray
    pi_high: np.ndarray
    tau2_ci_low: np.ndarray
    tau2_ci_high: np.ndarray
    i2_ci_low: np.ndarray
    i2_ci_high: np.ndarray
    converged: np.ndarray

    def __len__(self) -> int:
        return self.k.size

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame({name: getattr(self, name) for name in self.__dataclass_fields__
                             if isinstance(getattr(self, name), np.ndarray)})

    def __repr__(self) -> str:
        return (f"<BatchMetaAnalysis: {len(self)} fits, method={self.method}, ci_method={self.ci_method}; "
                f"median tau² {np.median(self.tau2):.4g}; {int((~self.converged).sum())} not converged>")


def meta_analysis_batch(yi, vi, *, method: str | None = None, ci_method: str | None = None, level: float = 0.95,
                        pi_method: str | None = None, conventions: str | Convention = "metafor",
                        i2_method: str | None = None, i2_ci_method: str | None = None,
                        intervals: bool = True) -> BatchMetaAnalysis:
    """Fit n meta-analyses at once from ``(n, k)`` arrays; NaN pads a meta-analysis with fewer studies.

    The same estimators and intervals as :func:`meta_analysis` (whose
    docstring gives the formulas), computed for all rows in vectorised numpy
    with no Python loop over meta-analyses: iterative estimators step all
    rows together and freeze each as it converges. Results equal the single
    fit's (tested). Prediction intervals are NaN where undefined (common
    effect; HTS with k < 3) -- the batch is for simulation, where NaN is the
    honest array value; the single fit returns None and a note instead.
    ``intervals=False`` skips the Q-profile intervals for tau² and I² (two
    root searches, some 40% of the time) and leaves those fields NaN: a
    simulation of the pooled estimate does not need them.

    >>> import numpy as np
    >>> y = np.array([[0.1, 0.3, 0.5], [0.2, -0.1, np.nan]])
    >>> v = np.array([[0.01, 0.02, 0.03], [0.02, 0.02, np.nan]])
    >>> meta_analysis_batch(y, v, method="DL").estimate.round(4)
    array([0.2674, 0.05  ])
    """
    o = _options(conventions, method, ci_method, pi_method, i2_method, i2_ci_method, level)
    method, ci_method, pi_method = o.method, o.ci_method, o.pi_method
    y, v, mask = batch_inputs(yi, vi)
    if ci_method != "z" and (mask.sum(axis=1) < 2).any():
        raise ValueError("HKSJ needs at least two studies in every meta-analysis")
    r = _fit_stack(est.Stack(y, v, mask), o, with_intervals=intervals)
    k = r["k"]
    for key in ("tau2_ci_low", "tau2_ci_high", "i2_ci_low", "i2_ci_high"):
        if r[key] is None:
            r[key] = np.full(k.shape, np.nan)
    undefined = (method == "FE") | (pi_method == "none") | (k < 2) | ((pi_method == "hts") & (k < 3))
    for key in ("pi_low", "pi_high"):
        r[key] = np.where(undefined, np.nan, r[key])
    fields = {name: r[name] for name in BatchMetaAnalysis.__dataclass_fields__ if name in r}
    return BatchMetaAnalysis(method=method, ci_method=ci_method, pi_method=pi_method, level=level, **fields)


def _refit_options(fit: MetaAnalysis) -> _Options:
    return _Options(fit.method, fit.ci_method, fit.pi_method, fit.i2_method, fit.i2_ci_method, fit.level,
                    fit.conventions)


def leave_one_out(fit: MetaAnalysis) -> pd.DataFrame:
    """Refit a meta-analysis k times, each time without one study (metafor's ``leave1out()``).

    Takes the fit and inherits its settings (estimator, CI method, level, a
    fixed tau²), as metafor's model-based tools do. Returns one row per
    omitted study: estimate, se, CI, p, tau², I², Q. A study whose omission
    moves the estimate far, or collapses tau², is influential (Viechtbauer &
    Cheung 2010). All k fits run as one batch.

    >>> loo = leave_one_out(meta_analysis([0.1, 0.3, 0.5, 0.9], [0.01, 0.02, 0.03, 0.02], method="DL"))
    >>> loo["estimate"].round(3).tolist()
    [0.569, 0.493, 0.427, 0.267]
    """
    if not isinstance(fit, MetaAnalysis):
        raise ValueError(f"leave_one_out takes a MetaAnalysis (from meta_analysis), got {type(fit).__name__}")
    k = fit.k
    if k < 2 or (k < 3 and fit.ci_method != "z"):
        raise ValueError(f"leave-one-out needs at least {2 if fit.ci_method == 'z' else 3} studies here")
    keep = ~np.eye(k, dtype=bool)
    ys = fit.yi[None, :].repeat(k, 0)[keep].reshape(k, k - 1)
    vs = fit.vi[None, :].repeat(k, 0)[keep].reshape(k, k - 1)
    o = _refit_options(fit)
    r = _fit_stack(est.Stack(ys, vs, np.ones((k, k - 1), bool)), o,
                   np.full(k, fit.tau2) if fit.tau2_fixed else None, with_intervals=False)
    return pd.DataFrame(
        {"estimate": r["estimate"], "se": r["se"], "ci_low": r["ci_low"], "ci_high": r["ci_high"],
         "pvalue": r["pvalue"], "tau2": r["tau2"], "i2": r["i2"], "q": r["q"]},
        index=pd.Index(fit.labels, name="omitted"),
    )


@dataclass(frozen=True, repr=False)
class SubgroupAnalysis:
    """Per-subgroup fits and the test for subgroup differences.

    ``fits`` maps each subgroup to its :class:`MetaAnalysis`; ``overall`` is
    the fit of all studies together; ``q_between``, ``df``, ``pvalue`` and
    ``i2_between`` are the test for subgroup differences.
    """

    fits: dict
    overall: MetaAnalysis
    q_between: float
    df: int
    pvalue: float
    i2_between: float
    common_tau2: bool = False

    def summary(self) -> pd.DataFrame:
        """One row per subgroup (k, estimate, CI, tau², I²) and one for all studies."""
        rows = {name: fit for name, fit in self.fits.items()} | {"Overall": self.overall}
        table = pd.DataFrame(
            {"k": [f.k for f in rows.values()], "estimate": [f.estimate for f in rows.values()],
             "ci_low": [f.ci_low for f in rows.values()], "ci_high": [f.ci_high for f in rows.values()],
             "tau2": [f.tau2 for f in rows.values()], "i2": [f.i2 for f in rows.values()]},
            index=pd.Index([str(n) for n in rows], name="subgroup"),
        )
        return table

    def __repr__(self) -> str:
        return (f"{self.summary().round(4).to_string()}\n\nTest for subgroup differences: "
                f"Chi² = {self.q_between:.2f}, df = {self.df} (p {_p_text(self.pvalue)}), I² = {self.i2_between:.1f}%")


def subgroup_analysis(yi, vi=None, groups=None, *, method: str | None = None, ci_method: str | None = None,
                      level: float = 0.95, labels: Sequence[object] | None = None,
                      conventions: str | Convention = "metafor", common_tau2: bool | None = None,
                      tau2: float | None = None, between_se: str | None = None) -> SubgroupAnalysis:
    """Meta-analysis within each subgroup, and the test for subgroup differences.

    ``common_tau2=False`` (default; RevMan and meta, Cochrane Handbook
    10.11.3.1) gives each subgroup its own tau²; ``common_tau2=True`` uses one
    tau², the residual heterogeneity of a meta-regression on the subgroup
    factor with the requested estimator (metafor's
    ``rma(mods = ~ factor(g), method = m)``; meta's ``tau.common=TRUE``),
    which borrows strength when subgroups have few studies; with ``"FE"`` it
    is 0. ``tau2`` (a number) fixes tau² in every subgroup instead. The test
    treats the G subgroup estimates as a common-effect meta-analysis of their own:

    .. math:: Q_B = \\sum_g \\frac{(\\hat\\mu_g - \\bar\\mu)^2}{SE_g^2}, \\quad
              \\bar\\mu = \\frac{\\sum_g \\hat\\mu_g / SE_g^2}{\\sum_g 1/SE_g^2}, \\quad
              Q_B \\sim \\chi^2_{G-1}, \\quad I^2_B = \\max(0, (Q_B - (G-1))/Q_B)

    (Borenstein et al. 2009, ch. 19; Borenstein & Higgins 2013, Prev Sci
    14:134); with a common tau² and Wald SEs it equals metafor's QM.
    ``between_se`` says which SE_g enters: ``"wald"`` (RevMan) or
    ``"ci_method"`` (the SE of each subgroup's own CI method, as meta does
    under HKSJ). Few studies per subgroup make the test weak: a
    non-significant Q_B is not evidence that subgroups agree.
    ``yi`` may be an effect-size frame (then ``groups=`` by name).

    >>> sg = subgroup_analysis([0.1, 0.2, 0.6, 0.7], [0.01] * 4, ["a", "a", "b", "b"], method="FE")
    >>> round(sg.q_between, 2), sg.df
    (25.0, 1)
    """
    conv = get_convention(conventions)
    common_tau2 = conv.common_tau2 if common_tau2 is None else common_tau2
    between_se = conv.between_se if between_se is None else between_se
    if not isinstance(common_tau2, (bool, np.bool_)):
        raise ValueError(f"common_tau2 must be True or False, got {common_tau2!r}")
    if between_se not in ("wald", "ci_method"):
        raise ValueError(f"between_se must be 'wald' or 'ci_method', got {between_se!r}")
    if common_tau2 and tau2 is not None:
        raise ValueError("give either common_tau2=True (tau² estimated across subgroups) or a fixed tau2, not both")
    names, y, v = study_inputs(yi, vi, labels)
    if groups is None:
        raise ValueError("groups (one subgroup name per study) is missing")
    groups = np.asarray(groups.reindex(yi.index) if isinstance(groups, pd.Series) and isinstance(yi, (pd.Series, pd.DataFrame))
                        and set(groups.index) == set(yi.index) else groups, dtype=object)
    if groups.shape != y.shape:
        raise ValueError(f"groups has {groups.size} entries but there are {y.size} studies")
    missing = np.flatnonzero(pd.isna(groups))
    if missing.size:
        raise ValueError(f"study {names[missing[0]]!r} (row {missing[0]}): subgroup is missing")
    levels = list(dict.fromkeys(groups.tolist()))
    if len(levels) < 2:
        raise ValueError("subgroup analysis needs at least two subgroups")
    options = dict(method=method, ci_method=ci_method, level=level, conventions=conv)
    resolved = _options(conv, method, None, None, None, None, level).method
    common = tau2
    if common_tau2 and resolved != "FE":
        if y.size < len(levels) + 1:
            raise ValueError(f"a common tau² across {len(levels)} subgroups needs at least {len(levels) + 1} studies")
        indicators = (groups[:, None] == np.array(levels, dtype=object)[None, 1:]).astype(float)
        stack = est.Stack(y[None, :], v[None, :], np.ones((1, y.size), bool), indicators[None, :, :])
        common = float(est.fit(stack, resolved, with_intervals=False)["tau2"][0])
    fits = {}
    for g in levels:
        idx = np.flatnonzero(groups == g)
        single = dict(options, ci_method="z") if idx.size == 1 else options
        fits[g] = meta_analysis(y[idx], v[idx], labels=[names[i] for i in idx], tau2=common, **single)
    ses = [f.se if between_se == "ci_method" else f.se_wald for f in fits.values()]
    between = meta_analysis([f.estimate for f in fits.values()], np.square(ses), method="FE")
    overall = meta_analysis(y, v, labels=names, **options)
    return SubgroupAnalysis(fits=fits, overall=overall, q_between=between.q, df=between.q_df,
                            pvalue=between.q_pvalue, i2_between=between.i2, common_tau2=bool(common_tau2))


def compare_conventions(yi, vi=None, *, conventions=("metafor", "revman5", "meta"),
                        labels: Sequence[object] | None = None, **kwargs) -> pd.DataFrame:
    """One data set analysed under each named convention, side by side (rows: statistics; columns: conventions).

    Extra keyword arguments (e.g. ``ci_method="hksj"``) apply to every
    column. The point is to *see* which choices move which numbers; see
    :mod:`helpers.conventions` for what each convention sets and why.

    >>> table = compare_conventions([0.1, 0.3, 0.5, 0.9], [0.01, 0.02, 0.03, 0.02])
    >>> list(table.columns), table.loc["tau2 estimator"].tolist()
    (['metafor', 'revman5', 'meta'], ['REML', 'DL', 'REML'])
    """
    names, y, v = study_inputs(yi, vi, labels)
    fits = {name: meta_analysis(y, v, labels=names, conventions=name, **kwargs) for name in conventions}
    fmt = lambda pair: "not reported" if pair is None or pair[0] is None else f"{pair[0]:.4f} to {pair[1]:.4f}"  # noqa: E731
    rows = {
        "tau2 estimator": [f.method for f in fits.values()],
        "estimate": [f.estimate for f in fits.values()],
        "CI": [fmt((f.ci_low, f.ci_high)) for f in fits.values()],
        "tau2": [f.tau2 for f in fits.values()],
        "I2 (%)": [f.i2 for f in fits.values()],
        "I2 from": [f.i2_method for f in fits.values()],
        "I2 CI": [fmt(f.i2_ci) for f in fits.values()],
        "prediction interval": [fmt((f.pi_low, f.pi_high)) for f in fits.values()],
        "PI method": [f.pi_method for f in fits.values()],
    }
    return pd.DataFrame(rows, index=list(fits)).T

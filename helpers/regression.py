"""Mixed-effects meta-regression (metafor's ``rma(yi, vi, mods = ~ x1 + factor(x2), method = m)``).

.. math:: y_i = \\beta_0 + \\sum_j \\beta_j x_{ij} + u_i + e_i, \\quad
          u_i \\sim N(0, \\tau^2), \\quad e_i \\sim N(0, v_i)

tau² here is the *residual* heterogeneity, what the moderators leave
unexplained. A thin layer over the one estimation engine
(:mod:`helpers._estimators`): every estimator of :func:`helpers.pooling.meta_analysis`
in metafor's general (matrix) form with
:math:`P = W - W X (X'WX)^{-1} X' W` (Viechtbauer 2005; Raudenbush 2009 in
*The Handbook of Research Synthesis*, ch. 16).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import _estimators as est
from ._estimators import canonical_method
from ._validate import as_arrays, study_inputs

__all__ = ["MetaRegression", "meta_regression", "design_matrix"]

_CI_METHODS = ("z", "hksj", "hksj-adhoc")


@dataclass(frozen=True, repr=False)
class MetaRegression:
    """Coefficients with SE, test and CI (arrays, intercept first); residual tau², QE, QM, R², I², H².

    Names as metafor's ``rma`` object: ``estimate`` (``b``), ``se``,
    ``statistic`` (z, or t under HKSJ), ``pvalue``, ``ci_low``, ``ci_high``
    per coefficient (``coef_names``); ``qe``/``qe_pvalue`` (residual
    heterogeneity, df ``qe_df`` = k - p), ``qm``/``qm_pvalue`` (the
    moderators, df ``qm_df``; an F statistic under HKSJ), ``r2`` (percent),
    ``tau2_ci`` (Q-profile).
    """

    method: str
    ci_method: str
    level: float
    k: int
    coef_names: tuple[str, ...]
    estimate: np.ndarray
    se: np.ndarray
    statistic: np.ndarray
    pvalue: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    tau2: float
    tau2_ci: tuple[float, float] | None
    qe: float
    qe_df: int
    qe_pvalue: float
    qm: float
    qm_df: int
    qm_pvalue: float
    df: float
    i2: float
    h2: float
    r2: float | None
    converged: bool = True
    notes: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()

    @property
    def p(self) -> int:
        return len(self.coef_names)

    def summary(self) -> pd.DataFrame:
        """One row per coefficient; columns named like the attributes."""
        return pd.DataFrame({"estimate": self.estimate, "se": self.se, "statistic": self.statistic,
                             "pvalue": self.pvalue, "ci_low": self.ci_low, "ci_high": self.ci_high},
                            index=pd.Index(self.coef_names, name="coefficient"))

    def __repr__(self) -> str:
        r2 = "" if self.r2 is None else f", R² = {self.r2:.2f}%"
        test = "F" if self.ci_method != "z" else "QM"
        qm_df = f"{self.qm_df}, {self.qe_df}" if self.ci_method != "z" else f"{self.qm_df}"
        lines = [f"Meta-regression ({self.method}{'' if self.ci_method == 'z' else ', HKSJ'}), k = {self.k}",
                 f"residual tau² = {self.tau2:.4f}{r2}, I² = {self.i2:.2f}%",
                 f"QE({self.qe_df}) = {self.qe:.4f}, p = {self.qe_pvalue:.4g}; "
                 f"{test}({qm_df}) = {self.qm:.4f}, p = {self.qm_pvalue:.4g}", "",
                 self.summary().round(4).to_string()]
        return "\n".join(lines + [f"Note: {n}" for n in self.notes])


def _levels(values: pd.Series) -> list:
    if isinstance(values.dtype, pd.CategoricalDtype):
        return [c for c in values.cat.categories if (values == c).any()]
    return sorted(values.unique().tolist(), key=lambda x: (str(type(x)), x))


def design_matrix(mods, k: int, reference: Mapping[str, object] | None = None,
                  labels: Sequence[str] | None = None) -> tuple[np.ndarray, tuple[str, ...]]:
    """Moderator columns (without the intercept) and their names, as R's ``model.matrix`` builds them.

    ``mods``: a 1-D array or Series (one moderator), a dict of named columns,
    a DataFrame, or a 2-D array. Numeric columns enter as they are; text,
    bool and categorical columns get treatment coding (one 0/1 column per
    level but the reference, named ``"col[level]"``), the reference being
    ``reference[col]`` or else the first level (sorted, as R's ``factor()``;
    a pandas Categorical's own order).
    """
    if isinstance(mods, pd.DataFrame):
        frame = mods.reset_index(drop=True)
    elif isinstance(mods, Mapping):
        frame = pd.DataFrame({str(key): (val.to_numpy() if isinstance(val, pd.Series) else val)
                              for key, val in mods.items()})
    elif isinstance(mods, pd.Series):
        frame = pd.DataFrame({str(mods.name) if mods.name is not None else "moderator": mods.to_numpy()})
    else:
        arr = np.asarray(mods, dtype=object)
        if arr.ndim == 1:
            frame = pd.DataFrame({"moderator": arr})
        elif arr.ndim == 2:
            frame = pd.DataFrame({f"x{j + 1}": arr[:, j] for j in range(arr.shape[1])})
        else:
            raise ValueError(f"mods must be one- or two-dimensional, got shape {arr.shape}")
    if len(frame) != k:
        raise ValueError(f"mods has {len(frame)} rows but there are {k} studies")
    if frame.shape[1] == 0:
        raise ValueError("mods has no columns: for a model without moderators use meta_analysis()")
    reference = dict(reference or {})
    unknown = set(reference) - set(frame.columns)
    if unknown:
        raise ValueError(f"reference names {sorted(unknown)}, which are not moderators ({list(frame.columns)})")
    names = [f"#{i + 1}" for i in range(k)] if labels is None else list(labels)
    columns, col_names = [], []
    for name in frame.columns:
        col = frame[name]
        missing = np.flatnonzero(pd.isna(col).to_numpy())
        if missing.size:
            i = missing[0]
            raise ValueError(f"study {names[i]!r} (row {i}): moderator {name!r} is missing")
        categorical = (isinstance(col.dtype, pd.CategoricalDtype) or col.dtype == bool or col.dtype == object
                       or pd.api.types.is_string_dtype(col.dtype))
        if categorical and col.dtype == object:
            try:
                col = pd.Series(as_arrays(names, **{str(name): col.to_numpy()})[1][str(name)])
                categorical = False
            except ValueError:
                pass
        if not categorical:
            columns.append(as_arrays(names, **{str(name): col.to_numpy()})[1][str(name)])
            col_names.append(str(name))
            continue
        levels = _levels(col)
        ref = reference.get(name, levels[0])
        if ref not in levels:
            raise ValueError(f"reference level {ref!r} of {name!r} is not among its levels {levels}")
        for level in levels:
            if level != ref:
                columns.append((col == level).to_numpy(dtype=float))
                col_names.append(f"{name}[{level}]")
    return np.column_stack(columns), tuple(col_names)


def meta_regression(yi, vi=None, *, mods, method: str = "REML", ci_method: str = "z", level: float = 0.95,
                    labels: Sequence[object] | None = None,
                    reference: Mapping[str, object] | None = None) -> MetaRegression:
    """Regress effect sizes on study-level moderators, weighting by 1/(v + tau²).

    .. math:: \\hat\\beta = (X'WX)^{-1}X'Wy, \\quad \\mathrm{Var}(\\hat\\beta) = (X'WX)^{-1}, \\quad
              W = \\mathrm{diag}(1/(v_i + \\hat\\tau^2))

    ``mods``: see :func:`design_matrix` (numeric and categorical columns;
    ``reference={"col": level}`` names a factor's reference level). ``method``:
    any of ``"FE"``/``"EE"``, ``"DL"``, ``"REML"`` (default), ``"ML"``,
    ``"PM"``, ``"HS"``, ``"SJ"``, ``"HE"``, ``"EB"``, in metafor's general
    forms. QE tests residual heterogeneity (chi², k - p df); QM tests all
    moderators (chi², p - 1 df; F(p - 1, k - p) with ``ci_method="hksj"``,
    Knapp & Hartung 2003, metafor's ``test="knha"``). R² is the proportional
    reduction in tau² against the model without moderators (Raudenbush 2009),
    truncated at 0; for FE the weighted adjusted R², as metafor. The model
    matrix must have full rank (judged after centring and scaling, so large
    moderator values are fine).

    >>> fit = meta_regression([0.1, 0.3, 0.4, 0.8], [0.02, 0.02, 0.03, 0.04], mods=[1, 2, 3, 4], method="FE")
    >>> fit.estimate.round(4).tolist()
    [-0.1284, 0.2104]
    """
    method = canonical_method(method)
    if ci_method not in _CI_METHODS:
        raise ValueError(f"ci_method must be one of {_CI_METHODS}, got {ci_method!r}")
    if not (np.isscalar(level) and 0 < level < 1):
        raise ValueError(f"level must be a confidence level between 0 and 1 (e.g. 0.95, not 95), got {level!r}")
    names, y, v = study_inputs(yi, vi, labels)
    k = y.size
    index = yi.index if isinstance(yi, (pd.Series, pd.DataFrame)) else None
    if isinstance(mods, (pd.Series, pd.DataFrame)) and index is not None and not mods.index.equals(index):
        if set(mods.index) != set(index) or len(mods.index) != len(index):
            raise ValueError("mods and the effect sizes have different index labels; give them the same labels")
        mods = mods.reindex(index)
    Z, mod_names = design_matrix(mods, k, reference, names)
    p = Z.shape[1] + 1
    needed = p + (0 if method == "FE" else 1)
    if k < needed:
        raise ValueError(f"{k} studies cannot estimate {p} coefficients" + ("" if method == "FE" else " and tau²"))
    stack = est.Stack(y[None, :], v[None, :], np.ones((1, k), bool), Z[None, :, :])
    if not est.full_rank(est.standardise(stack).s)[0]:
        constant = [n for n, col in zip(mod_names, Z.T) if np.ptp(col) == 0]
        why = (f"{constant[0]} takes one value in every study" if constant
               else "some moderators are (nearly) linear combinations of others")
        raise ValueError(f"model matrix not of full rank: {why}; drop or recode a moderator")
    r = {key: val[0] for key, val in est.fit(stack, method, ci_method, "z", level).items() if val is not None}
    notes = []
    if not r["converged"]:
        notes.append(f"the {method} iterations did not converge; treat tau² with caution.")
    if r["maxima"] > 1:
        notes.append(f"the likelihood has {int(r['maxima'])} local maxima in tau² (counting tau² = 0); "
                     f"the kit reports the highest, tau² = {float(r['tau2']):.4g}.")
    if ci_method != "z" and r["s2w"] == 0:
        notes.append("the model fits the effects exactly, so the HKSJ standard errors are 0 (as in metafor).")
    r2 = float(est.r2(stack, method, np.array([r["tau2"]]))[0])
    tau2_ci = None if method == "FE" else (float(r["tau2_ci_low"]), float(r["tau2_ci_high"]))
    return MetaRegression(
        method=method, ci_method=ci_method, level=level, k=k, coef_names=("intercept",) + mod_names,
        estimate=r["beta"], se=r["beta_se"], statistic=r["beta_statistic"], pvalue=r["beta_pvalue"],
        ci_low=r["beta_ci_low"], ci_high=r["beta_ci_high"], tau2=float(r["tau2"]), tau2_ci=tau2_ci,
        qe=float(r["q"]), qe_df=k - p, qe_pvalue=float(r["q_pvalue"]), qm=float(r["qm"]), qm_df=p - 1,
        qm_pvalue=float(r["qm_pvalue"]), df=float(r["df"]), i2=float(r["i2"]), h2=float(r["h2"]), r2=r2,
        converged=bool(r["converged"]), notes=tuple(notes), labels=tuple(names),
    )


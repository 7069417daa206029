"""Mantel-Haenszel and Peto meta-analysis of 2x2 tables, as metafor's ``rma.mh()`` and ``rma.peto()``.

RevMan's default for a dichotomous outcome is the Mantel-Haenszel (MH)
common-effect method, not inverse-variance pooling: each study's weight comes
from its counts, not from an estimated variance, so small studies with few
events are not thrown about by an unstable variance (Cochrane Handbook v6.4,
10.4.2). Peto's one-step odds ratio (10.4.4.2) is for rare events in trials
with balanced arms and effects that are not large.

Both functions return a :class:`BinaryMetaAnalysis`, re-exported from
:mod:`helpers.pooling`. Results match metafor 3.8-1 to 1e-12 relative (worst 1e-13) on
dat.bcg, dat.yusuf1985 (tables 6 and 9), dat.li2007, dat.nielweise2007,
dat.hine1989 and constructed zero-cell, double-zero, k = 1 and k = 2 cases
(``tests/test_binary.py``, values from ``tests/reference/metafor_binary.R``).

Zero cells and double-zero studies (``conventions``):

* ``"metafor"`` (default; ``rma.mh``/``rma.peto`` defaults ``add = 1/2,
  to = "only0", drop00 = TRUE``): the MH and Peto sums use the counts as
  they are, with no continuity correction (none is needed: Fleiss, in Cooper
  & Hedges 1994) and with double-zero studies kept (they add nothing to an
  RR or OR sum, but their n1 n2 / N counts in an RD's weights). Each study's
  own estimate and variance (for Q and the forest plot) get 0.5 in every
  cell if a cell is 0, and a study with no events (or only events) in both
  arms has none.
* ``"revman5"`` and ``"revman"`` (current RevMan): 0.5 is added to every cell
  of a zero-cell study in the MH sums too, and double-zero studies are
  "Not estimable" and left out of RR and OR analyses (kept for an RD).
  Sources: Cochrane Handbook v5.1, 9.4.4 ("The RevMan software automatically
  adds 0.5 to each cell of the 2x2 table for any such study"); R meta's
  ``metabin()`` (``MH.exact = FALSE``, set by ``settings.meta("RevMan5")``,
  whose source says RevMan does so); Ades et al. (2025), Res Synth Methods
  (letter: current RevMan "by default implements the standard continuity
  correction" in MH analyses, and argue it biases the estimate towards the
  null). The kit could not read RevMan's own algorithm document (Deeks &
  Higgins 2010), so for an RD it follows meta's code: the weighted mean of the
  uncorrected study RDs with corrected MH weights, and the Greenland-Robins
  (1985) variance (metafor uses the Sato-Greenland-Robins 1989 variance).
  meta's help page says the correction enters only the RD's variance; its
  code puts it in the RD's weights too, and the kit follows the code. These
  RevMan rules are checked against metafor run with the same rules
  (``add = c(1/2, 1/2), to = "only0", drop00 = TRUE``) for RR and OR; for
  the RD only term by term, as nothing here runs RevMan or meta.
  The kit found no rule by which current RevMan differs from RevMan 5 here.

Heterogeneity, as metafor reports it for these models: Cochran's Q around
the pooled (MH or Peto) estimate with the inverse-variance weights of the
individual study estimates, :math:`Q = \\sum_i (y_i - \\hat\\theta)^2 / v_i`
on (number of studies with an estimate - 1) df (RevMan does the same: meta's
``Q.Cochrane``); Peto's Q is :math:`\\sum (O_i - E_i)^2/V_i - (\\sum (O_i -
E_i))^2/\\sum V_i`. :math:`I^2 = \\max(0, (Q - df)/Q)`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ._distributions import chi2_sf, norm_sf, z_for_level
from ._validate import as_arrays
from .effect_sizes import log_odds_ratio, log_risk_ratio, risk_difference

__all__ = ["BinaryMetaAnalysis", "mantel_haenszel", "peto", "BINARY_MEASURES", "BINARY_CONVENTIONS"]

BINARY_MEASURES = ("RR", "OR", "RD")


@dataclass(frozen=True)
class _Rules:
    """How a tool treats zero cells (see the module docstring for sources)."""

    name: str
    mh_add: float            # added to every cell of a zero-cell table inside the MH sums
    drop_double_zero: bool   # leave double-zero tables out of RR/OR sums (never out of an RD)
    rd_variance: str         # "sato" (Sato, Greenland & Robins 1989) or "greenland-robins" (1985)
    raw_study_rd: bool       # a study's own RD uncorrected (its variance still corrected)
    peto_study_add: bool     # a study's own Peto estimate with the correction (metafor's escalc)


BINARY_CONVENTIONS = {
    "metafor": _Rules("metafor", 0.0, False, "sato", False, True),
    "revman5": _Rules("revman5", 0.5, True, "greenland-robins", True, False),
    "revman": _Rules("revman", 0.5, True, "greenland-robins", True, False),
}


def _rules(conventions) -> _Rules:
    name = getattr(conventions, "name", conventions)  # a helpers.conventions.Convention, or its name
    if name not in BINARY_CONVENTIONS:
        raise ValueError(f"conventions must be one of {tuple(BINARY_CONVENTIONS)} for Mantel-Haenszel and Peto, "
                         f"got {name!r}")
    return BINARY_CONVENTIONS[name]


@dataclass(frozen=True, repr=False)
class BinaryMetaAnalysis:
    """A Mantel-Haenszel or Peto common-effect meta-analysis of 2x2 tables.

    ``estimate`` is on the analysis scale (log RR, log OR, RD; log OR for
    Peto), as metafor's ``b``; ``se``, ``statistic`` (z), ``pvalue``,
    ``ci_low``, ``ci_high`` go with it (``exp_estimate``, ``exp_ci_low``,
    ``exp_ci_high`` give the ratio scale). ``q`` (on ``q_df`` df),
    ``q_pvalue``, ``i2`` (percent) and ``h2`` describe heterogeneity;
    ``weights`` are the MH (or Peto) weights in percent, 0 for a study
    left out; ``tables`` holds the counts (a, b, c, d) as given. ``k`` counts the studies given, ``k_estimable`` those with a
    study-level estimate (metafor's ``k.yi``); ``yi``/``vi`` are the study
    estimates and variances (NaN where a study has none: RevMan's "Not
    estimable"). ``notes`` says what a reader must know.
    """

    method: str                  # "MH" or "Peto"
    measure: str                 # "RR", "OR", "RD"
    level: float
    k: int
    k_estimable: int
    estimate: float
    se: float
    statistic: float
    pvalue: float
    ci_low: float
    ci_high: float
    q: float
    q_df: int
    q_pvalue: float
    i2: float
    h2: float
    weights: np.ndarray = field(compare=False)
    yi: np.ndarray = field(compare=False)
    vi: np.ndarray = field(compare=False)
    labels: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    conventions: str = "metafor"
    tables: np.ndarray = field(default=None, compare=False)  # k x 4 counts a, b, c, d as given, for bias tests

    # a common-effect model with a Wald z interval: what the forest plot and MetaAnalysis readers ask
    is_random = False
    tau2 = 0.0
    tau2_fixed = False
    ci_method = "z"
    pi_low = None
    pi_high = None

    @property
    def is_ratio(self) -> bool:
        return self.measure in ("RR", "OR")

    @property
    def exp_estimate(self) -> float | None:
        return float(np.exp(self.estimate)) if self.is_ratio else None

    @property
    def exp_ci_low(self) -> float | None:
        return float(np.exp(self.ci_low)) if self.is_ratio else None

    @property
    def exp_ci_high(self) -> float | None:
        return float(np.exp(self.ci_high)) if self.is_ratio else None

    @property
    def revman_method(self) -> str:
        """The method as RevMan's forest plot names it: "M-H" or "Peto"."""
        return "M-H" if self.method == "MH" else "Peto"

    def studies(self) -> pd.DataFrame:
        """Per-study table: yi, vi, se, normal CI at the fit's level, weight (%); NaN where not estimable."""
        se = np.sqrt(self.vi)
        z = z_for_level(self.level)
        return pd.DataFrame(
            {"yi": self.yi, "vi": self.vi, "se": se, "ci_low": self.yi - z * se, "ci_high": self.yi + z * se,
             "weight": self.weights},
            index=pd.Index(self.labels, name="study"),
        )

    def summary(self) -> pd.DataFrame:
        """All statistics in one table (statistic, value); each row is named after the attribute it shows."""
        names = ["k", "k_estimable", "estimate", "se", "statistic", "pvalue", "ci_low", "ci_high"]
        if self.is_ratio:
            names += ["exp_estimate", "exp_ci_low", "exp_ci_high"]
        names += ["q", "q_df", "q_pvalue", "i2", "h2"]
        table = pd.DataFrame({"value": [getattr(self, n) for n in names]},
                             index=pd.Index(names, name="statistic"), dtype=object)
        table.attrs["model"] = self.describe()
        return table

    def describe(self) -> str:
        """One line naming the method, the measure and the zero-cell conventions."""
        what = {"RR": "risk ratio", "OR": "odds ratio", "RD": "risk difference"}[self.measure]
        name = "Mantel-Haenszel" if self.method == "MH" else "Peto"
        return f"{name} common-effect model, {what}; CI: Wald (normal); conventions: {self.conventions}"

    def __repr__(self) -> str:
        pct = f"{100 * self.level:g}%"
        lines = [f"{self.describe()}, k = {self.k}", "",
                 f"I² = {self.i2:.2f}%   H² = {self.h2:.2f}",
                 f"Q({self.q_df}) = {self.q:.4f}, p {_p_text(self.q_pvalue)}", "",
                 f"estimate = {self.estimate:.4f} (se {self.se:.4f}), z = {self.statistic:.4f}, "
                 f"p {_p_text(self.pvalue)}",
                 f"{pct} CI {self.ci_low:.4f} to {self.ci_high:.4f}"]
        if self.is_ratio:
            lines.append(f"{self.measure} = {self.exp_estimate:.4f} ({pct} CI {self.exp_ci_low:.4f} to "
                         f"{self.exp_ci_high:.4f})")
        return "\n".join(lines + [f"Note: {note}" for note in self.notes])


def _p_text(p: float) -> str:
    return "< .0001" if p < 1e-4 else f"= {p:.4f}"


def _tables(events1, n1, events2, n2, labels, add, measure):
    """Validated counts (a, b, c, d) and the zero-cell-corrected study estimates, via helpers.effect_sizes."""
    if not np.isfinite(add) or add < 0:
        raise ValueError(f"add (the continuity correction) must be a number >= 0, got {add}")
    study = {"RR": log_risk_ratio, "OR": log_odds_ratio, "RD": risk_difference}[measure]
    # effect_sizes checks the counts (whole, >= 0, events <= n, n >= 1) and names the study and field
    es = study(events1, n1, events2, n2, add=add, labels=labels, conventions="metafor")
    names, x = as_arrays(labels, events1=events1, n1=n1, events2=events2, n2=n2)
    a, c = x["events1"], x["events2"]
    return names, a, x["n1"] - a, c, x["n2"] - c, es["yi"].to_numpy(), es["vi"].to_numpy()


def _heterogeneity(yi, vi, estimate, ok):
    """metafor's Q around the pooled estimate with inverse-variance weights; I² and H² from Q."""
    k_yi = int(ok.sum())
    if k_yi <= 1:
        return 0.0, 0, 1.0, 0.0, 1.0
    q = max(0.0, float(np.sum((yi[ok] - estimate) ** 2 / vi[ok])))
    df = k_yi - 1
    return q, df, float(chi2_sf(q, df)), _i2(q, df), q / df


def _i2(q, df):
    return 0.0 if q <= df else 100.0 * (q - df) / q


def _result(method, measure, level, names, estimate, se, q, weights, yi, vi, notes, rules, tables) -> BinaryMetaAnalysis:
    q, df, q_p, i2, h2 = q
    z = z_for_level(level)
    stat = estimate / se
    return BinaryMetaAnalysis(
        method=method, measure=measure, level=level, k=len(names), k_estimable=int(np.isfinite(yi).sum()),
        estimate=float(estimate), se=float(se), statistic=float(stat), pvalue=float(2 * norm_sf(abs(stat))),
        ci_low=float(estimate - z * se), ci_high=float(estimate + z * se), q=q, q_df=df, q_pvalue=q_p, i2=i2,
        h2=h2, weights=100 * weights / weights.sum(), yi=yi, vi=vi, labels=tuple(names), notes=tuple(notes),
        conventions=rules.name, tables=np.column_stack(tables),
    )


def _listed(names, mask, limit=4):
    shown = [names[i] for i in np.flatnonzero(mask)]
    return ", ".join(shown[:limit]) + (f" and {len(shown) - limit} more" if len(shown) > limit else "")


def mantel_haenszel(events1, n1, events2, n2, *, measure: str = "RR", labels: Sequence[object] | None = None,
                    level: float = 0.95, conventions: str = "metafor", add: float = 0.5) -> BinaryMetaAnalysis:
    """Mantel-Haenszel common-effect meta-analysis of 2x2 tables (metafor's ``rma.mh()``; RevMan's "M-H, Fixed").

    Study i has ``events1`` of ``n1`` in group 1 (the intervention) and
    ``events2`` of ``n2`` in group 2: cells :math:`a, b = n_1 - a, c, d = n_2
    - c`, :math:`N = n_1 + n_2`.

    * RR: :math:`\\hat\\theta = \\ln(R/S)`, :math:`R = \\sum a n_2/N`,
      :math:`S = \\sum c n_1/N`, variance (Greenland & Robins 1985)
      :math:`\\sum (n_1 n_2 (a + c)/N^2 - a c/N) / (R S)`.
    * OR: :math:`R = \\sum a d/N`, :math:`S = \\sum b c/N`, variance
      (Robins, Breslow & Greenland 1986) with :math:`P = (a + d)/N`,
      :math:`Q = (b + c)/N`: :math:`\\tfrac12[\\sum P_i R_i/R^2 + \\sum (P_i
      S_i + Q_i R_i)/(R S) + \\sum Q_i S_i/S^2]`.
    * RD: :math:`\\hat\\theta = \\sum w_i (a/n_1 - c/n_2) / \\sum w_i`,
      :math:`w_i = n_1 n_2/N`; variance as metafor (Sato, Greenland & Robins
      1989, Biometrics 45:1323), or under RevMan's conventions Greenland &
      Robins (1985): :math:`\\sum (a b n_2^3 + c d n_1^3)/(n_1 n_2 N^2) /
      (\\sum w_i)^2`.

    Weights (percent) are the study terms of the denominator S (RR, OR) or
    :math:`w_i` (RD), as metafor's ``weights()`` and RevMan. Q, I² and the
    zero-cell rules (``conventions``, ``add``: the correction for each
    study's own estimate) are in :mod:`helpers._binary`'s docstring. A CI is
    :math:`\\hat\\theta \\pm z_{1-\\alpha/2} SE`; for RR and OR exponentiate.

    References: Mantel & Haenszel (1959), JNCI 22:719; Greenland & Robins
    (1985), Biometrics 41:55; Robins, Breslow & Greenland (1986), Biometrics
    42:311; Cochrane Handbook (v6.4) 10.4.2; Deeks, Altman & Bradburn (2001),
    in *Systematic Reviews in Health Care*, ch. 15.

    >>> res = mantel_haenszel([4, 6, 3], [123, 306, 231], [11, 29, 11], [139, 303, 220], measure="RR")
    >>> round(res.exp_estimate, 4), round(res.i2, 2), res.k
    (0.259, 0.0, 3)
    """
    if measure not in BINARY_MEASURES:
        raise ValueError(f"measure must be one of {BINARY_MEASURES}, got {measure!r}")
    z_for_level(level)
    rules = _rules(conventions)
    names, a, b, c, d, yi, vi = _tables(events1, n1, events2, n2, labels, add, measure)
    none_both = (a == 0) & (c == 0)
    all_both = (b == 0) & (d == 0)
    notes = []

    # study-level estimates (for Q and the forest plot)
    if rules.drop_double_zero:
        # RevMan (as meta's metabin): an RR needs an event somewhere, an OR also a non-event; an RD keeps all
        drop = {"RR": none_both, "OR": none_both | all_both, "RD": np.zeros(a.size, bool)}[measure]
        study_out = drop
    else:
        drop = np.zeros(a.size, bool)
        study_out = none_both | all_both   # metafor's escalc(drop00 = TRUE), for every measure
    if measure == "RD" and rules.raw_study_rd:
        yi = a / (a + b) - c / (c + d)
    yi, vi = np.where(study_out, np.nan, yi), np.where(study_out, np.nan, vi)
    if study_out.all():
        raise ValueError("no study has an event in one arm and not the other: every study is double-zero "
                         "(no events, or only events, in both arms), so no effect can be estimated")

    # the Mantel-Haenszel sums
    zero = ((a == 0) | (b == 0) | (c == 0) | (d == 0)) & ~drop
    inc = np.where(zero, rules.mh_add, 0.0)
    A, B, C, D = (np.where(drop, 0.0, x + inc) for x in (a, b, c, d))
    m1, m2 = A + B, C + D
    N = np.where(drop, 1.0, m1 + m2)   # dropped tables have all-zero cells; N = 1 keeps 0/N finite
    if measure == "RR":
        R, S = A * m2 / N, C * m1 / N
        if R.sum() == 0 or S.sum() == 0:
            arm = 1 if R.sum() == 0 else 2
            raise ValueError(f"no study has an event in group {arm}: the Mantel-Haenszel risk ratio is "
                             "undefined (0 or infinite); report the counts, or use measure='RD'")
        estimate = np.log(R.sum() / S.sum())
        var = np.sum(m1 * m2 * (A + C) / N**2 - A * C / N) / (R.sum() * S.sum())
        weights = S
    elif measure == "OR":
        R, S = A * D / N, B * C / N
        if R.sum() == 0 or S.sum() == 0:
            raise ValueError("the Mantel-Haenszel odds ratio is undefined (0 or infinite): no study has both an "
                             "event in one group and a non-event in the other in the needed direction; "
                             "report the counts, or use measure='RD'")
        P, Q = (A + D) / N, (B + C) / N
        r, s = R.sum(), S.sum()
        estimate = np.log(r / s)
        var = 0.5 * (np.sum(P * R) / r**2 + np.sum(P * S + Q * R) / (r * s) + np.sum(Q * S) / s**2)
        weights = S
    else:
        w = m1 * m2 / N
        rd = a / (a + b) - c / (c + d) if rules.raw_study_rd else A / m1 - C / m2
        estimate = np.sum(w * rd) / w.sum()
        if rules.rd_variance == "sato":
            var = (estimate * np.sum(C * (m1 / N) ** 2 - A * (m2 / N) ** 2 + (m1 / N) * (m2 / N) * (m2 - m1) / 2)
                   + np.sum(A * (m2 - C) / N + C * (m1 - A) / N) / 2) / w.sum() ** 2
        else:
            var = np.sum((A * B * m2**3 + C * D * m1**3) / (m1 * m2 * N**2)) / w.sum() ** 2
        weights = w
    if not var > 0:
        raise ValueError(f"the variance of the Mantel-Haenszel {measure} is 0: every arm has a risk of 0 or 1, "
                         "so there is no sampling variation to make a CI from")

    if (none_both | all_both).any():
        listed = _listed(names, none_both | all_both)
        where = ("left out of the Mantel-Haenszel sums, as RevMan does" if drop.any() else
                 "kept in the Mantel-Haenszel sums (they add nothing to an RR or OR; in an RD they add weight)")
        notes.append(f"no events (or only events) in both arms: {listed}. No study-level estimate "
                     f"(\"Not estimable\"); {where}.")
    corrected = ((a == 0) | (b == 0) | (c == 0) | (d == 0)) & ~study_out
    if corrected.any():
        inside = (f"and in the Mantel-Haenszel sums ({rules.name})" if rules.mh_add else
                  "not in the Mantel-Haenszel sums, which use the counts as they are (metafor)")
        notes.append(f"a zero cell in {_listed(names, corrected)}: {add:g} added to each cell for the study's "
                     f"own estimate and variance, {inside}.")
    q = _heterogeneity(yi, vi, estimate, np.isfinite(yi))
    if q[1] == 0:
        notes.append("only one study has an estimate of its own: no heterogeneity (Q, I²) can be assessed.")
    return _result("MH", measure, level, names, estimate, np.sqrt(var), q, weights, yi, vi, notes, rules, (a, b, c, d))


def peto(events1, n1, events2, n2, *, labels: Sequence[object] | None = None, level: float = 0.95,
         conventions: str = "metafor", add: float = 0.5) -> BinaryMetaAnalysis:
    """Peto's one-step odds ratio (metafor's ``rma.peto()``; RevMan's "Peto, Fixed").

    With :math:`O_i = a`, :math:`E_i = n_1 (a + c)/N` and the hypergeometric
    variance :math:`V_i = n_1 n_2 (a + c)(b + d) / (N^2 (N - 1))`:

    .. math:: \\ln \\widehat{OR} = \\frac{\\sum (O_i - E_i)}{\\sum V_i}, \\quad
              SE = \\Big(\\sum V_i\\Big)^{-1/2}, \\quad
              Q = \\sum \\frac{(O_i - E_i)^2}{V_i} - \\frac{(\\sum (O_i - E_i))^2}{\\sum V_i}

    on (studies with :math:`V_i > 0`) - 1 df; weights are :math:`V_i`. No
    continuity correction enters the pooled result. Each study's own
    estimate :math:`(O_i - E_i)/V_i` (variance :math:`1/V_i`) is what
    metafor's ``escalc(measure="PETO")`` gives: with ``add`` in every cell of
    a zero-cell study under ``conventions="metafor"``, uncorrected under
    RevMan's; double-zero studies have none.

    The method is biased when arms are unbalanced or effects large; use it
    for rare events with balanced arms (Cochrane Handbook v6.4, 10.4.4.2;
    Bradburn et al. 2007, Stat Med 26:53). Reference: Yusuf et al. (1985),
    Prog Cardiovasc Dis 27:335.

    >>> res = peto([4, 6, 3], [123, 306, 231], [11, 29, 11], [139, 303, 220])
    >>> round(res.exp_estimate, 4), res.q_df
    (0.2902, 2)
    """
    z_for_level(level)
    rules = _rules(conventions)
    names, a, b, c, d, _, _ = _tables(events1, n1, events2, n2, labels, add, "OR")
    m1, m2 = a + b, c + d
    N = m1 + m2
    E = m1 * (a + c) / N
    V = m1 * m2 * (a + c) * (b + d) / (N**2 * (N - 1))
    if V.sum() == 0:
        raise ValueError("Peto's method cannot be used: one of the two outcomes never occurred in any study")
    estimate = np.sum(a - E) / V.sum()
    informative = V > 0
    if rules.peto_study_add:
        inc = np.where((a == 0) | (b == 0) | (c == 0) | (d == 0), add, 0.0)
        A, B, C, D = a + inc, b + inc, c + inc, d + inc
        Nc = A + B + C + D
        Vc = (A + B) * (C + D) * (A + C) * (B + D) / (Nc**2 * (Nc - 1))
        yi, vi = (A - (A + B) * (A + C) / Nc) / Vc, 1 / Vc
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            yi, vi = (a - E) / V, 1 / V
    yi = np.where(informative, yi, np.nan)
    vi = np.where(informative, vi, np.nan)
    k_yi = int(informative.sum())
    if k_yi > 1:
        q = max(0.0, float(np.sum((a - E)[informative] ** 2 / V[informative]) - np.sum(a - E) ** 2 / V.sum()))
        q_stats = (q, k_yi - 1, float(chi2_sf(q, k_yi - 1)), _i2(q, k_yi - 1), q / (k_yi - 1))
    else:
        q_stats = (0.0, 0, 1.0, 0.0, 1.0)
    notes = []
    if (~informative).any():
        notes.append(f"no events (or only events) in both arms: {_listed(names, ~informative)}. Such a study has "
                     "V = 0: no estimate of its own and no weight (\"Not estimable\").")
    if k_yi <= 1:
        notes.append("only one study has an estimate of its own: no heterogeneity (Q, I²) can be assessed.")
    return _result("Peto", "OR", level, names, estimate, np.sqrt(1 / V.sum()), q_stats, V, yi, vi, notes, rules,
                   (a, b, c, d))

"""Replication checks: what the kit can recompute from each published result, and a verdict.

Most of the seed reviews' study-level data are not in any public text (forest
plots are images, full texts paywalled), so the first depth of replication
works from the printed pooled result alone, in the spirit of statcheck
(Nuijten et al. 2016, Behav Res Methods 48:1205) and GRIM (Brown & Heathers
2017): recompute what the printed numbers imply and flag what cannot be true.

* SE from the CI: :math:`SE = (\\text{upper} - \\text{lower}) / (2 \\cdot 1.96)`
  (on the log scale for ratios; Cochrane Handbook 6.3.1);
* z and the two-sided p from the estimate and that SE, against a printed p;
* symmetry of the CI about the estimate (a Wald CI on the analysis scale is symmetric);
* I² from Q and its df, :math:`I^2 = \\max(0, (Q - df)/Q)` (Higgins & Thompson
  2002), against the printed I², and the p value of Q against a printed one;
  and, as information, the test-based CI of I² from Q and k.

Every check allows for rounding: each printed number stands for an interval
(0.18 means 0.175 to 0.185), and a check fails only if no values inside the
intervals agree. Run ``python3 kit.py replicate`` for the whole table.

The second depth works from trials: the Metapsy peer-support data
(:func:`helpers.data.load_peer_support_trials`) hold post-test means and SDs
for 28 RCTs. :func:`pool_peer_support` pools them by outcome and format,
:func:`study_level_table` re-pools the candidate trials of each published
result that shares an outcome with them and says how far the result lands,
and :func:`lyons_subset_search` searches every subset of the group trials for
Lyons 2021's recovery result.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .data import (DATA, effect_sizes_from_extraction, load_peer_support_trials, load_published, printed_decimals,
                   validate_extraction)
from .pooling import i2_test_based_ci, meta_analysis, subgroup_analysis
from ._distributions import chi2_sf, norm_isf, norm_sf

__all__ = ["Check", "check_result", "replication_table", "main", "peer_support_effects", "pool_peer_support",
           "format_difference", "lyons_subset_search", "STUDY_LEVEL", "study_level_table", "analyse_extraction",
           "one_row_per_trial", "favour_positive", "oriented_results"]

Z95 = norm_isf(0.025)
RATIO_MEASURES = ("RR", "OR", "HR")
BASELINE = DATA / "replication_baseline.csv"


@dataclass(frozen=True)
class Check:
    """One check of one published result: what was printed, what it implies, and whether they agree."""

    name: str
    printed: str
    recomputed: str
    consistent: bool | None  # None: not checkable (something it needs was not printed)
    gap: float = 0.0         # how far outside the rounding interval (0 when consistent)
    note: str = ""


def _half_unit(decimals: int) -> float:
    return 0.5 * 10.0**-decimals


def _interval_gap(lo: float, hi: float, target_lo: float, target_hi: float) -> float:
    """Distance between two intervals (0 if they overlap)."""
    return max(0.0, target_lo - hi, lo - target_hi)


def check_result(row: pd.Series) -> list[Check]:
    """All summary-level checks that one published result allows (see the module docstring).

    >>> row = load_published().query("review == 'lloydevans2014' and outcome == 'hope'").iloc[0]
    >>> [(c.name, c.consistent) for c in check_result(row)]
    [('SE from CI', None), ('CI symmetric', True), ('p from z', None), ('I² from Q', True), ('I² CI from Q', None), ('p of Q', True)]
    """
    checks: list[Check] = []
    if row["status"] != "reported":
        return checks
    h = _half_unit(int(row["decimals"]))
    ratio = str(row["measure"]).split()[0] in RATIO_MEASURES
    # each printed number stands for an interval; ratios are analysed on the log scale, so their
    # intervals are mapped there: ln(x - h) to ln(x + h)
    scale = np.log if ratio else (lambda x: x)
    (e_lo, e_hi), (l_lo, l_hi), (u_lo, u_hi) = [(scale(x - h), scale(x + h)) for x in
                                                  (row["estimate"], row["ci_low"], row["ci_high"])]
    est, lo, hi = scale(row["estimate"]), scale(row["ci_low"]), scale(row["ci_high"])
    se, se_lo, se_hi = (hi - lo) / (2 * Z95), max(u_lo - l_hi, 0.0) / (2 * Z95), (u_hi - l_lo) / (2 * Z95)
    checks.append(Check("SE from CI", f"CI {row['ci_low_text']} to {row['ci_high_text']}",
                        f"SE {se:.4f} (rounding allows {se_lo:.4f} to {se_hi:.4f})", None,
                        note="derived, not a check: every later check uses it"))

    # a Wald CI is symmetric: the estimate is the midpoint of its limits, for some values the rounding allows
    gap = _interval_gap(e_lo, e_hi, (l_lo + u_lo) / 2, (l_hi + u_hi) / 2)
    checks.append(Check("CI symmetric", f"{row['estimate_text']} [{row['ci_low_text']}, {row['ci_high_text']}]",
                        f"midpoint of the limits {(lo + hi) / 2:.4f} vs estimate {est:.4f}", bool(gap == 0), gap=gap,
                        note="on the log scale" if ratio else ""))

    abs_lo = 0.0 if e_lo <= 0 <= e_hi else min(abs(e_lo), abs(e_hi))
    abs_hi = max(abs(e_lo), abs(e_hi))
    z_abs_hi = abs_hi / se_lo if se_lo > 0 else np.inf
    z_abs_lo = abs_lo / se_hi
    p_lo, p_hi = 2 * norm_sf(z_abs_hi), 2 * norm_sf(z_abs_lo)
    p_text = str(row["p_text"]).strip()
    if p_text:
        ph = _half_unit(printed_decimals(p_text))
        if p_text.startswith("<"):
            printed_lo, printed_hi = 0.0, row["p"]
        else:
            printed_lo, printed_hi = row["p"] - ph, row["p"] + ph
        gap = _interval_gap(p_lo, p_hi, printed_lo, printed_hi)
        checks.append(Check("p from z", f"p {p_text}", f"p {2 * norm_sf(abs(est) / se):.4f} "
                            f"(rounding allows {p_lo:.4f} to {p_hi:.4f})", bool(gap == 0), gap=gap))
    else:
        checks.append(Check("p from z", "not printed", f"p {2 * norm_sf(abs(est) / se):.4f}", None))

    q, df = row["q"], row["q_df"]
    if not np.isnan(q) and not np.isnan(df) and df > 0:
        hq = _half_unit(printed_decimals(row["q_text"]))
        i2 = lambda qq: 100 * max(0.0, (qq - df) / qq) if qq > 0 else 0.0  # noqa: E731
        i2_lo, i2_hi = i2(max(q - hq, 0.0)), i2(q + hq)
        if not np.isnan(row["i2_percent"]):
            hi2 = _half_unit(printed_decimals(row["i2_percent_text"]))
            gap = _interval_gap(i2_lo, i2_hi, row["i2_percent"] - hi2, row["i2_percent"] + hi2)
            checks.append(Check("I² from Q", f"I² = {row['i2_percent_text']}%, Q = {row['q_text']}, df = {df:g}",
                                f"I² {i2(q):.1f}% (rounding allows {i2_lo:.1f} to {i2_hi:.1f})", bool(gap == 0), gap=gap))
        if df >= 2:
            lo_i2, hi_i2 = i2_test_based_ci(q, df + 1)
            checks.append(Check("I² CI from Q", f"I² = {row['i2_percent_text'] or '?'}%",
                                f"95% CI {float(lo_i2):.0f}% to {float(hi_i2):.0f}% (test-based, from Q and k)", None,
                                note="information, not a check: how little a few studies say about I²"))
        if not np.isnan(row["q_p"]):
            qp_lo, qp_hi = chi2_sf(q + hq, df), chi2_sf(max(q - hq, 0.0), df)
            hp = _half_unit(printed_decimals(row["q_p_text"]))
            gap = _interval_gap(qp_lo, qp_hi, row["q_p"] - hp, row["q_p"] + hp)
            checks.append(Check("p of Q", f"p = {row['q_p_text']}", f"p {chi2_sf(q, df):.4f}", bool(gap == 0), gap=gap))
    return checks


def _verdict(row: pd.Series, checks: list[Check]) -> tuple[str, float]:
    if row["status"] != "reported":
        return "not reproducible: data missing", np.nan
    failed = [c for c in checks if c.consistent is False]
    if failed:
        worst = max(failed, key=lambda c: c.gap)
        return f"differs: {worst.name} off by {worst.gap:.3g} beyond rounding", worst.gap
    return "consistent (summary level)", 0.0


def replication_table(published: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every published result, what the kit recomputed from it, and a verdict.

    Verdicts: ``consistent (summary level)`` (every check the printed numbers
    allow passes), ``differs: ...`` (a check fails beyond rounding; the
    difference is given), ``not reproducible: data missing`` (the numbers
    were not found in public text). ``study_level`` says whether the kit
    re-pools candidate trials for the result (:func:`study_level_table`).
    """
    published = load_published() if published is None else published
    rows = []
    for i, r in published.iterrows():
        checks = check_result(r)
        verdict, gap = _verdict(r, checks)
        printed = (f"{r['measure']} {r['estimate_text']} [{r['ci_low_text']}, {r['ci_high_text']}]"
                   if r["status"] == "reported" else f"{r['status']}")
        recomputed = "; ".join(f"{c.name}: {c.recomputed}" for c in checks if c.consistent is not None and c.name != "SE from CI")
        se = next((c.recomputed.split()[1] for c in checks if c.name == "SE from CI"), "")
        rows.append({"id": i, "review": r["review"], "comparison": r["comparison"], "outcome": r["outcome"],
                     "timepoint": r["timepoint"],
                     "printed": printed, "se_from_ci": se, "checks_passed": sum(c.consistent is True for c in checks),
                     "checks_failed": sum(c.consistent is False for c in checks), "recomputed": recomputed,
                     "difference": gap, "verdict": verdict,
                     "study_level": ("candidates re-pooled (study_level_table)"
                                     if (r["review"], r["outcome"], r["timepoint"]) in _study_level_keys() else "not found"),
                     "source": f"{r['source_location']} ({r['read_from']})"})
    return pd.DataFrame(rows).set_index("id")


def favour_positive(row: pd.Series) -> tuple[float, float, float]:
    """A printed result's estimate and CI turned so that a positive value favours peer support.

    Where the review's own orientation (``favours_peer_support``) is
    "negative", the estimate is negated *and* the limits swap: (-est,
    -upper, -lower). An SMD or MD changes sign with the direction of the
    comparison (Cochrane Handbook 6.5.1.2); ratios would need the log scale.
    """
    if row["favours_peer_support"] == "negative":
        return -row["estimate"], -row["ci_high"], -row["ci_low"]
    return row["estimate"], row["ci_low"], row["ci_high"]


def oriented_results(picks, published: pd.DataFrame | None = None) -> pd.DataFrame:
    """Printed results from several reviews on one orientation (positive favours peer support), one row per pick.

    ``picks`` holds ``(kind, label, review, outcome, comparison_contains)``
    tuples: ``kind`` and ``label`` are the caller's names for the row, and the
    row of :func:`helpers.data.load_published` is the one whose review and
    outcome match and whose comparison contains the last string. Columns: the
    two names, ``outcome`` ("recovery" for any recovery outcome), ``measure``,
    ``k``, ``n``, ``I² (%)``, ``as printed``, the printed orientation, and
    ``estimate (> 0 favours peer support), low, high`` (:func:`favour_positive`).
    """
    published = load_published() if published is None else published
    rows = []
    for kind, label, review, outcome, marker in picks:
        match = published[(published.review == review) & (published.outcome == outcome)
                          & published.comparison.str.contains(marker, regex=False)]
        if len(match) != 1:
            raise ValueError(f"{review} / {outcome} / {marker!r}: {len(match)} published rows match, expected 1")
        r = match.iloc[0]
        e, lo, hi = favour_positive(r)
        rows.append({"kind": kind, "source": label, "outcome": "recovery" if "recovery" in outcome else outcome,
                     "measure": "MD (raw scale not read)" if r.measure.startswith("MD") else r.measure,
                     "k": int(r.k), "n": int(r.n), "I² (%)": r.i2_percent,
                     "as printed": f"{r.estimate_text} [{r.ci_low_text}, {r.ci_high_text}]",
                     "printed sign favouring peer support": r.favours_peer_support,
                     "estimate (> 0 favours peer support)": e, "low": lo, "high": hi})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- depth 2: from the trials

#: which rows enter: "source" = every row with the file's .g; "kit" = every row, the kit's g from the means where
#: there are means; "trusted" = the kit's g, without rows whose effect is flagged (PEER_SUPPORT_EFFECT_FLAGS)
ROW_SETS = ("source", "kit", "trusted")
OUTCOMES = ("personal recovery", "clinical recovery", "functional recovery")


def peer_support_effects(trials: pd.DataFrame | None = None, *, rows: str = "kit") -> pd.DataFrame:
    """The rows one analysis pools, with ``yi``, ``vi`` (positive favours peer support) and a ``label``.

    ``rows`` is one of :data:`ROW_SETS`. Labels name study and scale
    ("Cook, 2012a: RAS"; the instrument where a trial has two rows in an
    outcome), with " †" where the row's effect is flagged.
    """
    if rows not in ROW_SETS:
        raise ValueError(f"rows must be one of {ROW_SETS}, got {rows!r}")
    df = load_peer_support_trials() if trials is None else trials
    df = df.copy()
    if rows == "source":
        df["yi"], df["vi"] = df.g_source, df.g_se_source**2
    elif rows == "trusted":
        df = df[~df.effect_flagged]
    repeated = df["flags"].str.contains("repeated_study")
    df["label"] = (df.study + ": " + df.scale.where(~repeated, df.instrument)
                   + np.where(df.effect_flagged, " †", ""))
    df["n"] = df.n_1 + df.n_2
    return df


def _fit_row(fit, n) -> dict:
    return {"k": fit.k, "n": n, "estimate": fit.estimate, "se": fit.se, "ci_low": fit.ci_low,
            "ci_high": fit.ci_high, "pvalue": fit.pvalue, "tau2": fit.tau2, "i2": fit.i2, "q": fit.q}


def pool_peer_support(trials: pd.DataFrame | None = None, *, rows: str = "kit", method: str = "REML") -> pd.DataFrame:
    """Random-effects pooling of the peer-support trials by outcome category and format.

    One row per outcome x format ("all formats", "group", "individual"; a
    format with fewer than 2 rows is left out), columns ``k, n`` (sum of the
    arms' n; NaN where a row gives none), ``estimate, se, ci_low, ci_high,
    pvalue, tau2, i2, q``: :func:`helpers.pooling.meta_analysis` with
    ``method`` (metafor's ``rma(yi, vi, method=...)``). Hedges g, positive
    favours peer support. Checked against metafor in tests/reference/metafor_peer_support.json.
    """
    df = peer_support_effects(trials, rows=rows)
    out = []
    for outcome in OUTCOMES:
        block = df[df.outcome_category == outcome]
        for fmt in ("all formats", "group", "individual"):
            part = block if fmt == "all formats" else block[block.format == fmt]
            if len(part) < 2:
                continue
            fit = meta_analysis(part.yi.to_numpy(), part.vi.to_numpy(), method=method, labels=part.label.tolist())
            out.append({"rows": rows, "outcome": outcome, "format": fmt, **_fit_row(fit, part.n.sum(min_count=len(part)))})
    return pd.DataFrame(out)


def format_difference(trials: pd.DataFrame | None = None, *, rows: str = "kit", method: str = "REML") -> pd.DataFrame:
    """One-to-one (``individual``) versus group: the test for subgroup differences, per outcome.

    Separate tau² per subgroup and Wald SEs (RevMan's test; Cochrane Handbook
    10.11.3.1; Borenstein et al. 2009 ch. 19): :math:`Q_B` on 1 df. Rows of
    ``mixed`` format are left out (one trial).
    """
    df = peer_support_effects(trials, rows=rows)
    out = []
    for outcome in OUTCOMES:
        part = df[(df.outcome_category == outcome) & df.format.isin(["group", "individual"])]
        sg = subgroup_analysis(part.yi.to_numpy(), part.vi.to_numpy(), part.format.to_numpy(), method=method,
                               labels=part.label.tolist())
        g, i = sg.fits["group"], sg.fits["individual"]
        out.append({"rows": rows, "outcome": outcome, "group": g.estimate, "k_group": g.k, "individual": i.estimate,
                    "k_individual": i.k, "q_between": sg.q_between, "df": sg.df, "pvalue": sg.pvalue,
                    "i2_between": sg.i2_between})
    return pd.DataFrame(out)


def _distance(est, lo, hi, printed: pd.Series, flip: float) -> float:
    """How far (est, lo, hi) lands from a printed result beyond its rounding (0 if within it), on the kit's sign."""
    h = _half_unit(int(printed["decimals"]))
    target = np.array([printed["estimate"], printed["ci_low"], printed["ci_high"]]) * flip
    if flip < 0:
        target = target[[0, 2, 1]]
    return float(np.max(np.maximum(np.abs(np.array([est, lo, hi]) - target) - h, 0.0)))


def lyons_subset_search(trials: pd.DataFrame | None = None, *, size: int = 5, method: str = "DL") -> pd.DataFrame:
    """Every subset of ``size`` group trials (personal recovery) against Lyons 2021's recovery result.

    Lyons et al. 2021 printed SMD 0.18 (0.07, 0.29), k = 5, N = 1265,
    chi² = 4.01 (read via Cooper et al. 2024, Table 3). Each subset is pooled
    with ``method`` (DL: RevMan's random-effects model; with I² = 0 it equals
    the common-effect model). Columns: ``studies``, ``k``, ``n``,
    ``estimate, ci_low, ci_high, q``, ``distance`` (the largest miss of
    estimate and CI limits beyond the printed rounding), ``n_off`` and
    ``q_off``; sorted by distance then by N. A subset reproduces the result
    only if all three are (about) 0.
    """
    from itertools import combinations

    published = load_published()
    target = published[(published.review == "lyons2021") & (published.outcome == "recovery")].iloc[0]
    df = peer_support_effects(trials, rows="kit")
    pool = df[(df.format == "group") & (df.outcome_category == "personal recovery")].reset_index(drop=True)
    out = []
    for idx in combinations(range(len(pool)), size):
        part = pool.iloc[list(idx)]
        fit = meta_analysis(part.yi.to_numpy(), part.vi.to_numpy(), method=method)
        n = int(part.n.sum())
        out.append({"studies": "; ".join(part.study), "source_rows": ",".join(map(str, part.source_row)),
                    "k": fit.k, "n": n, "estimate": fit.estimate,
                    "ci_low": fit.ci_low, "ci_high": fit.ci_high, "q": fit.q,
                    "distance": _distance(fit.estimate, fit.ci_low, fit.ci_high, target, 1.0),
                    "n_off": n - target["n"], "q_off": fit.q - target["q"]})
    table = pd.DataFrame(out)
    table["abs_n_off"] = table.n_off.abs()
    return table.sort_values(["distance", "abs_n_off"]).drop(columns="abs_n_off").reset_index(drop=True)


#: For each published result sharing an outcome with the trials: the kit's candidate rows (study, outcome
#: category, scale) and why. The trial lists of the reviews could not be read, so every list is the kit's
#: guess, said so in its verdict. Sign: "negative" means the review's negative SMD favours peer support.
STUDY_LEVEL = [
    {"review": "lyons2021", "outcome": "recovery", "timepoint": "post-intervention",
     "candidates": [("Cook, 2012a", "RAS"), ("Cook, 2012b", "RAS"), ("Kaplan, 2011", "RAS"), ("Russinova, 2014", "PGRS")],
     "why": "group trials measuring recovery (RAS, PGRS) at post-test; empowerment scales left out (Lyons pooled them apart)"},
    {"review": "lyons2021", "outcome": "hope", "timepoint": "post-intervention", "candidates": [],
     "why": "no group trial in the data measures hope (Lyons pooled an MD on a hope scale)"},
    {"review": "lloydevans2014", "outcome": "recovery", "timepoint": "follow-up 6 months",
     "candidates": [("Cook, 2012a", "RAS"), ("Cook, 2012b", "RAS")],
     "why": "WRAP and BRIDGES, the recovery trials before 2014; the data hold post-test, Lloyd-Evans used 6 months"},
    {"review": "lloydevans2014", "outcome": "hope", "timepoint": "follow-up 3-6 months", "candidates": [],
     "why": "no trial before 2014 in the data measures hope"},
    {"review": "lloydevans2014", "outcome": "empowerment", "timepoint": "follow-up 6 months",
     "candidates": [("van Gestel-Timmermans, 2012", "Dutch Empowerment Scale"),
                    ("Griffiths, 2012", "Empowerment Scale (power-powerlessness)")],
     "why": "the empowerment measures of trials before 2014; the data hold post-test, Lloyd-Evans used 6 months"},
    {"review": "lloydevans2014", "outcome": "self-rated recovery", "timepoint": "post-intervention (as labelled by Cooper 2024)",
     "candidates": [("Cook, 2012a", "RAS"), ("Cook, 2012b", "RAS"), ("Kaplan, 2011", "RAS"), ("Russinova, 2014", "PGRS")],
     "why": "recovery trials up to 2014 (k = 4, as printed); which Lloyd-Evans analysis Cooper tabulated is unverified"},
    {"review": "lloydevans2014", "outcome": "hope", "timepoint": "post-intervention (as labelled by Cooper 2024)",
     "candidates": [], "why": "no trial before 2014 in the data measures hope"},
    {"review": "white2020", "outcome": "self-reported recovery (named in abstract)", "timepoint": "",
     "candidates": [("Corrigan, 2018", "RAS"), ("Johnson, 2018", "QPR"), ("Salzer, 2016", "RAS"),
                    ("Corrigan, 2017", "RAS"), ("Rogers, 2016", "RAS")],
     "why": "one-to-one trials measuring recovery (RAS, QPR); White's pooled result could not be read"},
    {"review": "white2020", "outcome": "empowerment (named in abstract)", "timepoint": "",
     "candidates": [("Mahlke, 2017", "GSE")],
     "why": "the one one-to-one trial with a self-efficacy/empowerment measure (GSE); White's pooled result could not be read"},
]


def one_row_per_trial(rows: pd.DataFrame, *, r: float = 1.0) -> pd.DataFrame:
    """Merge the rows a trial has more than once in one analysis into one composite row, so no trial counts twice.

    Rogers 2016 has two rows per outcome ("high support", "low support"),
    each with Peer support vs CAU, the same SE and no means, SDs or n: they
    are two analyses of one comparison, not two intervention arms whose means
    and SDs could be combined (Cochrane Handbook 23.3.4; there is nothing for
    :func:`helpers.effect_sizes.combine_groups` to combine). Such rows become
    their mean effect with the variance of a mean of m correlated estimates
    (Borenstein et al. 2009, ch. 24):

    .. math:: y = \\frac{1}{m}\\sum y_i, \\qquad
              v = \\frac{1}{m^2}\\Big(\\sum v_i + \\sum_{i \\ne j} r \\sqrt{v_i v_j}\\Big)

    with ``r = 1`` by default (same participants: the conservative choice, the
    composite is no more precise than one row). The label says "(rows
    combined)"; ``source_rows`` of the result lists the merged rows.
    """
    out = []
    for _, block in rows.groupby("study", sort=False):
        if len(block) == 1:
            out.append(block.assign(source_rows=[(block.source_row.iloc[0],)]))
            continue
        se = np.sqrt(block.vi.to_numpy())
        m = len(block)
        v = (np.sum(se**2) + r * (np.sum(se) ** 2 - np.sum(se**2))) / m**2
        first = block.iloc[[0]].copy()
        first["yi"], first["vi"] = block.yi.mean(), v
        first["label"] = f"{block.study.iloc[0]}: {block.scale.iloc[0]} ({m} rows combined)" + (
            " †" if block.effect_flagged.any() else "")
        first["n"] = block.n.iloc[0]
        first["source_rows"] = [tuple(block.source_row)]
        out.append(first)
    return pd.concat(out)


def _n_text(part: pd.DataFrame) -> str:
    missing = part.study[part.n.isna()]
    total = int(part.n.sum())
    return f"{total}" if missing.empty else f"≥ {total} (no n in the data for {'; '.join(missing)})"


def study_level_table(trials: pd.DataFrame | None = None, *, method: str = "DL") -> pd.DataFrame:
    """Depth 2: each published result of :data:`STUDY_LEVEL` against the kit's re-pooling of its candidate trials.

    Columns: ``review, outcome, timepoint, printed`` (as the review
    printed it), ``candidates``, ``k`` (trials, after :func:`one_row_per_trial`),
    ``n`` (NaN if a trial gives none) and ``N`` (its text: the known total, and
    which trials give no n), ``repooled`` (SMD and
    CI on the review's sign), ``distance`` (largest miss of estimate and
    CI limits beyond the printed rounding; NaN where nothing can be compared),
    ``estimate, ci_low, ci_high`` (the fit, positive favours peer support),
    ``source_rows`` (the file's row numbers) and ``verdict``. Verdicts: ``reproduced (study level)``; ``differs by
    D: trial set unverified (...)`` naming what else differs (k, N, time
    point); ``not re-poolable: ...``; ``no published number to compare: ...``.
    Pooled with ``method`` (DL, RevMan's random-effects model) on the kit's
    Hedges g (metafor's escalc) -- the reviews used RevMan's J, which differs
    in the 4th decimal.
    """
    published = load_published()
    df = peer_support_effects(trials, rows="kit")
    out = []
    for spec in STUDY_LEVEL:
        match = published[(published.review == spec["review"]) & (published.outcome == spec["outcome"]) &
                          (published.timepoint == spec["timepoint"])]
        if len(match) != 1:
            raise ValueError(f"STUDY_LEVEL names {spec['review']}, {spec['outcome']!r}, {spec['timepoint']!r}: "
                             f"{len(match)} rows of published_results.csv match")
        pub = match.iloc[0]
        row = {"review": spec["review"], "outcome": spec["outcome"], "timepoint": spec["timepoint"],
               "printed": (f"{pub['measure']} {pub['estimate_text']} [{pub['ci_low_text']}, {pub['ci_high_text']}], "
                           f"k = {pub['k_text']}, N = {pub['n_text']}") if pub["status"] == "reported" else pub["status"],
               "candidates": "; ".join(s for s, _ in spec["candidates"]), "why": spec["why"],
               "k": 0, "n": np.nan, "N": "", "repooled": "", "distance": np.nan, "estimate": np.nan, "ci_low": np.nan,
               "ci_high": np.nan, "source_rows": ()}
        if not spec["candidates"]:
            row["verdict"] = f"not re-poolable: {spec['why']}"
            out.append(row)
            continue
        picks = [df[(df.study == s) & (df.scale == sc)] for s, sc in spec["candidates"]]
        for (s, sc), p in zip(spec["candidates"], picks):
            if len(p) == 0:
                raise ValueError(f"STUDY_LEVEL candidate {s} / {sc} is not in the peer-support data")
        part = one_row_per_trial(pd.concat(picks))
        fit = meta_analysis(part.yi.to_numpy(), part.vi.to_numpy(), method=method, labels=part.label.tolist())
        flip = -1.0 if pub["favours_peer_support"] == "negative" else 1.0
        est, (lo, hi) = fit.estimate * flip, sorted([fit.ci_low * flip, fit.ci_high * flip])
        row.update(k=fit.k, n=part.n.sum(min_count=len(part)), N=_n_text(part),
                   repooled=f"SMD {est:.2f} [{lo:.2f}, {hi:.2f}]", estimate=fit.estimate, ci_low=fit.ci_low,
                   ci_high=fit.ci_high, source_rows=sum(part.source_rows, ()))
        flagged = part[part.effect_flagged]
        caveat = f"; flagged rows: {', '.join(dict.fromkeys(flagged.study))}" if len(flagged) else ""
        if pub["status"] != "reported":
            row["verdict"] = (f"no published number to compare: the kit could not read {spec['review']}'s pooled result"
                              f"{caveat}")
        else:
            d = _distance(fit.estimate, fit.ci_low, fit.ci_high, pub, flip)
            row["distance"] = d
            same_size = fit.k == pub["k"] and row["n"] == pub["n"]
            if d == 0 and same_size:
                row["verdict"] = "reproduced (study level)"
            else:
                sizes = f"k {fit.k} vs {pub['k']:g}, N {row['n']:g} vs {pub['n']:g}"
                row["verdict"] = f"differs by {d:.3f}: trial set unverified ({sizes}){caveat}"
        out.append(row)
    return pd.DataFrame(out)


def _study_level_keys() -> set:
    return {(spec["review"], spec["outcome"], spec["timepoint"]) for spec in STUDY_LEVEL}


def _regressions(table: pd.DataFrame, baseline_path: Path, study_level: pd.DataFrame | None = None) -> list[str]:
    """Recorded verdicts that no longer hold.

    Summary level: a result whose checks passed in the baseline and do not
    pass now. Study level (rows with ``level == "study"``): any change of
    verdict, since each verdict carries its distance to 3 decimals and its k
    and N -- a changed trial, effect size or pooling shows as a new verdict.
    """
    if not baseline_path.exists():
        return []
    baseline = pd.read_csv(baseline_path, dtype=str, keep_default_na=False)
    if "level" not in baseline.columns:
        baseline["level"] = "summary"
    key = lambda t: t.review + " | " + t.comparison + " | " + t.outcome + " | " + t.timepoint  # noqa: E731
    now = table.assign(key=key(table)).set_index("key")
    lost = []
    for b in baseline[baseline.level == "summary"].itertuples():
        k = key(b)
        if b.verdict.startswith("consistent") and (k not in now.index or not now.loc[k, "verdict"].startswith("consistent")):
            lost.append(f"{k}: was {b.verdict!r}, now {now.loc[k, 'verdict'] if k in now.index else 'absent'!r}")
    if study_level is not None:
        skey = lambda t: "study level | " + t.review + " | " + t.outcome + " | " + t.timepoint  # noqa: E731
        snow = study_level.assign(key=skey(study_level)).set_index("key")
        for b in baseline[baseline.level == "study"].itertuples():
            k = skey(b)
            if k not in snow.index or snow.loc[k, "verdict"] != b.verdict:
                lost.append(f"{k}: was {b.verdict!r}, now {snow.loc[k, 'verdict'] if k in snow.index else 'absent'!r}")
    return lost


# --------------------------------------------------------------------------- depth 3: from a student's extraction

def analyse_extraction(sheet: pd.DataFrame, published: pd.DataFrame, **fit) -> pd.DataFrame:
    """Validate a completed extraction sheet, pool each analysis in it, and set the result beside the published one.

    ``sheet`` is a filled template (:func:`helpers.data.load_template`), one row
    per trial; ``published`` holds the printed pooled results
    (:func:`helpers.data.load_published`). Steps:

    1. :func:`helpers.data.validate_extraction`; if any problem is an
       ``error``, nothing is pooled and the result is the list of what the
       sheet still needs (``field``, ``problem``, ``rows``), with
       ``attrs["pooled"] = False``.
    2. For each (comparison, outcome, timepoint) block of the sheet, the
       effect sizes (:func:`helpers.data.effect_sizes_from_extraction`; SMD if
       the published measure is an SMD, else MD; rows with only an estimate
       and CI enter by the generic inverse-variance route, SE = (upper -
       lower) / (2 x 1.96), Cochrane Handbook 6.3.1) are pooled with
       :func:`helpers.pooling.meta_analysis` under ``fit`` (e.g.
       ``conventions="revman5"``, ``ci_method="hksj"``).
    3. The result is turned back to the review's own orientation
       (``favours_peer_support``) and compared with the printed estimate and
       CI: it "matches to printed precision" when each of the three lies
       within half a unit of the printed last digit of the printed value.

    A block without exactly one published result is skipped with a message.
    Cochrane Handbook ch. 5 (collecting data) and 10.3 (pooling by inverse variance).
    """
    problems = validate_extraction(sheet)
    errors = problems[problems.severity == "error"]
    if len(errors):
        print(f"{len(errors)} error(s) in the sheet: nothing was pooled. What the sheet still needs:")
        needs = errors.groupby(["field", "problem"]).size().rename("rows").reset_index()
        needs.attrs["pooled"] = False
        return needs
    rows = []
    for (comparison, outcome, timepoint), block in sheet.groupby(["comparison", "outcome", "timepoint"], sort=False):
        match = published[(published.comparison == comparison) & (published.outcome == outcome)
                          & (published.timepoint == timepoint)]
        if len(match) != 1:
            print(f"no single published result for {comparison} / {outcome} / {timepoint}: skipped")
            continue
        p = match.iloc[0]
        measure = "SMD" if str(p.measure).startswith("SMD") else "MD"
        es = effect_sizes_from_extraction(block, measure=measure, conventions=fit.get("conventions", "metafor"))
        res = meta_analysis(es.yi, es.vi, labels=es.study, **fit)
        sign = 1.0 if p.favours_peer_support == "positive" else -1.0
        est, (lo, hi) = sign * res.estimate, sorted([sign * res.ci_low, sign * res.ci_high])
        half = _half_unit(int(p.decimals))
        matches = all(abs(a - b) <= half + 1e-9 for a, b in [(est, p.estimate), (lo, p.ci_low), (hi, p.ci_high)])
        rows.append({"outcome": outcome, "timepoint": timepoint, "k": res.k, "measure": measure,
                     "re-analysis": f"{est:.4f} [{lo:.4f}, {hi:.4f}]",
                     "published": f"{p.estimate_text} [{p.ci_low_text}, {p.ci_high_text}]",
                     "tau²": round(res.tau2, 4), "I² (%)": round(res.i2, 1), "Q": round(res.q, 2),
                     "matches to printed precision": matches, "model": res.describe()})
    result = pd.DataFrame(rows)
    result.attrs["pooled"] = True
    return result


def baseline_frame(table: pd.DataFrame, study_level: pd.DataFrame) -> pd.DataFrame:
    """The rows written to ``replication_baseline.csv``: every summary-level and study-level verdict."""
    summary = table[["review", "comparison", "outcome", "timepoint", "verdict"]].assign(level="summary")
    study = study_level[["review", "outcome", "timepoint", "verdict"]].assign(comparison="", level="study")
    return pd.concat([summary, study[summary.columns]], ignore_index=True)


def _execute_notebooks(paths: list[Path]) -> None:
    import nbformat
    from nbclient import NotebookClient

    for path in paths:
        print(f"executing {path.name} ...", flush=True)
        nb = nbformat.read(path, as_version=4)
        NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()


def main(argv: list[str] | None = None) -> int:
    """Execute the replication notebooks, print the verdict tables, and fail if a recorded verdict stopped holding."""
    parser = argparse.ArgumentParser(prog="python3 kit.py replicate", description=main.__doc__)
    parser.add_argument("--no-notebooks", action="store_true", help="skip executing notebooks 08-12")
    parser.add_argument("--update-baseline", action="store_true", help=f"record today's verdicts in {BASELINE.name}")
    args = parser.parse_args(argv)
    if not args.no_notebooks:
        _execute_notebooks(sorted((DATA.parent / "notebooks").glob("0[89]_*.ipynb")) +
                           sorted((DATA.parent / "notebooks").glob("1[0-2]_*.ipynb")))
    table = replication_table()
    study = study_level_table()
    with pd.option_context("display.max_colwidth", 60, "display.width", 250):
        print("Summary level (from the printed pooled results)")
        print(table[["review", "outcome", "timepoint", "printed", "se_from_ci", "checks_passed", "checks_failed",
                     "study_level", "verdict"]].to_string())
        print("\nStudy level (re-pooled from the Metapsy trials; the kit's candidate trial lists)")
        print(study[["review", "outcome", "printed", "k", "N", "repooled", "verdict"]].to_string())
    search = lyons_subset_search()
    best = search.iloc[0]
    print(f"\nLyons 2021 recovery, {len(search)} subsets of 5 group trials searched: the closest, {best.studies}, "
          f"gives {best.estimate:.2f} [{best.ci_low:.2f}, {best.ci_high:.2f}], N = {best.n}, Q = {best.q:.2f} "
          f"(printed 0.18 [0.07, 0.29], N = 1265, chi2 = 4.01); subsets within rounding of the estimate and CI: "
          f"{int((search.distance == 0).sum())}; with N within 100 of 1265: {int((search.n_off.abs() <= 100).sum())}, "
          f"the closest of which misses the CI by {search[search.n_off.abs() <= 100].distance.min():.3f}")
    counts = table.verdict.str.split(":").str[0].str.split(" \\(").str[0].value_counts()
    print("\n" + ", ".join(f"{n} {v}" for v, n in counts.items()))
    if args.update_baseline:
        baseline_frame(table, study).to_csv(BASELINE, index=False)
        print(f"baseline written to {BASELINE}")
        return 0
    lost = _regressions(table, BASELINE, study)
    for line in lost:
        print("REGRESSION:", line)
    return 1 if lost else 0


if __name__ == "__main__":
    sys.exit(main())

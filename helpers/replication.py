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
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .data import DATA, load_published, printed_decimals
from .pooling import i2_test_based_ci
from ._distributions import chi2_sf, norm_isf, norm_sf

__all__ = ["Check", "check_result", "replication_table", "main"]

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
    were not found in public text). ``study_level`` says whether per-trial
    data were found for a re-analysis (for these reviews: no).
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
                     "difference": gap, "study_level": "not found", "verdict": verdict,
                     "source": f"{r['source_location']} ({r['read_from']})"})
    return pd.DataFrame(rows).set_index("id")


def _regressions(table: pd.DataFrame, baseline_path: Path) -> list[str]:
    """Results whose checks passed in the recorded baseline but do not pass now."""
    if not baseline_path.exists():
        return []
    baseline = pd.read_csv(baseline_path, dtype=str, keep_default_na=False)
    key = lambda t: t.review + " | " + t.comparison + " | " + t.outcome + " | " + t.timepoint  # noqa: E731
    now = table.assign(key=key(table)).set_index("key")
    lost = []
    for key, b in zip(key(baseline), baseline.itertuples()):
        if b.verdict.startswith("consistent") and (key not in now.index or not now.loc[key, "verdict"].startswith("consistent")):
            lost.append(f"{key}: was {b.verdict!r}, now {now.loc[key, 'verdict'] if key in now.index else 'absent'!r}")
    return lost


def _execute_notebooks(paths: list[Path]) -> None:
    import nbformat
    from nbclient import NotebookClient

    for path in paths:
        print(f"executing {path.name} ...", flush=True)
        nb = nbformat.read(path, as_version=4)
        NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()


def main(argv: list[str] | None = None) -> int:
    """Execute the replication notebooks, print the verdict table, and fail if a passing check stopped passing."""
    parser = argparse.ArgumentParser(prog="python3 kit.py replicate", description=main.__doc__)
    parser.add_argument("--no-notebooks", action="store_true", help="skip executing notebooks 08-12")
    parser.add_argument("--update-baseline", action="store_true", help=f"record today's verdicts in {BASELINE.name}")
    args = parser.parse_args(argv)
    if not args.no_notebooks:
        _execute_notebooks(sorted((DATA.parent / "notebooks").glob("1[0]_*.ipynb")) +
                           sorted((DATA.parent / "notebooks").glob("0[7-9]_*.ipynb")))
    table = replication_table()
    with pd.option_context("display.max_colwidth", 60, "display.width", 250):
        print(table[["review", "outcome", "timepoint", "printed", "se_from_ci", "checks_passed", "checks_failed",
                     "study_level", "verdict"]].to_string())
    counts = table.verdict.str.split(":").str[0].str.split(" \\(").str[0].value_counts()
    print("\n" + ", ".join(f"{n} {v}" for v, n in counts.items()))
    if args.update_baseline:
        table[["review", "comparison", "outcome", "timepoint", "verdict"]].to_csv(BASELINE, index=False)
        print(f"baseline written to {BASELINE}")
        return 0
    lost = _regressions(table, BASELINE)
    for line in lost:
        print("REGRESSION:", line)
    return 1 if lost else 0


if __name__ == "__main__":
    sys.exit(main())

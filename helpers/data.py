"""Load the kit's data, checking schema, ranges and provenance on every load.

Every file in ``data/`` carries, for every row, the source it was read
from. A row without one is an error here, not a warning: a number whose
origin nobody can check has no place in a replication.

Also here: the validator for a student's own extraction
(:func:`validate_extraction`), which catches the classic extraction errors:
an SE typed into an SD column, a CI that does not contain its estimate, more
participants analysed than randomised, a mean outside its scale, and scales
that run in opposite directions within one analysis.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ._sourced import read_sourced_csv, require_columns, row_location

__all__ = ["DATA", "load_published", "load_trials", "load_eclipse", "eclipse_value", "load_template",
           "load_peer_support_trials", "load_peer_support_raw", "load_peer_support_instruments", "audit_peer_support",
           "PEER_SUPPORT_FLAGS", "PEER_SUPPORT_EFFECT_FLAGS",
           "validate_extraction", "effect_sizes_from_extraction"]

DATA = Path(__file__).resolve().parent.parent / "data"

PUBLISHED_NUMERIC = ["estimate", "ci_low", "ci_high", "p", "k", "n", "i2_percent", "q", "q_df", "q_p"]
PROVENANCE = ["source", "source_location", "read_from", "read_or_derived"]
STATUSES = ("reported", "partial", "not found")


def printed_decimals(text) -> int:
    """Decimals a printed number shows ("0.50" -> 2, "p < 0.001" -> 3): they set its rounding interval."""
    text = str(text).strip().lstrip("<>=≤ ")
    return len(text.split(".")[1]) if "." in text else 0


def load_published(path: Path | str | None = None) -> pd.DataFrame:
    """Published pooled results (``data/published_results.csv``), validated.

    Numeric columns come back as floats (NaN where nothing was printed); the
    printed text is kept in ``<column>_text`` and its number of decimals in
    ``decimals`` (used to judge rounding). Raises ``ValueError`` naming the row
    and field for: a missing provenance field, an unknown status, a
    "reported" row without estimate and CI, a CI not containing its estimate,
    I² outside 0-100, k < 1, n < k, or q_df not equal to k - 1.
    """
    path = Path(path) if path else DATA / "published_results.csv"
    label = ("review", "outcome", "timepoint")
    raw = read_sourced_csv(path, ["review", "comparison", "outcome", "timepoint", "measure", "status",
                                  "favours_peer_support", *PUBLISHED_NUMERIC, *PROVENANCE],
                           provenance=PROVENANCE + ["review", "outcome"], label=label, choices={"status": STATUSES})
    df = raw.copy()
    for col in PUBLISHED_NUMERIC:
        df[col + "_text"] = raw[col]
        df[col] = pd.to_numeric(raw[col].str.lstrip("<>=≤ ").replace("", np.nan), errors="raise")
    df["decimals"] = [max(printed_decimals(r[c]) for c in ("estimate", "ci_low", "ci_high")) for _, r in raw.iterrows()]
    for i, r in df.iterrows():
        reported = r["status"] == "reported"
        if reported and np.isnan([r["estimate"], r["ci_low"], r["ci_high"]]).any():
            problem = "a 'reported' row needs estimate, ci_low and ci_high"
        elif reported and not r["ci_low"] <= r["estimate"] <= r["ci_high"]:
            problem = f"estimate {r['estimate']} is outside its CI [{r['ci_low']}, {r['ci_high']}]"
        elif reported and r["favours_peer_support"] not in ("positive", "negative"):
            problem = "favours_peer_support must say which sign favours peer support"
        elif not np.isnan(r["i2_percent"]) and not 0 <= r["i2_percent"] <= 100:
            problem = "i2_percent must be between 0 and 100"
        elif not np.isnan(r["k"]) and r["k"] < 1:
            problem = "k must be >= 1"
        elif not np.isnan(r["n"]) and not np.isnan(r["k"]) and r["n"] < r["k"]:
            problem = f"n ({r['n']:g}) is smaller than k ({r['k']:g})"
        elif not np.isnan(r["q_df"]) and r["q_df"] != r["k"] - 1:
            problem = "q_df must be k - 1"
        else:
            continue
        raise ValueError(f"{row_location(path, raw, i, label)}: {problem}")
    return df


def load_trials(path: Path | str | None = None) -> pd.DataFrame:
    """Per-trial numbers read in public text (``data/trials.csv``): counts, sample sizes, printed effects.

    Each row has its source, location and the verbatim ``quote`` the numbers
    were read from; ``included_in_review`` says whether the trial's inclusion
    in the review could be verified. Counts come back as numbers (NaN where
    not found). Raises ``ValueError`` naming the row for missing provenance,
    events > n analysed, or n analysed > n randomised.
    """
    path = Path(path) if path else DATA / "trials.csv"
    counts = ["n_randomised1", "n_analysed1", "events1", "n_randomised2", "n_analysed2", "events2"]
    raw = read_sourced_csv(path, ["review", "study", "outcome", *counts, "estimate", "ci_low", "ci_high"],
                           provenance=["source", "source_location", "read_or_derived", "quote", "included_in_review"],
                           label=("study", "outcome"))
    df = raw.copy()
    for col in counts + ["estimate", "ci_low", "ci_high"]:
        df[col] = pd.to_numeric(raw[col].replace("", np.nan))
    for i, r in df.iterrows():
        for g in ("1", "2"):
            if r[f"events{g}"] > r[f"n_analysed{g}"]:
                raise ValueError(f"{row_location(path, raw, i, 'study')}: events{g} exceeds n_analysed{g}")
            if r[f"n_analysed{g}"] > r[f"n_randomised{g}"]:
                raise ValueError(f"{row_location(path, raw, i, 'study')}: n_analysed{g} exceeds n_randomised{g}")
    return df


def load_eclipse(path: Path | str | None = None) -> pd.DataFrame:
    """What is known of the ECLIPSE trial (``data/eclipse.csv``): one quantity per row, each with its source.

    ``value`` is text (``MISSING`` where a number could not be found);
    :func:`eclipse_value` reads one number back.
    """
    path = Path(path) if path else DATA / "eclipse.csv"
    return read_sourced_csv(path, ["quantity", "value", "unit", "arm", "quote"],
                            provenance=["source", "source_location", "read_or_derived"], label="quantity")


def eclipse_value(quantity: str, arm: str | None = None, table: pd.DataFrame | None = None) -> float:
    """One number from :func:`load_eclipse`, looked up by quantity (and arm); a clear error if absent or MISSING."""
    df = load_eclipse() if table is None else table
    rows = df[(df.quantity == quantity) & ((df.arm == arm) if arm is not None else True)]
    if len(rows) != 1:
        raise ValueError(f"{len(rows)} rows of eclipse.csv match quantity={quantity!r}, arm={arm!r}")
    value = rows.iloc[0].value
    try:
        return float(value)
    except ValueError:
        raise ValueError(f"ECLIPSE {quantity!r} is not a number in the sources we could read: {value!r}") from None


# --------------------------------------------------------------------------- extraction templates

TEMPLATE_COLUMNS = [
    "review", "comparison", "outcome", "timepoint", "study", "year", "scale", "scale_min", "scale_max",
    "higher_is_better", "n_randomised_1", "n_randomised_2", "mean_1", "sd_1", "n_1", "mean_2", "sd_2", "n_2",
    "events_1", "events_2", "estimate", "ci_low", "ci_high", "source", "source_location", "read_or_derived", "notes",
]
_NUMERIC = ["scale_min", "scale_max", "n_randomised_1", "n_randomised_2", "mean_1", "sd_1", "n_1", "mean_2", "sd_2",
            "n_2", "events_1", "events_2", "estimate", "ci_low", "ci_high"]
_GROUPS = ["mean_1", "sd_1", "n_1", "mean_2", "sd_2", "n_2"]
_EVENTS = ["events_1", "n_1", "events_2", "n_2"]
CONTINUOUS_MEASURES, BINARY_MEASURES = ("MD", "SMD"), ("RR", "OR", "RD")


def load_template(review: str) -> pd.DataFrame:
    """The blank extraction template of a review (``data/templates/<review>_extraction.csv``)."""
    return read_sourced_csv(DATA / "templates" / f"{review}_extraction.csv", TEMPLATE_COLUMNS, allow_empty=True)


def validate_extraction(df: pd.DataFrame) -> pd.DataFrame:
    """Check a completed extraction sheet; returns one row per problem (empty when all is well).

    Columns of the result: ``row``, ``study``, ``field``, ``severity``
    (``error`` stops the analysis, ``warning`` asks for a second look) and
    ``problem``. Checks, each a classic error (Cochrane Handbook 5.5 and 6.5;
    Gøtzsche et al. 2007, JAMA 298:430, found errors in 10 of 27 SMD
    meta-analyses):

    * provenance: ``source``, ``source_location`` and ``read_or_derived`` filled in;
    * each row has either group data (mean, SD, n for both arms) or an estimate with its CI;
    * SD > 0, n >= 2 and whole; n analysed <= n randomised;
    * a CI that contains its estimate; a mean inside ``scale_min``..``scale_max``;
    * an SD that looks like an SE: below 40 % of the other arm's SD (or of the
      median of the other SDs on the same scale) while SD x sqrt(n) is within
      50 % of it;
    * ``higher_is_better`` given; scales of opposite direction within one analysis are
      a warning (the analysis flips them, but check the signs were entered as printed).
    """
    require_columns(df, TEMPLATE_COLUMNS, "extraction sheet")
    problems = []

    def flag(i, field, severity, problem):
        problems.append({"row": i, "study": df.loc[i, "study"], "field": field, "severity": severity, "problem": problem})

    num = df[_NUMERIC].apply(lambda c: pd.to_numeric(c.astype(str).str.strip().replace("", np.nan), errors="coerce"))
    for col in _NUMERIC:
        bad = df.index[num[col].isna() & (df[col].astype(str).str.strip() != "")]
        for i in bad:
            flag(i, col, "error", f"{df.loc[i, col]!r} is not a number")
    for i in df.index:
        for col in ("source", "source_location", "read_or_derived"):
            if str(df.loc[i, col]).strip() == "":
                flag(i, col, "error", "empty: say where the number was read (paper, table, page) and whether it was derived")
        ci = num.loc[i, ["estimate", "ci_low", "ci_high"]]
        if num.loc[i, _GROUPS].isna().any() and num.loc[i, _EVENTS].isna().any() and ci.isna().any():
            flag(i, "mean_1", "error", "needs mean, SD and n for both groups, or events and n for both groups, "
                 "or an estimate with its CI")
        if str(df.loc[i, "higher_is_better"]).strip().lower() not in ("yes", "no"):
            flag(i, "higher_is_better", "error", "say 'yes' or 'no': does a higher score mean a better outcome?")
        for g in ("1", "2"):
            sd, n, nr, mean = (num.loc[i, f"sd_{g}"], num.loc[i, f"n_{g}"], num.loc[i, f"n_randomised_{g}"],
                               num.loc[i, f"mean_{g}"])
            if not np.isnan(sd) and sd <= 0:
                flag(i, f"sd_{g}", "error", f"SD must be > 0 (got {sd:g})")
            if not np.isnan(n) and (n < 2 or n != round(n)):
                flag(i, f"n_{g}", "error", f"n must be a whole number >= 2 (got {n:g})")
            if not np.isnan(n) and not np.isnan(nr) and n > nr:
                flag(i, f"n_{g}", "error", f"{n:g} analysed but only {nr:g} randomised")
            events = num.loc[i, f"events_{g}"]
            if not np.isnan(events) and (events < 0 or events != round(events)):
                flag(i, f"events_{g}", "error", f"events must be a whole number >= 0 (got {events:g})")
            if not np.isnan(events) and not np.isnan(n) and events > n:
                flag(i, f"events_{g}", "error", f"{events:g} events but only {n:g} analysed")
            lo, hi = num.loc[i, "scale_min"], num.loc[i, "scale_max"]
            if not np.isnan(mean) and not np.isnan(lo) and not np.isnan(hi) and not lo <= mean <= hi:
                flag(i, f"mean_{g}", "error", f"mean {mean:g} is outside the scale's range {lo:g} to {hi:g}")
        est, lo, hi = ci
        if not ci.isna().any() and not lo <= est <= hi:
            flag(i, "estimate", "error", f"estimate {est:g} is outside its CI [{lo:g}, {hi:g}]")
    _flag_se_as_sd(df, num, flag)
    for _, block in df.groupby(["comparison", "outcome", "timepoint"], sort=False):
        directions = block["higher_is_better"].astype(str).str.strip().str.lower()
        if directions.isin(["yes", "no"]).all() and directions.nunique() > 1:
            for i in block.index[directions == "no"]:
                flag(i, "higher_is_better", "warning", "scales run in opposite directions in this analysis: this "
                     "study's effect will be sign-flipped; check its numbers were entered as printed")
    return pd.DataFrame(problems, columns=["row", "study", "field", "severity", "problem"])


def _looks_like_se(sd: float, n: float, typical: float) -> bool:
    """An SD far below a typical SD that becomes typical when multiplied by sqrt(n): SE = SD / sqrt(n)."""
    return bool(sd < 0.4 * typical and abs(sd * np.sqrt(n) - typical) <= 0.5 * typical)


def _flag_se_as_sd(df, num, flag):
    """Compare each arm's SD with the other arm of its study, and with the other SDs on its scale."""
    flagged = set()
    for i in df.index:
        for g, other in (("1", "2"), ("2", "1")):
            sd, n, partner = num.loc[i, f"sd_{g}"], num.loc[i, f"n_{g}"], num.loc[i, f"sd_{other}"]
            if np.isnan([sd, n, partner]).any():
                continue
            if _looks_like_se(sd, n, partner):
                flagged.add((i, g))
                flag(i, f"sd_{g}", "warning", f"SD {sd:g} is about sqrt(n) = {np.sqrt(n):.3g} times smaller than the "
                     f"other arm's ({partner:g}): was a standard error typed as an SD?")
    for _, block in df.groupby(["outcome", "scale"], sort=False):
        cells = [(i, g) for i in block.index for g in ("1", "2") if not np.isnan(num.loc[i, f"sd_{g}"])]
        for i, g in cells:
            others = [num.loc[j, f"sd_{h}"] for j, h in cells if (j, h) != (i, g) and (j, h) not in flagged]
            sd, n = num.loc[i, f"sd_{g}"], num.loc[i, f"n_{g}"]
            if (i, g) in flagged or len(others) < 4 or np.isnan(n):
                continue
            typical = float(np.median(others))  # without the suspect, so it cannot hide itself
            if _looks_like_se(sd, n, typical):
                flag(i, f"sd_{g}", "warning", f"SD {sd:g} is small for this scale (median of the others {typical:g}) "
                     f"but SD x sqrt(n) = {sd * np.sqrt(n):.3g} is typical: was a standard error typed as an SD?")


def effect_sizes_from_extraction(df: pd.DataFrame, measure: str = "SMD", conventions: str = "metafor") -> pd.DataFrame:
    """Effect sizes (yi, vi) from a validated extraction sheet, oriented so that a positive yi favours group 1.

    ``measure`` is ``"SMD"`` or ``"MD"`` for continuous outcomes (rows with
    means, SDs and ns) and ``"RR"``, ``"OR"`` or ``"RD"`` for binary ones
    (rows with events and ns; ratios on the log scale), all computed by
    :mod:`helpers.effect_sizes` under ``conventions``. Rows with only an
    estimate and CI enter by the generic inverse-variance route
    (:func:`helpers.effect_sizes.from_ci`; ratios given as printed, e.g.
    RR 0.76). Outcomes where lower is better are sign-flipped, so every yi
    reads "higher = better for group 1". Raises ``ValueError`` if the sheet
    has errors, or a row's data do not fit the measure.
    """
    from . import effect_sizes as es

    if measure not in CONTINUOUS_MEASURES + BINARY_MEASURES:
        raise ValueError(f"measure must be one of {CONTINUOUS_MEASURES + BINARY_MEASURES}, got {measure!r}")
    issues = validate_extraction(df)
    errors = issues[issues.severity == "error"]
    if len(errors):
        first = errors.iloc[0]
        raise ValueError(f"{len(errors)} error(s) in the extraction, first: row {first.row} ({first.study}), "
                         f"{first.field}: {first.problem}")
    num = df[_NUMERIC].apply(lambda c: pd.to_numeric(c.astype(str).str.strip().replace("", np.nan)))
    binary = measure in BINARY_MEASURES
    raw = num[_EVENTS if binary else _GROUPS].notna().all(axis=1)
    wrong = num[_GROUPS if binary else _EVENTS].notna().all(axis=1) & ~raw
    if wrong.any():
        i = wrong.idxmax()
        kind = "means and SDs" if binary else "event counts"
        raise ValueError(f"row {i} ({df.loc[i, 'study']}) has {kind}, which do not give a {measure}")
    out = pd.DataFrame(index=df.index, columns=["yi", "vi"], dtype=float)
    if raw.any():
        g = num[raw]
        if binary:
            fn = {"RR": es.log_risk_ratio, "OR": es.log_odds_ratio, "RD": es.risk_difference}[measure]
            frame = fn(g.events_1, g.n_1, g.events_2, g.n_2, conventions=conventions)
        else:
            args = (g.mean_1, g.sd_1, g.n_1, g.mean_2, g.sd_2, g.n_2)
            frame = es.smd(*args, conventions=conventions) if measure == "SMD" else es.mean_difference(*args)
        out.loc[raw, ["yi", "vi"]] = frame[["yi", "vi"]].to_numpy()
    if (~raw).any():
        c = num[~raw]
        out.loc[~raw, ["yi", "vi"]] = es.from_ci(c.estimate, c.ci_low, c.ci_high,
                                                 log_scale=measure in ("RR", "OR"))[["yi", "vi"]].to_numpy()
    flip = np.where(df["higher_is_better"].str.strip().str.lower() == "no", -1.0, 1.0)
    out["yi"] = out["yi"] * flip
    return pd.concat([df[["comparison", "outcome", "timepoint", "study"]], out], axis=1)


# --------------------------------------------------------------------------- study-level trial data (Metapsy)

PEER_SUPPORT = DATA / "peer_support"
#: sha256 of data.csv at github.com/metapsy-project/data-peer-support-interventions, commit 6c0f322
PEER_SUPPORT_SHA256 = "a3e2ad7c3c31df26b3aa89575d50d86e9d6bc39273145fc2fcdc9db5cc8e74bb"
PEER_SUPPORT_SOURCE = ("Smit et al. 2022, Psychol Med (PMID 36066104): Metapsy data set, github.com/metapsy-project/"
                       "data-peer-support-interventions, commit 6c0f322 (Zenodo 10.5281/zenodo.7687898)")

#: every flag the validator can raise, and what it means; ``flags`` holds their names joined by "; "
PEER_SUPPORT_FLAGS = {
    "sd_looks_like_se": "the SDs are about sqrt(n) times smaller than the other SDs on the same scale: standard errors typed as SDs?",
    "sign_disagrees": "the source's .g has the opposite sign to the kit's g from the means, oriented by the instrument's direction",
    "g_disagrees": "the source's .g differs in size from the kit's g from the means (beyond 4th-decimal rounding)",
    "precalc_shifted": "this row's precalc_g / precalc_g_se equal another row's .g / .g_se, not this row's: the column is shifted",
    "events_shifted": "this row carries event counts whose definition names another study's dichotomous outcome",
    "g_not_recomputable": "no means and SDs: .g cannot be recomputed, and the precalc/event columns that should back it are shifted",
    "time_not_weeks": "time_weeks is shorter than the intervention it follows: it reads as months, not weeks",
    "repeated_study": "more than one row for this study in this outcome category: pooling them all counts one trial twice",
    "n_from_other_outcome": "n per arm equals the n analysed for another outcome of the same trial in data/trials.csv",
}

#: flags that make a row's effect size untrustworthy; the others concern columns the kit does not pool
#: (precalc, events, time) or differences below 1e-3 -- sensitivity analyses drop rows with these
PEER_SUPPORT_EFFECT_FLAGS = ("sd_looks_like_se", "sign_disagrees", "g_not_recomputable", "repeated_study")

_TIDY = {"mean_arm1": "mean_1", "sd_arm1": "sd_1", "n_arm1": "n_1", "mean_arm2": "mean_2", "sd_arm2": "sd_2",
         "n_arm2": "n_2", ".g": "g_source", ".g_se": "g_se_source", "overall_RoB": "overall_rob",
         "condition_arm2": "control", "event_arm1": "events_1", "event_arm2": "events_2",
         "totaln_arm1": "total_n_1", "totaln_arm2": "total_n_2", ".id": "source_id", "": "source_row",
         **{f"RoB_D{i}": f"rob_d{i}" for i in range(1, 6)}}


def _repair_double_encoding(text: str) -> str:
    """UTF-8 bytes that were decoded as cp1252 and re-encoded ("RÃ¼sch" -> "Rüsch"); other text unchanged."""
    try:
        fixed = text.encode("cp1252").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return text
    return fixed


def load_peer_support_raw(path: Path | str | None = None) -> pd.DataFrame:
    """``data/peer_support/data.csv`` exactly as published (semicolons, decimal commas), checked against its sha256.

    A file that differs from the one published at commit 6c0f322 is an error:
    the kit never ships a silently edited copy of someone else's data.
    """
    import hashlib

    path = Path(path) if path else PEER_SUPPORT / "data.csv"
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: the kit's data/ folder is incomplete")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if path == PEER_SUPPORT / "data.csv" and digest != PEER_SUPPORT_SHA256:
        raise ValueError(f"{path.name}: sha256 {digest} is not that of the published file ({PEER_SUPPORT_SHA256}); "
                         "restore it from data/peer_support/PROVENANCE.md")
    return pd.read_csv(path, sep=";", decimal=",", keep_default_na=True, na_values=["NA"])


def load_peer_support_instruments(path: Path | str | None = None) -> pd.DataFrame:
    """Each instrument's direction (``higher_is_better`` yes/no), its construct, and the basis of that direction."""
    path = Path(path) if path else PEER_SUPPORT / "instruments.csv"
    return read_sourced_csv(path, ["instrument", "construct"], provenance=["scale", "direction_basis", "source"],
                            label="instrument", choices={"higher_is_better": ("yes", "no")})


def _duration_weeks(text) -> float:
    """The first duration in a free-text ``duration_int`` ("8 months", "12 weeks", "1 year"), in weeks; NaN if none."""
    import re

    m = re.search(r"(\d+(?:\.\d+)?)\s*(week|month|mnonth|year)", str(text).lower())
    if not m:
        return np.nan
    return float(m.group(1)) * {"week": 1.0, "month": 52 / 12, "mnonth": 52 / 12, "year": 52.0}[m.group(2)]


def audit_peer_support(df: pd.DataFrame, read_trials: pd.DataFrame | None = None) -> pd.DataFrame:
    """What a careful reader finds in the Metapsy peer-support file: one row per finding.

    ``df`` is the tidy frame of :func:`load_peer_support_trials` (before its
    ``flags`` column is filled); ``read_trials`` is :func:`load_trials` (the
    per-trial numbers read in public text), for the ``n_from_other_outcome``
    check. Columns of the result: ``row`` (index in
    ``df``), ``study``, ``outcome_category``, ``flag`` (a key of
    :data:`PEER_SUPPORT_FLAGS`) and ``detail`` (the numbers that raised it).
    Rules, each a classic extraction error (Cochrane Handbook 6.5.2.3 on SEs
    reported as SDs; 5.5 on checking data; 23.3 on counting a trial twice):

    * ``sd_looks_like_se``: both arms' SDs below 40 % of the median SD of the
      other rows on the same scale with means of the same order (within a
      factor of 2), while SD x sqrt(n) is within a factor of 2 of it;
    * ``sign_disagrees`` / ``g_disagrees``: the kit's Hedges g from the means
      (oriented by ``higher_is_better``) against ``.g``, to 1e-4;
    * ``precalc_shifted``: ``precalc_g`` and ``precalc_g_se`` equal, to 3
      decimals, the ``.g`` and ``.g_se`` of another row but not this row's;
    * ``events_shifted``: event counts on a row whose ``outcome_type`` is not
      ``dich``, with a definition (``dich``) naming the instrument of another
      study's ``dich`` row;
    * ``g_not_recomputable``: ``.g`` without means and SDs;
    * ``time_not_weeks``: ``time_weeks`` below 75 % of the intervention's
      duration (``duration_int``) in weeks;
    * ``repeated_study``: two or more rows for one study and outcome category;
    * ``n_from_other_outcome``: both arms' n equal ``n_analysed1/2`` of
      another outcome of the same first author and year in ``read_trials``.
    """
    found = []
    # a narrow copy: the rules below filter the frame once per row, and 80 columns make that slow
    df = df[["study", "year", "outcome_category", "instrument", "scale", "higher_is_better", "outcome_type",
             "mean_1", "sd_1", "n_1", "mean_2", "sd_2", "n_2", "yi", "g_source", "g_se_source", "precalc_g",
             "precalc_g_se", "dich", "events_1", "events_2", "total_n_1", "total_n_2", "time_weeks", "duration_int"]]

    def add(i, flag, detail):
        found.append({"row": i, "study": df.loc[i, "study"], "outcome_category": df.loc[i, "outcome_category"],
                      "flag": flag, "detail": detail})

    has_means = df[["mean_1", "sd_1", "n_1", "mean_2", "sd_2", "n_2"]].notna().all(axis=1)
    for i in df.index[has_means]:
        r = df.loc[i]
        peers = df[has_means & (df.scale == r.scale) & (df.index != i)]
        peers = peers[(peers.mean_1.abs() <= 2 * abs(r.mean_1)) & (peers.mean_1.abs() >= abs(r.mean_1) / 2)]
        sds = np.concatenate([peers.sd_1.to_numpy(), peers.sd_2.to_numpy()])
        if sds.size >= 2:
            typical = float(np.median(sds))
            small = all(r[f"sd_{g}"] < 0.4 * typical for g in ("1", "2"))
            if small and all(0.5 <= r[f"sd_{g}"] * np.sqrt(r[f"n_{g}"]) / typical <= 2 for g in ("1", "2")):
                add(i, "sd_looks_like_se", f"SDs {r.sd_1:g} and {r.sd_2:g} against a median of {typical:.3g} on "
                    f"{r.scale} ({sds.size // 2} other row(s)); SD x sqrt(n) = {r.sd_1 * np.sqrt(r.n_1):.3g} and "
                    f"{r.sd_2 * np.sqrt(r.n_2):.3g}")
        if np.sign(r.yi) != np.sign(r.g_source) and abs(r.yi) > 1e-4:
            add(i, "sign_disagrees", f".g = {r.g_source:+.4f} but the means give g = {r.yi:+.4f} "
                f"({r.instrument}: higher is {'better' if r.higher_is_better else 'worse'}; "
                f"{r.mean_1:g} peer support vs {r.mean_2:g} control)")
        elif abs(abs(r.yi) - abs(r.g_source)) > 1e-4:
            add(i, "g_disagrees", f".g = {r.g_source:+.4f} but the means give g = {r.yi:+.4f}")
    for i in df.index[df.precalc_g.notna()]:
        r = df.loc[i]
        same = df[(df.g_source.round(3) == round(r.precalc_g, 3)) & (df.g_se_source.round(3) == round(r.precalc_g_se, 3))]
        others = same[same.index != i]
        if len(others) and i not in same.index:
            j = others.index[0]
            add(i, "precalc_shifted", f"precalc_g {r.precalc_g:g} (SE {r.precalc_g_se:g}) equals the .g of "
                f"{df.loc[j, 'study']}, {df.loc[j, 'instrument']} (row {j}), not this row's .g {r.g_source:.4f}")
    dich_rows = df[df.outcome_type == "dich"]
    for i in df.index[df.events_1.notna() & (df.outcome_type != "dich")]:
        r = df.loc[i]
        owners = [j for j in dich_rows.index if str(dich_rows.loc[j, "instrument"]).lower() in str(r.dich).lower()
                  and dich_rows.loc[j, "study"] != r.study]
        if owners:
            j = owners[0]
            add(i, "events_shifted", f"events {r.events_1:g}/{r.total_n_1:g} vs {r.events_2:g}/{r.total_n_2:g} defined as "
                f"{r.dich!r}, the dichotomous outcome of {df.loc[j, 'study']} (row {j}), on a row measured by {r.instrument}")
    for i in df.index[~has_means & df.g_source.notna()]:
        add(i, "g_not_recomputable", f".g = {df.loc[i, 'g_source']:+.4f} (SE {df.loc[i, 'g_se_source']:.4f}) with no "
            "means and SDs to recompute it from")
    weeks = df.duration_int.map(_duration_weeks)
    for i in df.index[df.time_weeks < 0.75 * weeks]:
        add(i, "time_not_weeks", f"time_weeks = {df.loc[i, 'time_weeks']:g} after an intervention of "
            f"{df.loc[i, 'duration_int']!r} (about {weeks[i]:.0f} weeks)")
    counts = df.groupby(["study", "outcome_category"]).study.transform("size")
    for i in df.index[counts > 1]:
        add(i, "repeated_study", f"{counts[i]} rows for {df.loc[i, 'study']} in {df.loc[i, 'outcome_category']}")
    if read_trials is not None:
        for i in df.index[df.n_1.notna()]:
            r = df.loc[i]
            author = r.study.split(",")[0].strip()
            same_trial = read_trials[read_trials.study.str.startswith(author) & (read_trials.year.astype(str) == str(r.year))]
            hit = same_trial[(same_trial.n_analysed1 == r.n_1) & (same_trial.n_analysed2 == r.n_2)]
            if len(hit):
                add(i, "n_from_other_outcome", f"n {r.n_1:g}/{r.n_2:g} equals the n analysed for "
                    f"{hit.iloc[0].outcome!r} in data/trials.csv ({hit.iloc[0].source_location}); "
                    f"this outcome's own n may be smaller")
    return pd.DataFrame(found, columns=["row", "study", "outcome_category", "flag", "detail"])


def load_peer_support_trials(path: Path | str | None = None) -> pd.DataFrame:
    """The 28 peer-support RCTs of Smit et al. 2022 (Metapsy), one row per study x outcome, flaws flagged.

    Columns: ``study, year, format`` (group / individual / mixed),
    ``delivery, control, outcome_category`` (clinical / personal /
    functional recovery), ``instrument, scale, higher_is_better`` (from
    ``instruments.csv``), ``time_weeks`` (as published: see the
    ``time_not_weeks`` flag), ``mean_1, sd_1, n_1, mean_2, sd_2, n_2``
    (arm 1 = peer support), ``g_source, g_se_source`` (the file's ``.g``,
    positive favours peer support), ``precalc_g, precalc_g_se``, event
    columns, ``rob_d1`` .. ``rob_d5, overall_rob`` (RoB 2), then the kit's own:
    ``yi, vi`` (Hedges g and its variance as metafor's ``escalc("SMD")``
    from the means, sign-flipped where lower is better; the source's ``.g``
    and ``.g_se²`` where there are no means, named in ``yi_from``),
    ``flags`` ("" when clean, else flag names from
    :data:`PEER_SUPPORT_FLAGS` joined by "; "), ``effect_flagged`` (a flag
    of :data:`PEER_SUPPORT_EFFECT_FLAGS`: the row's yi cannot be trusted as
    it stands) and ``repairs`` (text changed
    on load: double-encoded UTF-8 in names, with the published text kept in
    ``study_source`` / ``instrument_source``), and the provenance every
    file in ``data/`` carries: ``source``, ``source_location`` (the file's
    row) and ``read_or_derived``.

    Every number equals the published file's; nothing is dropped or
    corrected. :func:`audit_peer_support` gives the detail behind each flag.
    """
    from .effect_sizes import smd

    raw = load_peer_support_raw(path)
    raw = raw.rename(columns={"Unnamed: 0": ""})
    df = raw.rename(columns=_TIDY)
    repairs = [[] for _ in range(len(df))]
    for col in ("study", "instrument", "source_id"):
        fixed = df[col].map(_repair_double_encoding)
        for i in np.flatnonzero(fixed != df[col]):
            repairs[i].append(f"{col}: double-encoded UTF-8 repaired ({df[col].iloc[i]!r} -> {fixed.iloc[i]!r})")
        if col != "source_id":
            df[col + "_source"] = df[col]
        df[col] = fixed
    df["repairs"] = ["; ".join(r) for r in repairs]
    df["year"] = df["year"].astype(int)
    df["format"] = df["format"].str.lower()
    df["outcome_category"] = df["outcome_category"].str.lower()
    instruments = load_peer_support_instruments().set_index("instrument")
    unknown = sorted(set(df.instrument) - set(instruments.index))
    if unknown:
        raise ValueError(f"instruments.csv has no direction for {unknown}")
    df["scale"] = df.instrument.map(instruments.scale)
    df["higher_is_better"] = df.instrument.map(instruments.higher_is_better) == "yes"
    has_means = df[["mean_1", "sd_1", "n_1", "mean_2", "sd_2", "n_2"]].notna().all(axis=1)
    df["yi"], df["vi"] = df.g_source, df.g_se_source**2
    df["yi_from"] = np.where(has_means, "kit: Hedges g from the means (escalc SMD)", "source: .g (no means)")
    m = df[has_means]
    g = smd(m.mean_1, m.sd_1, m.n_1, m.mean_2, m.sd_2, m.n_2, labels=m.study.tolist(), conventions="metafor")
    sign = np.where(m.higher_is_better, 1.0, -1.0)
    df.loc[has_means, "yi"] = g["yi"].to_numpy() * sign
    df.loc[has_means, "vi"] = g["vi"].to_numpy()
    # provenance as every file in data/ carries it: where each row was read, and what the kit derived
    df["source"] = PEER_SUPPORT_SOURCE
    df["source_location"] = "data/peer_support/data.csv, row " + df.source_row.astype(str)
    derived = np.where(has_means, "yi, vi = Hedges g from the means (escalc SMD)", "yi, vi = the file's .g, .g_se²")
    df["read_or_derived"] = ("read; derived: " + derived + ", oriented by higher_is_better (instruments.csv)"
                             + np.where(df.repairs != "", "; text repaired (see repairs)", ""))
    audit = audit_peer_support(df, read_trials=load_trials())
    df["flags"] = [("; ".join(dict.fromkeys(audit.flag[audit.row == i]))) for i in df.index]
    df["effect_flagged"] = [any(f in PEER_SUPPORT_EFFECT_FLAGS for f in flags.split("; ")) for flags in df["flags"]]
    first = ["study", "year", "format", "delivery", "control", "outcome_category", "instrument", "scale",
             "higher_is_better", "time_weeks", "mean_1", "sd_1", "n_1", "mean_2", "sd_2", "n_2", "g_source",
             "g_se_source", "yi", "vi", "yi_from", "overall_rob", "flags", "effect_flagged", "repairs", "source",
             "source_location", "read_or_derived"]
    return df[first + [c for c in df.columns if c not in first]]

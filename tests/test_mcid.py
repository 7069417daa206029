"""helpers.mcid: MCID verdicts, re-expression, predictive probabilities, and the provenance of shipped thresholds."""

import math
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from helpers.mcid import (CATEGORIES, KINDS, control_responders, responders_from_md, THRESHOLD_COLUMNS, THRESHOLDS_CSV, ZONES, Threshold, compare_to_mcid, distribution_mcid,
                          interpret_result, load_thresholds, md_to_smd, prob_exceeds_mcid, smd_to_units,
                          threshold_for)
from helpers.pooling import meta_analysis


@pytest.fixture(scope="module")
def smd_fit(reference):
    d = reference["normand_SMD"]
    return meta_analysis(d["yi"], d["vi"], method="REML")


# --------------------------------------------------------------------------- categories

HIB, LIB = "higher_is_better", "lower_is_better"

# (estimate, ci_low, ci_high, direction, category, side) with MCID = 1: every category, at its boundaries
CASES = [
    (1.5, 1.0, 2.0, HIB, "clearly important", "benefit"),        # lower limit exactly at the MCID
    (1.5, 0.999, 2.0, HIB, "possibly important", "benefit"),     # lower limit just below it
    (1.0, 0.5, 1.5, HIB, "possibly important", "benefit"),       # estimate exactly at the MCID
    (0.999, 0.5, 1.5, HIB, "inconclusive", None),                # estimate just below it
    (0.0, -0.999, 0.999, HIB, "clearly not important", None),    # whole CI strictly inside (-1, 1)
    (0.0, -1.0, 0.5, HIB, "inconclusive", None),                 # CI reaches important harm
    (0.2, -0.5, 1.0, HIB, "inconclusive", None),                 # CI reaches important benefit
    (0.5, 0.1, 1.2, HIB, "inconclusive", None),                  # significant, trivial estimate, CI to important
    (-1.5, -2.0, -1.0, HIB, "clearly important", "harm"),
    (-1.5, -2.0, -0.5, HIB, "possibly important", "harm"),
    (1.5, -3.0, 3.0, HIB, "possibly important", "benefit"),      # CI through all three zones
    (-1.5, -2.0, -1.0, LIB, "clearly important", "benefit"),
    (1.5, 1.0, 2.0, LIB, "clearly important", "harm"),
    (-1.2, -2.0, 0.3, LIB, "possibly important", "benefit"),
    (0.3, -0.2, 0.9, LIB, "clearly not important", None),
]


@pytest.mark.parametrize("est, lo, hi, direction, category, side", CASES)
def test_every_category_at_its_boundaries(est, lo, hi, direction, category, side):
    c = compare_to_mcid(est, lo, hi, mcid=1.0, direction=direction)
    assert (c.category, c.side) == (category, side)
    assert c.category in CATEGORIES
    assert f"Verdict: {category}" in c.reasoning


def test_flags_and_zones():
    c = compare_to_mcid(1.5, 1.0, 2.0, 1.0, HIB)
    assert c.point_estimate_reaches_mcid and c.ci_excludes_mcid and c.statistically_significant
    assert c.ci_zones == ("important benefit",)
    c = compare_to_mcid(0.5, 0.0, 1.2, 1.0, HIB)  # a CI touching 0 is not significant
    assert not c.statistically_significant and not c.point_estimate_reaches_mcid and not c.ci_excludes_mcid
    assert c.ci_zones == ("trivial", "important benefit")
    c = compare_to_mcid(1.5, -3.0, 3.0, 1.0, HIB)
    assert c.ci_zones == ZONES and "both directions" in c.reasoning


def test_reasoning_states_the_numbers_in_plain_english():
    c = compare_to_mcid(0.45, 0.2, 0.7, mcid=0.5, direction=HIB, unit="points")
    text = str(c)
    for piece in ("0.45", "0.2 to 0.7", "MCID of 0.5", "+0.5 or above", "-0.5 or below", "statistically significant",
                  "inconclusive"):
        assert piece in text, piece
    c = compare_to_mcid(-3.0, -6.0, -0.5, mcid=15, direction=LIB)
    assert "-15 or below are important benefits" in c.reasoning and "lower values mean benefit" in c.reasoning
    assert c.category == "clearly not important" and c.statistically_significant


def test_prediction_interval_is_read_too():
    c = compare_to_mcid(0.26, 0.1, 0.42, mcid=0.5, direction=HIB, pi_low=-0.6, pi_high=0.9)
    assert c.category == "clearly not important"
    assert c.pi_zones == ZONES and "prediction interval (-0.6 to 0.9)" in c.prediction
    assert "in some settings the effect may be important" in c.prediction
    narrow = compare_to_mcid(0.26, 0.1, 0.42, mcid=0.5, direction=HIB, pi_low=0.0, pi_high=0.45)
    assert narrow.pi_zones == ("trivial",) and "similar in new settings" in narrow.prediction
    assert compare_to_mcid(0.26, 0.1, 0.42, mcid=0.5, direction=HIB).prediction is None


finite = st.floats(-10, 10, allow_nan=False)


@settings(max_examples=150, deadline=None)
@given(finite, finite, finite, st.floats(0.01, 5), st.sampled_from([HIB, LIB]))
def test_harm_and_benefit_are_symmetric(a, b, c, mcid, direction):
    lo, est, hi = sorted((a, b, c))
    other = LIB if direction == HIB else HIB
    x = compare_to_mcid(est, lo, hi, mcid, direction)
    flipped = compare_to_mcid(-est, -hi, -lo, mcid, other)  # same evidence, other sign convention
    assert (flipped.category, flipped.side) == (x.category, x.side)
    assert flipped.ci_zones == x.ci_zones and flipped.statistically_significant == x.statistically_significant
    mirrored = compare_to_mcid(-est, -hi, -lo, mcid, direction)  # the mirror image: benefit <-> harm
    assert mirrored.category == x.category
    assert mirrored.side == {"benefit": "harm", "harm": "benefit", None: None}[x.side]


@settings(max_examples=150, deadline=None)
@given(finite, finite, finite, st.floats(0.01, 5), st.sampled_from([HIB, LIB]))
def test_categories_agree_with_the_zones(a, b, c, mcid, direction):
    lo, est, hi = sorted((a, b, c))
    x = compare_to_mcid(est, lo, hi, mcid, direction)
    assert (x.category == "clearly important") == (x.ci_excludes_mcid and x.ci_zones != ("trivial",))
    assert (x.category == "clearly not important") == (x.ci_zones == ("trivial",))
    assert (x.category == "possibly important") == (x.point_estimate_reaches_mcid and not x.ci_excludes_mcid)
    assert x.statistically_significant == (lo > 0 or hi < 0)


@pytest.mark.parametrize("kwargs, message", [
    (dict(mcid=0), "mcid must be > 0"),
    (dict(mcid=-1), "mcid must be > 0"),
    (dict(direction="up"), "direction must be one of"),
    (dict(ci_low=0.9, ci_high=0.1), "ci_low"),
    (dict(estimate=2.0), "inside its confidence interval"),
    (dict(estimate=float("nan")), "finite"),
    (dict(pi_low=0.0), "both pi_low and pi_high"),
    (dict(level=95), "level"),
])
def test_bad_input_is_a_clear_value_error(kwargs, message):
    args = dict(estimate=0.5, ci_low=0.1, ci_high=0.9, mcid=0.5, direction=HIB) | kwargs
    with pytest.raises(ValueError, match=message):
        compare_to_mcid(**args)


def test_interpret_result_uses_the_fit(smd_fit):
    c = interpret_result(smd_fit, mcid=0.5, direction=LIB)
    assert (c.estimate, c.ci_low, c.ci_high) == (smd_fit.estimate, smd_fit.ci_low, smd_fit.ci_high)
    assert (c.pi_low, c.pi_high) == (smd_fit.pi_low, smd_fit.pi_high)
    # SMD -0.54 (-1.14 to 0.07): reaches the MCID of 0.5 in the beneficial direction, CI crosses it and 0
    assert c.category == "possibly important" and c.side == "benefit" and not c.statistically_significant
    with pytest.raises(ValueError, match="MetaAnalysis"):
        interpret_result((0.1, 0.0, 0.2), 0.5, HIB)
    with pytest.raises(ValueError, match="direction is required"):
        interpret_result(smd_fit, 0.5)


def test_interpret_result_accepts_a_published_threshold(smd_fit):
    t = threshold_for("HRQL (any instrument)")
    assert t.unit == "SD" and t.value == 0.5
    with pytest.raises(ValueError, match="either direction"):
        interpret_result(smd_fit, t)
    assert interpret_result(smd_fit, t, direction=LIB).mcid == 0.5
    pct = threshold_for("Pain NRS", source="Farrar", unit="percent")
    with pytest.raises(ValueError, match="percentage"):
        interpret_result(smd_fit, pct)
    pts = threshold_for("RMDQ", method="consensus", unit="points")
    assert interpret_result(smd_fit, pts).direction == LIB  # the threshold's own direction


# --------------------------------------------------------------------------- re-expression

@settings(max_examples=200, deadline=None)
@given(st.floats(-1e3, 1e3, allow_nan=False), st.floats(1e-3, 1e3))
def test_smd_to_units_inverts_md_to_smd(md, sd):
    assert math.isclose(smd_to_units(md_to_smd(md, sd), sd), md, rel_tol=1e-12, abs_tol=1e-12)
    assert math.isclose(md_to_smd(smd_to_units(md, sd), sd), md, rel_tol=1e-12, abs_tol=1e-12)


def test_re_expression_is_vectorised_and_validated():
    out = smd_to_units(np.array([0.2, 0.5, 0.8]), 10.0)
    assert isinstance(out, np.ndarray) and np.allclose(out, [2, 5, 8])
    assert np.allclose(md_to_smd([5.5, 11.0], [11.0, 22.0]), [0.5, 0.5])
    assert isinstance(smd_to_units(0.5, 2), float)
    for bad in (0, -1, float("nan"), [1.0, 0.0]):
        with pytest.raises(ValueError, match="reference_sd must be > 0"):
            smd_to_units(0.5, bad)
    with pytest.raises(ValueError, match="finite"):
        md_to_smd(float("inf"), 1.0)


# --------------------------------------------------------------------------- predictive probability

def test_prob_exceeds_mcid_matches_a_direct_scipy_computation(smd_fit):
    res, m = smd_fit, 0.5
    scale = math.sqrt(res.se_wald ** 2 + res.tau2)
    t = stats.t(res.k - 2, loc=res.estimate, scale=scale)
    p = prob_exceeds_mcid(res, m, LIB)                       # lower is better: benefit is theta <= -m
    assert math.isclose(p.p_benefit, t.cdf(-m), rel_tol=1e-10)
    assert math.isclose(p.p_harm, t.sf(m), rel_tol=1e-10)
    assert math.isclose(p.p_benefit + p.p_trivial + p.p_harm, 1.0)
    q = prob_exceeds_mcid(res, m, HIB, df="normal")
    n = stats.norm(res.estimate, scale)
    assert math.isclose(q.p_benefit, n.sf(m), rel_tol=1e-10) and math.isclose(q.p_harm, n.cdf(-m), rel_tol=1e-10)
    r = prob_exceeds_mcid(res, m, HIB, df=4)
    assert math.isclose(r.p_benefit, stats.t(4, res.estimate, scale).sf(m), rel_tol=1e-10)


def test_prob_exceeds_mcid_agrees_with_the_hts_prediction_interval(reference):
    d = reference["normand_SMD"]
    res = meta_analysis(d["yi"], d["vi"], pi_method="hts")
    p = prob_exceeds_mcid(res, mcid=res.pi_high, direction=HIB)  # P(theta_new >= upper PI limit) = 2.5%
    assert math.isclose(p.p_benefit, 0.025, rel_tol=1e-8)


@settings(max_examples=60, deadline=None)
@given(mcids=st.lists(st.floats(0.01, 3), min_size=2, max_size=6, unique=True),
       direction=st.sampled_from([HIB, LIB]), df=st.sampled_from(["k-2", "normal"]))
def test_prob_exceeds_mcid_decreases_as_the_mcid_grows(smd_fit, mcids, direction, df):
    probs = [prob_exceeds_mcid(smd_fit, m, direction, df=df) for m in sorted(mcids)]
    assert all(a.p_benefit >= b.p_benefit for a, b in zip(probs, probs[1:]))
    assert all(a.p_harm >= b.p_harm for a, b in zip(probs, probs[1:]))


def test_prob_exceeds_mcid_refuses_what_it_cannot_do(reference, smd_fit):
    d = reference["normand_SMD"]
    with pytest.raises(ValueError, match="common-effect"):
        prob_exceeds_mcid(meta_analysis(d["yi"], d["vi"], method="FE"), 0.5, HIB)
    with pytest.raises(ValueError, match="at least 3 studies"):
        prob_exceeds_mcid(meta_analysis(d["yi"][:2], d["vi"][:2]), 0.5, HIB)
    with pytest.raises(ValueError, match="df must be"):
        prob_exceeds_mcid(smd_fit, 0.5, HIB, df="k-1")
    with pytest.raises(ValueError, match="df must be positive"):
        prob_exceeds_mcid(smd_fit, 0.5, HIB, df=0)
    with pytest.raises(ValueError, match="mcid must be > 0"):
        prob_exceeds_mcid(smd_fit, -0.5, HIB)
    assert "important benefit with probability" in str(prob_exceeds_mcid(smd_fit, 0.5, HIB))


# --------------------------------------------------------------------------- distribution-based

def test_distribution_mcid_half_sd_and_sem():
    d = distribution_mcid(12.0)
    assert d.half_sd == 6.0 and d.sem is None and "anchor-based" in d.caveats
    d = distribution_mcid(10.0, reliability=0.75)
    assert math.isclose(d.sem, 10 * math.sqrt(0.25))
    v = distribution_mcid(np.array([2.0, 4.0]), reliability=np.array([0.84, 0.91]))
    assert np.allclose(v.half_sd, [1, 2]) and np.allclose(v.sem, [0.8, 1.2])
    for bad in (0.0, 1.0, -0.2, 1.5):
        with pytest.raises(ValueError, match="reliability"):
            distribution_mcid(10.0, bad)
    with pytest.raises(ValueError, match="reference_sd must be > 0"):
        distribution_mcid(0.0)


# --------------------------------------------------------------------------- shipped thresholds

def _number_appears(value: float, quote: str) -> bool:
    words = {1.0: ["one"], 2.0: ["two"], 0.5: ["half"]}
    forms = {f"{value:g}", f"{value:.1f}", f"{value:.2f}", f"{value:.3f}"}
    if any(re.search(rf"(?<![\d.]){re.escape(f)}(?!\d|\.\d)", quote) for f in forms):
        return True
    return any(w in quote.lower() for w in words.get(value, []))


def test_shipped_thresholds_carry_their_provenance():
    table = load_thresholds()
    assert list(table.columns[:len(THRESHOLD_COLUMNS)]) == list(THRESHOLD_COLUMNS)
    assert len(table) >= 40
    for col in ("source", "location", "quote", "doi_or_url"):
        assert table[col].str.len().gt(0).all(), col
    assert (table["threshold"] > 0).all()
    assert set(table["unit"]) <= {"points", "percent", "SD"}
    assert set(table["direction"]) <= {"lower_is_better", "higher_is_better", "either"}
    # honesty rule: every shipped number is written in its own quote
    for row in table.itertuples():
        assert _number_appears(row.threshold, row.quote), (row.scale, row.threshold, row.quote)
    # the numbers only seen in a secondary source are flagged as such
    immpact = table[table["source"].str.contains("IMMPACT")]
    assert len(immpact) == 3 and immpact["secondary"].all()
    assert not table.loc[table["source"].str.startswith("Farrar"), "secondary"].any()


def test_shipped_thresholds_leave_out_what_could_not_be_verified():
    table = load_thresholds()
    assert not table["scale"].str.contains("Self-Efficacy Scale|Recovery Assessment|Herth|Empowerment").any()
    assert not ((table["scale"] == "HAQ-DI") & (table["threshold"] == 0.22)).any()  # quoted often, not found


def _write(tmp_path, table):
    path = tmp_path / "thresholds.csv"
    table.to_csv(path, index=False)
    return path


def test_load_thresholds_rejects_a_row_without_source(tmp_path):
    table = pd.read_csv(THRESHOLDS_CSV, dtype=str, keep_default_na=False)
    table.loc[3, "source"] = ""
    with pytest.raises(ValueError, match=r"line 5 .*source is empty"):
        load_thresholds(_write(tmp_path, table))


@pytest.mark.parametrize("column, value, message", [
    ("quote", "  ", "quote is empty"),
    ("location", "", "location is empty"),
    ("threshold", "10-20", "threshold must be one number"),
    ("threshold", "0", "threshold must be > 0"),
    ("unit", "mm", "unit must be one of"),
    ("direction", "decrease (improvement)", "direction must be one of"),
    ("read_or_derived", "guessed", "read_or_derived must be one of"),
    ("kind", "between-person", "kind must be one of"),
    ("kind_basis", "", "kind_basis is empty"),
])
def test_load_thresholds_validates_every_field(tmp_path, column, value, message):
    table = pd.read_csv(THRESHOLDS_CSV, dtype=str, keep_default_na=False)
    table.loc[0, column] = value
    with pytest.raises(ValueError, match=message):
        load_thresholds(_write(tmp_path, table))


def test_load_thresholds_missing_file_or_column(tmp_path):
    with pytest.raises(ValueError, match="not found"):
        load_thresholds(tmp_path / "nope.csv")
    table = pd.read_csv(THRESHOLDS_CSV, dtype=str).drop(columns=["quote"])
    with pytest.raises(ValueError, match="missing column"):
        load_thresholds(_write(tmp_path, table))


def test_threshold_for_looks_one_up_or_explains():
    t = threshold_for("QPR-15", population="between-group")
    assert isinstance(t, Threshold) and t.value == 4.0 and t.direction == HIB
    assert "between-group MID of 4 points" in t.quote and "Psychosis" in t.cite()
    with pytest.raises(ValueError, match="2 MCIDs match 'QPR-15'"):
        threshold_for("QPR-15")
    assert threshold_for("Pain NRS", source="Salaffi", unit="points", text="much better").value == 2.0
    assert threshold_for("Pain NRS", source="Salaffi", unit="points", text="slightly better").value == 1.0
    with pytest.raises(ValueError, match=r"(?s)11 MCIDs match 'Pain NRS'.*Farrar"):
        threshold_for("Pain NRS")
    with pytest.raises(ValueError, match=r"Available scales: .*PSEQ.*RMDQ"):
        threshold_for("Herth Hope Index")
    with pytest.raises(ValueError, match="no row matches the filters"):
        threshold_for("ODI", source="Farrar")
    with pytest.raises(ValueError, match="unit must be one of"):
        threshold_for("ODI", unit="mm")
    assert threshold_for("HAQ").value == 0.375  # substring match when nothing matches exactly
    secondary = threshold_for("BPI interference")
    assert secondary.secondary and "SECONDARY SOURCE" in str(secondary)


# --------------------------------------------------------------------------- the kind of a threshold

def test_every_shipped_threshold_carries_its_kind_and_its_basis():
    table = load_thresholds()
    assert set(table["kind"]) <= set(KINDS) and table["kind_basis"].str.len().gt(20).all()
    # the kit's own reading of its sources, row by row for the ones the notebooks use
    assert set(table.loc[table.source.str.startswith("Ostelo"), "kind"]) == {"within-person change"}
    assert set(table.loc[table.source.str.startswith("Farrar"), "kind"]) == {"within-person change"}
    assert set(table.loc[table.source.str.contains("IMMPACT"), "kind"]) == {"responder definition"}
    assert set(table.loc[table.scale == "SMD", "kind"]) == {"rule of thumb"}
    assert set(table.loc[table.source.str.startswith("Norman"), "kind"]) == {"distribution-based"}
    assert threshold_for("QPR-15", kind="between-group").value == 4.0
    assert threshold_for("QPR-15", kind="within-person").value == 5.0
    # a kind the kit could not read is said to be unknown, not guessed
    mathias = table[table.source.str.startswith("Mathias")].iloc[0]
    assert mathias.kind == "not stated" and "could not read" in mathias.kind_basis


def test_a_within_person_threshold_on_a_between_group_difference_says_so():
    ostelo = threshold_for("Pain VAS", source="Ostelo", unit="points")
    assert ostelo.kind == "within-person change"
    # Wilson 2024's medium-term pain MD, read on 0-100, against Ostelo's 15 mm within-patient change
    c = compare_to_mcid(-3.48, -6.61, -0.35, ostelo.value, LIB, threshold_kind=ostelo.kind)
    assert c.category == "clearly not important"           # where the CI lies, as before
    assert c.verdict == "below a within-person change threshold: importance not settled"
    assert c.kind_caution.startswith("Caution: this threshold is a within-person change")
    assert "does not show that nobody benefits" in c.reasoning and "clearly not important" not in c.reasoning
    assert "responders_from_md" in c.kind_caution
    # a between-group MID gives the plain verdict, with no caution
    plain = compare_to_mcid(-3.48, -6.61, -0.35, 15.0, LIB, threshold_kind="between-group difference")
    assert plain.verdict == "clearly not important" and plain.kind_caution is None
    # a responder definition is person-level too; other verdicts are qualified, not renamed
    big = compare_to_mcid(-20.0, -25.0, -16.0, 15.0, LIB, threshold_kind="responder definition")
    assert big.verdict == "clearly important (benefit), vs a responder definition threshold"
    # interpret_result takes the kind from a Threshold
    fit = meta_analysis([-3.0, -4.0, -2.5], [1.0, 1.2, 0.9])
    assert interpret_result(fit, ostelo).threshold_kind == "within-person change"
    assert "not settled" in interpret_result(fit, ostelo).verdict


@pytest.mark.parametrize("kind, words", [
    ("distribution-based", "spread of the scores"),
    ("rule of thumb", "not 'minimally important'"),
    ("not stated", "kind of threshold was not stated"),
])
def test_other_kinds_get_their_own_note(kind, words):
    c = compare_to_mcid(0.26, 0.16, 0.36, 0.5, HIB, threshold_kind=kind)
    assert words in c.kind_caution and words in c.reasoning
    assert c.verdict == (c.category if kind == "not stated" else f"{c.category}, by a {kind} threshold (not an "
                                                                  "anchor-based MID)")


@pytest.mark.parametrize("est, lo, hi, direction, plain, sized", [
    (-0.23, -0.37, -0.09, LIB, "possibly important (benefit)", "possibly small (benefit)"),    # 09's recovery SMD
    (0.36, 0.20, 0.51, HIB, "clearly important (benefit)", "at least small (benefit)"),        # lower limit on 0.2
    (0.05, -0.1, 0.15, HIB, "clearly not important", "below small"),
    (0.1, -0.1, 0.3, HIB, "inconclusive", "inconclusive"),
    (-0.3, -0.5, -0.25, HIB, "clearly important (harm)", "at least small (harm)"),
])
def test_a_rule_of_thumb_names_a_size_never_importance(est, lo, hi, direction, plain, sized):
    stated = compare_to_mcid(est, lo, hi, 0.2, direction)
    assert stated.verdict == plain
    c = compare_to_mcid(est, lo, hi, 0.2, direction, threshold_kind="rule of thumb", pi_low=-1.0, pi_high=1.0)
    assert c.verdict == f"{sized}, by a rule of thumb threshold (not an anchor-based MID)"
    assert c.category == sized.split(" (")[0] and c.side == stated.side and c.ci_zones == stated.ci_zones
    # no sentence but the caution (which says why) and the significance sentence mentions importance
    said = c.reasoning.replace(c.kind_caution, "").replace("does not make it clinically important", "")
    assert "important" not in said and "to matter" not in said and c.size_label == "small"


def test_rule_of_thumb_size_words_follow_cohens_anchors():
    # Handbook 5.1 12.6.2: "0.2 represents a small effect, 0.5 a moderate effect, and 0.8 a large effect"
    for m, word in ((0.2, "small"), (0.49, "small"), (0.5, "moderate"), (0.8, "large"), (1.2, "large")):
        assert compare_to_mcid(0.0, -0.05, 0.05, m, HIB, threshold_kind="rule of thumb").category == f"below {word}"
    # the Handbook's variant bands are the caller's to name
    c = compare_to_mcid(0.45, 0.41, 0.6, 0.40, HIB, threshold_kind="rule of thumb", size_label="moderate")
    assert c.verdict.startswith("at least moderate (benefit)")
    with pytest.raises(ValueError, match="needs threshold_kind='rule of thumb'"):
        compare_to_mcid(0.45, 0.41, 0.6, 0.40, HIB, size_label="moderate")
    with pytest.raises(ValueError, match="size word"):
        compare_to_mcid(0.45, 0.41, 0.6, 0.40, HIB, threshold_kind="rule of thumb", size_label="important")
    smd = threshold_for("SMD", text="Rule of thumb: small effect")
    fit = meta_analysis([0.3, 0.25, 0.35], [0.002, 0.003, 0.002])
    assert interpret_result(fit, smd, direction=HIB).category == "at least small"


def test_kinds_are_validated():
    with pytest.raises(ValueError, match="threshold_kind must be one of"):
        compare_to_mcid(0.2, 0.1, 0.3, 0.5, HIB, threshold_kind="within person")
    with pytest.raises(ValueError, match="estimate_kind must be one of"):
        compare_to_mcid(0.2, 0.1, 0.3, 0.5, HIB, estimate_kind="pooled")
    within = compare_to_mcid(6.0, 5.2, 6.8, 5.0, HIB, estimate_kind="within-person change",
                             threshold_kind="between-group difference")
    assert "use a within-person minimal important change" in within.kind_caution


# --------------------------------------------------------------------------- the responder approach

def test_responders_normal_method_matches_scipy():
    # normal outcomes, equal SDs: the intervention distribution is the control's shifted by d = benefit / SD
    r = responders_from_md(-3.48, 20.0, 0.30, LIB, ci_low=-6.61, ci_high=-0.35, method="normal")
    d = np.array([3.48, 6.61, 0.35]) / 20.0
    expected = stats.norm.cdf(stats.norm.ppf(0.30) + d)
    assert r.p_intervention == pytest.approx(expected[0], rel=1e-12)
    assert r.p_intervention_ci == pytest.approx((expected[2], expected[1]), rel=1e-12)
    assert r.rd == pytest.approx(expected[0] - 0.30, rel=1e-12) and r.rd_ci[0] < r.rd < r.rd_ci[1]
    assert r.nnt.label == "NNTB" and r.nnt.value == pytest.approx(1 / r.rd, rel=1e-12)
    assert r.smd == pytest.approx(0.174, rel=1e-12)


def test_responders_logistic_method_is_the_handbooks_log_odds_ratio():
    # Cochrane Handbook 5.1 12.6.3: ln OR = pi / sqrt(3) x SMD, combined with the control proportion
    r = responders_from_md(0.26, 1.0, 0.25, HIB, ci_low=0.16, ci_high=0.36)
    odds = math.exp(math.pi / math.sqrt(3) * 0.26)
    expected = odds * 0.25 / (1 - 0.25 + odds * 0.25)
    assert r.p_intervention == pytest.approx(expected, rel=1e-12) and r.method == "logistic"
    assert math.pi / math.sqrt(3) == pytest.approx(1.81, abs=0.005)   # the Handbook's "approximately 1.81"
    assert "NNTB" in r.text and "12.6.3" in r.text


@settings(max_examples=60, deadline=None)
@given(st.floats(-3, 3), st.floats(0.5, 30), st.floats(0.02, 0.98), st.sampled_from(["logistic", "normal"]))
def test_responders_invariants(md, sd, pc, method):
    up = responders_from_md(md, sd, pc, HIB, method=method)
    down = responders_from_md(-md, sd, pc, LIB, method=method)
    assert up.rd == pytest.approx(down.rd, abs=1e-12)                 # direction is only a sign
    assert (up.rd > 0) == (md > 0) or abs(md) < 1e-12
    zero = responders_from_md(0.0, sd, pc, HIB, method=method)
    assert zero.rd == pytest.approx(0.0, abs=1e-12)
    more = responders_from_md(md + 1.0, sd, pc, HIB, method=method)
    assert more.rd > up.rd                                            # a larger benefit, more responders


def test_control_responders_applies_the_within_person_threshold_to_changes():
    # control patients improve by 1 point on average (SD of change 2); a responder improves by >= 2 points
    assert control_responders(-1.0, 2.0, 2.0, LIB) == pytest.approx(stats.norm.cdf(-0.5), rel=1e-12)
    assert control_responders(1.0, 2.0, 2.0, HIB) == pytest.approx(stats.norm.cdf(-0.5), rel=1e-12)


def test_responders_bad_input():
    with pytest.raises(ValueError, match="control_risk must be"):
        responders_from_md(1.0, 2.0, 1.2, HIB)
    with pytest.raises(ValueError, match="method must be one of"):
        responders_from_md(1.0, 2.0, 0.3, HIB, method="probit")
    with pytest.raises(ValueError, match="reference_sd|sd"):
        responders_from_md(1.0, 0.0, 0.3, HIB)
    with pytest.raises(ValueError, match="inside its CI"):
        responders_from_md(1.0, 2.0, 0.3, HIB, ci_low=1.5, ci_high=2.0)
    with pytest.raises(ValueError, match="both ci_low and ci_high"):
        responders_from_md(1.0, 2.0, 0.3, HIB, ci_low=0.5)

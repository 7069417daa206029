"""helpers.grade: certainty arithmetic, suggestion rules at their thresholds, rule provenance, SoF tables."""

import dataclasses
import itertools
import math

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers.bias import egger_test
from helpers.grade import (CERTAINTY_LEVELS, DOMAINS, RATINGS, RULE_SOURCES, RULES_CSV, SYMBOLS, DomainJudgement,
                           GradeAssessment, SoFRow, Suggestion, export_sof, load_grade_rules,
                           optimal_information_size, sof_styler, suggest_imprecision, suggest_inconsistency,
                           suggest_publication_bias, summary_of_findings, STATEMENT_RULES, informative_statement)
from helpers.pooling import meta_analysis

REASONS = {"not serious": "", "serious": "a concern", "very serious": "a grave concern",
           "not assessed": "information not available", "undetected": "", "strongly suspected": "small trials only"}
#: The levels each domain takes: GRADE's own words for publication bias.
DOMAIN_LEVELS = ("not serious", "serious", "very serious", "not assessed")
PB_LEVELS = ("undetected", "strongly suspected", "very serious", "not assessed")


def assessment(levels=None, design="RCT", upgrades=0, outcome="Pain"):
    levels = levels or {}
    judgements = [DomainJudgement(d, levels.get(d, "not serious"), REASONS[levels.get(d, "not serious")])
                  for d in DOMAINS]
    return GradeAssessment(outcome, design, judgements, upgrades, "large effect" if upgrades else "")


@pytest.fixture(scope="module")
def fits(reference):
    return {key: meta_analysis(reference[key]["yi"], reference[key]["vi"])
            for key in ("bcg_logRR", "normand_MD", "normand_SMD")}


# --------------------------------------------------------------------------- judgements and certainty

def test_domain_judgement_uses_grades_words_and_requires_reasons():
    j = DomainJudgement("Risk of bias", "Serious", "allocation not concealed")
    assert (j.domain, j.rating, j.levels_down, j.label) == ("risk_of_bias", "serious", 1, "Risk of bias")
    assert DomainJudgement("imprecision", "very serious", "wide CI").levels_down == 2
    assert DomainJudgement("imprecision", "not serious").levels_down == 0
    with pytest.raises(ValueError, match="give the reason"):
        DomainJudgement("imprecision", "serious")
    with pytest.raises(ValueError, match="rating must be one of"):
        DomainJudgement("imprecision", "moderate", "x")
    with pytest.raises(ValueError, match="domain must be one of"):
        DomainJudgement("imprecise", "serious", "x")


def _expected_certainty(levels, design, upgrades):
    """Independent restatement: RCT 3 / observational 1, minus levels rated down, plus upgrades, clipped to 0..3."""
    start = {"RCT": 3, "observational": 1}[design]
    # "not assessed" rates down nothing in the best case, which is what .certainty reports
    down = sum({"not serious": 0, "serious": 1, "very serious": 2, "not assessed": 0, "undetected": 0,
                "strongly suspected": 1}[level] for level in levels)
    return ["very low", "low", "moderate", "high"][min(max(start - down + upgrades, 0), 3)]


def test_certainty_arithmetic_for_every_combination():
    # all 4^5 domain ratings (with "not assessed", whose best case is 0) x 2 designs x 4 upgrade counts
    for levels in itertools.product(*[DOMAIN_LEVELS] * 4, PB_LEVELS):
        for design in ("RCT", "observational"):
            for upgrades in range(4):
                a = assessment(dict(zip(DOMAINS, levels)), design, upgrades)
                expected = _expected_certainty(levels, design, upgrades)
                assert a.domain_certainty == expected, (levels, design, upgrades)
                # a domain not assessed leaves the outcome not graded: no certainty, no circles
                graded = "not assessed" not in levels
                assert a.graded == graded and a.certainty == (expected if graded else None)
                assert (a.symbol == SYMBOLS[expected]) if graded else (a.symbol == "not graded")


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(["not serious", "serious", "very serious"]), min_size=4, max_size=4),
       st.sampled_from(["undetected", "strongly suspected"]), st.sampled_from(["RCT", "observational"]),
       st.integers(0, 3), st.permutations(DOMAINS))
def test_certainty_does_not_depend_on_how_the_judgements_are_given(first_four, pb, design, upgrades, order):
    levels = first_four + [pb]
    rated = dict(zip(DOMAINS, levels))
    as_mapping = GradeAssessment("Pain", design, {d: (rated[d], REASONS[rated[d]]) for d in order}, upgrades,
                                 "large effect" if upgrades else "")
    as_list = assessment(rated, design, upgrades)
    assert as_mapping.certainty == as_list.certainty == _expected_certainty(levels, design, upgrades)
    assert as_mapping.judgements == as_list.judgements
    a = as_list
    assert a.symbol == SYMBOLS[a.certainty] and a.symbol.count("\u2295") == CERTAINTY_LEVELS.index(a.certainty) + 1
    assert a.levels_down == -sum(RATINGS[level] for level in levels)


def test_certainty_examples_and_the_floor():
    assert assessment().certainty == "high" and assessment().symbol == "⊕⊕⊕⊕"
    assert assessment({"imprecision": "serious"}).certainty == "moderate"
    assert assessment({"imprecision": "very serious", "risk_of_bias": "serious"}).certainty == "very low"
    worst = assessment({d: "very serious" for d in DOMAINS})
    assert worst.certainty == "very low" and worst.symbol == "⊕◯◯◯" and "floored at very low" in worst.describe()
    assert assessment(design="observational").certainty == "low"
    assert assessment({"imprecision": "serious"}, design="observational").certainty == "very low"
    assert assessment(design="observational", upgrades=1).certainty == "moderate"
    assert assessment(upgrades=2).certainty == "high"  # capped at high


def test_certainty_cannot_be_typed_by_hand():
    a = assessment()
    with pytest.raises(AttributeError):
        a.certainty = "high"
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.upgrades = 3
    with pytest.raises(TypeError):
        GradeAssessment("Pain", judgements={d: "not serious" for d in DOMAINS}, certainty="high")


def test_assessment_validation():
    five = {d: "not serious" for d in DOMAINS}
    with pytest.raises(ValueError, match="missing \\['publication_bias'\\]"):
        GradeAssessment("Pain", judgements={d: "not serious" for d in DOMAINS[:4]})
    with pytest.raises(ValueError, match="judged twice"):
        GradeAssessment("Pain", judgements=[DomainJudgement(d, "not serious") for d in DOMAINS + ("imprecision",)])
    with pytest.raises(ValueError, match="study_design"):
        GradeAssessment("Pain", "cohort", five)
    with pytest.raises(ValueError, match="upgrade_reason"):
        GradeAssessment("Pain", "observational", five, upgrades=1)
    with pytest.raises(ValueError, match="whole number"):
        GradeAssessment("Pain", "observational", five, upgrades=-1)
    with pytest.raises(ValueError, match="give the reason"):
        GradeAssessment("Pain", judgements=five | {"imprecision": "serious"})
    with pytest.raises(ValueError, match="outcome"):
        GradeAssessment(" ", judgements=five)
    ok = GradeAssessment("Pain", judgements=five | {"imprecision": ("serious", "wide CI", "CI crosses the MCID")})
    assert ok.judgement("imprecision").footnote == "CI crosses the MCID"
    # the order of the judgements is normalised to GRADE's order
    assert [j.domain for j in ok.judgements] == list(DOMAINS)


def test_footnotes_and_summary():
    a = GradeAssessment("Pain", judgements={
        "risk_of_bias": ("serious", "most trials unblinded"), "inconsistency": "not serious",
        "indirectness": "not serious", "imprecision": ("serious", "wide CI", "CI includes no effect"),
        "publication_bias": "not serious"})
    assert a.footnotes == ("Risk of bias (serious): most trials unblinded", "CI includes no effect")
    table = a.summary()
    assert list(table.index) == ["Start", "Risk of bias", "Inconsistency", "Indirectness", "Imprecision",
                                 "Publication bias", "Certainty"]
    assert table.loc["Imprecision", "change"] == -1 and table.loc["Certainty", "judgement"] == "⊕⊕◯◯ Low"
    assert str(a).startswith("Pain: ⊕⊕◯◯ Low.")


# --------------------------------------------------------------------------- inconsistency

def _with(fit, i2_ci=None, **changes):
    """A real fit with some statistics replaced, to put a rule exactly at its threshold."""
    res = dataclasses.replace(fit, **changes)
    if i2_ci is not None:  # i2_ci is computed on first access; seed that cache instead
        res.__dict__["_intervals"] = {**fit._intervals, "i2_ci_low": i2_ci[0], "i2_ci_high": i2_ci[1]}
    return res


@pytest.mark.parametrize("i2, pi, level", [
    (75.0, (0.1, 0.9), "serious"),        # considerable: serious whatever the PI
    (74.99, (0.1, 0.9), "not serious"),   # substantial, PI on one side of 0: borderline, not serious
    (74.99, (-0.1, 0.9), "serious"),      # substantial and the PI crosses 0
    (50.0, (-0.1, 0.9), "serious"),
    (49.99, (-0.1, 0.9), "not serious"),  # below the substantial band
    (0.0, (0.2, 0.6), "not serious"),
])
def test_inconsistency_rule_at_its_thresholds(fits, i2, pi, level):
    res = _with(fits["normand_SMD"], i2=i2, pi_low=pi[0], pi_high=pi[1], i2_ci=(max(i2 - 20, 0), min(i2 + 10, 100)))
    s = suggest_inconsistency(res)
    assert isinstance(s, Suggestion) and s.domain == "inconsistency" and s.rating == level
    assert "HET-I2-01" in s.source and "INC-02" in s.source and "SECONDARY SOURCE" in s.source
    assert f"I² = {i2:.0f}%" in s.reason


def test_inconsistency_reports_bands_ci_and_pi(fits):
    s = suggest_inconsistency(fits["bcg_logRR"])  # I² 92%, PI -1.87 to 0.44
    assert s.rating == "serious" and "considerable heterogeneity" in s.reason and "crosses 0" in s.reason
    res = _with(fits["normand_SMD"], i2=35.0, i2_ci=(0.0, 80.0), pi_low=0.1, pi_high=0.9)
    s = suggest_inconsistency(res)
    assert s.rating == "not serious" and "might not be important" in s.reason and "cannot be ruled out" in s.reason
    s = suggest_inconsistency(fits["normand_SMD"], mcid=0.5)
    assert "important effects in both directions" in s.reason and s.rating == "serious"
    assert "very serious" not in (s.rating or "")


def test_inconsistency_too_few_studies_and_common_effect(reference):
    d = reference["normand_SMD"]
    s = suggest_inconsistency(meta_analysis(d["yi"][:2], d["vi"][:2]))
    assert s.rating is None and "Too few studies" in s.reason and "k = 2" in s.reason
    with pytest.raises(ValueError, match="no suggested rating"):
        s.to_judgement()
    fe = meta_analysis(d["yi"], d["vi"], method="FE")  # no PI: study estimates on both sides of 0 decide
    s = suggest_inconsistency(fe)
    assert fe.pi_low is None and "No prediction interval" in s.reason
    with pytest.raises(ValueError, match="MetaAnalysis"):
        suggest_inconsistency({"i2": 50})


# --------------------------------------------------------------------------- imprecision

@pytest.mark.parametrize("ci, mcid, level", [
    ((-0.1, 0.9), None, "serious"),          # includes 0
    ((0.0, 0.9), None, "serious"),           # touches 0: still includes it
    ((0.01, 0.9), None, "not serious"),
    ((-0.1, 0.6), 0.5, "serious"),           # crosses +MCID (0 is not a threshold of this target)
    ((-0.6, 0.1), 0.5, "serious"),           # crosses -MCID
    ((-0.6, 0.6), 0.5, "very serious"),      # crosses both: important harm to important benefit
    ((-0.5, 0.5), 0.5, "very serious"),      # both limits exactly at the thresholds reach them
    ((-0.1, 0.4), 0.5, "not serious"),       # wholly trivial: precisely unimportant
    ((0.1, 0.6), 0.5, "serious"),            # crosses the MCID
    ((0.1, 0.5), 0.5, "serious"),            # upper limit exactly at the MCID reaches it
    ((0.5, 1.0), 0.5, "not serious"),        # lower limit exactly at the MCID: does not cross
    ((0.6, 1.0), 0.5, "not serious"),
])
def test_imprecision_rule_at_its_thresholds(fits, ci, mcid, level):
    res = _with(fits["normand_SMD"], estimate=(ci[0] + ci[1]) / 2, ci_low=ci[0], ci_high=ci[1])
    s = suggest_imprecision(res, mcid=mcid, direction="higher_is_better")
    assert s.rating == level and s.domain == "imprecision"
    assert "IMP-08" in s.source
    if level == "very serious":
        assert "IMP-09" in s.source and "two or three levels" in s.reason


def test_imprecision_uses_one_criterion_the_ci_against_the_targets_thresholds(fits):
    res = _with(fits["normand_SMD"], estimate=0.1, ci_low=-0.1, ci_high=0.4)
    against_mcid, against_null = suggest_imprecision(res, mcid=0.5), suggest_imprecision(res)
    # the same CI: precise for "is it important?" (all trivial), imprecise for "is there an effect?"
    assert against_mcid.rating == "not serious" and "trivial effects" in against_mcid.reason
    assert "partially contextualised" in against_mcid.reason and "CERT-03" in against_mcid.source
    assert against_null.rating == "serious" and "minimally contextualised" in against_null.reason
    assert "KCE" not in against_mcid.source + against_null.source


def test_imprecision_optimal_information_size(fits):
    res = _with(fits["normand_SMD"], estimate=0.8, ci_low=0.6, ci_high=1.0)
    assert suggest_imprecision(res, mcid=0.5, n_total=126, ois=126).rating == "not serious"
    s = suggest_imprecision(res, mcid=0.5, n_total=125, ois=126)
    assert s.rating == "serious" and "below the optimal information size" in s.reason and "OIS-02" in s.source
    worse = _with(res, ci_low=-0.1)
    crossing = suggest_imprecision(worse, mcid=0.5, n_total=10, ois=126)  # GRADE 34: OIS only without crossing
    assert crossing.rating == "serious" and "not needed" in crossing.reason
    assert "not checked" in suggest_imprecision(res, n_total=100).reason
    with pytest.raises(ValueError, match="n_total"):
        suggest_imprecision(res, ois=126)
    with pytest.raises(ValueError, match="mcid must be > 0"):
        suggest_imprecision(res, mcid=0)
    with pytest.raises(ValueError, match="direction"):
        suggest_imprecision(res, mcid=0.5, direction="up")


def test_optimal_information_size_by_hand():
    # 2 x (1.959964 + 0.841621)^2 x 1^2 / 0.5^2 = 62.79 -> 63 per group, 126 in all
    assert optimal_information_size(0.5, 1.0) == 126
    # power 0.9: 2 x (1.959964 + 1.281552)^2 x 10^2 / 5^2 = 84.06 -> 85 per group
    assert optimal_information_size(5, 10, power=0.9) == 170
    # alpha 0.01: 2 x (2.575829 + 0.841621)^2 x 20^2 / 10^2 = 93.40 -> 94 per group
    assert optimal_information_size(-10, 20, alpha=0.01) == 188
    z = 1.959963984540054 + 0.8416212335729143
    assert optimal_information_size(0.2, 1.0) == 2 * math.ceil(2 * z ** 2 / 0.04)
    for kwargs in (dict(delta=0, sd=1), dict(delta=1, sd=0), dict(delta=1, sd=1, alpha=1.5),
                   dict(delta=1, sd=1, power=1.0)):
        with pytest.raises(ValueError):
            optimal_information_size(**kwargs)


# --------------------------------------------------------------------------- publication bias

def test_publication_bias_not_assessable_below_ten_studies(reference):
    d = reference["normand_MD"]  # k = 9
    s = suggest_publication_bias(d["yi"], d["vi"])
    assert s.rating is None and s.reason.startswith("Not assessable: fewer than 10 studies (k = 9)")
    assert "SECONDARY SOURCE" in s.source and "PB-01" in s.source


def test_publication_bias_uses_egger_from_ten_studies(reference):
    d = reference["bcg_logRR"]  # k = 13
    eg = egger_test(meta_analysis(d["yi"], d["vi"]))
    s = suggest_publication_bias(d["yi"], d["vi"])
    assert f"p = {eg.pvalue:.3f}" in s.reason
    assert s.rating == ("strongly suspected" if eg.pvalue < 0.05 else "undetected")
    assert math.isclose(eg.pvalue, reference["bcg_logRR"]["egger"]["p"], rel_tol=1e-6)
    just_above = suggest_publication_bias(d["yi"], d["vi"], alpha=eg.pvalue * 1.0001)
    just_below = suggest_publication_bias(d["yi"], d["vi"], alpha=eg.pvalue * 0.9999)
    assert (just_above.rating, just_below.rating) == ("strongly suspected", "undetected")
    binary = suggest_publication_bias(d["yi"], d["vi"], binary=True)
    assert "Peters" in binary.reason and "PB-05" in binary.source and "PB-05" not in s.source
    with pytest.raises(ValueError, match="alpha"):
        suggest_publication_bias(d["yi"], d["vi"], alpha=0)
    with pytest.raises(ValueError, match="vi must be > 0"):
        suggest_publication_bias([0.1] * 10, [0.1] * 9 + [-1])


def test_suggestions_never_impose_but_can_be_accepted(fits):
    s = suggest_imprecision(fits["normand_SMD"], mcid=0.5)
    j = s.to_judgement(footnote="CI includes no effect and important benefit")
    assert isinstance(j, DomainJudgement) and j.rating == s.rating and j.reason == s.reason
    assert "Rule:" in str(s) and "Source:" in str(s)


# --------------------------------------------------------------------------- rule provenance

def test_every_rule_the_code_cites_is_quoted_in_grade_rules_csv():
    rules = load_grade_rules()
    missing = [r for r in RULE_SOURCES if r not in rules.index]
    assert not missing
    for r in RULE_SOURCES:
        assert rules.loc[r, "quote"].strip() and rules.loc[r, "location"].strip()
        assert ("SECONDARY" in RULE_SOURCES[r]) == (rules.loc[r, "provenance"] == "secondary"), r
    assert "IMP-05" not in rules.index  # the unverified "OIS about 400" rule is not shipped


def test_load_grade_rules_rejects_a_rule_without_source(tmp_path):
    table = pd.read_csv(RULES_CSV, dtype=str, keep_default_na=False)
    table.loc[2, "source"] = ""
    path = tmp_path / "rules.csv"
    table.to_csv(path, index=False)
    with pytest.raises(ValueError, match="line 4 .*source is empty"):
        load_grade_rules(path)
    table = pd.read_csv(RULES_CSV, dtype=str, keep_default_na=False)
    table.loc[1, "rule_id"] = table.loc[0, "rule_id"]
    table.to_csv(path, index=False)
    with pytest.raises(ValueError, match="duplicate"):
        load_grade_rules(path)


# --------------------------------------------------------------------------- summary of findings

def _two_downgrades(outcome="Self-efficacy"):
    return GradeAssessment(outcome, judgements={
        "risk_of_bias": ("serious", "most trials unblinded"), "inconsistency": "not serious",
        "indirectness": "not serious", "imprecision": ("serious", "wide CI", "CI includes no effect"),
        "publication_bias": "not serious"})


def test_summary_of_findings_content(fits):
    a = _two_downgrades()
    b = GradeAssessment("Function", judgements={
        "risk_of_bias": ("serious", "most trials unblinded"), "inconsistency": "not serious",
        "indirectness": "not serious", "imprecision": "not serious", "publication_bias": "not serious"})
    sof = summary_of_findings([
        SoFRow(a, measure="SMD", estimate=0.18, ci_low=0.07, ci_high=0.29, participants=1265, studies=5,
               comments="Small effect"),
        {"assessment": b, "measure": "SMD", "estimate": -0.1, "ci_low": -0.25, "ci_high": 0.05,
         "participants": 900, "studies": 1},
        SoFRow(_two_downgrades("Length of stay"), fits["normand_MD"], measure="MD", unit="days", participants=800),
    ])
    assert list(sof.columns) == ["outcome", "participants (studies)", "certainty", "relative effect",
                                 "absolute effect", "comments", "footnotes"]
    first, second, third = sof.to_dict("records")
    assert first["participants (studies)"] == "1265 (5 RCTs)" and second["participants (studies)"] == "900 (1 RCT)"
    assert first["certainty"] == "⊕⊕◯◯ Low a,b"
    assert second["certainty"] == "⊕⊕⊕◯ Moderate a"          # the same footnote keeps its letter
    assert third["certainty"] == "⊕⊕◯◯ Low a,b" and third["participants (studies)"] == "800 (9 RCTs)"
    assert first["absolute effect"] == "SMD 0.18 higher (0.07 higher to 0.29 higher)"
    assert second["absolute effect"] == "SMD 0.10 lower (0.25 lower to 0.05 higher)"
    assert third["absolute effect"] == "MD 15.11 days lower (32.64 lower to 2.43 higher)"
    assert first["relative effect"] == "\u2013" and first["comments"] == "Small effect"
    assert sof.attrs["footnotes"] == {"a": "Risk of bias (serious): most trials unblinded",
                                      "b": "CI includes no effect"}
    assert first["footnotes"] == "a. Risk of bias (serious): most trials unblinded b. CI includes no effect"


def test_summary_of_findings_ratio_measures_and_absolute_effects(fits):
    a = GradeAssessment("TB", "observational", {d: "not serious" for d in DOMAINS})
    sof = summary_of_findings([
        SoFRow(a, measure="RR", estimate=math.log(0.5), ci_low=math.log(0.25), ci_high=math.log(1.0),
               studies=3, participants=3000, control_risk=0.2),
        SoFRow(a, measure="OR", estimate=math.log(2.0), ci_low=math.log(1.5), ci_high=math.log(3.0), studies=2,
               control_risk=0.2),
        SoFRow(a, fits["bcg_logRR"], measure="RR"),
    ])
    rr, odds, bcg = sof.to_dict("records")
    assert rr["relative effect"] == "RR 0.50 (0.25 to 1.00)"
    assert rr["absolute effect"] == "100 fewer per 1000 (from 150 fewer to 0 fewer)"  # 1000 x 0.2 x (RR - 1)
    # OR 2 at a control risk of 0.2: 2 x 0.2 / (0.8 + 0.4) = 0.333 -> 133 more per 1000
    assert odds["absolute effect"] == "133 more per 1000 (from 73 more to 229 more)"
    assert odds["participants (studies)"] == "not reported (2 observational studies)"
    assert rr["certainty"] == "⊕⊕◯◯ Low"
    assert bcg["relative effect"] == "RR 0.49 (0.34 to 0.70)" and bcg["absolute effect"] == "\u2013"


def test_summary_of_findings_bad_input(fits):
    a = _two_downgrades()
    with pytest.raises(ValueError, match="measure must be one of"):
        summary_of_findings([SoFRow(a, fits["normand_SMD"], measure="Cohen")])
    with pytest.raises(ValueError, match="give a result"):
        summary_of_findings([SoFRow(a, studies=2)])
    with pytest.raises(ValueError, match="ci_low <= estimate"):
        summary_of_findings([SoFRow(a, estimate=0.5, ci_low=0.0, ci_high=0.2, studies=2)])
    with pytest.raises(ValueError, match="control_risk"):
        summary_of_findings([SoFRow(a, measure="RR", estimate=0.0, ci_low=-0.1, ci_high=0.1, studies=2,
                                    control_risk=20)])
    with pytest.raises(ValueError, match="at least one outcome"):
        summary_of_findings([])
    with pytest.raises(ValueError, match="GradeAssessment"):
        summary_of_findings([{"assessment": "low", "estimate": 0.1, "ci_low": 0, "ci_high": 0.2, "studies": 1}])
    with pytest.raises(ValueError, match="unknown key.*'n'"):
        summary_of_findings([{"assessment": a, "estimate": 0.1, "ci_low": 0, "ci_high": 0.2, "n": 10}])


def test_sof_styler_and_export(tmp_path, fits):
    pytest.importorskip("jinja2")
    sof = summary_of_findings([SoFRow(_two_downgrades(), fits["normand_SMD"], participants=400)])
    html = sof_styler(sof).to_html()
    assert "Summary of findings" in html and "CI includes no effect" in html and "⊕⊕◯◯ Low a,b" in html
    written = export_sof(sof, tmp_path / "sof.csv", tmp_path / "sof.html")
    assert [p.name for p in written] == ["sof.csv", "sof.html"]
    back = pd.read_csv(tmp_path / "sof.csv", keep_default_na=False)
    assert back.loc[0, "certainty"] == "⊕⊕◯◯ Low a,b" and back.loc[0, "footnotes"].startswith("a. Risk of bias")
    assert "CI includes no effect" in (tmp_path / "sof.html").read_text(encoding="utf-8")
    with pytest.raises(ValueError, match="path_csv"):
        export_sof(sof)


def test_not_assessed_makes_the_certainty_an_upper_bound():
    a = GradeAssessment("Recovery", judgements={
        "risk_of_bias": ("not assessed", "the trials' risk-of-bias tables are not in public text"),
        "inconsistency": "not serious", "indirectness": ("not assessed", "populations not read"),
        "imprecision": ("serious", "CI includes no effect"), "publication_bias": "not serious"})
    assert not a.graded and a.certainty is None and a.symbol == "not graded"
    assert a.domain_certainty == "moderate" and a.certainty_range == ("very low", "moderate")
    assert a.certainty_text == ("not graded: 2 domains not assessed (the domain count could be anything from "
                                "very low to moderate)")
    assert "\u2295" not in a.describe() and "\u2295" not in a.summary().loc["Certainty", "judgement"]
    assert "not assessed: risk of bias, indirectness" in a.describe()
    assert any("not in public text" in note for note in a.footnotes)
    with pytest.raises(ValueError, match="what information is missing"):
        DomainJudgement("indirectness", "not assessed")


def test_sof_says_not_reported_and_renders_the_same_html_twice():
    a = GradeAssessment("Pain", judgements={d: "not serious" for d in DOMAINS})
    rows = [{"assessment": a, "measure": "MD", "estimate": -3.48, "ci_low": -6.61, "ci_high": -0.35}]
    sof = summary_of_findings(rows)
    assert sof.loc[0, "participants (studies)"] == "not reported (k not reported; RCTs)"
    assert sof_styler(sof).to_html() == sof_styler(summary_of_findings(rows)).to_html()


def test_sof_never_shows_circles_for_a_row_with_a_domain_not_assessed():
    open_domain = {"risk_of_bias": ("not assessed", "per-trial tables not read")}
    for domain in DOMAINS:
        levels = {d: "not serious" for d in DOMAINS} | {domain: ("not assessed", f"{domain} not read")}
        rows = [SoFRow(GradeAssessment("Pain", judgements=levels), measure="MD", estimate=-1.0, ci_low=-2.0,
                       ci_high=-0.1, studies=3),
                SoFRow(GradeAssessment("Function", judgements={d: "not serious" for d in DOMAINS}), measure="SMD",
                       estimate=0.2, ci_low=0.1, ci_high=0.3, studies=3)]
        sof = summary_of_findings(rows)
        cell = sof.loc[0, "certainty"]
        assert cell.startswith("not graded (1 domain not assessed)"), cell
        assert not any(ch in cell for ch in "\u2295\u25ef")
        assert sof.loc[1, "certainty"] == "\u2295\u2295\u2295\u2295 High"   # a fully judged row keeps its circles
        assert f"{domain} not read" in sof.loc[0, "footnotes"]
    two_open = GradeAssessment("Pain", judgements={d: "not serious" for d in DOMAINS} | open_domain
                               | {"indirectness": ("not assessed", "populations not read")})
    sof = summary_of_findings([SoFRow(two_open, measure="MD", estimate=-1.0, ci_low=-2.0, ci_high=-0.1)])
    assert sof.loc[0, "certainty"].startswith("not graded (2 domains not assessed) a,b")


def test_overall_rating_may_differ_from_the_domain_count_with_a_reason():
    borderline = {d: "not serious" for d in DOMAINS} | {
        "risk_of_bias": ("serious", "borderline: one of five trials unblinded"),
        "imprecision": ("serious", "borderline: the CI just reaches the MID")}
    counted = GradeAssessment("Pain", judgements=borderline)
    assert counted.certainty == counted.domain_certainty == "low"
    judged = GradeAssessment("Pain", judgements=borderline, overall="moderate",
                             overall_reason="two borderline concerns together justify one downgrade, not two")
    assert judged.certainty == "moderate" and judged.domain_certainty == "low" and judged.symbol == SYMBOLS["moderate"]
    note = "Overall certainty moderate, where the domains count low: two borderline concerns"
    assert any(n.startswith(note) for n in judged.footnotes)
    sof = summary_of_findings([SoFRow(judged, measure="MD", estimate=-1.0, ci_low=-2.0, ci_high=-0.1, studies=5)])
    assert sof.loc[0, "certainty"].startswith("\u2295\u2295\u2295\u25ef Moderate ")
    assert note in sof.loc[0, "footnotes"]
    assert list(judged.summary().index)[-3:] == ["Domain count", "Overall judgement", "Certainty"]
    with pytest.raises(ValueError, match="overall_reason"):
        GradeAssessment("Pain", judgements=borderline, overall="moderate")
    with pytest.raises(ValueError, match="overall must be one of"):
        GradeAssessment("Pain", judgements=borderline, overall="fair", overall_reason="x")
    with pytest.raises(ValueError, match="every domain judged"):
        GradeAssessment("Pain", judgements=borderline | {"indirectness": ("not assessed", "not read")},
                        overall="moderate", overall_reason="x")
    with pytest.raises(ValueError, match="without an overall"):
        GradeAssessment("Pain", judgements=borderline, overall_reason="x")


def test_publication_bias_takes_grades_words():
    j = DomainJudgement("publication_bias", "serious", "many small industry-funded trials")
    assert j.rating == "strongly suspected" and j.levels_down == 1
    assert DomainJudgement("publication_bias", "not serious").rating == "undetected"
    assert DomainJudgement("publication_bias", "Undetected").levels_down == 0
    with pytest.raises(ValueError, match="publication bias only"):
        DomainJudgement("imprecision", "strongly suspected", "x")
    with pytest.raises(ValueError, match="give the reason"):
        DomainJudgement("publication_bias", "strongly suspected")


def test_sof_labels_an_assumed_design():
    a = GradeAssessment("Recovery", judgements={d: "not serious" for d in DOMAINS})
    sof = summary_of_findings([SoFRow(a, measure="SMD", estimate=0.18, ci_low=0.07, ci_high=0.29, studies=5,
                                      participants=1265, design_note="design assumed, not read")])
    assert sof.loc[0, "participants (studies)"] == "1265 (5 RCTs; design assumed, not read)"


# --------------------------------------------------------------------------- informative statements (GRADE 26)

@pytest.mark.parametrize("certainty, expected", [
    ("high", "BCG vaccination reduces tuberculosis."),
    ("moderate", "BCG vaccination probably reduces tuberculosis."),
    ("Low", "BCG vaccination may reduce tuberculosis."),
    ("very low", "It is unclear whether BCG vaccination affects tuberculosis because the evidence is very uncertain."),
])
def test_informative_statement_words_follow_the_certainty(certainty, expected):
    assert informative_statement(certainty, "reduce", "tuberculosis", "BCG vaccination") == expected


def test_informative_statement_hedges_are_the_ones_its_sources_quote():
    rules = load_grade_rules()
    assert set(STATEMENT_RULES) == set(CERTAINTY_LEVELS)
    for certainty, (rule_id, template) in STATEMENT_RULES.items():
        assert rules.loc[rule_id, "threshold"] == certainty
        hedge = {"high": "reduces", "moderate": "probably reduces", "low": "may reduce",
                 "very low": "very uncertain"}[certainty]
        assert hedge in template.format(x="X", y="Y", verb="reduce", verbs="reduces"), rule_id
        assert hedge.split()[0] in rules.loc[rule_id, "quote"], rule_id
    # a harm is worded the same way, and the very-low sentence does not depend on the direction
    assert informative_statement("moderate", "increase", "nausea") == "The intervention probably increases nausea."
    assert informative_statement("very low", "increase", "pain") == informative_statement("very low", "reduce", "pain")


def test_informative_statement_takes_an_assessment_and_refuses_an_ungraded_one():
    rest = {d: "not serious" for d in DOMAINS if d != "risk_of_bias"}
    graded = GradeAssessment("tuberculosis", judgements={"risk_of_bias": ("serious", "quasi-random allocation"), **rest})
    assert informative_statement(graded, "reduce", "tuberculosis", "BCG") == "BCG probably reduces tuberculosis."
    ungraded = GradeAssessment("recovery", judgements={"risk_of_bias": ("not assessed", "no full text"), **rest})
    with pytest.raises(ValueError, match="not graded"):
        informative_statement(ungraded, "increase", "recovery")
    with pytest.raises(ValueError, match="certainty must be one of"):
        informative_statement("medium", "reduce", "pain")
    with pytest.raises(ValueError, match="direction must be one of"):
        informative_statement("low", "improves", "pain")
    with pytest.raises(ValueError, match="outcome must be named"):
        informative_statement("low", "reduce", " ")


def test_publication_bias_takes_peters_or_harbords_test_for_binary_outcomes():
    from helpers.bias import harbord_test, peters_test
    from helpers.effect_sizes import log_risk_ratio
    bcg = pd.read_csv(RULES_CSV.parent / "teaching" / "bcg.csv")
    counts = (bcg.tpos, bcg.tpos + bcg.tneg, bcg.cpos, bcg.cpos + bcg.cneg)
    es = log_risk_ratio(*counts)
    for test in (peters_test(*counts), harbord_test(*counts)):
        s = suggest_publication_bias(es.yi, es.vi, test=test)
        assert f"{test.method}'s test with k = 13" in s.reason and f"p = {test.pvalue:.3f}" in s.reason
        assert s.rating == ("strongly suspected" if test.pvalue < 0.05 else "undetected")
        assert "Egger" not in s.rule and "PB-05" in s.source
        # alpha above the test's p flips the suggestion: the p value used is the test's, not Egger's
        assert suggest_publication_bias(es.yi, es.vi, alpha=test.pvalue + 1e-9, test=test).rating == "strongly suspected"
    with pytest.raises(ValueError, match="same studies"):
        suggest_publication_bias(es.yi.iloc[:10], es.vi.iloc[:10], test=peters_test(*counts))
    with pytest.raises(ValueError, match="peters_test or harbord_test"):
        suggest_publication_bias(es.yi, es.vi, test=0.2)


def test_a_mixed_design_is_labelled_and_its_start_is_a_stated_judgement():
    judgements = {d: "not serious" for d in DOMAINS}
    a = GradeAssessment("TB", judgements=judgements, start_reason="6 of 13 trials were quasi-randomised; "
                                                                  "their allocation is judged under risk of bias")
    assert a.certainty == "high"                                   # the start is the same; it is now explained
    assert a.summary().loc["Start", "reason"].startswith("started high (judged): 6 of 13")
    assert a.footnotes[0].startswith("Start (high): 6 of 13") and "RCTs start" not in a.describe()
    sof = summary_of_findings([SoFRow(a, measure="RR", estimate=-0.7, ci_low=-1.0, ci_high=-0.4, participants=100,
                                      studies=13, studies_label="13 trials (7 randomised, 6 quasi-randomised)")])
    assert sof.loc[0, "participants (studies)"] == "100 (13 trials (7 randomised, 6 quasi-randomised))"
    plain = summary_of_findings([SoFRow(GradeAssessment("TB", judgements=judgements), measure="RR", estimate=-0.7,
                                        ci_low=-1.0, ci_high=-0.4, participants=100, studies=13)])
    assert plain.loc[0, "participants (studies)"] == "100 (13 RCTs)"

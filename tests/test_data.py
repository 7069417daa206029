"""data/ loads with provenance on every row, and the extraction validator catches the classic errors.

The extraction sheets below are synthetic on purpose: each plants one known error for the validator to find.
"""

import shutil

import numpy as np
import pandas as pd
import pytest

from helpers.data import (DATA, TEMPLATE_COLUMNS, effect_sizes_from_extraction, eclipse_value, load_eclipse,
                          load_published, load_template, load_trials, validate_extraction)


def test_every_published_row_has_its_source():
    df = load_published()
    for col in ("source", "source_location", "read_from", "read_or_derived"):
        assert (df[col].str.strip() != "").all(), col
    assert set(df.status) <= {"reported", "partial", "not found"}
    assert set(df.review) == {"wilson2024", "white2020", "lyons2021", "lloydevans2014"}


def test_derived_fields_are_declared():
    df = load_published()
    le = df[(df.review == "lloydevans2014") & df.q.notna()]
    assert len(le) and le.read_or_derived.str.contains("q_df = k - 1").all()


@pytest.mark.parametrize("column,value,message", [
    ("source", "", "source is empty"),
    ("ci_low", "0.50", "outside its CI"),
    ("i2_percent", "140", "between 0 and 100"),
    ("status", "guessed", "status must be one of"),
])
def test_loader_refuses_bad_rows(tmp_path, column, value, message):
    df = pd.read_csv(DATA / "published_results.csv", dtype=str, keep_default_na=False)
    df.loc[0, column] = value
    path = tmp_path / "published_results.csv"
    df.to_csv(path, index=False)
    with pytest.raises(ValueError, match=message):
        load_published(path)


def test_eclipse_rows_have_sources_and_arms_add_up():
    df = load_eclipse()
    assert (df.source.str.strip() != "").all() and (df.source_location.str.strip() != "").all()
    total = df[(df.quantity == "n randomised (total)")].value.astype(float).iloc[0]
    arms = df[df.quantity == "n randomised"].value.astype(float)
    assert arms.sum() == total
    assert eclipse_value("n randomised", arm="peer coaching") == 120
    with pytest.raises(ValueError, match="not a number"):
        eclipse_value("power calculation / planned effect size / assumed SD")


def _sheet(**changes):
    base = {c: "" for c in TEMPLATE_COLUMNS} | {
        "review": "demo", "comparison": "peer vs control", "outcome": "pain", "timepoint": "6 months",
        "scale": "NRS", "scale_min": "0", "scale_max": "10", "higher_is_better": "no",
        "n_randomised_1": "60", "n_randomised_2": "60", "source": "synthetic test row", "source_location": "n/a",
        "read_or_derived": "synthetic"}
    rows = [base | {"study": f"Trial {i}", "mean_1": str(5.0 - 0.2 * i), "sd_1": "2.0", "n_1": "50",
                    "mean_2": "5.5", "sd_2": "2.1", "n_2": "50"} for i in range(4)]
    for i, fields in changes.items():
        rows[int(i[1:])].update(fields)
    return pd.DataFrame(rows, columns=TEMPLATE_COLUMNS)


def test_clean_sheet_passes_and_flips_lower_is_better():
    sheet = _sheet()
    assert validate_extraction(sheet).empty
    es = effect_sizes_from_extraction(sheet, measure="MD")
    # pain: lower is better, so a lower peer-support mean becomes a positive (favourable) effect
    assert np.allclose(es.yi, -(sheet.mean_1.astype(float) - 5.5))


@pytest.mark.parametrize("changes,field,severity,words", [
    ({"r1": {"sd_1": "0.28"}}, "sd_1", "warning", "standard error typed as an SD"),
    ({"r2": {"n_1": "75"}}, "n_1", "error", "only 60 randomised"),
    ({"r0": {"mean_2": "12"}}, "mean_2", "error", "outside the scale"),
    ({"r3": {"source": ""}}, "source", "error", "empty"),
    ({"r1": {"mean_1": "", "estimate": "0.5", "ci_low": "0.6", "ci_high": "0.9"}}, "estimate", "error", "outside its CI"),
    ({"r2": {"higher_is_better": "yes"}}, "higher_is_better", "warning", "opposite directions"),
    ({"r0": {"sd_2": "-1"}}, "sd_2", "error", "must be > 0"),
])
def test_validator_finds_each_planted_error(changes, field, severity, words):
    issues = validate_extraction(_sheet(**changes))
    hit = issues[(issues.field == field) & (issues.severity == severity)]
    assert len(hit) >= 1 and hit.problem.str.contains(words).any(), issues


def test_analysis_refuses_a_sheet_with_errors():
    with pytest.raises(ValueError, match="only 60 randomised"):
        effect_sizes_from_extraction(_sheet(r2={"n_1": "75"}))


@pytest.mark.parametrize("review", ["wilson2024", "white2020", "lyons2021"])
def test_templates_match_the_published_analyses(review):
    template = load_template(review)
    published = load_published().query("review == @review")
    assert list(template.outcome) == list(published.outcome)
    assert not validate_extraction(template).empty  # a blank form is not yet an extraction


def test_trial_counts_are_the_ones_quoted_and_consistent():
    trials = load_trials()
    core = trials[trials.study == "Johnson 2018 (CORE)"].iloc[0]
    # every count in the row appears in its verbatim quote
    for col in ("n_randomised1", "n_randomised2", "n_analysed1", "n_analysed2", "events1", "events2"):
        assert f"{core[col]:g}" in core.quote, col
    assert (trials.included_in_review.str.strip() != "").all()


def test_trials_loader_refuses_more_events_than_analysed(tmp_path):
    df = pd.read_csv(DATA / "trials.csv", dtype=str, keep_default_na=False)
    df.loc[0, "events1"] = "300"
    df.to_csv(tmp_path / "trials.csv", index=False)
    with pytest.raises(ValueError, match="events1 exceeds n_analysed1"):
        load_trials(tmp_path / "trials.csv")


def test_binary_rows_give_log_ratios_oriented_by_benefit():
    """A readmission row entered from counts: lower is better, so fewer readmissions with peer support is positive."""
    sheet = _sheet()
    for i in sheet.index:
        sheet.loc[i, ["mean_1", "sd_1", "mean_2", "sd_2"]] = ""
        sheet.loc[i, ["events_1", "events_2"]] = ["10", "20"]
    es = effect_sizes_from_extraction(sheet, measure="RR")
    assert np.allclose(es.yi, -np.log((10 / 50) / (20 / 50)))
    with pytest.raises(ValueError, match="event counts, which do not give a SMD"):
        effect_sizes_from_extraction(sheet, measure="SMD")
    sheet.loc[0, "events_1"] = "60"
    issues = validate_extraction(sheet)
    assert (issues.field == "events_1").any() and issues.problem.str.contains("60 events but only 50 analysed").any()

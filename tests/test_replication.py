"""Summary-level replication: checks flag what cannot be true and allow for rounding; regressions fail the run."""

import numpy as np
import pandas as pd

from helpers.data import load_published
from helpers.replication import _regressions, check_result, replication_table


def _row(**changes):
    row = load_published().query("review == 'lloydevans2014' and outcome == 'hope'").iloc[0].copy()
    for key, value in changes.items():
        row[key] = value
        if key + "_text" in row.index:
            row[key + "_text"] = str(value)
    return row


def _check(row, name):
    return next(c for c in check_result(row) if c.name == name)


def test_published_hope_result_is_internally_consistent():
    assert all(c.consistent in (True, None) for c in check_result(_row()))


def test_i2_that_does_not_follow_from_q_is_flagged():
    bad = _check(_row(i2_percent=40.0), "I² from Q")
    assert bad.consistent is False and bad.gap > 20


def test_p_that_does_not_follow_from_the_ci_is_flagged():
    assert _check(_row(p=0.03), "p from z").consistent is True      # 0.0325 rounds to 0.03
    assert _check(_row(p=0.30), "p from z").consistent is False


def test_asymmetric_ci_is_flagged_beyond_rounding():
    assert _check(_row(ci_high=0.10), "CI symmetric").consistent is False


def test_rounding_is_allowed_for():
    # Wilson 2024 function: -0.10 (-0.19 to -0.00) is asymmetric by exactly two rounding units
    row = load_published().query("review == 'wilson2024' and outcome == 'function'").iloc[0]
    assert _check(row, "CI symmetric").consistent is True


def test_every_result_has_a_verdict_and_missing_data_is_said():
    table = replication_table()
    assert table.verdict.str.match(r"^(consistent|differs|not reproducible)").all()
    white = table[table.review == "white2020"]
    assert (white.verdict == "not reproducible: data missing").all()


def test_a_check_that_stops_passing_is_a_regression(tmp_path):
    table = replication_table()
    baseline = tmp_path / "baseline.csv"
    table[["review", "comparison", "outcome", "timepoint", "verdict"]].to_csv(baseline, index=False)
    assert _regressions(table, baseline) == []
    worse = table.copy()
    worse.loc[worse.index[0], "verdict"] = "differs: p from z off by 0.1 beyond rounding"
    assert len(_regressions(worse, baseline)) == 1


def test_ratio_results_are_checked_on_the_log_scale_with_rounding_mapped_there():
    """Johnson et al. 2018 (CORE, Lancet) abstract: OR 0.66 (0.43 to 0.99), p = 0.0438 -- consistent.

    Rounding of a printed ratio (0.66 means 0.655 to 0.665) is an interval on the ratio scale; on the
    log scale it is ln(0.655) to ln(0.665), not ln(0.66) +- 0.005.
    """
    row = _row(measure="OR", estimate=0.66, ci_low=0.43, ci_high=0.99, p=0.0438, q=np.nan, q_df=np.nan, q_p=np.nan)
    row["decimals"] = 2
    checks = {c.name: c for c in check_result(row)}
    assert checks["CI symmetric"].consistent and checks["p from z"].consistent
    assert not _check(_row(measure="OR", estimate=0.66, ci_low=0.43, ci_high=1.30, q=np.nan, q_df=np.nan), "CI symmetric").consistent


# --------------------------------------------------------------------------- depth 2: from the trials

def test_study_level_verdicts_say_how_far_and_why():
    from helpers.replication import study_level_table

    table = study_level_table().set_index(["review", "outcome", "timepoint"])
    lyons = table.loc[("lyons2021", "recovery", "post-intervention")]
    assert lyons.verdict.startswith("differs by 0.04") and "trial set unverified" in lyons.verdict
    assert lyons.k == 4 and lyons.n == 1076
    assert table.loc[("lyons2021", "hope", "post-intervention")].verdict.startswith("not re-poolable")
    white = table.loc[("white2020", "self-reported recovery (named in abstract)", "")]
    assert "could not read" in white.verdict and "Salzer, 2016" in white.verdict  # flagged rows named


def test_a_changed_trial_changes_the_verdict_and_fails_the_run(tmp_path):
    from helpers.data import load_peer_support_trials
    from helpers.replication import baseline_frame, study_level_table

    table, study = replication_table(), study_level_table()
    baseline = tmp_path / "baseline.csv"
    baseline_frame(table, study).to_csv(baseline, index=False)
    assert _regressions(table, baseline, study) == []
    trials = load_peer_support_trials()
    trials.loc[(trials.study == "Cook, 2012b") & (trials.scale == "RAS"), "yi"] += 0.1  # a mistyped mean, say
    lost = _regressions(table, baseline, study_level_table(trials))
    # the three results whose candidate lists hold Cook 2012b: Lyons recovery, Lloyd-Evans recovery and self-rated recovery
    assert len(lost) == 3 and all(line.startswith("study level") for line in lost)
    assert any("lyons2021 | recovery" in line for line in lost)


def test_the_recorded_baseline_holds():
    from helpers.replication import BASELINE, study_level_table

    assert _regressions(replication_table(), BASELINE, study_level_table()) == []
    assert (pd.read_csv(BASELINE).level == "study").sum() == 9


def test_no_subset_of_the_group_trials_gives_lyons_result():
    from helpers.replication import lyons_subset_search

    search = lyons_subset_search()
    assert len(search) == 126
    assert (search.distance == 0).sum() == 0  # estimate and CI never both within rounding
    close = search[(search.n_off.abs() <= 100)]
    assert close.distance.min() > 0.02  # subsets of about Lyons's N miss the CI by more than 0.02


def test_replicate_exits_non_zero_when_a_recorded_verdict_stops_holding(tmp_path, monkeypatch, capsys):
    import helpers.replication as rep

    baseline = pd.read_csv(rep.BASELINE, dtype=str, keep_default_na=False)
    assert rep.main(["--no-notebooks"]) == 0
    row = baseline.index[(baseline.level == "study") & (baseline.review == "lyons2021") & (baseline.outcome == "recovery")]
    baseline.loc[row, "verdict"] = "differs by 0.010: trial set unverified (k 4 vs 5, N 1076 vs 1265)"
    changed = tmp_path / "baseline.csv"
    baseline.to_csv(changed, index=False)
    monkeypatch.setattr(rep, "BASELINE", changed)
    assert rep.main(["--no-notebooks"]) == 1
    out = capsys.readouterr().out
    assert "Study level" in out and "REGRESSION: study level | lyons2021 | recovery" in out


def _suicide_prevention_sheet():
    """Harrer et al. 2021's SuicidePrevention data (data/teaching) in the extraction template, as notebook 08 builds it."""
    from helpers.data import DATA, TEMPLATE_COLUMNS
    sp = pd.read_csv(DATA / "teaching" / "harrer2021_suicideprevention.csv")
    sheet = pd.DataFrame({column: "" for column in TEMPLATE_COLUMNS}, index=sp.index)
    sheet["review"], sheet["comparison"], sheet["outcome"], sheet["timepoint"] = "stand-in", "i vs c", "ideation", "post"
    sheet["study"], sheet["year"], sheet["scale"], sheet["higher_is_better"] = sp.author, sp.pubyear.astype(str), "x", "no"
    for column, source in [("n_1", "n.e"), ("mean_1", "mean.e"), ("sd_1", "sd.e"),
                           ("n_2", "n.c"), ("mean_2", "mean.c"), ("sd_2", "sd.c")]:
        sheet[column] = sp[source].astype(str)
    sheet["source"], sheet["source_location"], sheet["read_or_derived"] = "dmetar", sp.location, "read"
    return sheet


def _harrer_published():
    # Harrer et al. 2021, Doing Meta-Analysis in R, "Pooling Effect Sizes", (Standardized) Mean Differences:
    # g = -0.23 (-0.37 to -0.09), Hedges' g, REML, Hartung-Knapp; lower ideation favours the intervention
    return pd.DataFrame([{"comparison": "i vs c", "outcome": "ideation", "timepoint": "post", "measure": "SMD",
                          "estimate": -0.23, "ci_low": -0.37, "ci_high": -0.09, "estimate_text": "-0.23",
                          "ci_low_text": "-0.37", "ci_high_text": "-0.09", "decimals": 2,
                          "favours_peer_support": "negative"}])


def test_analyse_extraction_reproduces_a_published_pooled_result():
    from helpers.replication import analyse_extraction
    out = analyse_extraction(_suicide_prevention_sheet(), _harrer_published(), conventions="meta", ci_method="hksj")
    assert out.attrs["pooled"] and len(out) == 1
    row = out.iloc[0]
    assert row.k == 9 and row["matches to printed precision"]
    wrong = analyse_extraction(_suicide_prevention_sheet(), _harrer_published(), conventions="meta")   # Wald CI
    assert not wrong.iloc[0]["matches to printed precision"]


def test_analyse_extraction_pools_nothing_while_the_sheet_has_errors(capsys):
    from helpers.replication import analyse_extraction
    sheet = _suicide_prevention_sheet()
    sheet.loc[0, "source"] = ""
    out = analyse_extraction(sheet, _harrer_published())
    assert out.attrs["pooled"] is False and "source" in set(out.field)
    assert "nothing was pooled" in capsys.readouterr().out


def test_a_trial_with_two_rows_enters_once():
    from helpers.replication import one_row_per_trial, study_level_table
    rows = pd.DataFrame({"study": ["A", "B", "B"], "scale": ["RAS"] * 3, "yi": [0.1, 0.2, 0.4],
                         "vi": [0.04, 0.01, 0.04], "n": [50.0, np.nan, np.nan], "source_row": [1, 2, 3],
                         "effect_flagged": [False, True, True], "label": ["A", "B", "B"]})
    one = one_row_per_trial(rows).set_index("study")
    assert len(one) == 2 and one.loc["B", "source_rows"] == (2, 3)
    np.testing.assert_allclose(one.loc["B", ["yi", "vi"]].astype(float), [0.3, 0.15**2], rtol=1e-12)  # r = 1: mean SE
    independent = one_row_per_trial(rows, r=0.0).set_index("study")
    np.testing.assert_allclose(independent.loc["B", "vi"], (0.01 + 0.04) / 4, rtol=1e-12)
    white = study_level_table().query("review == 'white2020'").iloc[0]
    assert white.k == 5 and white.N.startswith("≥") and "Rogers, 2016" in white.N


def test_favour_positive_negates_and_swaps_only_when_negative_favours_peer_support():
    from helpers.replication import favour_positive, oriented_results
    row = pd.Series({"favours_peer_support": "negative", "estimate": -0.24, "ci_low": -0.46, "ci_high": -0.02})
    assert favour_positive(row) == (0.24, 0.02, 0.46)
    assert favour_positive(row.replace("negative", "positive")) == (-0.24, -0.46, -0.02)
    table = oriented_results([("any", "LE", "lloydevans2014", "hope", "Table 3 section")])
    assert table[["estimate (> 0 favours peer support)", "low", "high"]].iloc[0].tolist() == [0.24, 0.02, 0.46]

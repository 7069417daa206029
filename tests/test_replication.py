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

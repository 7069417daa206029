"""The Metapsy peer-support trials: shipped unmodified, loaded without silent changes, flaws flagged."""

import hashlib

import numpy as np
import pandas as pd
import pytest

from helpers.data import (PEER_SUPPORT, PEER_SUPPORT_FLAGS, PEER_SUPPORT_SHA256, load_peer_support_raw,
                          load_peer_support_trials)


@pytest.fixture(scope="module")
def trials():
    return load_peer_support_trials()


def _row(df, study, category, instrument=None):
    rows = df[(df.study == study) & (df.outcome_category == category)]
    if instrument:
        rows = rows[rows.instrument.str.startswith(instrument)]
    assert len(rows) == 1, (study, category, instrument)
    return rows.iloc[0]


def test_shipped_file_is_the_published_one():
    # the sha256 of git show 6c0f322:data.csv in metapsy-project/data-peer-support-interventions
    assert hashlib.sha256((PEER_SUPPORT / "data.csv").read_bytes()).hexdigest() == PEER_SUPPORT_SHA256


def test_an_edited_copy_is_refused(tmp_path, monkeypatch):
    import helpers.data as data

    edited = tmp_path / "data.csv"
    edited.write_bytes((PEER_SUPPORT / "data.csv").read_bytes().replace(b"80,23", b"80,24"))
    monkeypatch.setattr(data, "PEER_SUPPORT", tmp_path)
    with pytest.raises(ValueError, match="sha256"):
        data.load_peer_support_raw()


def test_all_rows_and_numbers_equal_the_source(trials):
    # read independently of the loader: the csv module, decimal commas by hand
    import csv

    with open(PEER_SUPPORT / "data.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter=";"))
    assert len(rows) == len(trials) == 66
    assert trials.study.nunique() == 28
    num = lambda s: np.nan if s == "NA" else float(s.replace(",", "."))  # noqa: E731
    pairs = {"mean_arm1": "mean_1", "sd_arm1": "sd_1", "n_arm1": "n_1", "mean_arm2": "mean_2", "sd_arm2": "sd_2",
             "n_arm2": "n_2", ".g": "g_source", ".g_se": "g_se_source", "precalc_g": "precalc_g",
             "time_weeks": "time_weeks", "event_arm1": "events_1"}
    for src, col in pairs.items():
        expected = np.array([num(r[src]) for r in rows])
        np.testing.assert_array_equal(trials[col].to_numpy(dtype=float), expected, err_msg=col)
    assert [r["overall_RoB"] for r in rows] == trials.overall_rob.tolist()


def test_tidy_columns_of_the_agreed_api(trials):
    for col in ["study", "year", "format", "outcome_category", "instrument", "mean_1", "sd_1", "n_1", "mean_2",
                "sd_2", "n_2", "overall_rob", "flags"]:
        assert col in trials.columns
    assert set(trials.format) == {"group", "individual", "mixed"}
    assert set(trials.outcome_category) == {"clinical recovery", "personal recovery", "functional recovery"}
    assert trials.higher_is_better.dtype == bool


def test_double_encoded_names_are_repaired_and_recorded(trials):
    r = _row(trials, "Rüsch, 2014", "personal recovery")
    assert r.study_source == "RÃ¼sch, 2014" and "double-encoded" in r.repairs
    gaf = _row(trials, "Davidson, 2004", "functional recovery")
    assert gaf.instrument.startswith("GAF—") and gaf.instrument_source.startswith("GAFâ€”")
    assert (trials.repairs != "").sum() == 6  # Rüsch, GAF, and four rows labelled Lehman’s


def test_kit_g_reproduces_the_source_g_where_means_exist(trials):
    means = trials[trials.yi_from.str.startswith("kit")]
    ok = ~means["flags"].str.contains("sign_disagrees|g_disagrees")
    np.testing.assert_allclose(means.yi[ok], means.g_source[ok], atol=1e-4)
    assert ok.sum() == len(means) - 6


def test_salzer_sds_look_like_ses(trials):
    for cat in ("personal recovery", "functional recovery"):
        assert "sd_looks_like_se" in _row(trials, "Salzer, 2016", cat)["flags"]
    assert (trials["flags"].str.contains("sd_looks_like_se")).sum() == 2


def test_davidson_gaf_sign_disagrees_with_the_means(trials):
    gaf = _row(trials, "Davidson, 2004", "functional recovery")
    assert "sign_disagrees" in gaf["flags"]
    assert gaf.g_source == pytest.approx(0.369415, abs=1e-6) and gaf.yi == pytest.approx(-0.369415, abs=1e-6)
    assert "sign_disagrees" in _row(trials, "Davidson, 2004", "clinical recovery")["flags"]
    assert "sign_disagrees" not in _row(trials, "Davidson, 2004", "personal recovery")["flags"]


def test_precalc_columns_are_shifted(trials):
    r = _row(trials, "Corrigan, 2018", "personal recovery")
    assert "precalc_shifted" in r["flags"]
    assert (r.precalc_g, r.precalc_g_se) == (0.459, 0.254)
    assert _row(trials, "O'Connell, 2018", "clinical recovery").g_source == 0.459
    assert "events_shifted" in _row(trials, "Cook, 2012a", "personal recovery")["flags"]
    assert "g_not_recomputable" in _row(trials, "Dennis, 2003", "clinical recovery")["flags"]


def test_time_that_does_not_read_as_weeks(trials):
    cook = _row(trials, "Cook, 2012a", "functional recovery")  # an 8-week programme, "time_weeks" = 2
    assert cook.time_weeks == 2 and "time_not_weeks" in cook["flags"]


def test_repeated_rows_and_borrowed_n(trials):
    assert (trials[trials.study == "Rogers, 2016"]["flags"].str.contains("repeated_study")).all()
    assert "n_from_other_outcome" in _row(trials, "Johnson, 2018", "personal recovery")["flags"]
    assert "n_from_other_outcome" not in _row(trials, "Johnson, 2018", "functional recovery")["flags"]  # 173/171


def test_a_clean_row_raises_no_flag(trials):
    for study, cat in [("Rivera, 2007", "clinical recovery"), ("Dennis, 2003", "functional recovery")]:
        r = _row(trials, study, cat)
        assert r["flags"] == "" and not r.effect_flagged


def test_every_flag_is_named_and_explained(trials):
    raised = {f for flags in trials["flags"] for f in flags.split("; ") if f}
    assert raised <= set(PEER_SUPPORT_FLAGS)
    assert raised == set(PEER_SUPPORT_FLAGS)  # every rule fires on this file at least once


def test_every_instrument_has_a_direction_with_its_basis():
    from helpers.data import load_peer_support_instruments

    inst = load_peer_support_instruments()
    assert set(load_peer_support_raw().instrument.map(lambda s: s.encode("cp1252").decode("utf-8")
                                                         if "â" in s else s)) == set(inst.instrument)
    assert (inst.direction_basis != "").all()

"""The kit's pooling of the peer-support trials against R metafor 3.8-1 on the same rows.

Reference: tests/reference/metafor_peer_support.json, written by tests/reference/metafor_peer_support.R,
which picks its rows by rules of its own (see the script's header) and computes Hedges g with escalc().
"""

import json
from pathlib import Path

import numpy as np
import pytest

from helpers.data import load_peer_support_trials
from helpers.replication import format_difference, peer_support_effects, pool_peer_support

REF = json.loads((Path(__file__).parent / "reference" / "metafor_peer_support.json").read_text())
RTOL = 1e-10


@pytest.fixture(scope="module")
def trials():
    return load_peer_support_trials()


def test_escalc_hedges_g_and_variances(trials):
    kit = trials.set_index("source_row").loc[REF["escalc"]["source_row"]]
    np.testing.assert_allclose(kit.yi, REF["escalc"]["yi"], rtol=RTOL, atol=1e-15)
    np.testing.assert_allclose(kit.vi, REF["escalc"]["vi"], rtol=RTOL)


def test_the_trusted_rows_are_the_ones_the_r_script_chose(trials):
    kit = peer_support_effects(trials, rows="trusted")
    for key, ref in REF["analyses"].items():
        rows, outcome, fmt, *rest = key.split(" | ")
        if rows == "trusted" and "source_rows" in ref:
            part = kit[kit.outcome_category == outcome]
            part = part if fmt == "all formats" else part[part.format == fmt]
            assert sorted(part.source_row) == sorted(np.atleast_1d(ref["source_rows"])), key


@pytest.mark.parametrize("rows", ["source", "kit", "trusted"])
@pytest.mark.parametrize("method", ["REML", "DL"])
def test_pooled_by_outcome_and_format(trials, rows, method):
    table = pool_peer_support(trials, rows=rows, method=method)
    compared = 0
    for r in table.itertuples():
        ref = REF["analyses"][f"{rows} | {r.outcome} | {r.format} | {method}"]
        assert r.k == ref["k"]
        for col, rcol in [("estimate", "estimate"), ("se", "se"), ("ci_low", "ci_low"), ("ci_high", "ci_high"),
                          ("pvalue", "p"), ("q", "Q")]:
            np.testing.assert_allclose(getattr(r, col), ref[rcol], rtol=RTOL, err_msg=f"{rows} {r.outcome} {r.format} {col}")
        # where REML's tau² is truncated at 0 metafor stops at ~1e-12 (I² ~ 1e-10 %): the absolute floors
        np.testing.assert_allclose(r.tau2, ref["tau2"], rtol=RTOL, atol=1e-11)
        np.testing.assert_allclose(r.i2, ref["I2"], rtol=RTOL, atol=1e-8)
        compared += 1
    assert compared == len(table) == 9


@pytest.mark.parametrize("rows", ["source", "kit", "trusted"])
@pytest.mark.parametrize("method", ["REML", "DL"])
def test_one_to_one_versus_group(trials, rows, method):
    for r in format_difference(trials, rows=rows, method=method).itertuples():
        ref = REF["analyses"][f"{rows} | {r.outcome} | group vs individual | {method}"]
        np.testing.assert_allclose(r.q_between, ref["Q_between"], rtol=RTOL)
        np.testing.assert_allclose(r.pvalue, ref["p"], rtol=RTOL)
        assert r.df == ref["df"] == 1


def test_study_level_repooling(trials):
    from helpers.replication import study_level_table

    table = study_level_table(trials)
    names = {"lyons2021 | recovery": ("lyons2021", "recovery"), "lloydevans2014 | recovery": ("lloydevans2014", "recovery"),
             "lloydevans2014 | empowerment": ("lloydevans2014", "empowerment"),
             "white2020 | self-reported recovery": ("white2020", "self-reported recovery (named in abstract)"),
             "white2020 | empowerment": ("white2020", "empowerment (named in abstract)")}
    for key, (review, outcome) in names.items():
        ref = REF["study_level"][key]
        row = table[(table.review == review) & (table.outcome == outcome)].iloc[0]
        assert sorted(row.source_rows) == sorted(np.atleast_1d(ref["source_rows"])), key
        for col, rcol in [("estimate", "estimate"), ("ci_low", "ci_low"), ("ci_high", "ci_high")]:
            np.testing.assert_allclose(row[col], ref[rcol], rtol=RTOL, err_msg=f"{key} {col}")


def test_lyons_subset_search(trials):
    from helpers.replication import lyons_subset_search

    ref = REF["lyons_subsets"]
    kit = lyons_subset_search(trials).set_index("source_rows")
    assert len(kit) == ref["n_subsets"] == 126
    order = kit.loc[ref["subsets"]]
    for col, rcol in [("estimate", "estimate"), ("ci_low", "ci_low"), ("ci_high", "ci_high"), ("q", "Q")]:
        np.testing.assert_allclose(order[col], ref[rcol], rtol=RTOL, err_msg=col)


@pytest.mark.parametrize("rows, key", [("kit", "rob"), ("trusted", "rob_trusted")])
def test_risk_of_bias_subgroups_and_sensitivity(trials, rows, key):
    from helpers.pooling import meta_analysis, subgroup_analysis

    kit = peer_support_effects(trials, rows=rows)
    for outcome, ref in REF[key].items():
        part = kit[kit.outcome_category == outcome]
        sg = subgroup_analysis(part.yi.to_numpy(), part.vi.to_numpy(), part.overall_rob.to_numpy(), method="REML")
        np.testing.assert_allclose(sg.q_between, ref["Q_between"], rtol=RTOL)
        for level, fit in sg.fits.items():
            np.testing.assert_allclose([fit.estimate, fit.ci_low, fit.ci_high],
                                       [ref["subgroups"][level][c] for c in ("estimate", "ci_low", "ci_high")], rtol=RTOL,
                                       atol=1e-11)  # a trusted-row CI limit near 0 agrees to 3e-12 absolute
        low = part[part.overall_rob != "High risk"]
        fit = meta_analysis(low.yi.to_numpy(), low.vi.to_numpy(), method="REML")
        np.testing.assert_allclose([fit.estimate, fit.se], [ref["without_high"]["estimate"], ref["without_high"]["se"]],
                                   rtol=RTOL)


@pytest.mark.parametrize("rows", ["source", "kit", "trusted"])
def test_egger_on_each_outcome(trials, rows):
    from helpers.bias import egger_test
    from helpers.pooling import meta_analysis

    df = peer_support_effects(trials, rows=rows)
    for key, ref in REF["analyses"].items():
        if key.startswith(rows + " |") and key.endswith("| egger"):
            part = df[df.outcome_category == key.split(" | ")[1]]
            eg = egger_test(meta_analysis(part.yi.to_numpy(), part.vi.to_numpy(), method="REML"), model="lm")
            assert eg.k == ref["k"] and eg.df == ref["df"]
            np.testing.assert_allclose([eg.statistic, eg.pvalue], [ref["t"], ref["p"]], rtol=1e-10)

"""The current-RevMan convention (conventions="revman"): REML, Q-profile, HKSJ, a prediction interval, I² from tau².

Its random-effects choices are metafor's rma(method = "REML", test = "knha") with confint() and predict(),
so the metafor reference values (tests/reference/metafor_reference.json) are its independent truth.
"""

import numpy as np
import pytest

from helpers.conventions import CONVENTIONS, get_convention
from helpers.pooling import meta_analysis


def test_revman_sits_beside_revman5_and_names_its_sources_and_gaps():
    current, old = get_convention("revman"), get_convention("revman5")
    assert "revman" in CONVENTIONS and "revman5" in CONVENTIONS
    assert (current.method, current.ci_method, current.i2_method, current.i2_ci_method) == ("REML", "hksj", "tau2",
                                                                                          "q-profile")
    assert current.pi_method != "none" and old.pi_method == "none" and old.method == "DL" and old.i2_method == "q"
    # what the kit could not read is said, not guessed silently
    assert "could not read" in current.note and "methods.cochrane.org" in current.note
    assert (current.correction, current.variance, current.add, current.drop_double_zero) == (
        old.correction, old.variance, old.add, old.drop_double_zero)


@pytest.mark.parametrize("key", ["bcg_logRR", "normand_MD", "normand_SMD"])
def test_revman_matches_metafor_reml_with_knha(reference, key):
    d, ref = reference[key], reference[key]["fits"]["REML"]
    fit = meta_analysis(d["yi"], d["vi"], conventions="revman")
    np.testing.assert_allclose([fit.estimate, fit.tau2, fit.i2, fit.q], [ref["estimate"], ref["tau2"], ref["I2"],
                                                                         ref["Q"]], rtol=1e-9)
    np.testing.assert_allclose([fit.ci_low, fit.ci_high, fit.pvalue], [ref["knha_ci_low"], ref["knha_ci_high"],
                                                                       ref["knha_p"]], rtol=1e-9)
    np.testing.assert_allclose([fit.pi_low, fit.pi_high], [ref["knha_pi_low"], ref["knha_pi_high"]], rtol=1e-9)
    np.testing.assert_allclose([fit.tau2_ci_low, fit.tau2_ci_high], ref["tau2_ci"], rtol=1e-9)
    np.testing.assert_allclose([fit.i2_ci_low, fit.i2_ci_high], ref["I2_ci"], rtol=1e-9)


def test_an_explicit_argument_still_wins_over_the_convention(reference):
    d = reference["bcg_logRR"]
    wald = meta_analysis(d["yi"], d["vi"], conventions="revman", ci_method="z")
    np.testing.assert_allclose([wald.ci_low, wald.ci_high], [d["fits"]["REML"]["ci_low"], d["fits"]["REML"]["ci_high"]],
                               rtol=1e-9)

"""Exercise checks accept every fair form of a right answer, name known mistakes, and never raise on a student's input.

Cases from issue 12 item 3: case and spaces in choices, hand rounding to the stated decimals, strings such as
"4", one-element arrays / Series / lists, a wrong length, a wrong type, NaN, and None before answering.
"""

import json
import math

import numpy as np
import pandas as pd
import pytest

from helpers.exercises import (KEYS, NOT_ANSWERED, check, check_choice, check_number, choice_verdict, key_file,
                               load_key, number_verdict, text_verdict, validate_keys, verdict)

SE = {"kind": "number", "value": 4.16052, "decimals": 2, "what": "SE of the MD (days)",
      "mistakes": [[17.31, 0.01, "That is the variance: take its square root."],
                   [-4.16, 0.005, "An SE is never negative."]]}
TINY = {"kind": "number", "value": 0.000123456, "significant": 3, "what": "the p value"}
GRADE = {"kind": "choice", "key": "very low",
         "options": {"high": "Two domains rate it down.", "moderate": "Both downgrades count.",
                     "low": "'Very serious' rates down two levels.", "very low": "High - 1 - 2 = very low."}}
ABC = {"kind": "choice", "key": "b", "options": {"a": "a is the common-effect weight.", "b": "b adds tau².",
                                                 "c": "c confuses SE and variance."}}
REPORT = {"kind": "text", "checklist": ["the pooled SMD with its 95% CI", "the model and the tau² estimator"]}


@pytest.mark.parametrize("answer", [4.16, 4.1605, 4.16052, 4.1556, 4.1649, "4.16", " 4.16 ", np.float32(4.16),
                                    [4.16], (4.16,), np.array([4.16]), np.array([[4.16]]), pd.Series([4.16]),
                                    pd.DataFrame({"se": [4.16]}), [np.float64(4.16)], ["4.16"]])
def test_number_accepts_every_fair_form_of_the_right_answer(answer):
    passed, message = number_verdict(answer, SE)
    assert passed, message
    assert message == "✔ Correct: SE of the MD (days) = 4.16"


def test_number_accepts_integers_and_integer_strings():
    four = {"kind": "number", "value": 4, "decimals": 0, "what": "the number of trials"}
    for answer in (4, "4", np.int64(4), [4], pd.Series([4], dtype="int64"), 4.4):
        assert number_verdict(answer, four).passed, answer
    assert not number_verdict(5, four).passed


def test_number_rejects_values_outside_half_a_unit_of_the_last_decimal():
    assert not number_verdict(4.154, SE).passed and not number_verdict(4.167, SE).passed
    halfway = dict(SE, value=4.165, mistakes=[])
    assert number_verdict(4.16, halfway).passed and number_verdict(4.17, halfway).passed


def test_number_feedback_gives_the_form_not_the_value():
    passed, message = number_verdict(5.0, SE)
    assert not passed
    assert "to 2 decimals" in message and "4.16" not in message and "too" not in message


def test_number_known_mistakes_give_their_message():
    assert number_verdict(17.3125, SE) == (False, "✘ Not yet: SE of the MD (days) = 17.31. "
                                                  "That is the variance: take its square root.")
    assert "never negative" in number_verdict("-4.16", SE).message


def test_number_right_at_fewer_decimals_is_asked_for_more():
    assert number_verdict(4.2, SE) == (False, "✘ Not yet: SE of the MD (days) = 4.20 is right to 1 decimal; "
                                              "give it to 2 decimals.")


def test_number_significant_figures():
    assert number_verdict(0.000123, TINY).passed and number_verdict("1.235e-4", TINY).passed
    assert not number_verdict(0.000124, TINY).passed
    assert "to 3 significant figures" in number_verdict(0.0002, TINY).message


@pytest.mark.parametrize("answer, words", [
    (float("nan"), "NaN"), (np.array([np.nan]), "NaN"), (pd.Series([np.nan]), "NaN"),
    (math.inf, "infinite"), ([4.16, 1.0], "got 2"), ((1, 2), "got 2"), (np.array([1.0, 2.0, 3.0]), "got 3"),
    (pd.Series([1.0, 2.0]), "got 2"), ([], "empty"), ({"se": 4.16}, "dict"), ({4.16}, "set"),
    ("four", "not a number"), ("4.16 days", "without units"), ("4,16", "decimal point"), (True, "bool"),
    (1 + 2j, "complex"), (object(), "object"), (len, "builtin_function_or_method"), ([[1, 2], [3]], "got 2"),
])
def test_number_wrong_type_length_or_nan_gets_a_sentence(answer, words):
    passed, message = number_verdict(answer, SE)
    assert not passed and message.startswith("✘ Not yet: SE of the MD (days)") and words in message, message


@pytest.mark.parametrize("entry", [SE, TINY, GRADE, ABC, REPORT])
def test_none_is_not_answered_yet(entry):
    assert verdict(None, entry) == (False, NOT_ANSWERED)


@pytest.mark.parametrize("answer", ["very low", "Very low", "VERY LOW", " very  low ", "very-low", "Very_Low",
                                    "'very low'", ["Very low"], pd.Series(["very low"])])
def test_choice_ignores_case_spaces_and_hyphens(answer):
    assert choice_verdict(answer, GRADE) == (True, "✔ Correct: very low. High - 1 - 2 = very low.")


@pytest.mark.parametrize("answer", ["b", "B", " b ", "(b)", "b)", "b."])
def test_choice_letters(answer):
    assert choice_verdict(answer, ABC).passed


def test_choice_wrong_option_is_explained():
    assert choice_verdict("C", ABC) == (False, "✘ Not yet: c. c confuses SE and variance.")
    assert choice_verdict("Low", GRADE) == (False, "✘ Not yet: low. 'Very serious' rates down two levels.")


@pytest.mark.parametrize("answer, words", [("d", "not one of the options"), (2, "as text in quotes"),
                                           (["a", "b"], "got 2"), (np.nan, "as text in quotes")])
def test_choice_not_an_option_gets_a_sentence(answer, words):
    passed, message = choice_verdict(answer, ABC)
    assert not passed and words in message and '"a", "b", "c"' in message, message


def test_text_is_acknowledged_with_the_checklist_never_marked_wrong_for_content():
    sentence = "The pooled SMD was -0.30 (95% CI -0.50 to -0.10; REML random effects, 7 trials)."
    passed, message = text_verdict(sentence, REPORT)
    assert passed and message.startswith("✔ Answer recorded") and "☐ the model and the tau² estimator" in message
    assert text_verdict("   ", REPORT) == (False, NOT_ANSWERED)
    assert "full sentence" in text_verdict("SMD -0.3", REPORT).message
    assert "as text in quotes" in text_verdict(0.3, REPORT).message


def _keys(tmp_path, **files):
    for name, entries in files.items():
        (tmp_path / f"{name}.json").write_text(json.dumps(entries))
    return tmp_path


def test_check_prints_the_verdict_from_the_notebooks_key_file(tmp_path, capsys):
    keys = _keys(tmp_path, **{"01_effect_sizes": {"01-se-md": SE}, "A1_software_conventions": {"A1-j": ABC}})
    assert check("01-se-md", "4.16", keys=keys) is None
    assert check("A1-j", None, keys=keys) is None
    assert capsys.readouterr().out == f"✔ Correct: SE of the MD (days) = 4.16\n{NOT_ANSWERED}\n"


def test_an_id_maps_to_the_one_notebook_its_prefix_names(tmp_path):
    keys = _keys(tmp_path, **{"04_heterogeneity": {}, "05_small_study_effects": {"05-egger": ABC}, "14_x": {}})
    assert key_file("05-egger", keys).name == "05_small_study_effects.json"
    assert load_key("05-egger", keys) == ABC
    with pytest.raises(LookupError, match=r"05-funnel.*not in 05_small_study_effects.json; it has 05-egger"):
        load_key("05-funnel", keys)
    with pytest.raises(LookupError, match=r"exactly one answer key .*07_\*\.json, found none"):
        key_file("07-x", keys)
    with pytest.raises(ValueError, match="'<notebook number>-<name>'"):
        key_file("egger", keys)
    _keys(tmp_path, **{"05_duplicate": {}})
    with pytest.raises(LookupError, match="found 05_duplicate.json, 05_small_study_effects.json"):
        key_file("05-egger", keys)


def test_keys_are_found_from_the_package_not_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert KEYS.is_absolute() and KEYS.parent.name == "notebooks" and (KEYS.parent.parent / "helpers").is_dir()


@pytest.mark.parametrize("entry, problem", [
    ({"kind": "numbr"}, "kind must be one of"),
    (dict(SE, value=float("nan")), "finite number"),
    ({k: v for k, v in SE.items() if k != "decimals"}, "exactly one of 'decimals'"),
    (dict(SE, significant=3), "exactly one of 'decimals'"),
    (dict(SE, decimals=1.5), "exactly one of 'decimals'"),
    (dict(SE, what=""), "'what'"),
    (dict(SE, mistakes=[[4.161, 0.01, "close"]]), "would also be accepted"),
    (dict(SE, mistakes=[[17.31, "variance"]]), "[value, tolerance, message]"),
    (dict(ABC, key="d"), "key 'd' is not one of the options"),
    (dict(ABC, options={"a": "x", "A": "y"}), "the same once case and spaces"),
    (dict(ABC, options={"a": "x", "b": " "}), "option 'b' has no explanation"),
    ({"kind": "text", "checklist": []}, "non-empty list"),
])
def test_broken_keys_are_the_authors_error_and_say_what_is_wrong(tmp_path, entry, problem):
    keys = _keys(tmp_path, **{"03_random_effects": {"03-x": entry}})
    with pytest.raises(ValueError, match=f"03_random_effects.json, exercise '03-x': .*{__import__('re').escape(problem)}"):
        load_key("03-x", keys)
    assert any(problem in p for p in validate_keys(keys))


def test_ids_must_carry_their_notebooks_prefix(tmp_path):
    keys = _keys(tmp_path, **{"03_random_effects": {"02-x": ABC}})
    assert validate_keys(keys) == ["03_random_effects.json: exercise '02-x' should start '03-'"]


def test_every_committed_key_file_is_complete():
    assert validate_keys() == []


def test_old_form_still_prints_while_notebooks_are_converted(capsys):
    check_number(None, 1.0)
    check_number(0.5012, 0.5, tol=0.01)
    check_choice("a", "a")
    assert capsys.readouterr().out == f"{NOT_ANSWERED}\n✔ Correct: your answer = 0.5012\n✔ Correct: 'a'\n"

"""Checks for the notebooks' exercises: a clear yes, or a sentence that helps; never the answer, never a traceback.

A student's cell holds only the exercise id and the answer::

    answer = None  # your code here: the SE of the MD in days, to 2 decimals
    check("01-se-md", answer)

The expected answer lives in an answer key beside the notebooks, ``notebooks/keys/<notebook stem>.json``,
found from this package (not from the working directory), so a student edition built in another folder
checks against the same keys. The id's prefix names the notebook: ``"01-se-md"`` is looked up in the one
key file whose name starts ``01_`` (``01_effect_sizes.json``), ``"A1-..."`` in ``A1_*.json``.

Three kinds of entry (exercises in Software Carpentry's lesson form, their solutions kept out of the student
edition):

``{"kind": "number", "value": 4.160251, "decimals": 2, "what": "SE of the MD (days)", "mistakes": [[17.31, 0.01, "That is the variance ..."]]}``
    Right when the answer lies within half a unit of the stated last decimal of ``value``,
    |answer - value| <= 0.5 x 10^-decimals (so an answer rounded by hand passes as a computed one does); ``"significant": 3``
    may stand instead of ``decimals`` for very small or large numbers. ``mistakes`` are ``[value,
    tolerance, message]`` triples for errors students are known to make.
    The feedback never tells a student which digits are right, so the answer cannot be found digit by digit:
    an answer given with fewer decimals than asked (0.8 where 2 decimals are asked) is only asked for the
    stated precision, whether or not its digits are right; only answers at the stated precision or finer
    are judged. (A key that ends in zeros, 0.80, still accepts 0.8: that is the answer, not a clue to it.)
``{"kind": "choice", "key": "b", "options": {"a": "why a is wrong", "b": "why b is right", ...}}``
    Compared case- and space-insensitively (``" B "`` is ``"b"``, ``"Very  low"`` is ``"very low"``);
    every option's explanation is shown when it is chosen.
``{"kind": "text", "checklist": ["the pooled estimate with its 95% CI", ...]}``
    A sentence the student writes ("how to report", a GRADE justification). It cannot be marked by
    machine: the check acknowledges it and prints the checklist to compare it with; the model answer
    is in the instructor edition's solution cell.

The verdicts come from pure functions (:func:`verdict` and one per kind), which return a
:class:`Verdict` ``(passed, message)`` for tests; :func:`check` prints the message and returns None,
so no stray output follows it.
"""

from __future__ import annotations

import decimal
import json
import math
import numbers
import re
from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple

import numpy as np

__all__ = ["KEYS", "Verdict", "check", "load_key", "key_file", "validate_keys", "verdict", "number_verdict",
           "choice_verdict", "text_verdict", "check_number", "check_choice"]

KEYS = Path(__file__).resolve().parent.parent / "notebooks" / "keys"
KINDS = ("number", "choice", "text")
MIN_WORDS = 8  # a "how to report" sentence needs at least an estimate, its CI and what it measures

_YES = "✔ Correct"
_NO = "✘ Not yet"
_RECORDED = "✔ Answer recorded"
NOT_ANSWERED = "… Not answered yet: replace None with your answer and run the cell again."


class Verdict(NamedTuple):
    passed: bool
    message: str


_UNANSWERED = Verdict(False, NOT_ANSWERED)


# --- where the keys are ---------------------------------------------------------------------------

def key_file(exercise_id: str, keys: Path = KEYS) -> Path:
    """The key file of an exercise: the one ``<prefix>_*.json`` in ``keys``, prefix = the id up to its first "-"."""
    prefix, dash, rest = str(exercise_id).partition("-")
    if not (prefix and dash and rest):
        raise ValueError(f"exercise id {exercise_id!r} should be '<notebook number>-<name>', e.g. '01-se-md'")
    matches = sorted(keys.glob(f"{prefix}_*.json"))
    if len(matches) != 1:
        found = "none" if not matches else ", ".join(m.name for m in matches)
        raise LookupError(f"exercise {exercise_id!r}: expected exactly one answer key {keys / (prefix + '_*.json')}, "
                          f"found {found}")
    return matches[0]


def _read(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise ValueError(f"answer key {path.name} is not valid JSON: {err}") from None


def load_key(exercise_id: str, keys: Path = KEYS) -> dict:
    """The key entry of one exercise, checked for completeness (a broken key is the author's error: it raises)."""
    path = key_file(exercise_id, keys)
    entries = _read(path)
    if exercise_id not in entries:
        raise LookupError(f"exercise {exercise_id!r} is not in {path.name}; it has {', '.join(sorted(entries))}")
    problems = _entry_problems(entries[exercise_id])
    if problems:
        raise ValueError(f"answer key {path.name}, exercise {exercise_id!r}: " + "; ".join(problems))
    return entries[exercise_id]


def _entry_problems(entry: Mapping) -> list[str]:
    kind = entry.get("kind")
    if kind not in KINDS:
        return [f"kind must be one of {', '.join(KINDS)}, not {kind!r}"]
    problems = []
    if kind == "number":
        value = entry.get("value")
        if not isinstance(value, numbers.Real) or isinstance(value, bool) or not math.isfinite(value):
            problems.append(f"value must be a finite number, not {value!r}")
        places = [k for k in ("decimals", "significant") if k in entry]
        if len(places) != 1 or not isinstance(entry[places[0]], int) or entry[places[0]] < (places[0] == "significant"):
            problems.append("give exactly one of 'decimals' (an integer >= 0) or 'significant' (an integer >= 1)")
        if not entry.get("what"):
            problems.append("'what' (what the number is, for the feedback) is missing")
        for mistake in entry.get("mistakes", []):
            if not (isinstance(mistake, list) and len(mistake) == 3 and isinstance(mistake[2], str)):
                problems.append(f"a mistake must be [value, tolerance, message], not {mistake!r}")
            elif not problems and _within(mistake[0], entry):
                problems.append(f"mistake {mistake[0]} would also be accepted as the right answer")
    elif kind == "choice":
        options = entry.get("options")
        if not isinstance(options, Mapping) or len(options) < 2:
            problems.append("'options' must map each option to its explanation (two or more)")
        else:
            normal = [_normal(o) for o in options]
            if len(set(normal)) != len(normal):
                problems.append("two options are the same once case and spaces are ignored")
            if _normal(entry.get("key", "")) not in normal:
                problems.append(f"key {entry.get('key')!r} is not one of the options {', '.join(options)}")
            problems += [f"option {o!r} has no explanation" for o, why in options.items() if not str(why).strip()]
    else:
        checklist = entry.get("checklist")
        if not (isinstance(checklist, list) and checklist and all(isinstance(c, str) and c for c in checklist)):
            problems.append("'checklist' must be a non-empty list of sentences")
    return problems


def validate_keys(keys: Path = KEYS) -> list[str]:
    """Every problem in every key file: unknown kinds, missing fields, ids whose prefix names another notebook."""
    problems = []
    for path in sorted(keys.glob("*.json")):
        prefix = path.stem.split("_", 1)[0]
        for exercise_id, entry in _read(path).items():
            if not exercise_id.startswith(prefix + "-"):
                problems.append(f"{path.name}: exercise {exercise_id!r} should start '{prefix}-'")
            problems += [f"{path.name}, {exercise_id!r}: {p}" for p in _entry_problems(entry)]
    return problems


# --- verdicts (pure) ------------------------------------------------------------------------------

def _unwrap(answer):
    """One value out of a one-element list, tuple, array, Series or DataFrame; else (None, a sentence)."""
    if isinstance(answer, (str, bytes, numbers.Number, np.generic)):
        return answer, None
    if isinstance(answer, (dict, set)):
        return None, f"expected one value, got a {type(answer).__name__}"
    values = np.asarray(answer, dtype=object).ravel()
    if values.size != 1:
        return None, f"expected one value, got {values.size}" + (" (an empty container)" if values.size == 0 else "")
    return (answer, None) if values[0] is answer else _unwrap(values[0])


def _places(entry: Mapping, value: float) -> int:
    if "decimals" in entry:
        return entry["decimals"]
    return entry["significant"] - 1 - math.floor(math.log10(abs(value))) if value else entry["significant"] - 1


def _within(answer: float, entry: Mapping) -> bool:
    """Within half a unit of the key's last stated decimal (a hair more, so 4.165 accepts 4.16 and 4.17)."""
    return abs(answer - entry["value"]) <= 0.5 * 10.0 ** -_places(entry, entry["value"]) * (1 + 1e-9) + 1e-12


def _form(entry: Mapping) -> str:
    return (f"to {entry['decimals']} decimal{'s' * (entry['decimals'] != 1)}" if "decimals" in entry
            else f"to {entry['significant']} significant figure{'s' * (entry['significant'] != 1)}")


def _show(x: float, entry: Mapping) -> str:
    places = max(_places(entry, entry["value"]), 0)
    return f"{x:.{places}f}" if abs(x) < 1e15 else f"{x:.4g}"


def number_verdict(answer, entry: Mapping) -> Verdict:
    """Is ``answer`` the key's ``value`` to the stated precision? Known mistakes get their own message.

    >>> key = {"kind": "number", "value": 4.16052, "decimals": 2, "what": "the SE",
    ...        "mistakes": [[17.31, 0.01, "That is the variance: take its square root."]]}
    >>> number_verdict("4.16", key)
    Verdict(passed=True, message='✔ Correct: the SE = 4.16')
    >>> number_verdict(17.3125, key).message
    '✘ Not yet: the SE = 17.31. That is the variance: take its square root.'
    >>> number_verdict(4.2, key).message
    '✘ Not yet: the SE = 4.2 has fewer decimals than asked; give it to 2 decimals.'
    """
    if answer is None:
        return _UNANSWERED
    what = entry["what"]
    value, problem = _unwrap(answer)
    if problem:
        return Verdict(False, f"{_NO}: {what} should be a single number; {problem}.")
    written, given = value, None  # a string's own decimals count: "4.20" has 2, though it is the float 4.2
    if isinstance(value, str):
        try:
            value, given = float(value.strip()), _written_decimals(value)
        except ValueError:
            return Verdict(False, f"{_NO}: {what} should be a number, {_form(entry)}; {value!r} is text that is not "
                                  "a number (write it without units, with a decimal point).")
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        return Verdict(False, f"{_NO}: {what} should be a number, {_form(entry)}; got {type(value).__name__} {value!r}.")
    value = float(value)
    if math.isnan(value):
        return Verdict(False, f"{_NO}: {what} came out as NaN (not a number): look for a missing value, a typo in a "
                              "column name or a 0/0 in your calculation.")
    if math.isinf(value):
        return Verdict(False, f"{_NO}: {what} came out infinite: look for a division by zero or a log of 0.")
    if _within(value, entry):
        return Verdict(True, f"{_YES}: {what} = {_show(value, entry)}")
    shown = f"{_NO}: {what} = {_show(value, entry)}"
    for target, tol, message in entry.get("mistakes", []):
        if abs(value - target) <= tol:
            return Verdict(False, f"{shown}. {message}")
    places = _places(entry, entry["value"])
    coarser = given < places if given is not None else round(value, places - 1) == value
    if coarser:
        # Judged only at the stated precision: telling a coarser answer "right so far" would leak the digits.
        return Verdict(False, f"{_NO}: {what} = {_as_written(written, value)} has fewer "
                              f"{'decimals' if 'decimals' in entry else 'significant figures'} than asked; "
                              f"give it {_form(entry)}.")
    return Verdict(False, f"{shown}. Not this value: it is asked {_form(entry)}; look at the worked example again.")


def _written_decimals(text: str) -> int | None:
    """Decimals a number is written with: "4.20" -> 2, "1.235e-4" -> 7, "4" -> 0 (None if it is not plain decimal)."""
    try:
        exponent = decimal.Decimal(text.strip()).as_tuple().exponent
    except decimal.InvalidOperation:
        return None
    return -exponent if isinstance(exponent, int) else None


def _as_written(written, value: float) -> str:
    """The answer as the student gave it (a string as typed, a number in its shortest form), not re-rounded."""
    return written.strip() if isinstance(written, str) else repr(value).removesuffix(".0")


def _normal(text) -> str:
    """Case, spaces, hyphens and surrounding quotes or brackets ignored: ' (B) ' -> 'b', 'Very-low' -> 'very low'."""
    return re.sub(r"[\s_-]+", " ", str(text)).strip().strip("\"'()[].").strip().casefold()


def choice_verdict(answer, entry: Mapping) -> Verdict:
    """Is ``answer`` the key's option? Every option chosen shows its explanation.

    >>> key = {"kind": "choice", "key": "b", "options": {"a": "a ignores tau².", "b": "b adds tau² to each vi."}}
    >>> choice_verdict(" B ", key)
    Verdict(passed=True, message='✔ Correct: b. b adds tau² to each vi.')
    """
    if answer is None:
        return _UNANSWERED
    options = {_normal(o): (o, why) for o, why in entry["options"].items()}
    listed = ", ".join(f'"{o}"' for o in entry["options"])
    value, problem = _unwrap(answer)
    if problem or not isinstance(value, str):
        return Verdict(False, f"{_NO}: answer with one of {listed}, as text in quotes, e.g. answer = "
                              f"{next(iter(entry['options']))!r}" + (f"; {problem}." if problem else "."))
    chosen = options.get(_normal(value))
    if chosen is None:
        return Verdict(False, f"{_NO}: {value!r} is not one of the options {listed}.")
    name, why = chosen
    if _normal(name) == _normal(entry["key"]):
        return Verdict(True, f"{_YES}: {name}. {why}")
    return Verdict(False, f"{_NO}: {name}. {why}")


def text_verdict(answer, entry: Mapping) -> Verdict:
    """A written answer is acknowledged and compared with nothing but the checklist it is shown.

    >>> text_verdict("", {"kind": "text", "checklist": ["the estimate"]}) == (False, NOT_ANSWERED)
    True
    """
    if answer is None or isinstance(answer, str) and not answer.strip():
        return _UNANSWERED
    if not isinstance(answer, str):
        return Verdict(False, f"{_NO}: write your answer as text in quotes, e.g. answer = \"The pooled ...\".")
    words = len(answer.split())
    minimum = entry.get("min_words", MIN_WORDS)
    if words < minimum:
        return Verdict(False, f"{_NO}: write it as a full sentence (yours has {words} word{'s' * (words != 1)}; "
                              f"a report needs at least {minimum}).")
    items = "\n".join(f"  ☐ {c}" for c in entry["checklist"])
    return Verdict(True, f"{_RECORDED}. Check that your sentence has each of these:\n{items}")


_BY_KIND = {"number": number_verdict, "choice": choice_verdict, "text": text_verdict}


def verdict(answer, entry: Mapping) -> Verdict:
    """The verdict on ``answer`` for a key ``entry`` of any kind."""
    return _BY_KIND[entry["kind"]](answer, entry)


def check(exercise_id: str, answer, *, keys: Path = KEYS) -> None:
    """Print the verdict on ``answer`` for the exercise ``exercise_id``, whose key is read from ``keys``."""
    print(verdict(answer, load_key(exercise_id, keys)).message)


# --- the form used before answer keys (kept until every notebook calls check) ---------------------

def _legacy_number(answer, expected, *, tol=1e-3, what="your answer", hints=None) -> Verdict:
    if answer is None:
        return _UNANSWERED
    try:
        value = float(answer)
    except (TypeError, ValueError):
        return Verdict(False, f"{_NO}: {what} should be a number, got {answer!r}.")
    if abs(value - expected) <= tol:
        return Verdict(True, f"{_YES}: {what} = {value:.4g}")
    hint = next((msg for msg, test in (hints or {}).items() if test(value)), None)
    direction = "too large" if value > expected else "too small"
    return Verdict(False, f"{_NO}: {what} = {value:.4g}. " + (hint or f"It is {direction}; look at the worked example again."))


def _legacy_choice(answer, expected, *, explanations=None) -> Verdict:
    if answer is None:
        return _UNANSWERED
    if answer == expected:
        return Verdict(True, f"{_YES}: {answer!r}" + (f". {explanations[answer]}" if explanations and answer in explanations else ""))
    return Verdict(False, f"{_NO}: " + (explanations or {}).get(answer, f"{answer!r} is not it; think again about the key idea above."))


def check_number(answer, expected: float, **options) -> None:
    """Deprecated form that shows the expected value in the student's cell: use :func:`check` instead."""
    print(_legacy_number(answer, expected, **options).message)


def check_choice(answer, expected, **options) -> None:
    """Deprecated form that shows the key in the student's cell: use :func:`check` instead."""
    print(_legacy_choice(answer, expected, **options).message)

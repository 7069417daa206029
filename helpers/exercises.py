"""Checks for the notebooks' exercises: a clear yes, or a hint that helps.

Each exercise ends with a call such as
``check_number(answer, expected, tol=0.001, hints={...})``, which prints its
verdict (and returns None, so no stray ``True`` follows it). An answer left as
``None`` (the starting value) prints a reminder rather than an error, so a
notebook still runs from top to bottom before anyone has tried it. The
verdicts themselves come from pure functions (``number_verdict`` and
friends), which return ``(passed, message)`` for tests.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np

__all__ = ["check_number", "check_choice", "check_array", "number_verdict", "choice_verdict", "array_verdict"]

_YES = "✔ Correct"
_NO = "✘ Not yet"
_UNANSWERED = (False, "… Not answered yet: replace None with your answer and run the cell again.")


def number_verdict(answer, expected: float, *, tol: float = 1e-3, what: str = "your answer",
                   hints: Mapping[str, Callable[[float], bool]] | None = None) -> tuple[bool, str]:
    """Is ``answer`` within ``tol`` of ``expected``? ``hints`` maps a message to a test that spots a common mistake.

    >>> number_verdict(0.25, 0.5, hints={"That is the square: take the root.": lambda a: abs(a - 0.25) < 1e-9})
    (False, '✘ Not yet: your answer = 0.25. That is the square: take the root.')
    """
    if answer is None:
        return _UNANSWERED
    try:
        value = float(answer)
    except (TypeError, ValueError):
        return False, f"{_NO}: {what} should be a number, got {answer!r}."
    if abs(value - expected) <= tol:
        return True, f"{_YES}: {what} = {value:.4g}"
    hint = next((msg for msg, test in (hints or {}).items() if test(value)), None)
    direction = "too large" if value > expected else "too small"
    return False, f"{_NO}: {what} = {value:.4g}. " + (hint or f"It is {direction}; look at the worked example again.")


def choice_verdict(answer, expected, *, explanations: Mapping[object, str] | None = None) -> tuple[bool, str]:
    """Is ``answer`` the expected option? ``explanations`` says why each option is right or wrong.

    >>> choice_verdict("b", "a", explanations={"b": "b ignores the between-study variance."})
    (False, '✘ Not yet: b ignores the between-study variance.')
    """
    if answer is None:
        return _UNANSWERED
    if answer == expected:
        return True, f"{_YES}: {answer!r}" + (f". {explanations[answer]}" if explanations and answer in explanations else "")
    return False, f"{_NO}: " + (explanations or {}).get(answer, f"{answer!r} is not it; think again about the key idea above.")


def array_verdict(answer, expected, *, tol: float = 1e-3, what: str = "your values") -> tuple[bool, str]:
    """Do all values of ``answer`` match ``expected`` (same length, each within ``tol``)?

    >>> array_verdict([1.0, 2.0], [1.0, 2.1], tol=0.01)
    (False, '✘ Not yet: your values differ at position 1 (you have 2, expected about 2.1).')
    """
    if answer is None:
        return _UNANSWERED
    a, e = np.asarray(answer, float).ravel(), np.asarray(expected, float).ravel()
    if a.shape != e.shape:
        return False, f"{_NO}: {what} has {a.size} values, expected {e.size}."
    bad = np.flatnonzero(np.abs(a - e) > tol)
    if bad.size:
        i = bad[0]
        return False, f"{_NO}: {what} differ at position {i} (you have {a[i]:.4g}, expected about {e[i]:.4g})."
    return True, f"{_YES}: all {a.size} values match."


def check_number(answer, expected: float, **options) -> None:
    """Print the verdict of :func:`number_verdict`.

    >>> check_number(0.5012, 0.5, tol=0.01)
    ✔ Correct: your answer = 0.5012
    """
    print(number_verdict(answer, expected, **options)[1])


def check_choice(answer, expected, **options) -> None:
    """Print the verdict of :func:`choice_verdict`.

    >>> check_choice(None, "a")
    … Not answered yet: replace None with your answer and run the cell again.
    """
    print(choice_verdict(answer, expected, **options)[1])


def check_array(answer, expected, **options) -> None:
    """Print the verdict of :func:`array_verdict`.

    >>> check_array([1.0, 2.0], [1.0, 2.0])
    ✔ Correct: all 2 values match.
    """
    print(array_verdict(answer, expected, **options)[1])

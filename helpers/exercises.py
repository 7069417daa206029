"""Checks for the notebooks' exercises: a clear yes, or a hint that helps.

Each exercise ends with a call such as
``check_number(answer, expected, tol=0.001, hints={...})``. An answer left as
``None`` (the starting value) prints a reminder rather than an error, so a
notebook still runs from top to bottom before anyone has tried it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np

__all__ = ["check_number", "check_choice", "check_array"]

_YES = "✔ Correct"
_NO = "✘ Not yet"


def _unanswered(answer) -> bool:
    if answer is None:
        print("… Not answered yet: replace None with your answer and run the cell again.")
        return True
    return False


def check_number(answer, expected: float, *, tol: float = 1e-3, what: str = "your answer",
                 hints: Mapping[str, Callable[[float], bool]] | None = None) -> bool:
    """Is ``answer`` within ``tol`` of ``expected``? Prints the verdict; returns it.

    ``hints`` maps a message to a test of the answer that recognises a common
    mistake (e.g. ``{"That is the variance; take its square root.":
    lambda a: abs(a - se**2) < 1e-3}``); the first that matches is shown.

    >>> check_number(0.5012, 0.5, tol=0.01)
    ✔ Correct: your answer = 0.5012
    True
    >>> check_number(0.25, 0.5, hints={"That is the square: take the root.": lambda a: abs(a - 0.25) < 1e-9})
    ✘ Not yet: your answer = 0.25. That is the square: take the root.
    False
    """
    if _unanswered(answer):
        return False
    try:
        value = float(answer)
    except (TypeError, ValueError):
        print(f"{_NO}: {what} should be a number, got {answer!r}.")
        return False
    if abs(value - expected) <= tol:
        print(f"{_YES}: {what} = {value:.4g}")
        return True
    hint = next((msg for msg, test in (hints or {}).items() if test(value)), None)
    direction = "too large" if value > expected else "too small"
    print(f"{_NO}: {what} = {value:.4g}. " + (hint or f"It is {direction}; look at the worked example again."))
    return False


def check_choice(answer, expected, *, explanations: Mapping[object, str] | None = None) -> bool:
    """Is ``answer`` the expected option? ``explanations`` says why each wrong option is wrong.

    >>> check_choice("b", "a", explanations={"b": "b ignores the between-study variance."})
    ✘ Not yet: b ignores the between-study variance.
    False
    """
    if _unanswered(answer):
        return False
    if answer == expected:
        print(f"{_YES}: {answer!r}" + (f". {explanations[answer]}" if explanations and answer in explanations else ""))
        return True
    why = (explanations or {}).get(answer, f"{answer!r} is not it; think again about the key idea above.")
    print(f"{_NO}: {why}")
    return False


def check_array(answer, expected, *, tol: float = 1e-3, what: str = "your values") -> bool:
    """Do all values of ``answer`` match ``expected`` (same length, within ``tol``)?

    >>> check_array([1.0, 2.0], [1.0, 2.1], tol=0.01)
    ✘ Not yet: your values differ at position 1 (you have 2, expected about 2.1).
    False
    """
    if _unanswered(answer):
        return False
    a, e = np.asarray(answer, float).ravel(), np.asarray(expected, float).ravel()
    if a.shape != e.shape:
        print(f"{_NO}: {what} has {a.size} values, expected {e.size}.")
        return False
    bad = np.flatnonzero(np.abs(a - e) > tol)
    if bad.size:
        i = bad[0]
        print(f"{_NO}: {what} differ at position {i} (you have {a[i]:.4g}, expected about {e[i]:.4g}).")
        return False
    print(f"{_YES}: all {a.size} values match.")
    return True

"""Exercise checks accept right answers, spot known mistakes, and never break a notebook left unanswered."""

from helpers.exercises import array_verdict, check_number, choice_verdict, number_verdict


def test_number_within_tolerance_and_hints():
    assert number_verdict(1.96, 1.959964, tol=1e-3)[0]
    ok, message = number_verdict(3.8416, 1.96, hints={"That is z squared.": lambda a: abs(a - 1.96**2) < 1e-3})
    assert not ok and "z squared" in message
    assert "too small" in number_verdict(1.0, 2.0)[1]
    assert not number_verdict("abc", 2.0)[0]


def test_unanswered_is_a_reminder_not_an_error(capsys):
    assert number_verdict(None, 1.0) == (False, "… Not answered yet: replace None with your answer and run the cell again.")
    assert check_number(None, 1.0) is None
    assert "Not answered yet" in capsys.readouterr().out


def test_choice_and_array():
    assert choice_verdict("a", "a")[0] and not choice_verdict("b", "a")[0]
    assert array_verdict([1, 2], [1, 2])[0]
    assert "has 1 values" in array_verdict([1], [1, 2])[1]

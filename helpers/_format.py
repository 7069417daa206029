"""Numbers written into sentences (GRADE and MCID reasoning): short, and never a misleading "-0"."""

from __future__ import annotations

import math


def short_number(x: float) -> str:
    """About three significant figures, without trailing zeros: 0.0512 -> '0.0512', 3.480 -> '3.48'.

    >>> short_number(3.4800), short_number(-0.0001), short_number(1234.5)
    ('3.48', '-0.0001', '1234')
    """
    if x == 0 or not math.isfinite(x):
        return f"{x:g}"
    decimals = max(0, min(4, 2 - math.floor(math.log10(abs(x)))))
    text = f"{x:.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text

"""Absolute effects: risk differences at an assumed control risk, and the number needed to treat.

A relative effect (RR, OR) says little to a patient until it is turned into
"how many fewer per 1000" at a stated baseline risk; a Summary of findings
table does exactly that (Cochrane Handbook v6.4, 14.1 and 15.4.4).

* :func:`risk_difference_at` -- the RD implied by an RR or OR at an assumed
  control risk (ACR).
* :func:`nnt` -- the number needed to treat from an RD, worded NNTB (to
  benefit) or NNTH (to harm), with Altman's (1998) confidence interval that
  passes through infinity when the RD's interval includes 0.
* :func:`per_1000` -- the RD as "24 fewer per 1000", the SoF table's wording.

Sign convention as everywhere in the kit: group 1 is the intervention, so
RD = risk(intervention) - risk(control). For an undesirable event (relapse,
readmission: ``outcome="undesirable"``, the default) a negative RD is a
benefit.

References: Cochrane Handbook v6.4 (2023) 15.4.4, and v5.1 (2011) 12.5.4,
whose worked examples the tests reproduce; Altman DG (1998), BMJ 317:1309;
Cook & Sackett (1995), BMJ 310:452.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["NNT", "NNTLimit", "nnt", "risk_difference_at", "per_1000"]

OUTCOMES = ("undesirable", "desirable")


def _check_outcome(outcome):
    if outcome not in OUTCOMES:
        raise ValueError(f"outcome must be one of {OUTCOMES} (is the event bad or good for the patient?), "
                         f"got {outcome!r}")


def _check_rd(value, name):
    value = float(value)
    if not math.isfinite(value) or not -1 <= value <= 1:
        raise ValueError(f"{name} must be a risk difference between -1 and 1, got {value}")
    return value


def _whole(x: float) -> float:
    # rounded up, as NNTs are reported; the tolerance keeps 1/0.1 = 10.000000000000002 at 10
    return math.inf if math.isinf(x) else math.ceil(x - 1e-9)


@dataclass(frozen=True)
class NNTLimit:
    """One end of an NNT interval: a count of patients and its direction (NNTB/NNTH), possibly infinite."""

    value: float
    label: str

    def __str__(self) -> str:
        return "∞" if math.isinf(self.value) else f"{self.label} {_whole(self.value)}"


@dataclass(frozen=True)
class NNT:
    """A number needed to treat: ``value`` = 1/|RD| (inf when RD = 0), ``label`` "NNTB" or "NNTH".

    ``rounded`` is the whole number reported, by convention rounded up
    (Handbook v5.1 12.5.4). ``ci`` is None or the interval's two ends, each
    a count with its direction: when ``ci_includes_infinity`` (the RD's CI
    includes 0) the benefit end first, as Altman (1998) writes "NNTB 4 to ∞
    to NNTH 20"; otherwise the smaller NNT first. Printed limits are rounded
    up like the NNT itself.
    """

    value: float
    label: str
    rd: float
    ci: tuple[NNTLimit, NNTLimit] | None = None
    ci_includes_infinity: bool = False
    level: float = 0.95

    @property
    def rounded(self) -> float:
        return _whole(self.value)

    def __str__(self) -> str:
        head = "NNT ∞ (no difference)" if math.isinf(self.value) else f"{self.label} {self.rounded}"
        if self.ci is None:
            return head
        pct = f"{100 * self.level:g}% CI"
        if not self.ci_includes_infinity:
            return f"{head} ({pct} {_whole(self.ci[0].value)} to {_whole(self.ci[1].value)})"
        finite = [str(e) for e in self.ci if not math.isinf(e.value)]
        inner = " to ∞ to ".join(finite) if len(finite) == 2 else (f"{finite[0]} to ∞" if finite else "∞")
        return f"{head} ({pct} {inner})"


def _benefit(rd: float, outcome: str) -> bool:
    return rd < 0 if outcome == "undesirable" else rd > 0


def nnt(rd, ci: tuple[float, float] | None = None, *, outcome: str = "undesirable", level: float = 0.95) -> NNT:
    """Number needed to treat from a risk difference (intervention minus control).

    .. math:: NNT = \\frac{1}{|RD|}

    labelled NNTB when the intervention prevents an undesirable event (or
    brings about a desirable one) and NNTH when it causes one; reported
    rounded up (Cochrane Handbook v5.1 12.5.4.1: an RD of -0.12 gives
    NNTB 9). With ``ci`` (the RD's confidence limits) the NNT's limits are
    the reciprocals of the RD's limits (Altman 1998). If the RD's interval
    includes 0 the NNT's interval is not the range between its limits but
    runs from one limit through infinity to the other, e.g. "NNTB 4 to ∞ to
    NNTH 20" for an absolute risk reduction of -5% to +25% (Altman 1998).
    The interval ignores uncertainty in the control risk (Handbook v5.1
    12.5.4.5).

    >>> str(nnt(-0.12))
    'NNTB 9'
    >>> str(nnt(-0.10, ci=(-0.25, 0.05)))  # an undesirable event: RD < 0 is a benefit
    'NNTB 10 (95% CI NNTB 4 to ∞ to NNTH 20)'
    
    """
    _check_outcome(outcome)
    rd = _check_rd(rd, "rd")
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1 (e.g. 0.95), got {level}")
    value = math.inf if rd == 0 else 1 / abs(rd)
    label = "NNT" if rd == 0 else ("NNTB" if _benefit(rd, outcome) else "NNTH")
    if ci is None:
        return NNT(value=value, label=label, rd=rd, level=level)
    low, high = (_check_rd(x, name) for x, name in zip(ci, ("ci[0]", "ci[1]")))
    if not low <= rd <= high:
        raise ValueError(f"ci must bracket the estimate: ({low}, {high}) does not contain rd = {rd}")

    def end(x):
        return NNTLimit(math.inf if x == 0 else 1 / abs(x), "NNTB" if _benefit(x, outcome) else "NNTH")

    crosses = low <= 0 <= high
    if crosses:
        benefit_side, harm_side = (low, high) if outcome == "undesirable" else (high, low)
        limits = (end(benefit_side), end(harm_side))
    else:
        limits = tuple(sorted((end(low), end(high)), key=lambda e: e.value))
    return NNT(value=value, label=label, rd=rd, ci=limits, ci_includes_infinity=crosses, level=level)


def risk_difference_at(ratio, control_risk, measure: str = "RR"):
    """The risk difference implied by a risk or odds ratio at an assumed control risk (ACR).

    .. math:: RD = ACR \\cdot RR - ACR, \\qquad
              RD = \\frac{OR \\cdot ACR}{1 - ACR + OR \\cdot ACR} - ACR

    (Cochrane Handbook v6.4 15.4.4; v5.1 12.5.4.2-3, whose examples are
    RR 0.92 at ACR 0.3: 24 fewer per 1000, NNT 42; OR 0.73 at ACR 0.3: 62
    fewer per 1000, NNT 17). ``ratio`` is on the ratio scale (not logged);
    both arguments may be arrays (a CI's limits, a range of ACRs). Apply it to
    each CI limit of the ratio for the RD's CI (the mapping is increasing).

    >>> round(float(risk_difference_at(0.92, 0.3)), 4), round(float(risk_difference_at(0.73, 0.3, "OR")), 4)
    (-0.024, -0.0617)
    """
    if measure not in ("RR", "OR"):
        raise ValueError(f"measure must be 'RR' or 'OR', got {measure!r}")
    r = np.asarray(ratio, dtype=float)
    acr = np.asarray(control_risk, dtype=float)
    if not np.all(np.isfinite(r)) or np.any(r <= 0):
        raise ValueError(f"ratio must be a {measure} > 0 on the ratio scale (exp of a log {measure}), got {ratio}")
    if not np.all(np.isfinite(acr)) or np.any((acr <= 0) | (acr >= 1)):
        raise ValueError(f"control_risk must be a proportion strictly between 0 and 1 (e.g. 0.3), got {control_risk}")
    if measure == "RR":
        risk = r * acr
        if np.any(risk > 1):
            raise ValueError(f"an RR of {np.max(r):g} at a control risk of {np.max(acr):g} implies a risk above 1 in the "
                             "intervention group: the RR cannot hold at this control risk (an OR can)")
    else:
        risk = r * acr / (1 - acr + r * acr)
    rd = risk - acr
    return float(rd) if rd.ndim == 0 else rd


def per_1000(rd, ci: tuple[float, float] | None = None, level: float = 0.95) -> str:
    """A risk difference as a Summary of findings table words it: "24 fewer per 1000 (95% CI 40 fewer to 5 more)".

    Whole numbers per 1000, rounded to the nearest (Handbook v6.4 14.1.6;
    v5.1 12.5.4.2: an RR of 0.92 at 300 per 1000 is "24 fewer per 1000").

    >>> per_1000(-0.024), per_1000(-0.0617, ci=(-0.12, 0.01))
    ('24 fewer per 1000', '62 fewer per 1000 (95% CI 120 fewer to 10 more)')
    """
    def words(x):
        n = int(np.floor(abs(1000 * _check_rd(x, "rd")) + 0.5))
        return "no difference" if n == 0 else f"{n} {'fewer' if x < 0 else 'more'}"

    text = words(rd) + " per 1000"
    if ci is not None:
        text += f" ({100 * level:g}% CI {words(ci[0])} to {words(ci[1])})"
    return text

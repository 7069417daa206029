"""Clinical importance: is a pooled effect big enough to matter to patients?

A p value says whether an effect is distinguishable from zero; it does not
say whether the effect is large enough to matter. The yardstick for that is
the *minimal clinically important difference* (MCID, also MID or MIC): the
smallest change in a score that patients perceive as important (Jaeschke,
Singer & Guyatt 1989, Control Clin Trials 10:407-415, who anchored changes
in score on patients' global ratings of change). This module places a pooled
result against such a threshold:

* :func:`compare_to_mcid` / :func:`interpret_result` -- one of four verdicts
  ("clearly important", "possibly important", "clearly not important",
  "inconclusive") with the reasoning spelled out in sentences;
* :func:`prob_exceeds_mcid` -- how likely a *new setting's* true effect is
  to be important, from the random-effects predictive distribution;
* :func:`smd_to_units` / :func:`md_to_smd` -- re-express a standardised mean
  difference on a familiar scale, and back;
* :func:`distribution_mcid` -- the distribution-based fall-backs (half an SD,
  one SEM) when no anchor-based MCID exists;
* :func:`load_thresholds` / :func:`threshold_for` -- published MCIDs with
  source, location, a verbatim quote and their *kind* (within-person change,
  between-group difference, responder definition, distribution-based, rule
  of thumb) (``data/mcid_thresholds.csv``; ``data/mcid_thresholds.md`` is its
  data dictionary);
* :func:`responders_from_md` / :func:`control_responders` -- the responder
  approach: a mean difference as the proportion of patients reaching a
  threshold in each group, their risk difference and the NNT (Cochrane
  Handbook 5.1 12.6.3 and 17.8.1; GRADE 13).

The approach follows GRADE's construct of certainty: "Certainty of evidence
is best considered as the certainty that a true effect lies on one side of a
specified threshold, or within a chosen range" (Hultcrantz et al. 2017, J
Clin Epidemiol 87:4-13), using ranges of no/trivial, small, moderate or
large effect (ibid.) and thresholds chosen by the degree of
contextualisation (GRADE 32, Zeng et al. 2021; GRADE 34, J Clin Epidemiol
2022;150:216-224). Every rule cited here is quoted in ``data/grade_rules.csv``.

This is a "judgement" module: numbers go in, a *suggested* reading comes out,
and every sentence says where its rule comes from. Nothing here replaces the
reviewer's judgement about which MCID fits the population in hand.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ._distributions import norm_isf, norm_sf, t_cdf, t_sf
from ._format import short_number
from ._sourced import read_sourced_csv, row_location
from .absolute_effects import nnt, risk_difference_at
from .pooling import MetaAnalysis

__all__ = [
    "DIRECTIONS", "CATEGORIES", "RULE_OF_THUMB_CATEGORIES", "ZONES",
    "MCIDComparison", "compare_to_mcid", "interpret_result",
    "smd_to_units", "md_to_smd",
    "MCIDProbability", "prob_exceeds_mcid",
    "DistributionMCID", "distribution_mcid",
    "Threshold", "load_thresholds", "threshold_for",
    "KINDS", "ResponderEstimate", "control_responders", "responders_from_md",
]

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
THRESHOLDS_CSV = DATA_DIR / "mcid_thresholds.csv"

DIRECTIONS = ("higher_is_better", "lower_is_better")
CATEGORIES = ("clearly important", "possibly important", "clearly not important", "inconclusive")
#: The same four categories when the threshold is a rule of thumb for effect *size* (Cohen's 0.2 "small"): it says
#: how big an effect is, not whether it matters to patients, so no verdict says "important" ("{size}" is the
#: size word, e.g. "small").
RULE_OF_THUMB_CATEGORIES = ("at least {size}", "possibly {size}", "below {size}", "inconclusive")
#: Cohen's anchors as the Cochrane Handbook 5.1 12.6.2 quotes them ("0.2 represents a small effect, 0.5 a
#: moderate effect, and 0.8 a large effect"; data/mcid_thresholds.csv, rows with kind "rule of thumb").
COHEN_ANCHORS = ((0.8, "large"), (0.5, "moderate"), (0.0, "small"))
#: The three ranges the MCID cuts the effect axis into, from worst to best.
ZONES = ("important harm", "trivial", "important benefit")

THRESHOLD_COLUMNS = ("scale", "scale_range", "population", "threshold", "unit", "direction", "method", "kind",
                     "kind_basis", "source", "doi_or_url", "location", "quote", "read_or_derived", "notes")
UNITS = ("points", "percent", "SD")
THRESHOLD_DIRECTIONS = DIRECTIONS + ("either",)
METHODS = ("anchor", "distribution", "consensus", "anchor+distribution")
READ_OR_DERIVED = ("read", "derived")
#: What a threshold measures. A pooled mean difference is a *between-group difference*; the minimal
#: important *change* of one patient is a different quantity (MCID-03, MCID-04 in data/grade_rules.csv).
KINDS = ("within-person change", "between-group difference", "responder definition", "distribution-based",
         "rule of thumb", "not stated")
#: Threshold kinds that describe one patient, not a difference between group means.
PERSON_LEVEL_KINDS = ("within-person change", "responder definition")
ESTIMATE_KINDS = ("between-group difference", "within-person change")


# --------------------------------------------------------------------------- helpers

def _signed(x: float) -> str:
    return ("+" if x > 0 else "") + short_number(x)


def _finite(name: str, value) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, got {value!r}") from None
    if not math.isfinite(x):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    return x


def _check_direction(direction) -> str:
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {DIRECTIONS} (which way is better on this outcome?), "
                         f"got {direction!r}")
    return direction


def _check_mcid(mcid) -> float:
    m = _finite("mcid", mcid)
    if m <= 0:
        raise ValueError(f"mcid must be > 0: give its size, and say with `direction` which way is better "
                         f"(got {mcid!r})")
    return m


def _zone(b: float, m: float) -> str:
    """Zone of a value already on the benefit scale (positive = benefit). The MCID itself counts as reached."""
    if b >= m:
        return "important benefit"
    if b <= -m:
        return "important harm"
    return "trivial"


def _zones_between(lo: float, hi: float, m: float) -> tuple[str, ...]:
    """Zones an interval [lo, hi] on the benefit scale touches, from worst to best."""
    first, last = ZONES.index(_zone(lo, m)), ZONES.index(_zone(hi, m))
    return ZONES[first:last + 1]


_IMPORTANCE_WORDS = {"important harm": "important harm", "trivial": "trivial effects",
                     "important benefit": "important benefit"}


def _size_words(size: str) -> dict[str, str]:
    """Zone names for a rule-of-thumb threshold: sizes, never importance."""
    return {"important harm": f"at least {size} harm", "trivial": f"effects below {size}",
            "important benefit": f"at least {size} benefit"}


def _zone_phrase(zones: tuple[str, ...], names: dict[str, str] = _IMPORTANCE_WORDS) -> str:
    if len(zones) == 1:
        return f"lies entirely in the range of {names[zones[0]]}"
    if len(zones) == 2:
        return f"runs from {names[zones[0]]} to {names[zones[1]]}"
    return f"runs from {names[zones[0]]} through {names[zones[1]]} to {names[zones[2]]}"


def _cohen_size(m: float) -> str:
    """The size word Cohen's anchors give a threshold of m SD (0.2 small, 0.5 moderate, 0.8 large)."""
    return next(word for cut, word in COHEN_ANCHORS if m >= cut)


# --------------------------------------------------------------------------- compare_to_mcid

@dataclass(frozen=True)
class MCIDComparison:
    """A pooled effect set against an MCID; see :func:`compare_to_mcid` for the definitions.

    ``category`` is one of :data:`CATEGORIES` (for a rule-of-thumb threshold,
    :data:`RULE_OF_THUMB_CATEGORIES` with its size word, e.g. "at least
    small"); ``size_label`` is that word (None for other kinds); ``side`` is ``"benefit"`` or
    ``"harm"`` for the two "important" verdicts (``None`` otherwise);
    ``ci_zones``/``pi_zones`` list the ranges of :data:`ZONES` the confidence
    and prediction intervals reach; ``threshold_kind`` and ``estimate_kind``
    say what the threshold and the estimate measure (:data:`KINDS`);
    ``kind_caution`` is the warning when they do not match (else None);
    ``verdict`` is the label to print (``category``, qualified when the kinds
    do not match); ``reasoning`` is the plain-English explanation (also what
    ``str()`` gives).
    """

    estimate: float
    ci_low: float
    ci_high: float
    mcid: float
    direction: str
    level: float
    category: str
    side: str | None
    point_zone: str
    ci_zones: tuple[str, ...]
    statistically_significant: bool
    point_estimate_reaches_mcid: bool
    ci_excludes_mcid: bool
    pi_low: float | None
    pi_high: float | None
    pi_zones: tuple[str, ...] | None
    prediction: str | None
    threshold_kind: str
    estimate_kind: str
    kind_caution: str | None
    size_label: str | None
    verdict: str
    reasoning: str

    def __str__(self) -> str:
        return self.reasoning


def compare_to_mcid(estimate, ci_low, ci_high, mcid, direction, pi_low=None, pi_high=None,
                    level: float = 0.95, unit: str = "", *, threshold_kind: str = "not stated",
                    estimate_kind: str = "between-group difference",
                    size_label: str | None = None) -> MCIDComparison:
    """Classify a pooled effect against a minimal clinically important difference.

    ``mcid`` is the size of the MCID (> 0, in the units of ``estimate``);
    ``direction`` says which way is better: ``"higher_is_better"`` (e.g.
    self-efficacy) or ``"lower_is_better"`` (e.g. pain). The estimate must be
    on a difference scale whose null is 0 (MD, SMD, or a log ratio with the
    MCID on the same log scale).

    Put every value on the *benefit scale* :math:`b` (the value itself if
    higher is better, its negative if lower is better). The MCID :math:`M`
    cuts that axis into three zones: important benefit :math:`b \\ge M`,
    trivial :math:`-M < b < M`, important harm :math:`b \\le -M` (a value
    exactly at the MCID counts as reaching it). With the CI
    :math:`[L, U]` and point estimate :math:`\\hat b` on that scale:

    * **clearly important** -- the whole CI is in one important zone:
      :math:`L \\ge M` (benefit) or :math:`U \\le -M` (harm);
    * **possibly important** -- otherwise, the point estimate reaches the
      MCID (:math:`\\hat b \\ge M` or :math:`\\hat b \\le -M`) but the CI
      crosses it;
    * **clearly not important** -- the whole CI is trivial,
      :math:`-M < L` and :math:`U < M`: whatever the truth, it is too small
      to matter, in either direction;
    * **inconclusive** -- the point estimate is trivial but the CI reaches an
      important zone (it spans from trivial, or from the other side of the
      null, to an important effect).

    The four are exhaustive and exclusive. Harms are handled symmetrically:
    flipping the signs of every number and the ``direction`` gives the same
    verdict, and ``side`` says whether an "important" verdict is a benefit
    or a harm. These are the ranges of GRADE's construct of certainty
    (Hultcrantz et al. 2017) with the MCID as threshold (GRADE 32, Zeng et
    al. 2021, partially contextualised). Statistical significance (the CI
    excluding 0) is reported separately, because it is a different question.

    If a prediction interval (``pi_low``, ``pi_high``) is given, the result
    also says which zones the true effect in a *new setting* may fall in.

    **What the threshold measures.** ``threshold_kind`` is one of
    :data:`KINDS` (a :class:`Threshold` carries its own); ``estimate_kind`` is
    what the estimate is, by default a pooled "between-group difference". A
    within-person minimal important *change* (or a responder definition,
    which counts patients who each improve by that much) is not a difference
    between group means (MCID-03; Dworkin et al. 2009, MCID-04), and a mean
    difference below it does not show that nobody benefits (Cochrane
    Handbook 5.1 17.8.1, RESP-01; RESP-06). When such a threshold is held
    against a between-group difference the zones are still computed, but the
    ``verdict`` is qualified (a "clearly not important" becomes "below a
    within-person threshold: importance not settled") and ``kind_caution``
    explains why and points to :func:`responders_from_md`. A
    distribution-based value or Cohen's rule of thumb gets a caution of its
    own, and its verdict says "by a rule of thumb threshold (not an
    anchor-based MID)" (or "distribution-based").

    **A rule of thumb names a size, not importance.** Cohen's 0.2/0.5/0.8
    label small, moderate and large effects (Cochrane Handbook 5.1 12.6.2);
    nobody derived them from patients. With ``threshold_kind="rule of
    thumb"`` the zones and categories are the same, but worded as sizes
    (:data:`RULE_OF_THUMB_CATEGORIES`): "at least small", "possibly small",
    "below small", "inconclusive", and the reasoning never says "important"
    or "matters to patients". ``size_label`` is the size word; by default
    Cohen's anchor the threshold reaches (below 0.5 "small", 0.5 to 0.8
    "moderate", 0.8 or more "large"); pass it for other bands (e.g. the
    Handbook's variant, 0.40 = "moderate").

    Flags: ``statistically_significant`` (the CI excludes 0),
    ``point_estimate_reaches_mcid`` (in either direction; see ``side`` via
    ``point_zone``), ``ci_excludes_mcid`` (the CI lies within one zone, so it
    does not straddle +MCID or -MCID).

    >>> c = compare_to_mcid(-3.0, -6.0, -0.5, mcid=15, direction="lower_is_better")
    >>> c.category, c.statistically_significant, c.point_estimate_reaches_mcid
    ('clearly not important', True, False)
    >>> compare_to_mcid(0.45, 0.2, 0.7, mcid=0.5, direction="higher_is_better").category
    'inconclusive'
    >>> compare_to_mcid(-0.23, -0.37, -0.09, 0.2, "lower_is_better", threshold_kind="rule of thumb").verdict
    'possibly small (benefit), by a rule of thumb threshold (not an anchor-based MID)'
    """
    direction = _check_direction(direction)
    est, lo, hi = _finite("estimate", estimate), _finite("ci_low", ci_low), _finite("ci_high", ci_high)
    m = _check_mcid(mcid)
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1 (e.g. 0.95), got {level}")
    if lo > hi:
        raise ValueError(f"ci_low ({lo:g}) is above ci_high ({hi:g}); give the interval in order")
    if not lo <= est <= hi:
        raise ValueError(f"the estimate ({est:g}) must lie inside its confidence interval ({lo:g} to {hi:g})")
    if threshold_kind not in KINDS:
        raise ValueError(f"threshold_kind must be one of {KINDS}, got {threshold_kind!r}")
    if estimate_kind not in ESTIMATE_KINDS:
        raise ValueError(f"estimate_kind must be one of {ESTIMATE_KINDS}, got {estimate_kind!r}")
    if (pi_low is None) != (pi_high is None):
        raise ValueError("give both pi_low and pi_high, or neither")
    if pi_low is not None:
        pi_low, pi_high = _finite("pi_low", pi_low), _finite("pi_high", pi_high)
        if pi_low > pi_high:
            raise ValueError(f"pi_low ({pi_low:g}) is above pi_high ({pi_high:g})")
    sizes = threshold_kind == "rule of thumb"
    if size_label is not None and not sizes:
        raise ValueError(f"size_label names the size a rule of thumb gives its threshold; it needs "
                         f"threshold_kind='rule of thumb' (got {threshold_kind!r})")
    if sizes:
        size_label = _cohen_size(m) if size_label is None else str(size_label).strip()
        if not size_label or "important" in size_label:
            raise ValueError(f"size_label must be a size word such as 'small' (not about importance), "
                             f"got {size_label!r}")

    sign = 1.0 if direction == "higher_is_better" else -1.0
    b = sign * est
    bl, bh = sorted((sign * lo, sign * hi))
    point_zone = _zone(b, m)
    ci_zones = _zones_between(bl, bh, m)

    if bl >= m:
        category, side = "clearly important", "benefit"
    elif bh <= -m:
        category, side = "clearly important", "harm"
    elif b >= m:
        category, side = "possibly important", "benefit"
    elif b <= -m:
        category, side = "possibly important", "harm"
    elif -m < bl and bh < m:
        category, side = "clearly not important", None
    else:
        category, side = "inconclusive", None

    significant = lo > 0 or hi < 0
    pct = f"{100 * level:g}%"
    u = f" {unit}" if unit else ""
    names = _size_words(size_label) if sizes else _IMPORTANCE_WORDS
    good, bad = (f"{_signed(m)} or above", f"{_signed(-m)} or below")[::int(sign)]
    if sizes:
        zones_text = (f"With a threshold of {short_number(m)}{u} (a '{size_label}' effect by a rule of thumb), values "
                      f"of {good} are at least {size_label} benefits, values of {bad} at least {size_label} harms, "
                      f"and anything in between is below {size_label}.")
    else:
        zones_text = (f"With an MCID of {short_number(m)}{u}, values of {good} are important benefits, values of "
                      f"{bad} are important harms, and anything in between is too small to matter to patients.")
    sentences = [
        f"The pooled estimate is {short_number(est)}{u} ({pct} CI {short_number(lo)} to {short_number(hi)}); "
        + ("higher values mean benefit." if sign > 0 else "lower values mean benefit."),
        zones_text,
        f"The point estimate is in the range of {names[point_zone]}"
        + (f" (it reaches the {'threshold' if sizes else 'MCID'})." if point_zone != "trivial" else
           f" (it does not reach the {'threshold' if sizes else 'MCID'})."),
        f"The confidence interval {_zone_phrase(ci_zones, names)}.",
        ("The CI excludes no effect (0), so the result is statistically significant; that alone does not make it "
         "clinically important." if significant else
         "The CI includes no effect (0), so the result is not statistically significant."),
    ]
    if sizes:
        size_verdict = {
            ("clearly important", "benefit"): f"even the least favourable end of the CI is at least a {size_label} benefit.",
            ("clearly important", "harm"): f"even the most favourable end of the CI is at least a {size_label} harm.",
            ("possibly important", "benefit"): f"the best estimate is at least a {size_label} benefit, but the CI also "
                                               f"includes effects below {size_label}.",
            ("possibly important", "harm"): f"the best estimate is at least a {size_label} harm, but the CI also "
                                            f"includes effects below {size_label}.",
            ("clearly not important", None): f"every value in the CI is below {size_label} in both directions.",
            ("inconclusive", None): f"the best estimate is below {size_label}, but the CI still includes "
                                    + " and ".join(names[z] for z in ci_zones if z != "trivial")
                                    + f"; the data cannot tell an effect below {size_label} from a {size_label} one.",
        }
    verdict = {
        ("clearly important", "benefit"): "even the least favourable end of the CI is an important benefit.",
        ("clearly important", "harm"): "even the most favourable end of the CI is an important harm.",
        ("possibly important", "benefit"): "the best estimate is an important benefit, but the CI also includes "
                                           "effects too small to matter.",
        ("possibly important", "harm"): "the best estimate is an important harm, but the CI also includes effects "
                                        "too small to matter.",
        ("clearly not important", None): "every value in the CI is smaller than the MCID in both directions, so "
                                         "whatever the true effect is, it is too small to matter.",
        ("inconclusive", None): "the best estimate is too small to matter, but the CI still includes "
                                + " and ".join(z for z in ci_zones if z != "trivial")
                                + "; the data cannot tell a trivial effect from an important one.",
    }[(category, side)]
    if sizes:
        verdict = size_verdict[(category, side)]
        category = RULE_OF_THUMB_CATEGORIES[CATEGORIES.index(category)].format(size=size_label)
    label = category + (f" ({side})" if side else "")
    caution = _kind_caution(threshold_kind, estimate_kind)
    mismatch = estimate_kind == "between-group difference" and threshold_kind in PERSON_LEVEL_KINDS
    if mismatch and category == "clearly not important":
        shown = f"below a {threshold_kind} threshold: importance not settled"
        verdict = ("every value in the CI is smaller than this threshold, but the threshold is for one patient, not "
                   "for a difference between group means, so this does not show the effect is too small to matter.")
    elif mismatch:
        shown = f"{label}, vs a {threshold_kind} threshold"
    elif threshold_kind in ("rule of thumb", "distribution-based"):
        shown = f"{label}, by a {threshold_kind} threshold (not an anchor-based MID)"
    else:
        shown = label
    sentences.append(f"Verdict: {shown}: {verdict}")
    if caution:
        sentences.append(caution)
    if side and len(ci_zones) == 3:
        sentences.append(f"Note that the CI reaches {f'at least {size_label}' if sizes else 'important'} effects in "
                         "both directions.")

    pi_zones = prediction = None
    if pi_low is not None:
        pl, ph = sorted((sign * pi_low, sign * pi_high))
        pi_zones = _zones_between(pl, ph, m)
        prediction = (f"The {pct} prediction interval ({short_number(pi_low)} to {short_number(pi_high)}), the range for the true "
                      f"effect in a new setting, {_zone_phrase(pi_zones, names)}")
        prediction += ((f": in some settings the effect may be at least {size_label}, in others not." if sizes else
                        ": in some settings the effect may be important, in others not.") if len(pi_zones) > 1
                       else ": the effect is expected to be similar in new settings.")
        sentences.append(prediction)

    return MCIDComparison(
        estimate=est, ci_low=lo, ci_high=hi, mcid=m, direction=direction, level=level, category=category,
        side=side, point_zone=point_zone, ci_zones=ci_zones, statistically_significant=significant,
        point_estimate_reaches_mcid=point_zone != "trivial", ci_excludes_mcid=len(ci_zones) == 1,
        pi_low=pi_low, pi_high=pi_high, pi_zones=pi_zones, prediction=prediction,
        threshold_kind=threshold_kind, estimate_kind=estimate_kind, kind_caution=caution, size_label=size_label,
        verdict=shown,
        reasoning=" ".join(sentences),
    )


def _kind_caution(threshold_kind: str, estimate_kind: str) -> str | None:
    """The warning for a threshold whose kind does not fit the estimate (None when it fits)."""
    if estimate_kind == "within-person change":
        if threshold_kind == "between-group difference":
            return ("Caution: the threshold is a between-group MID, but the estimate is a change within people; "
                    "use a within-person minimal important change.")
        return None
    if threshold_kind in PERSON_LEVEL_KINDS:
        return (f"Caution: this threshold is a {threshold_kind} (how much one patient must improve), but the estimate "
                "is a difference between group means. A mean difference smaller than it does not show that nobody "
                "benefits, and a larger one does not show that everyone does (Cochrane Handbook 5.1 17.8.1). Use a "
                "between-group MID if one exists, or estimate the proportion of patients reaching the threshold in "
                "each group (responders_from_md).")
    if threshold_kind == "distribution-based":
        return ("Note: a distribution-based threshold (e.g. half an SD) describes the spread of the scores, not what "
                "patients consider important.")
    if threshold_kind == "rule of thumb":
        return ("Note: Cohen's 0.2/0.5/0.8 are labels for small, moderate and large effects, not thresholds derived "
                "from patients; an SMD of 0.2 is 'small', not 'minimally important'.")
    if threshold_kind == "not stated":
        return ("Note: the kind of threshold was not stated; a pooled mean difference needs a between-group MID, "
                "not a within-person change.")
    return None


def _mcid_and_direction(mcid, direction, kind=None):
    """(size, direction, kind) from a number or a :class:`Threshold` (whose direction and kind fill the gaps)."""
    if isinstance(mcid, Threshold):
        kind = kind or mcid.kind
        if mcid.unit == "percent":
            raise ValueError(f"this MCID is a percentage ({mcid.value:g}% for {mcid.scale}); a pooled mean "
                             "difference is in points, so convert the percentage (e.g. of the baseline score) first")
        if direction is None:
            if mcid.direction not in DIRECTIONS:
                raise ValueError(f"the threshold for {mcid.scale!r} holds in either direction; pass direction=")
            direction = mcid.direction
        mcid = mcid.value
    if direction is None:
        raise ValueError(f"direction is required: one of {DIRECTIONS}")
    return mcid, direction, kind or "not stated"


def interpret_result(result: MetaAnalysis, mcid, direction: str | None = None, unit: str = "", *,
                     threshold_kind: str | None = None, size_label: str | None = None) -> MCIDComparison:
    """:func:`compare_to_mcid` for a :class:`~helpers.pooling.MetaAnalysis`: its estimate, CI, PI and level.

    ``mcid`` is a number or a :class:`Threshold` from :func:`threshold_for`
    (whose direction and kind are used if ``direction`` and
    ``threshold_kind`` are not given). Same definitions as
    :func:`compare_to_mcid` (``size_label`` too); the estimate is a
    between-group difference.

    >>> from helpers.pooling import meta_analysis
    >>> res = meta_analysis([0.9, 1.4, 1.1, 1.2], [0.04, 0.05, 0.03, 0.06])
    >>> interpret_result(res, mcid=0.5, direction="higher_is_better").category
    'clearly important'
    """
    if not isinstance(result, MetaAnalysis):
        raise ValueError(f"result must be a MetaAnalysis from helpers.pooling.meta_analysis, got {type(result).__name__}")
    mcid, direction, kind = _mcid_and_direction(mcid, direction, threshold_kind)
    return compare_to_mcid(result.estimate, result.ci_low, result.ci_high, mcid, direction,
                           pi_low=result.pi_low, pi_high=result.pi_high, level=result.level, unit=unit,
                           threshold_kind=kind, size_label=size_label)


# --------------------------------------------------------------------------- re-expression

def _positive_sd(reference_sd) -> np.ndarray:
    sd = np.asarray(reference_sd, dtype=float)
    if not np.all(np.isfinite(sd)) or np.any(sd <= 0):
        raise ValueError(f"reference_sd must be > 0 and finite (a standard deviation), got {reference_sd!r}")
    return sd


def _finite_array(name: str, value) -> np.ndarray:
    x = np.asarray(value, dtype=float)
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{name} must be finite (no NaN or infinity), got {value!r}")
    return x


def _out(x: np.ndarray):
    return float(x) if x.ndim == 0 else x


def smd_to_units(smd, reference_sd):
    """Re-express a standardised mean difference in the units of a familiar scale: MD = SMD × SD.

    "Multiplying a SMD by a typical among-person standard deviation for a
    particular scale yields an estimate of the difference in mean outcome
    scores (experimental versus control) on that scale" (Cochrane Handbook
    v5.1.0, 12.6.4; the v6 equivalent is section 15.5, whose text the kit's
    research could not read). Use the SD of a representative population on
    that scale (e.g. a baseline SD), and apply it to the *pooled* SMD, not to
    individual studies: "such back-transformation of effect sizes can be
    misleading if it is applied to individual studies" (ibid.).

    Vectorised over both arguments (numpy broadcasting); a scalar in gives a
    float out. Also transforms CI limits, since the map is linear.

    >>> smd_to_units(0.26, 12.0)
    3.12
    >>> smd_to_units([0.21, 0.26], 12.0)
    array([2.52, 3.12])
    """
    sd = _positive_sd(reference_sd)
    return _out(_finite_array("smd", smd) * sd)


def md_to_smd(md, reference_sd):
    """Express a mean difference in standard-deviation units: SMD = MD / SD (the inverse of :func:`smd_to_units`).

    Useful to put an MCID given in points on the SMD scale of a pooled result
    (Cochrane Handbook v5.1.0 12.6.4, read backwards). Vectorised; SD > 0.

    >>> md_to_smd(5.5, 11.0)
    0.5
    """
    sd = _positive_sd(reference_sd)
    return _out(_finite_array("md", md) / sd)


# --------------------------------------------------------------------------- predictive probability

@dataclass(frozen=True)
class MCIDProbability:
    """Probabilities for the true effect in a new setting: important benefit, trivial, important harm.

    ``p_benefit`` is the probability that the new setting's true effect is at
    or beyond the MCID in the beneficial direction (what
    :func:`prob_exceeds_mcid` is named for); the three sum to 1. ``location``
    and ``scale`` are the predictive distribution's centre and scale, ``df``
    its degrees of freedom (``inf`` = normal).
    """

    p_benefit: float
    p_trivial: float
    p_harm: float
    mcid: float
    direction: str
    location: float
    scale: float
    df: float
    text: str

    def __str__(self) -> str:
        return self.text


def prob_exceeds_mcid(result: MetaAnalysis, mcid, direction: str | None = None, df="k-2") -> MCIDProbability:
    """Probability that the true effect in a new setting is beyond the MCID, from the predictive distribution.

    A random-effects model says true effects vary across settings around the
    mean :math:`\\mu` with SD :math:`\\tau`. Allowing for the uncertainty in
    :math:`\\hat\\mu` too, the true effect :math:`\\theta_{new}` of a new
    setting is predicted by (Higgins, Thompson & Spiegelhalter 2009, J R Stat
    Soc A 172:137-159)

    .. math:: \\theta_{new} \\sim \\hat\\mu + \\sqrt{SE(\\hat\\mu)^2 + \\hat\\tau^2}\\; T_{df}

    -- the distribution behind their prediction interval, whose t has
    ``df = k - 2`` (the default, ``df="k-2"``; needs k >= 3; the same
    interval as ``meta_analysis(..., pi_method="hts")``).
    ``df="normal"`` uses the normal distribution (metafor's default PI); a
    number sets the df directly. :math:`SE` is the Wald standard error
    (``result.se_wald``), as in the HTS interval. Then, for higher-is-better
    outcomes, ``p_benefit`` = :math:`P(\\theta_{new} \\ge M)` and ``p_harm`` =
    :math:`P(\\theta_{new} \\le -M)` (mirrored for lower-is-better).

    Caveats: this treats :math:`\\hat\\tau^2` as known apart from the df
    adjustment, and assumes normally distributed true effects; with few
    studies both are shaky (the kit's own HTS prediction interval has the
    same limits). A common-effect (FE) fit assumes :math:`\\tau^2 = 0`, that
    every setting shares one effect, so there is no predictive distribution
    to speak of: it raises ``ValueError``; fit a random-effects model.

    ``mcid`` may be a :class:`Threshold`.

    >>> from helpers.pooling import meta_analysis
    >>> res = meta_analysis([0.2, 0.5, 0.8, 0.4, 0.6], [0.02, 0.03, 0.02, 0.04, 0.03])
    >>> p = prob_exceeds_mcid(res, mcid=0.5, direction="higher_is_better")
    >>> round(p.p_benefit, 3), round(p.p_benefit + p.p_trivial + p.p_harm, 6)
    (0.504, 1.0)
    """
    if not isinstance(result, MetaAnalysis):
        raise ValueError(f"result must be a MetaAnalysis from helpers.pooling.meta_analysis, got {type(result).__name__}")
    mcid, direction, _ = _mcid_and_direction(mcid, direction)
    direction = _check_direction(direction)
    m = _check_mcid(mcid)
    if not result.is_random:
        raise ValueError("a common-effect (FE) model assumes tau² = 0, i.e. one true effect shared by every setting, "
                         "so it has no predictive distribution for a new setting; refit with a random-effects "
                         "method (e.g. meta_analysis(..., method='REML'))")
    if isinstance(df, str):
        if df == "k-2":
            if result.k < 3:
                raise ValueError(f"df='k-2' needs at least 3 studies (t with k - 2 df), got k = {result.k}; "
                                 "use df='normal' and read the result with great caution")
            dof = float(result.k - 2)
        elif df == "normal":
            dof = math.inf
        else:
            raise ValueError(f"df must be 'k-2', 'normal' or a positive number, got {df!r}")
    else:
        dof = _finite("df", df) if df != math.inf else math.inf
        if dof <= 0:
            raise ValueError(f"df must be positive, got {df!r}")
    loc = result.estimate
    scale = math.sqrt(result.se_wald ** 2 + result.tau2)
    # t with infinite df is the normal
    upper = float(t_sf((m - loc) / scale, dof))      # P(theta >= +M)
    lower = float(t_cdf((-m - loc) / scale, dof))    # P(theta <= -M)
    p_benefit, p_harm = (upper, lower) if direction == "higher_is_better" else (lower, upper)
    p_trivial = max(0.0, 1.0 - p_benefit - p_harm)
    dist_name = "normal" if math.isinf(dof) else f"t with {dof:g} df"
    text = (f"In a new setting, the true effect is predicted ({dist_name}, centre {short_number(loc)}, scale {short_number(scale)}) "
            f"to be an important benefit with probability {p_benefit:.2f}, trivial with probability "
            f"{p_trivial:.2f}, and an important harm with probability {p_harm:.2f} (MCID {short_number(m)}).")
    return MCIDProbability(p_benefit=p_benefit, p_trivial=p_trivial, p_harm=p_harm, mcid=m, direction=direction,
                           location=loc, scale=scale, df=dof, text=text)


# --------------------------------------------------------------------------- distribution-based MCIDs

@dataclass(frozen=True)
class DistributionMCID:
    """Distribution-based MCID candidates: ``half_sd`` (0.5 × SD) and ``sem`` (SD·√(1 − reliability), or None)."""

    sd: float | np.ndarray
    reliability: float | np.ndarray | None
    half_sd: float | np.ndarray
    sem: float | np.ndarray | None
    caveats: str


_DISTRIBUTION_CAVEATS = (
    "Distribution-based values describe the spread or the measurement error of a score, not what patients "
    "consider important; use them only when no anchor-based MCID exists, and say so. Half an SD is an average "
    "over chronic-disease HRQL studies (Norman, Sloan & Wyrwich 2003: mean 0.495 SD, SD 0.155), not a law. "
    "One SEM matched anchor-based MIDs in chronic-disease HRQOL samples, but about 2.3 SEM did in physiotherapy "
    "samples with back, lower-extremity and neck pain (Wyrwich 2004). The SD should describe the target "
    "population (e.g. a baseline SD), and the reliability should be a test-retest coefficient from a similar sample."
)


def distribution_mcid(sd, reliability=None) -> DistributionMCID:
    """Distribution-based MCID candidates: half a standard deviation, and one standard error of measurement.

    .. math:: \\text{half SD} = 0.5\\,SD, \\qquad SEM = SD\\sqrt{1 - r}

    * Half an SD: "In most circumstances, the threshold of discrimination for
      changes in health-related quality of life for chronic diseases appears
      to be approximately half a SD" (Norman, Sloan & Wyrwich 2003, Med Care
      41:582-592).
    * One SEM, with :math:`r` the reliability (e.g. a test-retest ICC): the
      classical-test-theory standard error of measurement. Three chronic-
      disease HRQOL studies "consistently demonstrated a 1 SEM
      correspondence with the established MCIDs or MIDs" (Wyrwich 2004, J
      Biopharm Stat, doi:10.1081/bip-120028508); SEM-based MCIDs for pain and
      function scales are in Maughan & Lewis 2010 (see
      ``data/mcid_thresholds.csv``).

    Caveats (also in the result's ``caveats``): these describe the score's
    spread or noise, not what matters to patients; prefer an anchor-based MCID
    whenever one exists; physiotherapy samples matched about 2.3 SEM, not 1
    (Wyrwich 2004). Vectorised; ``sd`` > 0 and 0 < ``reliability`` < 1.

    >>> d = distribution_mcid(sd=10.0, reliability=0.84)
    >>> d.half_sd, round(d.sem, 6)
    (5.0, 4.0)
    """
    s = _positive_sd(sd)
    sem = rel = None
    if reliability is not None:
        rel = np.asarray(reliability, dtype=float)
        if not np.all(np.isfinite(rel)) or np.any(rel <= 0) or np.any(rel >= 1):
            raise ValueError(f"reliability must be between 0 and 1 (exclusive), e.g. a test-retest ICC; got {reliability!r}")
        sem = _out(s * np.sqrt(1 - rel))
        rel = _out(rel)
    return DistributionMCID(sd=_out(s), reliability=rel, half_sd=_out(0.5 * s), sem=sem, caveats=_DISTRIBUTION_CAVEATS)


# --------------------------------------------------------------------------- published thresholds

@dataclass(frozen=True)
class Threshold:
    """One published MCID (a row of ``data/mcid_thresholds.csv``), with its provenance.

    ``value`` is the threshold's size (> 0) in ``unit`` (points, percent or
    SD); ``direction`` says which way is better; ``kind`` says what it
    measures (:data:`KINDS`: a within-person change, a between-group
    difference, a responder definition, a distribution-based value, a rule of
    thumb, or "not stated"), with ``kind_basis`` quoting or citing why;
    ``secondary`` is True when the number was read from a secondary source
    (see ``notes``).
    """

    scale: str
    scale_range: str
    population: str
    value: float
    unit: str
    direction: str
    method: str
    kind: str
    kind_basis: str
    source: str
    doi_or_url: str
    location: str
    quote: str
    read_or_derived: str
    notes: str
    secondary: bool

    def cite(self) -> str:
        """Source, location and the verbatim quote, for a footnote."""
        return f"{self.source} ({self.doi_or_url}), {self.location}: \u201c{self.quote}\u201d"

    def __str__(self) -> str:
        return (f"{self.scale} ({self.scale_range}): {self.value:g} {self.unit}, {self.direction}, "
                f"{self.method}, {self.kind}; {self.population}. Source: {self.source}"
                + (" [SECONDARY SOURCE]" if self.secondary else ""))


def load_thresholds(path=None) -> pd.DataFrame:
    """Published MCIDs from ``data/mcid_thresholds.csv``, validated for provenance.

    Every row must name its ``source``, ``location`` and a verbatim
    ``quote``, and give a numeric ``threshold`` > 0 with ``unit`` in
    ('points', 'percent', 'SD'), ``direction`` in ('lower_is_better',
    'higher_is_better', 'either'), ``method`` in ('anchor', 'distribution',
    'consensus', 'anchor+distribution'), ``kind`` in :data:`KINDS` with its
    ``kind_basis``, and ``read_or_derived`` in ('read', 'derived'); otherwise ``ValueError`` names the CSV line and the field.
    A ``secondary`` column (True when ``notes`` say "SECONDARY SOURCE") is
    added. The data dictionary is ``data/mcid_thresholds.md``.

    >>> table = load_thresholds()
    >>> bool((table["threshold"] > 0).all()), bool(table["quote"].str.len().gt(0).all())
    (True, True)
    """
    path = Path(path) if path is not None else THRESHOLDS_CSV
    table = read_sourced_csv(path, THRESHOLD_COLUMNS,
                             provenance=("scale", "source", "location", "quote", "doi_or_url", "kind_basis"),
                             label="scale", strip=True,
                             choices={"unit": UNITS, "direction": THRESHOLD_DIRECTIONS, "method": METHODS,
                                      "kind": KINDS, "read_or_derived": READ_OR_DERIVED})
    for i, row in table.iterrows():
        try:
            value = float(row["threshold"])
        except ValueError:
            raise ValueError(f"{row_location(path, table, i, 'scale')}: threshold must be one number, got "
                             f"{row['threshold']!r} (ranges go in notes, not in the threshold column)") from None
        if not math.isfinite(value) or value <= 0:
            raise ValueError(f"{row_location(path, table, i, 'scale')}: threshold must be > 0 (its size; direction "
                             f"says which way), got {value:g}")
    table["threshold"] = table["threshold"].astype(float)
    table["secondary"] = table["notes"].str.contains("SECONDARY SOURCE", case=False)
    return table


def threshold_for(scale: str, *, unit: str | None = None, population: str | None = None,
                  source: str | None = None, method: str | None = None, kind: str | None = None,
                  text: str | None = None, path=None) -> Threshold:
    """Look up one published MCID by scale name (and filters), with its provenance.

    ``scale`` matches the ``scale`` column exactly (ignoring case); if
    nothing matches exactly, as a substring. ``unit`` must match exactly;
    ``population``, ``source``, ``method`` and ``kind`` are case-insensitive
    substrings; ``text`` is a substring searched in the population, notes
    and quote (e.g. ``text="much better"`` for Salaffi's moderate tier). MCIDs differ by population and method (across chronic-pain
    studies, Olsen et al. 2018 found a median of 23 mm, interquartile range
    12-39 mm, on a 0-100 scale), so when
    several rows match, the function does not pick one: it raises
    ``ValueError`` listing the candidates and how to narrow them. An unknown
    scale raises ``ValueError`` naming the scales available.

    >>> t = threshold_for("RMDQ", method="consensus", unit="points")
    >>> t.value, t.direction
    (5.0, 'lower_is_better')
    """
    table = load_thresholds(path)
    key = str(scale).strip().casefold()
    names = table["scale"].str.casefold()
    rows = table[names == key]
    if rows.empty:
        rows = table[names.str.contains(key, regex=False)]
    if rows.empty:
        available = ", ".join(sorted(table["scale"].unique()))
        raise ValueError(f"no MCID for scale {scale!r} in {THRESHOLDS_CSV.name if path is None else path}. "
                         f"Available scales: {available}")
    if unit is not None:
        if unit not in UNITS:
            raise ValueError(f"unit must be one of {UNITS}, got {unit!r}")
        rows = rows[rows["unit"] == unit]
    for field, wanted in (("population", population), ("source", source), ("method", method), ("kind", kind)):
        if wanted:
            rows = rows[rows[field].str.casefold().str.contains(wanted.casefold(), regex=False)]
    if text:
        blob = (rows["population"] + " " + rows["notes"] + " " + rows["quote"]).str.casefold()
        rows = rows[blob.str.contains(text.casefold(), regex=False)]
    if rows.empty:
        raise ValueError(f"scale {scale!r} is in the table, but no row matches the filters (unit={unit!r}, "
                         f"population={population!r}, source={source!r}, method={method!r}, kind={kind!r}, "
                         f"text={text!r})")
    if len(rows) > 1:
        listing = "\n".join(f"  - {r.threshold:g} {r.unit} ({r.method}, {r.kind}; {r.population[:70]}; {r.source[:60]})"
                            for r in rows.itertuples())
        raise ValueError(f"{len(rows)} MCIDs match {scale!r}; choose one with unit=, population=, source=, "
                         f"method=, kind= or text= (or read them all with load_thresholds()):\n{listing}")
    r = rows.iloc[0]
    return Threshold(scale=r["scale"], scale_range=r["scale_range"], population=r["population"],
                     value=float(r["threshold"]), unit=r["unit"], direction=r["direction"], method=r["method"],
                     kind=r["kind"], kind_basis=r["kind_basis"],
                     source=r["source"], doi_or_url=r["doi_or_url"], location=r["location"], quote=r["quote"],
                     read_or_derived=r["read_or_derived"], notes=r["notes"], secondary=bool(r["secondary"]))


# --------------------------------------------------------------------------- the responder approach

@dataclass(frozen=True)
class ResponderEstimate:
    """A mean difference re-expressed as responders: the proportion reaching a threshold in each group.

    ``p_control`` is the (given or derived) proportion of control patients
    who reach the responder threshold, ``p_intervention`` the proportion
    implied in the intervention group; ``rd`` = their difference (a positive
    RD means more responders with the intervention) with ``rd_ci``;
    ``nnt`` is the number needed to treat for one more responder
    (:func:`helpers.absolute_effects.nnt`, ``outcome="desirable"``);
    ``smd`` is the MD on the benefit scale divided by ``sd``; ``method`` is
    "logistic" or "normal"; ``text`` says it in words, with its assumptions.
    """

    md: float
    md_ci: tuple[float, float] | None
    sd: float
    smd: float
    control_risk: float
    method: str
    p_control: float
    p_intervention: float
    p_intervention_ci: tuple[float, float] | None
    rd: float
    rd_ci: tuple[float, float] | None
    nnt: object
    text: str

    def __str__(self) -> str:
        return self.text


RESPONDER_METHODS = ("logistic", "normal")


def control_responders(mean_change, sd_change, threshold, direction: str) -> float:
    """Proportion of control patients whose own change reaches a within-person threshold, if changes are normal.

    .. math:: p_C = \\Phi\\left(\\frac{\\bar b_C - M}{SD}\\right)

    with :math:`\\bar b_C` the control group's mean change on the benefit
    scale (positive = improvement), :math:`M` the within-person threshold
    (e.g. a minimal important change, or a responder definition in points)
    and :math:`SD` the SD of the changes. This is where a *within-person*
    threshold belongs: applied to each patient's change, not to the
    difference between group means (RESP-04: the proportions above the MID
    in each group, under normal distributions).

    >>> round(control_responders(mean_change=-1.0, sd_change=2.0, threshold=2.0, direction="lower_is_better"), 4)
    0.3085
    """
    direction = _check_direction(direction)
    sign = 1.0 if direction == "higher_is_better" else -1.0
    m = _check_mcid(threshold)
    sd = float(_positive_sd(sd_change))
    return float(norm_sf((m - sign * _finite("mean_change", mean_change)) / sd))  # Phi(x) = 1 - Phi(-x)


def responders_from_md(md, sd, control_risk, direction: str, *, ci_low=None, ci_high=None,
                       method: str = "logistic") -> ResponderEstimate:
    """Re-express a mean difference as the proportion of patients reaching a threshold: RD and NNT.

    A pooled mean difference is a difference between group means; a
    within-person MID says how much *one patient* must improve. The
    responder approach joins them: it asks how many more patients reach the
    threshold with the intervention (Cochrane Handbook 5.1 17.8.1, RESP-01:
    an MD below the MID does not mean nobody benefits; GRADE 13, RESP-05).
    Inputs: the MD (intervention minus control) and its CI, the SD of the
    outcome (``sd``; a typical among-person SD, e.g. a baseline SD), and the
    proportion of *control* patients who reach the threshold
    (``control_risk``: from the trials, or :func:`control_responders`, or a
    labelled assumption). With :math:`d = b/SD` (the MD on the benefit scale
    in SD units):

    * ``method="logistic"`` (Cochrane Handbook 5.1 12.6.3, RESP-02/03,
      citing Furukawa 1999 and Chinn 2000): an underlying logistic
      distribution with equal SDs gives :math:`\\ln OR = \\pi d/\\sqrt 3`
      (about 1.81 d); the OR and the control proportion give the RD
      (:func:`helpers.absolute_effects.risk_difference_at`).
    * ``method="normal"`` (RESP-04): normal outcomes with equal SDs, the
      intervention distribution shifted by :math:`d`:
      :math:`p_I = \\Phi(\\Phi^{-1}(p_C) + d)`.

    Then RD = p_I - p_C and the NNT for one more responder
    (:func:`helpers.absolute_effects.nnt`, a desirable outcome). CI limits of
    the MD map monotonically to limits of the RD. Both methods are
    approximations ("the results must be regarded as an approximation",
    RESP-02); they need the control proportion, which a pooled MD does not
    give, so say where it came from.

    >>> r = responders_from_md(-1.0, 2.0, 0.3, "lower_is_better", method="normal")
    >>> round(r.p_intervention, 4), round(r.rd, 4), r.nnt.label, r.nnt.rounded
    (0.4903, 0.1903, 'NNTB', 6)
    """
    direction = _check_direction(direction)
    if method not in RESPONDER_METHODS:
        raise ValueError(f"method must be one of {RESPONDER_METHODS}, got {method!r}")
    sign = 1.0 if direction == "higher_is_better" else -1.0
    est = _finite("md", md)
    sd = float(_positive_sd(sd))
    pc = _finite("control_risk", control_risk)
    if not 0 < pc < 1:
        raise ValueError(f"control_risk must be the proportion of control patients reaching the threshold, strictly "
                         f"between 0 and 1; got {control_risk!r}")
    if (ci_low is None) != (ci_high is None):
        raise ValueError("give both ci_low and ci_high, or neither")
    md_ci = None
    if ci_low is not None:
        md_ci = (_finite("ci_low", ci_low), _finite("ci_high", ci_high))
        if not md_ci[0] <= est <= md_ci[1]:
            raise ValueError(f"the MD ({est:g}) must lie inside its CI ({md_ci[0]:g} to {md_ci[1]:g})")
    values = np.array([est] + (list(md_ci) if md_ci else []))
    d = sign * values / sd
    if method == "logistic":
        pi = pc + np.asarray(risk_difference_at(np.exp(math.pi / math.sqrt(3) * d), pc, measure="OR"))
    else:
        pi = norm_sf(norm_isf(pc) - d)  # Phi(Phi^-1(pc) + d), with Phi^-1(pc) = -isf(pc)
    rd = pi - pc
    p_ci = rd_ci = None
    if md_ci:
        p_ci = tuple(sorted((float(pi[1]), float(pi[2]))))
        rd_ci = (p_ci[0] - pc, p_ci[1] - pc)
    n = nnt(float(rd[0]), rd_ci, outcome="desirable")
    how = ("logistic model, ln OR = 1.81 × SMD (Cochrane Handbook 5.1 12.6.3)" if method == "logistic" else
           "normal distributions with equal SDs")
    text = (f"An MD of {short_number(est)} with SD {short_number(sd)} is {short_number(float(d[0]))} SD on the benefit "
            f"scale. If {100 * pc:.0f}% of control patients reach the threshold, about {100 * float(pi[0]):.0f}% of "
            f"intervention patients would ({how})")
    text += (f" (95% CI {100 * p_ci[0]:.0f}% to {100 * p_ci[1]:.0f}%)" if p_ci else "")
    text += f": a risk difference of {100 * float(rd[0]):+.1f} percentage points, {n}."
    return ResponderEstimate(md=est, md_ci=md_ci, sd=sd, smd=float(d[0]), control_risk=pc, method=method,
                             p_control=pc, p_intervention=float(pi[0]), p_intervention_ci=p_ci, rd=float(rd[0]),
                             rd_ci=rd_ci, nnt=n, text=text)

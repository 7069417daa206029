"""GRADE: certainty of the evidence for one outcome, and a Summary of Findings table.

GRADE rates the certainty of a body of evidence on four levels -- high,
moderate, low, very low -- through "five domains: risk of bias,
inconsistency, indirectness, imprecision and publication bias", and, mainly
for non-randomised evidence, rating up through three further domains
(Cochrane Handbook v6.4 ch14, Key Points). Randomised trials start high and
observational studies low (GRADE 4, Guyatt et al. 2011).

GRADE is a judgement, and its rules are guidance: "the final rating of
confidence may differ from that suggested by separate consideration of each
domain" (GRADE 11, rule GRADE-05), and its developers "warn against a too
mechanistic approach" (GRADE-07). This module keeps the arithmetic visible and
the judgement human:

* :class:`DomainJudgement` -- one domain rated "not serious", "serious" (-1)
  or "very serious" (-2) (for publication bias GRADE's own words,
  "undetected" or "strongly suspected"), with the reason required when
  rating down;
* :class:`GradeAssessment` -- all five judgements for an outcome. Their
  count gives the ``domain_certainty``; an ``overall`` rating may differ
  from it when a reason is given (e.g. borderline concerns in two domains,
  one downgrade), and the reason becomes a footnote. A domain "not
  assessed" leaves the outcome *not graded*;
* ``suggest_*`` helpers -- read a meta-analysis and return a
  :class:`Suggestion` with the rule applied and its source. They never
  impose: accept one with :meth:`Suggestion.to_judgement`, or overrule it;
* :func:`summary_of_findings`, :func:`sof_styler`, :func:`export_sof` --
  a GRADEpro-style Summary of Findings table.

Every rule a suggestion applies is quoted, with its source and location, in
``data/grade_rules.csv`` (load it with :func:`load_grade_rules`). Where the
kit's research found a rule only in a secondary source, the suggestion says
"SECONDARY SOURCE". Where no source gives a criterion (e.g. when to rate
inconsistency down *two* levels), the kit suggests nothing and says so.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .bias import BinarySmallStudyTest, egger_test
from .pooling import MetaAnalysis, meta_analysis
from ._validate import study_inputs
from ._distributions import norm_isf
from ._format import short_number
from ._sourced import read_sourced_csv

__all__ = [
    "RATINGS", "DOMAINS", "CERTAINTY_LEVELS", "SYMBOLS", "STUDY_DESIGNS", "RULE_SOURCES",
    "DomainJudgement", "GradeAssessment", "Suggestion",
    "suggest_inconsistency", "suggest_imprecision", "suggest_publication_bias", "optimal_information_size",
    "load_grade_rules", "SoFRow", "summary_of_findings", "sof_styler", "export_sof",
    "STATEMENT_RULES", "informative_statement",
]

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
RULES_CSV = DATA_DIR / "grade_rules.csv"

#: GRADE's words for a domain judgement, and the levels each rates down. "not assessed" is the kit's
#: honest fourth answer when the information is not available (e.g. risk of bias without the full
#: text): it rates down nothing in the best case and up to two levels in the worst, so a certainty
#: with a domain not assessed is an upper bound, and says so.
RATINGS = {"not serious": 0, "serious": -1, "very serious": -2, "not assessed": 0,
          "undetected": 0, "strongly suspected": -1}
#: GRADE's words for publication bias ("undetected" / "strongly suspected"; GRADE 5 asks authors to "suspect
#: publication bias", rule PB-02). "not serious"/"serious" given for this domain are stored as these words.
PUBLICATION_BIAS_WORDS = {"not serious": "undetected", "serious": "strongly suspected"}
DOMAINS = ("risk_of_bias", "inconsistency", "indirectness", "imprecision", "publication_bias")
DOMAIN_LABELS = {"risk_of_bias": "Risk of bias", "inconsistency": "Inconsistency", "indirectness": "Indirectness",
                 "imprecision": "Imprecision", "publication_bias": "Publication bias"}
#: From lowest to highest (Cochrane Handbook v6.4 ch14 Key Points: "high, moderate, low and very low").
CERTAINTY_LEVELS = ("very low", "low", "moderate", "high")
SYMBOLS = {"high": "\u2295\u2295\u2295\u2295", "moderate": "\u2295\u2295\u2295\u25ef",
           "low": "\u2295\u2295\u25ef\u25ef", "very low": "\u2295\u25ef\u25ef\u25ef"}
#: Starting certainty by design (GRADE 4: "randomized trials start as high-quality evidence and
#: observational studies as low-quality evidence").
STUDY_DESIGNS = {"RCT": "high", "observational": "low"}

#: Short citations for the rule ids used below; the full quotes are in data/grade_rules.csv.
RULE_SOURCES = {
    "GRADE-01": "Cochrane Handbook v6.4 ch14, Key Points (four certainty levels)",
    "GRADE-02": "Cochrane Handbook v6.4 ch14, Key Points (five domains)",
    "GRADE-03": "Cochrane Handbook v6.4 ch14, Key Points (upgrading)",
    "ROB-01": "GRADE 4 (Guyatt et al. 2011, J Clin Epidemiol 64:407), abstract",
    "IND-02": "GRADE 8 (Guyatt et al. 2011, J Clin Epidemiol 64:1303), abstract",
    "HET-I2-01": "Cochrane Handbook v5.0.1 I\u00b2 guide, as tabulated in BMC Med Res Methodol 2008;8:79, Table 3",
    "HET-I2-02": "Cochrane Handbook v5.0.1 I\u00b2 guide, as tabulated in BMC Med Res Methodol 2008;8:79, Table 3",
    "HET-I2-03": "Cochrane Handbook v5.0.1 I\u00b2 guide, as tabulated in BMC Med Res Methodol 2008;8:79, Table 3",
    "HET-I2-04": "Cochrane Handbook v5.0.1 I\u00b2 guide, as tabulated in BMC Med Res Methodol 2008;8:79, Table 3",
    "HET-I2-05": "SECONDARY SOURCE: the same bands in Cochrane Handbook v6 10.10.2, quoted in research notes",
    "HET-I2-06": "SECONDARY SOURCE: Cochrane Handbook 10.10.2 ('thresholds ... can be misleading'), quoted in research notes",
    "INC-01": "GRADE 7 (Guyatt et al. 2011, J Clin Epidemiol 64:1294), abstract",
    "INC-02": "GRADE 7 (Guyatt et al. 2011, J Clin Epidemiol 64:1294), abstract",
    "PI-01": "SECONDARY SOURCE: prediction interval with t(k-2), teaching page (Pocket Dentistry)",
    "PI-02": "Higgins, Thompson & Spiegelhalter 2009, J R Stat Soc A 172:137",
    "IMP-02": "GRADE 6 (Guyatt et al. 2011, J Clin Epidemiol 64:1283), abstract",
    "IMP-06": "KCE Process Book 5.5.1.2 (continuous outcomes)",
    "IMP-07": "KCE Process Book 5.5.1.2 (continuous outcomes)",
    "IMP-08": "GRADE 34 (J Clin Epidemiol 2022;150:216), abstract",
    "IMP-09": "GRADE 34 (J Clin Epidemiol 2022;150:216), abstract",
    "IMP-10": "GRADE 34 (J Clin Epidemiol 2022;150:216), abstract",
    "CERT-03": "GRADE 32 (Zeng et al. 2021, J Clin Epidemiol), abstract",
    "OIS-01": "GRADE 6 (Guyatt et al. 2011, J Clin Epidemiol 64:1283), abstract",
    "OIS-02": "KCE Process Book 5.5.4 (optimal information size)",
    "OIS-03": "KCE Process Book 5.5.4 (optimal information size)",
    "PB-01": "SECONDARY SOURCE: Cochrane Handbook ch13 rule of thumb (reporting Sterne et al. 2011, BMJ "
             "343:d4002), quoted in research notes; the primary text was not available",
    "PB-02": "GRADE 5 (Guyatt et al. 2011, J Clin Epidemiol 64:1277), abstract",
    "PB-03": "GRADE 5 (Guyatt et al. 2011, J Clin Epidemiol 64:1277), abstract",
    "PB-04": "Cochrane Handbook v5.1.0, 10.4.3",
    "PB-05": "Harbord, Harris & Sterne 2009, Stata J 9:197, abstract (Harbord's and Peters' tests)",
    "GRADE-05": "GRADE 11 (Guyatt et al. 2012, J Clin Epidemiol), abstract",
    "GRADE-06": "GRADE 11 (Guyatt et al. 2012, J Clin Epidemiol), key points",
    "GRADE-07": "KCE Process Book, GRADE introduction",
    "WORD-01": "SECONDARY SOURCE: GRADE 26 (Santesso et al. 2020, J Clin Epidemiol 119:126), abstract, and its "
               "wording table as the ACIP GRADE Handbook ch. 11 reproduces it",
    "WORD-02": "SECONDARY SOURCE: GRADE 26 (Santesso et al. 2020, J Clin Epidemiol 119:126), abstract, and its "
               "wording table as the ACIP GRADE Handbook ch. 11 reproduces it",
    "WORD-03": "GRADE 26 (Santesso et al. 2020, J Clin Epidemiol 119:126), abstract",
    "WORD-04": "SECONDARY SOURCE: GRADE 26's very-low wording as a review applying it quotes it (the kit could not "
               "read GRADE 26's full text)",
}

RULE_COLUMNS = ("rule_id", "domain", "rule", "threshold", "source", "doi_or_url", "location", "quote",
                "provenance", "origin")


def _sources(*rule_ids: str) -> str:
    """Citations for rule ids, ids sharing one citation grouped: "[HET-I2-01, HET-I2-02] Handbook ..."."""
    grouped: dict[str, list[str]] = {}
    for r in dict.fromkeys(rule_ids):
        grouped.setdefault(RULE_SOURCES[r], []).append(r)
    return "; ".join(f"[{', '.join(ids)}] {text}" for text, ids in grouped.items())


def _num(x: float, decimals: int | None = None) -> str:
    """Fixed decimals for table cells, or :func:`short_number` for sentences."""
    return short_number(x) if decimals is None else f"{x:.{decimals}f}"


def load_grade_rules(path=None) -> pd.DataFrame:
    """The GRADE and heterogeneity rules the kit cites, from ``data/grade_rules.csv``, validated.

    One row per rule: ``rule_id``, ``domain``, ``rule``, ``threshold``,
    ``source``, ``doi_or_url``, ``location``, a verbatim ``quote``,
    ``provenance`` ('primary' or 'secondary') and ``origin``. Every row must
    have an id, a source, a location and a quote (``ValueError`` otherwise);
    ids are unique. See ``data/mcid_thresholds.md``.

    >>> rules = load_grade_rules()
    >>> rules.loc["INC-02", "provenance"]
    'primary'
    """
    path = Path(path) if path is not None else RULES_CSV
    table = read_sourced_csv(path, RULE_COLUMNS, provenance=("rule_id", "source", "location", "quote"),
                             label="rule_id", choices={"provenance": ("primary", "secondary")})
    dup = table["rule_id"][table["rule_id"].duplicated()].tolist()
    if dup:
        raise ValueError(f"{path.name}: duplicate rule ids {dup}")
    return table.set_index("rule_id")


# --------------------------------------------------------------------------- judgements and certainty

def _domain(name) -> str:
    key = str(name).strip().lower().replace(" ", "_").replace("-", "_")
    if key not in DOMAINS:
        raise ValueError(f"domain must be one of {DOMAINS}, got {name!r}")
    return key


def _rating(rating, domain: str) -> str:
    key = str(rating).strip().lower()
    if key not in RATINGS:
        raise ValueError(f"rating must be one of {tuple(RATINGS)} (GRADE's words), got {rating!r}")
    if domain == "publication_bias":
        return PUBLICATION_BIAS_WORDS.get(key, key)
    if key in PUBLICATION_BIAS_WORDS.values():
        raise ValueError(f"'{key}' is GRADE's word for publication bias only; for {DOMAIN_LABELS[domain]} use "
                         "'not serious', 'serious' or 'very serious'")
    return key


@dataclass(frozen=True)
class DomainJudgement:
    """One GRADE domain for one outcome: ``rating`` is "not serious", "serious" or "very serious",
    or "not assessed" where the information needed is not available. Publication bias takes GRADE's
    words, "undetected" (0) or "strongly suspected" (-1); "not serious"/"serious" are stored as those.

    A reason is required whenever the rating rates down (GRADE asks authors
    to explain every downgrade) and for "not assessed" (say what is
    missing); ``footnote`` is the text for the Summary of Findings table (the
    reason is used if it is empty).

    >>> DomainJudgement("imprecision", "serious", "the CI includes no effect").levels_down
    1
    """

    domain: str
    rating: str
    reason: str = ""
    footnote: str = ""

    def __post_init__(self):
        object.__setattr__(self, "domain", _domain(self.domain))
        object.__setattr__(self, "rating", _rating(self.rating, self.domain))
        object.__setattr__(self, "reason", str(self.reason).strip())
        object.__setattr__(self, "footnote", str(self.footnote).strip())
        if (RATINGS[self.rating] < 0 or self.rating == "not assessed") and not self.reason:
            what = "what information is missing" if self.rating == "not assessed" else "the reason for rating down"
            raise ValueError(f"{DOMAIN_LABELS[self.domain]} rated '{self.rating}': give {what}")

    @property
    def levels_down(self) -> int:
        """How many levels this domain rates down: 0, 1 or 2."""
        return -RATINGS[self.rating]

    @property
    def label(self) -> str:
        return DOMAIN_LABELS[self.domain]


def _judgement(domain: str, value) -> DomainJudgement:
    if isinstance(value, DomainJudgement):
        if value.domain != _domain(domain):
            raise ValueError(f"judgement for {value.domain!r} given under the key {domain!r}")
        return value
    if isinstance(value, str):
        return DomainJudgement(domain, value)
    if isinstance(value, (tuple, list)) and 1 <= len(value) <= 3:
        return DomainJudgement(domain, *value)
    raise ValueError(f"judgement for {domain!r} must be a DomainJudgement, a rating string or a "
                     f"(rating, reason[, footnote]) tuple; got {value!r}")


@dataclass(frozen=True)
class GradeAssessment:
    """The certainty of the evidence for one outcome: five domain judgements, and an overall rating.

    ``judgements`` covers the five domains exactly once: a sequence of
    :class:`DomainJudgement`, or a mapping ``{domain: DomainJudgement |
    rating | (rating, reason[, footnote])}``. ``study_design`` is "RCT" (start
    high) or "observational" (start low) (GRADE 4). ``upgrades`` (levels
    rated up, mainly for non-randomised evidence; Handbook v6.4 ch14) needs
    an ``upgrade_reason``; the kit does not judge whether upgrading is
    warranted. ``start_reason`` makes the start an explicit judgement where
    the design is mixed (e.g. quasi-randomised trials started high with the
    concern taken to risk of bias): it replaces "RCTs start high (GRADE 4)"
    in the summary and becomes a footnote.

    The domains give a count, :attr:`domain_certainty`,

    .. math:: \\text{clip}(\\text{start} - \\sum \\text{downgrades} + \\text{upgrades},
              \\text{very low}, \\text{high})

    on the scale very low (0) < low (1) < moderate (2) < high (3). The count
    is guidance, not the rating: "the final rating of confidence may differ
    from that suggested by separate consideration of each domain" (GRADE 11,
    rule GRADE-05), for example when two domains each raise a borderline
    concern and together justify one downgrade, not two. Give that rating as
    ``overall`` with its ``overall_reason``; :attr:`certainty` is then the
    overall rating, and the reason (with the count it departs from) is a
    footnote. Without ``overall`` the certainty is the count.

    A domain "not assessed" means the outcome is **not graded**:
    :attr:`graded` is False, :attr:`certainty` is None, :attr:`symbol` is
    "not graded" and a Summary of Findings row shows no circles;
    :attr:`certainty_range` still says how far the rating could fall
    (each domain not assessed taken as not serious, then very serious).

    >>> a = GradeAssessment("Pain", judgements={"risk_of_bias": ("serious", "no blinding"),
    ...     "inconsistency": "not serious", "indirectness": "not serious",
    ...     "imprecision": ("serious", "CI includes no effect"), "publication_bias": "not serious"})
    >>> a.certainty, a.symbol
    ('low', '⊕⊕◯◯')
    """

    outcome: str
    study_design: str = "RCT"
    judgements: tuple = ()
    upgrades: int = 0
    upgrade_reason: str = ""
    overall: str | None = None
    overall_reason: str = ""
    start_reason: str = ""

    def __post_init__(self):
        if not str(self.outcome).strip():
            raise ValueError("outcome must be named")
        if self.study_design not in STUDY_DESIGNS:
            raise ValueError(f"study_design must be one of {tuple(STUDY_DESIGNS)}, got {self.study_design!r}")
        given = self.judgements
        if isinstance(given, Mapping):
            items = [_judgement(d, v) for d, v in given.items()]
        else:
            items = list(given)
            for j in items:
                if not isinstance(j, DomainJudgement):
                    raise ValueError(f"judgements must be DomainJudgement objects (or a mapping), got {j!r}")
        seen = [j.domain for j in items]
        dup = sorted({d for d in seen if seen.count(d) > 1})
        if dup:
            raise ValueError(f"{self.outcome}: domain(s) judged twice: {dup}")
        missing = [d for d in DOMAINS if d not in seen]
        if missing:
            raise ValueError(f"{self.outcome}: all five GRADE domains must be judged; missing {missing} "
                             "(rate a domain 'not serious' if there is no concern)")
        by_domain = {j.domain: j for j in items}
        object.__setattr__(self, "judgements", tuple(by_domain[d] for d in DOMAINS))
        if isinstance(self.upgrades, bool) or not isinstance(self.upgrades, (int, np.integer)) or self.upgrades < 0:
            raise ValueError(f"upgrades must be a whole number >= 0, got {self.upgrades!r}")
        if self.upgrades and not str(self.upgrade_reason).strip():
            raise ValueError("rating up needs an upgrade_reason (large effect, dose-response, or plausible "
                             "confounding that would reduce the effect)")
        if self.overall is not None:
            overall = str(self.overall).strip().lower()
            if overall not in CERTAINTY_LEVELS:
                raise ValueError(f"overall must be one of {CERTAINTY_LEVELS}, got {self.overall!r}")
            object.__setattr__(self, "overall", overall)
            object.__setattr__(self, "overall_reason", str(self.overall_reason).strip())
            if not self.overall_reason:
                raise ValueError(f"{self.outcome}: an overall rating needs overall_reason (why it is "
                                 f"{overall}, given the domain count {self.domain_certainty}); GRADE asks for the "
                                 "reasons for key judgements to be transparent")
            if self.not_assessed:
                raise ValueError(f"{self.outcome}: an overall rating needs every domain judged; not assessed: "
                                 + ", ".join(DOMAIN_LABELS[d].lower() for d in self.not_assessed))
        elif str(self.overall_reason).strip():
            raise ValueError("overall_reason given without an overall rating")

    @property
    def start(self) -> str:
        """Starting certainty: high for RCTs, low for observational studies (GRADE 4)."""
        return STUDY_DESIGNS[self.study_design]

    @property
    def levels_down(self) -> int:
        return sum(j.levels_down for j in self.judgements)

    @property
    def not_assessed(self) -> tuple[str, ...]:
        """Domains judged "not assessed"; if any, :attr:`certainty` is an upper bound."""
        return tuple(j.domain for j in self.judgements if j.rating == "not assessed")

    def _certainty(self, extra_down: int) -> str:
        score = CERTAINTY_LEVELS.index(self.start) - self.levels_down - extra_down + int(self.upgrades)
        return CERTAINTY_LEVELS[min(max(score, 0), len(CERTAINTY_LEVELS) - 1)]

    @property
    def graded(self) -> bool:
        """True when every domain was judged (none "not assessed")."""
        return not self.not_assessed

    @property
    def domain_certainty(self) -> str:
        """The count: start - downgrades + upgrades, clipped to very low..high (domains not assessed count 0)."""
        return self._certainty(0)

    @property
    def certainty(self) -> str | None:
        """"high", "moderate", "low" or "very low": the ``overall`` rating if given, else the domain count.

        None when the outcome is not graded (a domain not assessed); see
        :attr:`certainty_range` for how far it could fall.
        """
        if not self.graded:
            return None
        return self.overall or self.domain_certainty

    @property
    def certainty_range(self) -> tuple[str, str]:
        """(worst, best) of the domain count: each domain not assessed taken as very serious, then not serious."""
        return self._certainty(2 * len(self.not_assessed)), self._certainty(0)

    @property
    def certainty_text(self) -> str:
        """The certainty as a reader should see it: "Low", or "not graded (...)" with the range it could take."""
        if self.graded:
            return self.certainty.capitalize()
        worst, best = self.certainty_range
        n = len(self.not_assessed)
        return (f"not graded: {n} domain{'s' if n > 1 else ''} not assessed "
                f"(the domain count could be anything from {worst} to {best})")

    @property
    def symbol(self) -> str:
        """GRADEpro's circles: ⊕⊕⊕⊕ high, ⊕⊕⊕◯ moderate, ⊕⊕◯◯ low, ⊕◯◯◯ very low; "not graded" without circles."""
        return SYMBOLS[self.certainty] if self.graded else "not graded"

    def judgement(self, domain: str) -> DomainJudgement:
        return self.judgements[DOMAINS.index(_domain(domain))]

    @property
    def footnotes(self) -> tuple[str, ...]:
        """Footnote texts for the SoF table: one per downgraded, not assessed or footnoted domain, and the upgrade."""
        notes = [f"Start ({self.start}): {str(self.start_reason).strip()}"] if str(self.start_reason).strip() else []
        for j in self.judgements:
            if j.levels_down or j.footnote or j.rating == "not assessed":
                text = j.footnote or j.reason
                notes.append(f"{j.label} ({j.rating}): {text}" if not j.footnote else text)
        if self.upgrades:
            notes.append(f"Rated up {self.upgrades} level{'s' if self.upgrades > 1 else ''}: {self.upgrade_reason}")
        if self.overall is not None and self.overall != self.domain_certainty:
            notes.append(f"Overall certainty {self.overall}, where the domains count {self.domain_certainty}: "
                         f"{self.overall_reason}")
        elif self.overall is not None:
            notes.append(f"Overall certainty {self.overall}: {self.overall_reason}")
        return tuple(notes)

    def summary(self) -> pd.DataFrame:
        """One row per step: the start, the five domains, any upgrade and the resulting certainty."""
        rows = [("Start", self.start, 0, self._start_text())]
        rows += [(j.label, j.rating, -j.levels_down, j.reason) for j in self.judgements]
        if self.upgrades:
            rows.append(("Upgrades", f"+{self.upgrades}", int(self.upgrades), self.upgrade_reason))
        if self.overall is not None:
            rows.append(("Domain count", self.domain_certainty, None, "start - downgrades + upgrades (guidance)"))
            rows.append(("Overall judgement", self.overall, None, self.overall_reason))
        rows.append(("Certainty", self._shown(), None, self.describe()))
        table = pd.DataFrame(rows, columns=["step", "judgement", "change", "reason"]).set_index("step")
        table.attrs["outcome"] = self.outcome
        return table

    def _start_text(self) -> str:
        reason = str(self.start_reason).strip()
        return f"started {self.start} (judged): {reason}" if reason else f"{self.study_design}s start {self.start} (GRADE 4)"

    def _shown(self) -> str:
        """Circles and words, e.g. "⊕⊕◯◯ Low"; just the words when not graded."""
        return f"{self.symbol} {self.certainty_text}" if self.graded else self.certainty_text

    def describe(self) -> str:
        down = [f"{j.label.lower()} ({j.rating}, -{j.levels_down})" for j in self.judgements if j.levels_down]
        text = f"{self.outcome}: {self._shown()}. {self._start_text()}"
        text += "; rated down for " + ", ".join(down) if down else "; not rated down"
        if self.not_assessed:
            text += "; not assessed: " + ", ".join(DOMAIN_LABELS[d].lower() for d in self.not_assessed)
        if self.upgrades:
            text += f"; rated up {self.upgrades}"
        if CERTAINTY_LEVELS.index(self.start) - self.levels_down + int(self.upgrades) < 0:
            text += "; floored at very low"
        if self.overall is not None and self.overall != self.domain_certainty:
            text += f"; the domains count {self.domain_certainty}, judged {self.overall} overall: {self.overall_reason}"
        return text + "."

    def __str__(self) -> str:
        return self.describe()


# --------------------------------------------------------------------------- suggestions

@dataclass(frozen=True)
class Suggestion:
    """A suggested judgement for one domain, with the rule applied and its source. It never imposes.

    ``rating`` is one of GRADE's words, or ``None`` when the data cannot
    support a suggestion (then ``reason`` says why and what to do instead).
    """

    domain: str
    rating: str | None
    reason: str
    rule: str
    source: str

    def to_judgement(self, footnote: str = "") -> DomainJudgement:
        """Accept the suggestion as a :class:`DomainJudgement` (only if there is one)."""
        if self.rating is None:
            raise ValueError(f"no suggested rating for {self.domain}: {self.reason}")
        return DomainJudgement(self.domain, self.rating, self.reason, footnote)

    def __str__(self) -> str:
        rating = self.rating or "no suggestion"
        return f"{DOMAIN_LABELS[self.domain]}: {rating}. {self.reason}\nRule: {self.rule}\nSource: {self.source}"


#: Overlapping I² bands of the Cochrane Handbook (v5.0.1; same in v6 per a secondary quote).
I2_BANDS = ((0.0, 40.0, "might not be important"), (30.0, 60.0, "may represent moderate heterogeneity"),
            (50.0, 90.0, "may represent substantial heterogeneity"), (75.0, 100.0, "considerable heterogeneity"))


def _check_result(result) -> MetaAnalysis:
    if not isinstance(result, MetaAnalysis):
        raise ValueError(f"result must be a MetaAnalysis from helpers.pooling.meta_analysis, got {type(result).__name__}")
    return result


def suggest_inconsistency(result: MetaAnalysis, mcid: float | None = None) -> Suggestion:
    """Suggest a judgement for inconsistency from I², its CI and the prediction interval.

    The kit's heuristic (stated in the suggestion's ``rule``) combines the
    Cochrane Handbook's overlapping I² bands -- 0-40% "might not be
    important", 30-60% "may represent moderate", 50-90% "may represent
    substantial", 75-100% "considerable heterogeneity" (v5.0.1; v6 10.10.2
    the same per a secondary quote) -- with GRADE 7: "When inconsistency is
    large and unexplained, rating down quality for inconsistency is
    appropriate, particularly if some studies suggest substantial benefit,
    and others no effect or harm":

    * k < 3: no suggestion -- I² (Q with k - 1 df) is too imprecise and the
      t(k-2) prediction interval cannot be computed; compare the studies'
      estimates and CIs by eye (GRADE 7's criteria);
    * I² >= 75% (considerable) -> "serious";
    * 50% <= I² < 75% (substantial) -> "serious" if the effects may change
      direction: the prediction interval crosses 0 (without a PI: study
      estimates lie on both sides of 0); otherwise "not serious" (borderline:
      large vs small effects only);
    * I² < 50% -> "not serious".

    The reason also reports the I² CI (the point value can mislead: "Thresholds
    for the interpretation of the I² statistic can be misleading", Handbook
    10.10.2, secondary quote), and, if ``mcid`` is given, whether the PI
    includes both important benefit and important harm. The kit never
    suggests "very serious" here: none of its sources gives a criterion.
    Inconsistency explained by a subgroup analysis should not be rated down.

    >>> from helpers.pooling import meta_analysis
    >>> res = meta_analysis([0.1, 0.9, -0.4, 1.2, 0.3], [0.02, 0.03, 0.02, 0.04, 0.03])
    >>> suggest_inconsistency(res).rating
    'serious'
    """
    result = _check_result(result)
    rule_ids = ("HET-I2-01", "HET-I2-02", "HET-I2-03", "HET-I2-04", "INC-02")
    rule = ("kit heuristic: I² >= 75% (considerable) -> serious; 50-75% (substantial) -> serious only if the "
            "prediction interval crosses 0 (without a PI: study estimates on both sides of 0); < 50% -> not serious; "
            "k < 3 -> no suggestion. Never 'very serious' (no source gives a criterion).")
    k = result.k
    if k < 3:
        return Suggestion("inconsistency", None,
                          f"Too few studies to judge inconsistency from statistics (k = {k}): with fewer than 3 "
                          "studies I² is very imprecise and the t(k-2) prediction interval cannot be computed. "
                          "Compare the studies' point estimates and the overlap of their CIs by eye (GRADE 7).",
                          rule, _sources("INC-01", "PI-01"))
    i2 = float(result.i2)
    bands = [name for lo, hi, name in I2_BANDS if lo <= i2 <= hi]
    parts = [f"I² = {i2:.0f}%"]
    if result.i2_ci is not None:
        lo_ci, hi_ci = result.i2_ci
        parts[0] += f" (95% CI {lo_ci:.0f}% to {hi_ci:.0f}%)"
    parts[0] += ", in the Handbook band(s): " + "; ".join(bands) + "."
    yi = np.asarray(result.yi)
    n_pos, n_neg = int((yi > 0).sum()), int((yi < 0).sum())
    if result.pi_low is not None:
        crosses = result.pi_low < 0 < result.pi_high
        parts.append(f"The prediction interval ({_num(result.pi_low)} to {_num(result.pi_high)}) "
                     + ("crosses 0: in some settings the effect may go the other way." if crosses
                        else "lies on one side of 0: the direction of effect is consistent."))
        changes_direction, how = crosses, "the prediction interval crosses 0"
    else:
        changes_direction, how = n_pos > 0 and n_neg > 0, "study estimates lie on both sides of 0"
        parts.append(f"No prediction interval (common-effect model); {n_pos} study estimates are above 0 and "
                     f"{n_neg} below.")
    if mcid is not None:
        m = float(mcid)
        if not math.isfinite(m) or m <= 0:
            raise ValueError(f"mcid must be > 0, got {mcid!r}")
        if result.pi_low is not None and result.pi_low <= -m and result.pi_high >= m:
            parts.append(f"The prediction interval includes important effects in both directions (beyond ±{_num(m)}): "
                         "a strong sign of important inconsistency. GRADE allows rating down two levels, but the "
                         "kit's sources give no criterion for it; that is your call.")

    if i2 >= 75:
        rating = "serious"
        parts.append("Heterogeneity is considerable; if it is unexplained, GRADE 7 says rating down is appropriate"
                     + (", particularly as " + how + "." if changes_direction else "."))
    elif i2 >= 50:
        if changes_direction:
            rating = "serious"
            parts.append(f"Heterogeneity is substantial and {how}; if unexplained, GRADE 7 says rating down is "
                         "appropriate.")
        else:
            rating = "not serious"
            parts.append("Heterogeneity is substantial but the effects agree in direction (large vs small effects "
                         "only); borderline -- rate down if the differences in size would change decisions.")
    else:
        rating = "not serious"
        if result.i2_ci is not None and result.i2_ci[1] >= 75:
            parts.append("But the I² CI reaches the 'considerable' band: with these data, important "
                         "heterogeneity cannot be ruled out.")
    parts.append("If a subgroup analysis or meta-regression explains the heterogeneity, do not rate down.")
    return Suggestion("inconsistency", rating, " ".join(parts), rule, _sources(*rule_ids, "HET-I2-05", "HET-I2-06"))


def optimal_information_size(delta: float, sd: float, alpha: float = 0.05, power: float = 0.8) -> int:
    """Optimal information size (OIS) for a continuous outcome: the total N of one adequately powered trial.

    GRADE 6: "one can calculate the number of patients required for an
    adequately powered individual trial (termed the 'optimal information
    size' [OIS])". For two equal groups and a two-sided test of means, the
    conventional normal-approximation sample size is

    .. math:: n_{group} = \\left\\lceil \\frac{2\\,(z_{1-\\alpha/2} + z_{power})^2\\, sd^2}{\\delta^2} \\right\\rceil,
              \\qquad OIS = 2\\, n_{group}

    Choose ``delta`` with care: the KCE process book warns "not to base your
    sample size on the RRR of minimally clinical importance" when judging
    fragility (said of binary outcomes). Returns the total (both groups).

    >>> optimal_information_size(delta=0.5, sd=1.0)
    126
    """
    d, s = float(delta), float(sd)
    if not math.isfinite(d) or d == 0:
        raise ValueError(f"delta must be a non-zero finite difference, got {delta!r}")
    if not math.isfinite(s) or s <= 0:
        raise ValueError(f"sd must be > 0, got {sd!r}")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be between 0 and 1, got {alpha!r}")
    if not 0 < power < 1:
        raise ValueError(f"power must be between 0 and 1, got {power!r}")
    z = norm_isf(alpha / 2) + norm_isf(1 - power)  # z_{1-alpha/2} + z_{power}
    per_group = math.ceil(2 * z ** 2 * s ** 2 / d ** 2 - 1e-9)
    return int(2 * per_group)


def suggest_imprecision(result: MetaAnalysis, mcid: float | None = None, direction: str | None = None,
                        n_total: int | None = None, ois: int | None = None) -> Suggestion:
    """Suggest a judgement for imprecision by one criterion: the CI against the threshold(s) of the target.

    GRADE 34 (rule IMP-08) makes the CI the "primary criterion for imprecision
    rating (i.e., CI approach)": choose the target of the certainty rating
    (GRADE 32, CERT-03), mark its threshold(s) on the effect axis, and ask
    whether the CI crosses them:

    * without ``mcid`` the target is "is there an effect?" (minimally
      contextualised) and the threshold is the null, 0: the CI includes 0 ->
      "serious"; otherwise "not serious";
    * with ``mcid`` the target is "is the effect important?" (partially
      contextualised) and the thresholds are -MCID and +MCID. They cut the
      axis into important harm, trivial and important benefit. The CI lies in
      one of these ranges -> "not serious" (a CI wholly between -MCID and
      +MCID is a precise *trivial* effect); it crosses one threshold ->
      "serious"; it crosses both (from important harm to important benefit)
      -> "very serious" (IMP-09: "when a CI appreciably crosses the
      threshold(s) of interest, one should consider rating down two or three
      levels"; the kit's scale stops at two, and "appreciably" is yours to
      judge).

    Whether the CI includes 0 does not enter the MCID target: it answers the
    other question. Then the optimal information size, only where GRADE 34
    uses it (IMP-10: when the CI does not cross the threshold(s)): if ``ois``
    is given, ``n_total`` must be too, and ``n_total < ois`` -> "serious"
    (GRADE 6, OIS-01/OIS-02). Compute an OIS with
    :func:`optimal_information_size`; the kit has no default OIS (the
    often-quoted "400 participants" could not be verified in any stored
    source). ``direction`` only words the reason (benefit/harm); the rule is
    symmetric. The MCID should be a between-group MID on the scale of the
    estimate (see :mod:`helpers.mcid`).

    >>> from helpers.pooling import meta_analysis
    >>> res = meta_analysis([0.1, 0.3, -0.1, 0.25], [0.04, 0.05, 0.03, 0.06])
    >>> suggest_imprecision(res).rating, suggest_imprecision(res, mcid=0.5).rating
    ('serious', 'not serious')
    """
    result = _check_result(result)
    if direction is not None and direction not in ("higher_is_better", "lower_is_better"):
        raise ValueError(f"direction must be 'higher_is_better' or 'lower_is_better', got {direction!r}")
    lo, hi = float(result.ci_low), float(result.ci_high)
    pct = f"{100 * result.level:g}%"
    ci = f"The {pct} CI ({_num(lo)} to {_num(hi)})"
    rule_ids = ["IMP-08", "CERT-03"]
    if mcid is None:
        crossed = 1 if lo <= 0 <= hi else 0
        parts = [f"Target: is there an effect? (threshold 0, minimally contextualised). {ci} "
                 + ("includes 0: it crosses the threshold." if crossed else "excludes 0: it does not cross the "
                    "threshold.")]
        rule = "GRADE 34 CI approach, threshold 0: the CI includes 0 -> serious; else not serious"
    else:
        m = float(mcid)
        if not math.isfinite(m) or m <= 0:
            raise ValueError(f"mcid must be > 0 (its size), got {mcid!r}")
        if direction == "lower_is_better":
            below, above = "important benefit", "important harm"
        elif direction == "higher_is_better":
            below, above = "important harm", "important benefit"
        else:
            below, above = "below -MCID", "above +MCID"
        # a limit exactly at a threshold reaches it (as in helpers.mcid's zones)
        crosses_down, crosses_up = lo <= -m < hi, lo < m <= hi
        crossed = int(crosses_down) + int(crosses_up)
        zone = below if hi <= -m else above if lo >= m else "trivial effects"
        parts = [f"Target: is the effect important? (thresholds -{_num(m)} and +{_num(m)}, partially "
                 f"contextualised). {ci} "
                 + (f"lies within one range ({zone}): it crosses no threshold." if not crossed else
                    f"crosses {'both thresholds, from ' + below + ' to ' + above if crossed == 2 else 'one threshold'}.")]
        rule = ("GRADE 34 CI approach, thresholds ±MCID: the CI crosses neither -> not serious; one -> serious; "
                "both -> very serious")
    if crossed == 2:
        rating = "very serious"
        parts.append("GRADE 34 says to consider rating down two or three levels when the CI appreciably crosses the "
                     "thresholds (the kit's scale stops at two).")
        rule_ids.append("IMP-09")
    else:
        rating = "serious" if crossed else "not serious"
    if ois is not None:
        if n_total is None:
            raise ValueError("ois given without n_total: give the total number of participants in the meta-analysis")
        n, o = int(n_total), int(ois)
        if n <= 0 or o <= 0:
            raise ValueError(f"n_total and ois must be positive counts, got n_total={n_total!r}, ois={ois!r}")
        rule += "; if the CI crosses no threshold: n_total < OIS -> serious"
        rule_ids += ["IMP-10", "OIS-01", "OIS-02"]
        if crossed:
            parts.append(f"The optimal information size ({o}) was not needed: GRADE 34 uses it only when the CI "
                         "crosses no threshold.")
        elif n < o:
            rating = "serious"
            parts.append(f"The CI crosses no threshold, but the total sample ({n}) is below the optimal information "
                         f"size ({o}): rate down (GRADE 34 / GRADE 6); far below it, consider more than one level.")
        else:
            parts.append(f"The total sample ({n}) reaches the optimal information size ({o}).")
    elif n_total is not None:
        if int(n_total) <= 0:
            raise ValueError(f"n_total must be a positive count, got {n_total!r}")
        parts.append(f"Total sample {int(n_total)}; no OIS given, so it was not checked -- compute one with "
                     "optimal_information_size(delta, sd).")
    else:
        parts.append("The optimal information size was not checked (give n_total and ois).")
    return Suggestion("imprecision", rating, " ".join(parts), rule, _sources(*dict.fromkeys(rule_ids)))


def suggest_publication_bias(yi, vi, alpha: float = 0.05, binary: bool = False, *,
                             test: BinarySmallStudyTest | None = None) -> Suggestion:
    """Suggest a judgement for publication bias ("undetected" / "strongly suspected") from Egger's test, k >= 10.

    Rule of thumb: "tests for funnel plot asymmetry should be used only when
    there are at least 10 studies included in the meta-analysis, because
    when there are fewer studies the power of the tests is low" (Cochrane
    Handbook ch13, reporting Sterne et al. 2011; SECONDARY SOURCE: the kit's
    research saw this text only as a quotation). So:

    * k < 10 -> no suggestion: "not assessable: fewer than 10 studies";
    * k >= 10 -> :func:`helpers.bias.egger_test`; p < ``alpha`` -> "strongly
      suspected" (asymmetry), else "undetected" (GRADE's words: undetected
      is not the same as absent).

    ``alpha`` = 0.05 is the conventional significance level, not a rule from
    the kit's sources. Asymmetry is not proof of publication bias (small-study
    effects have other causes; on log odds ratios Egger's test gives false
    positives, Handbook 5.1 10.4.3), and GRADE 5 notes that all such methods
    "have substantial limitations" and to "suspect publication bias when
    available evidence comes from a number of small studies, most of which
    have been commercially funded" -- a non-significant test rules out nothing.

    ``binary=True`` (log risk or odds ratios) adds why Egger's test is the
    wrong tool there: the SE of a log odds ratio "is mathematically linked to
    the size of the odds ratio" (Handbook 5.1 10.4.3, PB-04), and Harbord's
    and Peters' tests "maintain better control of the false-positive rate"
    (Harbord, Harris & Sterne 2009, PB-05); use one of them (the binary-outcome
    tests in :mod:`helpers.bias`) and read Egger's p as a rough guide only.
    ``test=`` does that: pass the result of
    :func:`helpers.bias.peters_test` or :func:`~helpers.bias.harbord_test`
    on the same studies, and its p value replaces Egger's (same k >= 10 rule
    and ``alpha``).

    >>> suggest_publication_bias([0.1, 0.3, 0.5], [0.01, 0.02, 0.03]).rating is None
    True
    """
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be between 0 and 1, got {alpha!r}")
    _, y, v = study_inputs(yi, vi)
    k = y.size
    rule = "k < 10 -> not assessable; k >= 10 -> Egger's test, p < alpha -> strongly suspected, else undetected"
    binary_note = (" On ratio measures from 2x2 tables the SE depends on the estimate itself, so Egger's test "
                   "gives false positives; Harbord's or Peters' test keeps the false-positive rate better (PB-04, "
                   "PB-05): prefer one of them." if binary else "")
    if k < 10:
        return Suggestion("publication_bias", None,
                          f"Not assessable: fewer than 10 studies (k = {k}); funnel-plot tests have too little power. "
                          "Judge from how the evidence was found instead: many small, commercially funded studies "
                          "are a warning sign (GRADE 5).",
                          rule, _sources("PB-01", "PB-02"))
    if test is not None:
        if not isinstance(test, BinarySmallStudyTest):
            raise ValueError(f"test must be the result of peters_test or harbord_test, got {type(test).__name__}")
        if test.k > k:
            raise ValueError(f"the {test.method} test used {test.k} studies but yi holds {k}: run it on the same studies")
        rule = rule.replace("Egger's test", f"{test.method}'s test")
        binary_note = (f" {test.method}'s test suits ratio measures from 2x2 tables, where Egger's gives false "
                       "positives (PB-04, PB-05).")
        pvalue = test.pvalue
        text = (f"{test.method}'s test with k = {test.k}: asymmetry coefficient {test.bias:.3g}, "
                f"t({test.df}) = {test.t:.2f}, p = {pvalue:.3f}. ")
        binary = True
    else:
        eg = egger_test(meta_analysis(y, v))
        pvalue = eg.pvalue
        text = (f"Egger's test with k = {k}: intercept {eg.intercept:.2f}, t({eg.df:.0f}) = {eg.statistic:.2f}, "
                f"p = {pvalue:.3f}. ")
    if pvalue < alpha:
        rating = "strongly suspected"
        text += ("The funnel plot is asymmetric: smaller studies report different effects. This may be publication "
                 "bias, but also heterogeneity, poorer small trials or chance; check with a funnel plot and "
                 "trim-and-fill before rating down.")
    else:
        rating = "undetected"
        text += ("No evidence of asymmetry: publication bias undetected, which does not rule it out (the tests have "
                 "substantial limitations, GRADE 5).")
    ids = ("PB-01", "PB-03", "PB-02", "PB-04") + (("PB-05",) if binary else ())
    return Suggestion("publication_bias", rating, text + binary_note, rule, _sources(*ids))


# --------------------------------------------------------------------------- summary of findings

RATIO_MEASURES = ("RR", "OR", "HR")
DIFFERENCE_MEASURES = ("SMD", "MD")
SOF_COLUMNS = ("outcome", "participants (studies)", "certainty", "relative effect", "absolute effect",
               "comments", "footnotes")


@dataclass(frozen=True)
class SoFRow:
    """One outcome of a Summary of Findings table.

    ``assessment`` (a :class:`GradeAssessment`) names the outcome and its
    certainty. The effect comes from ``result`` (a MetaAnalysis) or from
    ``estimate``/``ci_low``/``ci_high``; ratio measures ("RR", "OR", "HR")
    are given on the log scale, as the kit computes them. ``control_risk``
    (a proportion) adds the absolute effect per 1000 for RR and OR.
    ``studies`` defaults to ``result.k``; ``participants`` is the total N;
    either left as None shows as "not reported" (a review's abstract often
    gives neither). ``design_note`` labels an assumption or a qualification
    of the design next to the count, e.g. "design assumed, not read" gives
    "1265 (5 RCTs; design assumed, not read)". ``studies_label`` replaces
    the "5 RCTs" part when the designs are mixed, e.g. "13 trials (7
    randomised, 6 quasi-randomised)".
    """

    assessment: GradeAssessment
    result: MetaAnalysis | None = None
    measure: str = "SMD"
    participants: int | None = None
    studies: int | None = None
    estimate: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    unit: str = ""
    control_risk: float | None = None
    comments: str = ""
    decimals: int = 2
    design_note: str = ""
    studies_label: str = ""


def _diff_text(x: float, decimals: int) -> tuple[str, str]:
    text = _num(abs(x), decimals)
    if float(text) == 0:
        return text, ""
    return text, "higher" if x > 0 else "lower"


def _difference_effect(measure, est, lo, hi, unit, decimals) -> str:
    e, ew = _diff_text(est, decimals)
    (a, aw), (b, bw) = _diff_text(lo, decimals), _diff_text(hi, decimals)
    u = f" {unit}" if unit else ""
    head = f"{measure} {e}{u} {ew}".rstrip() if ew else f"{measure} {e}{u}"
    return f"{head} ({a} {aw} to {b} {bw})".replace("  ", " ").replace(" )", ")")


def _per_1000(measure: str, ratio: float, cr: float) -> float:
    if measure == "RR":
        return 1000 * cr * (ratio - 1)
    return 1000 * (ratio * cr / (1 - cr + ratio * cr) - cr)  # OR


def _count_text(d: float) -> str:
    n = int(round(abs(d)))
    return f"{n} {'fewer' if d < 0 else 'more'}" if n else "0 fewer"


def _row_effects(row: SoFRow) -> tuple[str, str, int | None, float]:
    if row.result is not None:
        res = _check_result(row.result)
        est, lo, hi, level, k = res.estimate, res.ci_low, res.ci_high, res.level, res.k
    else:
        if row.estimate is None or row.ci_low is None or row.ci_high is None:
            raise ValueError(f"{row.assessment.outcome}: give a result, or estimate, ci_low and ci_high")
        est, lo, hi, level, k = float(row.estimate), float(row.ci_low), float(row.ci_high), 0.95, None
    if not (math.isfinite(est) and math.isfinite(lo) and math.isfinite(hi)) or not lo <= est <= hi:
        raise ValueError(f"{row.assessment.outcome}: estimate and CI must be finite with ci_low <= estimate <= ci_high")
    measure = row.measure
    if measure in DIFFERENCE_MEASURES:
        relative = "\u2013"
        absolute = _difference_effect(measure, est, lo, hi, row.unit, row.decimals)
    elif measure in RATIO_MEASURES:
        r, rl, rh = math.exp(est), math.exp(lo), math.exp(hi)
        d = row.decimals
        relative = f"{measure} {r:.{d}f} ({rl:.{d}f} to {rh:.{d}f})"
        absolute = "\u2013"
        if row.control_risk is not None:
            cr = float(row.control_risk)
            if not 0 < cr < 1:
                raise ValueError(f"{row.assessment.outcome}: control_risk must be a proportion between 0 and 1")
            if measure == "HR":
                raise ValueError(f"{row.assessment.outcome}: an absolute effect from a hazard ratio needs a time "
                                 "point; leave control_risk out for HR")
            a, b, c = (_per_1000(measure, x, cr) for x in (r, rl, rh))
            absolute = f"{_count_text(a)} per 1000 (from {_count_text(b)} to {_count_text(c)})"
    else:
        raise ValueError(f"measure must be one of {DIFFERENCE_MEASURES + RATIO_MEASURES}, got {measure!r}")
    if level != 0.95:
        absolute += f" [{100 * level:g}% CI]" if measure in DIFFERENCE_MEASURES else ""
        relative += f" [{100 * level:g}% CI]" if measure in RATIO_MEASURES else ""
    return relative, absolute, k, level


def _letters():
    i = 0
    while True:
        n, s = i, ""
        while True:
            s = chr(ord("a") + n % 26) + s
            n = n // 26 - 1
            if n < 0:
                break
        yield s
        i += 1


def summary_of_findings(rows: Iterable[SoFRow | Mapping]) -> pd.DataFrame:
    """A GRADEpro-style Summary of Findings table, one row per outcome.

    ``rows``: :class:`SoFRow` objects, or mappings with the same keys.
    Columns: outcome; participants (studies), e.g. "1265 (5 RCTs)" (with
    the row's ``design_note`` after a semicolon); certainty, e.g. "⊕⊕◯◯ Low
    a,b" with footnote letters, or "not graded (2 domains not assessed)"
    without circles when a domain was not assessed; relative effect
    (ratio measures, e.g. "RR 0.49 (0.34 to 0.70)"); absolute effect (e.g.
    "SMD 0.18 higher (0.07 higher to 0.29 higher)", or per 1000 for a ratio
    with a control risk); comments; footnotes (the lettered texts of that
    row). Identical footnotes share a letter; ``df.attrs["footnotes"]`` maps
    every letter to its text.

    >>> a = GradeAssessment("Self-efficacy", judgements={"risk_of_bias": ("serious", "no blinding"),
    ...     "inconsistency": "not serious", "indirectness": "not serious",
    ...     "imprecision": "not serious", "publication_bias": "not serious"})
    >>> sof = summary_of_findings([SoFRow(a, measure="SMD", estimate=0.18, ci_low=0.07, ci_high=0.29,
    ...                                   participants=1265, studies=5)])
    >>> sof.loc[0, "participants (studies)"], sof.loc[0, "certainty"], sof.loc[0, "absolute effect"]
    ('1265 (5 RCTs)', '⊕⊕⊕◯ Moderate a', 'SMD 0.18 higher (0.07 higher to 0.29 higher)')
    """
    letters, notes = _letters(), {}
    records = []
    for raw in rows:
        if isinstance(raw, SoFRow):
            row = raw
        else:
            raw = dict(raw)
            unknown = sorted(set(raw) - set(SoFRow.__dataclass_fields__))
            if unknown:
                raise ValueError(f"unknown key(s) {unknown} in a Summary of Findings row; allowed: "
                                 f"{list(SoFRow.__dataclass_fields__)}")
            if "assessment" not in raw:
                raise ValueError("each Summary of Findings row needs an 'assessment' (a GradeAssessment)")
            row = SoFRow(**raw)
        if not isinstance(row.assessment, GradeAssessment):
            raise ValueError(f"each row needs a GradeAssessment, got {type(row.assessment).__name__}")
        relative, absolute, k, _ = _row_effects(row)
        studies = row.studies if row.studies is not None else k
        design = row.assessment.study_design
        noun = ("RCT" if design == "RCT" else "observational study") if studies == 1 else \
               ("RCTs" if design == "RCT" else "observational studies")
        people = "not reported" if row.participants is None else str(int(row.participants))
        count = f"k not reported; {noun}" if studies is None else f"{int(studies)} {noun}"
        if row.studies_label.strip():
            count = row.studies_label.strip()
        if row.design_note.strip():
            count += f"; {row.design_note.strip()}"
        row_letters, row_notes = [], []
        for text in row.assessment.footnotes:
            if text not in notes.values():
                notes[next(letters)] = text
            letter = next(key for key, value in notes.items() if value == text)
            row_letters.append(letter)
            row_notes.append(f"{letter}. {text}")
        a = row.assessment
        n_open = len(a.not_assessed)
        shown = a._shown() if a.graded else f"not graded ({n_open} domain{'s' if n_open > 1 else ''} not assessed)"
        certainty = shown + (" " + ",".join(row_letters) if row_letters else "")
        records.append({"outcome": a.outcome, "participants (studies)": f"{people} ({count})",
                        "certainty": certainty, "relative effect": relative, "absolute effect": absolute,
                        "comments": row.comments, "footnotes": " ".join(row_notes)})
    if not records:
        raise ValueError("no rows given: a Summary of Findings table needs at least one outcome")
    table = pd.DataFrame(records, columns=list(SOF_COLUMNS))
    table.attrs["footnotes"] = dict(notes)
    return table


def _footer(df: pd.DataFrame) -> list[str]:
    notes = df.attrs.get("footnotes", {})
    lines = [f"{letter}. {text}" for letter, text in notes.items()]
    lines.append("GRADE certainty: \u2295\u2295\u2295\u2295 high, \u2295\u2295\u2295\u25ef moderate, "
                 "\u2295\u2295\u25ef\u25ef low, \u2295\u25ef\u25ef\u25ef very low.")
    return lines


def sof_styler(df: pd.DataFrame):
    """A pandas ``Styler`` for a :func:`summary_of_findings` table, with the footnotes below it.

    Needs jinja2 (imported here, not at module import). The footnotes column
    is hidden and its texts are shown as a caption under the table.

    >>> a = GradeAssessment("Pain", judgements={d: "not serious" for d in DOMAINS})
    >>> sty = sof_styler(summary_of_findings([{"assessment": a, "measure": "MD", "estimate": -1.0,
    ...                                        "ci_low": -2.0, "ci_high": -0.1, "studies": 3}]))
    >>> "Summary of findings" in sty.to_html()
    True
    """
    try:
        import jinja2  # noqa: F401  (pandas' Styler needs it)
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError("sof_styler needs jinja2 (pip install jinja2); export_sof writes plain HTML without it") from err
    import html
    shown = df.drop(columns=["footnotes"], errors="ignore")
    caption = "<b>Summary of findings</b><br>" + "<br>".join(html.escape(line) for line in _footer(df))
    # a fixed table id: pandas' default is random, which would change the HTML on every run
    return (shown.style.set_uuid("sof").hide(axis="index").set_caption(caption)
            .set_table_styles([
                {"selector": "caption", "props": "caption-side: bottom; text-align: left; font-size: 0.9em;"},
                {"selector": "th", "props": "text-align: left; background-color: #f0f0f0; padding: 4px 8px;"},
                {"selector": "td", "props": "text-align: left; vertical-align: top; padding: 4px 8px;"},
            ]))


def export_sof(df: pd.DataFrame, path_csv=None, path_html=None) -> list[Path]:
    """Write a Summary of Findings table to CSV (with its footnotes column) and/or HTML (footnotes below).

    HTML uses :func:`sof_styler` when jinja2 is installed, plain pandas HTML
    otherwise. Returns the paths written.

    >>> import tempfile, pathlib
    >>> a = GradeAssessment("Pain", judgements={d: "not serious" for d in DOMAINS})
    >>> sof = summary_of_findings([SoFRow(a, measure="MD", estimate=-1.0, ci_low=-2.0, ci_high=-0.1, studies=3)])
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     written = export_sof(sof, pathlib.Path(tmp) / "sof.csv", pathlib.Path(tmp) / "sof.html")
    ...     [p.name for p in written]
    ['sof.csv', 'sof.html']
    """
    if path_csv is None and path_html is None:
        raise ValueError("give path_csv and/or path_html")
    written = []
    if path_csv is not None:
        path_csv = Path(path_csv)
        df.to_csv(path_csv, index=False)
        written.append(path_csv)
    if path_html is not None:
        path_html = Path(path_html)
        try:
            body = sof_styler(df).to_html()
        except ImportError:  # pragma: no cover - depends on the environment
            import html
            body = (df.drop(columns=["footnotes"], errors="ignore").to_html(index=False)
                    + "<p>" + "<br>".join(html.escape(line) for line in _footer(df)) + "</p>")
        path_html.write_text("<!DOCTYPE html>\n<meta charset='utf-8'>\n" + body, encoding="utf-8")
        written.append(path_html)
    return written


# --------------------------------------------------------------------------- how to say it

#: GRADE 26's wording by certainty: (rule id in data/grade_rules.csv, sentence template). ``{x}`` is the
#: intervention, ``{y}`` the outcome, ``{verb}``/``{verbs}`` "reduce"/"reduces" or "increase"/"increases".
STATEMENT_RULES = {
    "high": ("WORD-01", "{x} {verbs} {y}"),
    "moderate": ("WORD-02", "{x} probably {verbs} {y}"),
    "low": ("WORD-03", "{x} may {verb} {y}"),
    "very low": ("WORD-04", "it is unclear whether {x} affects {y} because the evidence is very uncertain"),
}
STATEMENT_DIRECTIONS = ("reduce", "increase")


def informative_statement(certainty, direction: str, outcome: str, intervention: str = "the intervention") -> str:
    """A "how to report" sentence whose verb matches the certainty of the evidence (GRADE 26).

    GRADE 26 (Santesso et al. 2020, J Clin Epidemiol 119:126-135) words a
    finding by its size *and* its certainty: for a large effect "x results
    in a large reduction…; x likely results in a large reduction…; x may
    result in a large reduction…" at high, moderate and low certainty
    (abstract, rule WORD-03). The kit uses the plainest forms of its table
    (rules WORD-01 to WORD-04 in ``data/grade_rules.csv``, quoted there):

    ========== ===============================================================
    high       "<intervention> reduces <outcome>"
    moderate   "<intervention> probably reduces <outcome>"
    low        "<intervention> may reduce <outcome>"
    very low   "it is unclear whether <intervention> affects <outcome> because
               the evidence is very uncertain" (whatever the direction)
    ========== ===============================================================

    ``certainty`` is one of :data:`CERTAINTY_LEVELS` or a
    :class:`GradeAssessment` (its ``certainty``); ``direction`` is "reduce"
    or "increase" (what the point estimate does to the outcome). The size
    words ("slightly", "a large reduction") are the author's to add: they
    depend on thresholds the kit does not choose. An outcome that is not
    graded has no GRADE wording, and ``ValueError`` says so. The very-low
    wording was read only in a secondary source (WORD-04).

    >>> informative_statement("moderate", "reduce", "tuberculosis", "BCG vaccination")
    'BCG vaccination probably reduces tuberculosis.'
    >>> informative_statement("very low", "increase", "pain")
    'It is unclear whether the intervention affects pain because the evidence is very uncertain.'
    """
    if isinstance(certainty, GradeAssessment):
        if not certainty.graded:
            raise ValueError(f"{certainty.outcome}: not graded ({', '.join(certainty.not_assessed)} not assessed), "
                             "so no certainty wording applies; report the estimate and say it was not graded")
        certainty = certainty.certainty
    key = str(certainty).strip().lower()
    if key not in STATEMENT_RULES:
        raise ValueError(f"certainty must be one of {CERTAINTY_LEVELS} or a GradeAssessment, got {certainty!r}")
    verb = str(direction).strip().lower()
    if verb not in STATEMENT_DIRECTIONS:
        raise ValueError(f"direction must be one of {STATEMENT_DIRECTIONS} (what the estimate does to the outcome), "
                         f"got {direction!r}")
    for name, text in (("outcome", outcome), ("intervention", intervention)):
        if not str(text).strip():
            raise ValueError(f"{name} must be named (a non-empty string)")
    sentence = STATEMENT_RULES[key][1].format(x=str(intervention).strip(), y=str(outcome).strip(), verb=verb,
                                              verbs=verb + "s")
    return sentence[0].upper() + sentence[1:] + "."

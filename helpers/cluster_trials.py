"""Cluster-randomised and multi-arm trials in a meta-analysis (Cochrane Handbook v6.4, 23.1 and 23.3).

Group peer support is delivered in groups, so its trials often randomise
groups, practices or wards. Analysing such a trial as if individuals were
randomised is the *unit-of-analysis error*: outcomes within a cluster are
correlated, the trial carries less information than its head count, and its
confidence interval comes out too narrow and its weight too large.

* :func:`design_effect` -- :math:`DE = 1 + (M - 1)\\,ICC` (Handbook 23.1.4).
* :func:`effective_sample_size` -- sample sizes (and event counts) divided
  by the design effect, for an analysis from group summaries (23.1.4).
* :func:`inflate_se` -- an effect estimate's SE from an analysis that
  ignored clustering, multiplied by :math:`\\sqrt{DE}`, for a generic
  inverse-variance entry (23.1.5).
* :func:`split_shared_control` -- a control group shared by several
  comparisons of a multi-arm trial, split so that no participant is counted
  twice (23.3.4).

M is the mean cluster size and ICC the intracluster correlation
coefficient, from the trial or, failing that, from a similar trial (say
which, and vary it in a sensitivity analysis). With unequal cluster sizes
the design effect with the mean size understates the loss a little (Eldridge
et al. 2006, Int J Epidemiol 35:1292).

References: Cochrane Handbook v6.4 (Higgins, Eldridge & Li 2023) ch. 23;
Donner & Klar (2000) *Design and Analysis of Cluster Randomization Trials
in Health Research*; Rao & Scott (1992), Biometrics 48:577 (effective sample
sizes for clustered binary data); Kish (1965) *Survey Sampling*.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ._validate import as_arrays, require, require_whole

__all__ = ["design_effect", "effective_sample_size", "inflate_se", "split_shared_control"]


def _scalar_or_array(x: np.ndarray, scalar: bool):
    return float(x[0]) if scalar else x


def _design(labels, fields) -> tuple[list[str], dict[str, np.ndarray], bool]:
    scalar = all(np.ndim(v) == 0 for v in fields.values())
    names, a = as_arrays(labels, **fields)
    require(a["mean_cluster_size"] >= 1, names, "mean_cluster_size", ">= 1 (people per cluster)", a["mean_cluster_size"])
    require(a["icc"] >= 0, names, "icc", "in [0, 1) (an intracluster correlation)", a["icc"])
    require(a["icc"] < 1, names, "icc", "in [0, 1) (an intracluster correlation)", a["icc"])
    return names, a, scalar


def design_effect(mean_cluster_size, icc, labels: Sequence[object] | None = None):
    """The design effect of a cluster-randomised trial (Cochrane Handbook v6.4 23.1.4).

    .. math:: DE = 1 + (M - 1)\\,ICC

    the factor by which clustering inflates the variance of an estimate
    compared with individual randomisation of the same number of people
    (Kish 1965; Donner & Klar 2000). Arrays give one value per trial;
    ``labels`` name the trials in errors. An ICC of 0.05 with 40 per cluster
    gives 2.95: the trial is worth about a third of its head count.

    >>> design_effect(40, 0.05)
    2.95
    """
    names, a, scalar = _design(labels, {"mean_cluster_size": mean_cluster_size, "icc": icc})
    return _scalar_or_array(1 + (a["mean_cluster_size"] - 1) * a["icc"], scalar)


def effective_sample_size(n, mean_cluster_size, icc, *, events=None, whole: bool = False,
                          labels: Sequence[object] | None = None):
    """Sample size (and, for a binary outcome, events) divided by the design effect (Handbook v6.4 23.1.4).

    .. math:: n_{eff} = \\frac{n}{DE}, \\qquad e_{eff} = \\frac{e}{DE}

    Apply it to each arm of a trial analysed as if individually randomised;
    the arm's means and SDs (continuous) or risk (binary: events and n are
    divided by the same DE, Handbook 23.1.4) stay as they are, so only the
    precision changes. ``whole=True`` rounds to whole numbers, as RevMan and
    :func:`helpers.pooling.mantel_haenszel` need counts (rounding is the
    reviewer's approximation; events stay <= n). Returns ``n_eff``, or
    ``(events_eff, n_eff)`` when ``events`` is given.

    >>> effective_sample_size(120, 12, 0.05, events=30)  # DE = 1.55
    (19.35483870967742, 77.41935483870968)
    >>> effective_sample_size(120, 12, 0.05, events=30, whole=True)
    (19.0, 77.0)
    """
    fields = {"n": n, "mean_cluster_size": mean_cluster_size, "icc": icc}
    if events is not None:
        fields["events"] = events
    names, a, scalar = _design(labels, fields)
    require(a["n"] >= 1, names, "n", ">= 1", a["n"])
    require_whole(a["n"], names, "n")
    require(a["mean_cluster_size"] <= a["n"], names, "mean_cluster_size", "<= n (a cluster cannot be larger than "
            "the arm)", a["mean_cluster_size"])
    de = 1 + (a["mean_cluster_size"] - 1) * a["icc"]
    n_eff = a["n"] / de
    if whole:
        n_eff = np.maximum(np.round(n_eff), 1.0)
    if events is None:
        return _scalar_or_array(n_eff, scalar)
    e = a["events"]
    require(e >= 0, names, "events", ">= 0", e)
    require_whole(e, names, "events")
    require(e <= a["n"], names, "events", "<= n", e)
    e_eff = e / de
    if whole:
        e_eff = np.minimum(np.round(e_eff), n_eff)
    return _scalar_or_array(e_eff, scalar), _scalar_or_array(n_eff, scalar)


def inflate_se(se, mean_cluster_size, icc, labels: Sequence[object] | None = None):
    """The SE of an effect estimate from an analysis that ignored clustering, corrected (Handbook v6.4 23.1.5).

    .. math:: SE_{corrected} = SE \\times \\sqrt{DE}

    for a generic inverse-variance entry (log RR, log OR, MD, SMD): the
    variance is multiplied by the design effect, the estimate is unchanged.
    Use it only for an estimate that did not account for clustering; an
    estimate from a proper cluster analysis (multilevel model, GEE,
    cluster-level analysis) is entered with its own SE.

    >>> round(inflate_se(0.2, 40, 0.05), 6)
    0.343511
    """
    names, a, scalar = _design(labels, {"se": se, "mean_cluster_size": mean_cluster_size, "icc": icc})
    require(a["se"] > 0, names, "se", "> 0 (a standard error)", a["se"])
    return _scalar_or_array(a["se"] * np.sqrt(1 + (a["mean_cluster_size"] - 1) * a["icc"]), scalar)


def _split(total: float, parts: int, whole: bool) -> np.ndarray:
    if not whole:
        return np.full(parts, total / parts)
    base, extra = divmod(int(total), parts)
    # the remainder goes to the first comparisons, so the parts add up to the total
    return np.array([base + (i < extra) for i in range(parts)], dtype=float)


def split_shared_control(n_control, n_comparisons: int, events=None, *, whole: bool = True) -> pd.DataFrame:
    """Split a control group shared by several comparisons of one multi-arm trial (Handbook v6.4 23.3.4).

    Entering the same control group in two comparisons counts its
    participants twice (a unit-of-analysis error) and gives the trial too
    much weight. Splitting it into ``n_comparisons`` parts, one per
    comparison, avoids that: for a binary outcome both the participants and
    the events are divided (the risk stays the same), for a continuous
    outcome only the number of participants (means and SDs unchanged).
    ``whole=True`` (default) gives whole numbers that add up to the totals,
    the remainder going to the first comparisons; ``whole=False`` gives
    exact fractions. Combining the intervention arms into one (Handbook
    6.5.2.10) is the alternative when they are similar enough.

    Returns one row per comparison: ``n`` (and ``events``).

    >>> split_shared_control(51, 2, events=13)
                events     n
    comparison
    1              7.0  26.0
    2              6.0  25.0
    """
    if isinstance(n_comparisons, bool) or not isinstance(n_comparisons, (int, np.integer)) or n_comparisons < 2:
        raise ValueError(f"n_comparisons must be a whole number >= 2 (the comparisons sharing the control group), "
                         f"got {n_comparisons!r}")
    fields = {"n_control": n_control} | ({} if events is None else {"events": events})
    names, a = as_arrays(["control group"], **fields)
    if a["n_control"].size != 1:
        raise ValueError("split_shared_control splits one control group: give n_control (and events) as single numbers")
    require(a["n_control"] >= n_comparisons, names, "n_control", f">= n_comparisons ({n_comparisons})", a["n_control"])
    require_whole(a["n_control"], names, "n_control")
    columns = {}
    if events is not None:
        require(a["events"] >= 0, names, "events", ">= 0", a["events"])
        require_whole(a["events"], names, "events")
        require(a["events"] <= a["n_control"], names, "events", "<= n_control", a["events"])
        columns["events"] = _split(a["events"][0], n_comparisons, whole)
    columns["n"] = _split(a["n_control"][0], n_comparisons, whole)
    return pd.DataFrame(columns, index=pd.Index(range(1, n_comparisons + 1), name="comparison"))

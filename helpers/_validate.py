"""Input checks shared by the numeric modules.

Every check raises ``ValueError`` naming the study and the field, so that a
typo in row 17 of an extraction sheet surfaces as "study 'Smith 2010': sd1
must be > 0 (got -4.0)" instead of a NaN three functions later.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def study_labels(labels: Sequence[object] | None, k: int) -> list[str]:
    """Readable names for k studies: the given labels, or "#1", "#2", ..."""
    if labels is None:
        return [f"#{i + 1}" for i in range(k)]
    labels = [str(label) for label in labels]
    if len(labels) != k:
        raise ValueError(f"labels has {len(labels)} entries but there are {k} studies")
    return labels


def _where(labels: list[str], i: int) -> str:
    return f"study {labels[i]!r} (row {i})"


def as_arrays(labels: Sequence[object] | None = None, **fields) -> tuple[list[str], dict[str, np.ndarray]]:
    """Convert named inputs to 1-D float arrays of one common length.

    Scalars are broadcast (a common SD for every study, say). Missing values
    (NaN, None) and infinities are rejected with the study and field named.
    """
    arrays = {name: np.atleast_1d(np.asarray(value, dtype=float)) for name, value in fields.items()}
    for name, arr in arrays.items():
        if arr.ndim != 1:
            raise ValueError(f"{name} must be one-dimensional (one value per study), got shape {arr.shape}")
    lengths = {name: arr.size for name, arr in arrays.items() if arr.size != 1}
    if len(set(lengths.values())) > 1:
        described = ", ".join(f"{name}={n}" for name, n in lengths.items())
        raise ValueError(f"inputs have different lengths ({described}); give one value per study")
    k = next(iter(lengths.values()), 1)
    if k == 0:
        raise ValueError("no studies given: at least one is needed")
    arrays = {name: np.broadcast_to(arr, (k,)).copy() for name, arr in arrays.items()}
    names = study_labels(labels, k)
    for name, arr in arrays.items():
        bad = np.flatnonzero(~np.isfinite(arr))
        if bad.size:
            i = bad[0]
            what = "missing (NaN)" if np.isnan(arr[i]) else f"not finite ({arr[i]})"
            raise ValueError(f"{_where(names, i)}: {name} is {what}")
    return names, arrays


def require(condition: np.ndarray, labels: list[str], field: str, rule: str, values: np.ndarray) -> None:
    """Raise for the first study where ``condition`` is False."""
    bad = np.flatnonzero(~np.asarray(condition))
    if bad.size:
        i = bad[0]
        raise ValueError(f"{_where(labels, i)}: {field} must be {rule} (got {values[i]:g})")


def require_whole(values: np.ndarray, labels: list[str], field: str) -> None:
    """Counts (sample sizes, events) must be whole numbers."""
    require(values == np.round(values), labels, field, "a whole number", values)

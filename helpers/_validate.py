"""Input checks shared by the numeric modules: every input is validated here, for single and batch fits.

Every check raises ``ValueError`` naming the study and the field, so that a
typo in row 17 of an extraction sheet surfaces as "study 'Smith 2010': sd1
must be > 0 (got -4.0)" instead of a NaN three functions later.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["study_labels", "as_arrays", "require", "require_whole", "study_inputs", "batch_inputs"]


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


def _align(fields: dict) -> tuple[dict, pd.Index | None]:
    """pandas Series are paired by label, as pandas itself pairs them, never by position.

    All Series must carry the same labels (in any order); they are put in the
    order of the first one. Unequal label sets are refused: guessing a pairing
    would silently mix up studies.
    """
    series = {name: value for name, value in fields.items() if isinstance(value, pd.Series)}
    if not series:
        return fields, None
    first_name, first = next(iter(series.items()))
    index = first.index
    out = dict(fields)
    for name, value in series.items():
        if value.index.equals(index):
            continue
        if not index.is_unique:
            raise ValueError(f"{first_name} has repeated index labels, so {name} cannot be paired with it by label")
        if len(value.index) != len(index) or not value.index.is_unique or set(value.index) != set(index):
            raise ValueError(f"{name} and {first_name} are pandas Series with different index labels; "
                             "give them the same labels (they are paired by label) or pass arrays")
        out[name] = value.reindex(index)
    return out, index


def _as_float(name: str, value, labels_hint=None) -> np.ndarray:
    arr = np.asarray(value, dtype=object) if not isinstance(value, np.ndarray) or value.dtype == object else value
    try:
        return np.atleast_1d(np.asarray(arr, dtype=float))
    except (TypeError, ValueError):
        flat = np.atleast_1d(np.asarray(arr, dtype=object)).ravel()
        for i, x in enumerate(flat):
            try:
                float(x)
            except (TypeError, ValueError):
                where = f"study {labels_hint[i]!r} (row {i})" if labels_hint is not None and i < len(labels_hint) else f"row {i}"
                raise ValueError(f"{where}: {name} is not a number ({x!r})") from None
        raise


def as_arrays(labels: Sequence[object] | None = None, **fields) -> tuple[list[str], dict[str, np.ndarray]]:
    """Convert named inputs to 1-D float arrays of one common length.

    Scalars are broadcast (a common SD for every study, say). pandas Series
    are aligned by label. Missing values (NaN, None), infinities and text are
    rejected with the study and field named.
    """
    fields, index = _align(fields)
    if labels is None and index is not None and not isinstance(index, pd.RangeIndex):
        labels = list(index)
    hint = None if labels is None else [str(x) for x in labels]
    arrays = {name: _as_float(name, value, hint) for name, value in fields.items()}
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


def _unpack_frame(yi, vi, labels):
    """An effect-size frame (columns yi and vi, as every effect-size helper returns) stands for both."""
    if isinstance(yi, pd.DataFrame):
        if vi is not None:
            raise ValueError("give either an effect-size DataFrame (columns yi, vi) or yi and vi, not both")
        missing = [c for c in ("yi", "vi") if c not in yi.columns]
        if missing:
            raise ValueError(f"the effect-size DataFrame has no column {missing[0]!r}; it needs columns 'yi' and 'vi'")
        frame = yi
        yi, vi = frame["yi"], frame["vi"]
    elif vi is None:
        raise ValueError("vi (the sampling variances) is missing: give yi and vi, or an effect-size DataFrame")
    return yi, vi, labels


def study_inputs(yi, vi=None, labels: Sequence[object] | None = None) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Effect sizes and sampling variances of one meta-analysis, checked: ``(labels, yi, vi)``.

    ``yi`` may be an effect-size DataFrame with columns ``yi`` and ``vi``
    (as metafor's ``rma()`` takes an ``escalc`` object); its index names the
    studies unless it is a RangeIndex. vi must be positive and, with the
    effects, within what double precision can weight together (any common unit
    is fine: the engine rescales each meta-analysis).
    """
    yi, vi, labels = _unpack_frame(yi, vi, labels)
    names, a = as_arrays(labels, yi=yi, vi=vi)
    require(a["vi"] > 0, names, "vi", "> 0 (a sampling variance)", a["vi"])
    _check_range(a["yi"], a["vi"], lambda i: _where(names, i))
    return names, a["yi"], a["vi"]


def _check_range(y: np.ndarray, v: np.ndarray, where) -> None:
    # the engine rescales each meta-analysis (any unit works), but not even then can double precision
    # hold squared standardised residuals beyond 1e300, or weights spread over more than 1e250
    ratio = v.max() / v
    bad = np.flatnonzero(ratio > 1e250)
    if bad.size:
        i = bad[0]
        raise ValueError(f"{where(i)}: vi = {v[i]:g} is more than 1e250 times smaller than the largest vi "
                         f"({v.max():g}); double precision cannot weight such studies together")
    z2 = (y - np.median(y)) ** 2 / v
    bad = np.flatnonzero(~(z2 < 1e300))
    if bad.size:
        i = bad[0]
        raise ValueError(f"{where(i)}: yi = {y[i]:g} lies more than 1e150 standard errors from the other studies; "
                         "check the value and its units")


def batch_inputs(yi, vi) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(n, k)`` arrays for a batch of meta-analyses, checked as :func:`study_inputs` checks one: ``(y, v, mask)``.

    NaN in both yi and vi pads a meta-analysis with fewer studies; a NaN in
    only one of them, an infinity, or a vi <= 0 is refused, naming the
    meta-analysis and the study.
    """
    try:
        y = np.atleast_2d(np.asarray(yi, dtype=float))
        v = np.atleast_2d(np.asarray(vi, dtype=float))
    except (TypeError, ValueError) as error:
        raise ValueError(f"yi and vi must be numeric (n_meta, k) arrays: {error}") from None
    if y.shape != v.shape or y.ndim != 2:
        raise ValueError(f"yi and vi must be (n_meta, k) arrays of the same shape, got {y.shape} and {v.shape}")
    mask = ~np.isnan(y)
    where = lambda ij: f"meta-analysis {ij[0]}, study {ij[1]}"  # noqa: E731
    if (mask != ~np.isnan(v)).any():
        raise ValueError(f"{where(np.argwhere(mask != ~np.isnan(v))[0])}: yi and vi must be missing together")
    for arr, name in ((y, "yi"), (v, "vi")):
        bad = mask & ~np.isfinite(arr)
        if bad.any():
            i, j = np.argwhere(bad)[0]
            raise ValueError(f"{where((i, j))}: {name} is not finite ({arr[i, j]})")
    bad = mask & ~(v > 0)
    if bad.any():
        i, j = np.argwhere(bad)[0]
        raise ValueError(f"{where((i, j))}: vi must be > 0 (got {v[i, j]})")
    if (mask.sum(axis=1) < 1).any():
        raise ValueError(f"meta-analysis {int(np.flatnonzero(mask.sum(axis=1) < 1)[0])} has no studies")
    with np.errstate(invalid="ignore", divide="ignore"):
        vmax = np.nanmax(np.where(mask, v, np.nan), axis=1, keepdims=True)
        centre = np.nanmedian(np.where(mask, y, np.nan), axis=1, keepdims=True)
        bad = mask & ((vmax / v > 1e250) | ~((y - centre) ** 2 / v < 1e300))
    if bad.any():
        i, j = np.argwhere(bad)[0]
        _check_range(y[i, mask[i]], v[i, mask[i]], lambda s: where((i, np.flatnonzero(mask[i])[s])))
    return np.where(mask, y, 0.0), np.where(mask, v, 1.0), mask

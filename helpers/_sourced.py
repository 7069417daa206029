"""Read a CSV of sourced rows: each row says where its numbers come from, or the file is refused.

The one reader behind ``data`` (published results, trials, ECLIPSE, instruments, templates), ``grade``
(``data/grade_rules.csv``) and ``mcid`` (``data/mcid_thresholds.csv``). Cells are read as text exactly as
written (``dtype=str``, ``keep_default_na=False``: an empty cell is ``""``, never NaN, and "NA" stays "NA"),
so each caller converts numbers itself and can say which printed text it converted.

The rule it enforces is the kit's honesty rule (a number whose origin nobody can check has no place in a
replication; Cochrane Handbook chapter 5.5, "record the source of every item of data extracted"):
the provenance fields of every row are filled. Every error names the file, the CSV line a person would open
in an editor (the header is line 1; a quoted cell that spans lines is counted as the lines it spans), the
row's label and the field.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

__all__ = ["MissingFileError", "read_sourced_csv", "require_columns", "row_location"]


class MissingFileError(FileNotFoundError, ValueError):
    """A CSV that is not there. Both kinds on purpose: ``data``'s loaders have always raised
    ``FileNotFoundError`` and ``mcid``'s ``ValueError``, and code catching either keeps working."""


def require_columns(table: pd.DataFrame, columns: Sequence[str], name: str) -> None:
    """``ValueError`` naming ``name`` and every column of ``columns`` that ``table`` lacks."""
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise ValueError(f"{name}: missing column(s) {missing}; expected {list(columns)}")


def _record_lines(path: Path) -> list[int]:
    """The line on which each data record starts, as ``pd.read_csv`` numbers records (blank lines skipped)."""
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        starts, end = [], 0
        for record in reader:
            if record:
                starts.append(end + 1)
            end = reader.line_num
    return starts[1:]


def row_location(path: Path | str, table: pd.DataFrame, i: int, label: str | Sequence[str] = ()) -> str:
    """Where row ``i`` (position in ``table`` as read) sits: ``"rules.csv line 4 (INC-02)"``.

    ``label`` names the column(s) that identify a row to a person; their filled values are shown, or ``no <first>``
    when all are empty. The line number is counted from the file only when an error needs it.
    """
    path = Path(path)
    labels = [label] if isinstance(label, str) else list(label)
    lines = _record_lines(path)
    where = f"{path.name} line {lines[i] if i < len(lines) else i + 2}"
    if labels:
        values = [v for v in (str(table.iloc[i][c]).strip() for c in labels) if v]
        where += f" ({', '.join(values) if values else 'no ' + labels[0]})"
    return where


def read_sourced_csv(path: Path | str, columns: Sequence[str], *, provenance: Sequence[str] = (),
                     label: str | Sequence[str] = (), choices: Mapping[str, Sequence[str]] | None = None,
                     strip: bool = False, allow_empty: bool = False) -> pd.DataFrame:
    """Read ``path`` as text and check it: the one loader for the kit's CSVs of sourced rows.

    Checks, in this order, each a ``ValueError`` (``MissingFileError`` for the first):

    * the file exists;
    * every name in ``columns`` is a column (extra columns are allowed);
    * it has at least one row, unless ``allow_empty`` (a blank extraction template has none);
    * row by row, in file order: every field in ``provenance`` is filled (a cell of spaces is empty), and
      every field in ``choices`` holds one of its allowed values.

    ``label`` names the column(s) shown in an error to say which row it is; ``strip`` removes surrounding
    spaces from every cell before the checks and in the frame returned. The frame keeps the file's row order
    with a 0..n-1 index.

    >>> import tempfile, os
    >>> f = os.path.join(tempfile.mkdtemp(), "rules.csv")
    >>> _ = open(f, "w").write("rule_id,source\\nA-01,Handbook 14.2\\nA-02, \\n")
    >>> read_sourced_csv(f, ["rule_id", "source"], provenance=["source"], label="rule_id")
    Traceback (most recent call last):
    ...
    ValueError: rules.csv line 3 (A-02): source is empty; every row must say where it comes from (no number without its source)
    """
    path = Path(path)
    if not path.is_file():
        raise MissingFileError(f"{path}: file not found")
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    provenance, choices = list(provenance), dict(choices or {})
    require_columns(table, list(dict.fromkeys([*columns, *provenance, *choices])), path.name)
    if table.empty and not allow_empty:
        raise ValueError(f"{path.name}: no rows in the file")
    if strip:
        table = table.apply(lambda col: col.str.strip())
    checks = ([table[c].str.strip() == "" for c in provenance]
              + [~table[c].isin(allowed) for c, allowed in choices.items()])
    bad = pd.concat(checks, axis=1, ignore_index=True).to_numpy() if checks and len(table) else None
    if bad is not None and bad.any():
        i = int(bad.any(axis=1).argmax())
        k = int(bad[i].argmax())
        where = row_location(path, table, i, label)
        if k < len(provenance):
            raise ValueError(f"{where}: {provenance[k]} is empty; every row must say where it comes from "
                             "(no number without its source)")
        field = list(choices)[k - len(provenance)]
        raise ValueError(f"{where}: {field} must be one of {tuple(choices[field])}, got {table.iloc[i][field]!r}")
    return table

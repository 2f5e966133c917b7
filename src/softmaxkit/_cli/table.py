"""The one reader of CSV files for every command: the same delimiter and header rules.

- The delimiter is the one of comma, semicolon and tab that splits the first line into
  the most fields (a file of one column has none).
- The first row is a header when none of its cells is a number ("5.1,3.5,setosa" is
  data; "sepal,petal,species" is a header).
- Every row has as many fields as the first. Errors name the file, the line and the
  column (by its header name when there is one), in one line.
- Numbers are converted by NumPy in C, not by one Python ``float()`` per cell; only a
  file with a bad cell is read again cell by cell, to name it.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import NamedTuple

import numpy as np

from .errors import UsageError

DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab"}


class Table(NamedTuple):
    """A CSV file's cells as text: the header (None without one) and the data rows."""

    path: str
    header: list[str] | None
    rows: list[list[str]]
    lines: list[int]  # the file's line number of each data row

    @property
    def width(self) -> int:
        return len(self.rows[0]) if self.rows else len(self.header or [])

    def column_name(self, j: int) -> str:
        return repr(self.header[j]) if self.header else str(j + 1)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def delimiter_of(first_line: str) -> str:
    """The delimiter that splits ``first_line`` into the most fields (comma by default)."""
    counts = {d: first_line.count(d) for d in DELIMITERS}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def parse_table(text: str, path: str) -> Table:
    """A :class:`Table` from the text of a CSV file."""
    numbered = [(i, line) for i, line in enumerate(text.splitlines(), 1) if line.strip()]
    if not numbered:
        raise UsageError(f"{path}: no data")
    delimiter = delimiter_of(numbered[0][1])
    reader = csv.reader(io.StringIO("\n".join(line for _, line in numbered)),
                        delimiter=delimiter)
    rows = [[cell.strip() for cell in row] for row in reader]
    lines = [i for i, _ in numbered]
    header = None
    if not any(_is_number(cell) for cell in rows[0]):
        header, rows, lines = rows[0], rows[1:], lines[1:]
    width = len(header) if header is not None else len(rows[0])
    for row, line in zip(rows, lines):
        if len(row) != width:
            first = "the header" if header is not None else f"line {lines[0]}"
            raise UsageError(f"{path}: line {line} (row {lines.index(line) + 1}) has "
                             f"{_fields(len(row))}, {first} {_fields(width)}")
    return Table(path, header, rows, lines)


def _fields(n: int) -> str:
    return f"{n} field" if n == 1 else f"{n} fields"


def read_table(path: str) -> Table:
    """Read ``path`` as CSV (UTF-8, a byte-order mark allowed)."""
    try:
        # utf-8-sig: spreadsheets start their CSV files with a byte-order mark
        text = Path(path).read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UsageError(f"{path}: cannot read: not UTF-8 text ({exc.reason} at byte "
                         f"{exc.start})") from None
    except OSError as exc:
        raise UsageError(f"{path}: cannot read: {exc.strerror or exc}") from None
    return parse_table(text, path)


def numbers(table: Table, columns: list[int] | None = None, *, finite: bool = False
            ) -> np.ndarray:
    """The cells of ``columns`` (default: all) as float64, one row per data row. With
    ``finite``, NaN and infinity are errors (naming the cell) as a bad number is."""
    cols = list(range(table.width)) if columns is None else columns
    if not table.rows:
        return np.empty((0, len(cols)))
    cells = table.rows if columns is None else [[row[j] for j in cols] for row in table.rows]
    try:
        arr = np.array(cells, dtype=np.str_).astype(np.float64)
    except ValueError:
        arr = None
    if arr is not None and (not finite or np.isfinite(arr).all()):
        return arr
    for row, line in zip(cells, table.lines):
        for k, cell in enumerate(row):
            where = f"{table.path}: line {line}, column {table.column_name(cols[k])}"
            if not cell:
                raise UsageError(f"{where}: empty field")
            if not _is_number(cell):
                raise UsageError(f"{where}: {cell!r} is not a number")
            if finite and not np.isfinite(float(cell)):
                raise UsageError(f"{where}: {cell!r} is not a finite number")
    # spellings Python reads and NumPy does not ("1_000"): convert them one by one
    return np.array([[float(c) for c in row] for row in cells], dtype=np.float64)


def one_column_hint(table: Table) -> str:
    """What to say when a file that needs several columns has one."""
    names = ", ".join(DELIMITERS.values())
    return (f"{table.path}: found 1 column; separate the columns with a {names} (the first "
            "line decides which)")

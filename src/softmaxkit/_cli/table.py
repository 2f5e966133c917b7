"""The one reader of CSV files for every command: the same delimiter and header rules.

- The delimiter is the one of comma, semicolon and tab that splits the first line into
  the most fields (a file of one column has none).
- The first row is a header when none of its cells is a number ("5.1,3.5,setosa" is
  data; "sepal,petal,species" is a header).
- Every row has as many fields as the first. Errors name the file, the line and the
  column (by its header name when there is one), in one line.
- Numbers are read by NumPy's C reader (``np.loadtxt``), not by one Python ``float()``
  per cell; only a file with a bad cell is split cell by cell, to name it.
"""

from __future__ import annotations

import csv
import functools
import re
from pathlib import Path

import numpy as np

from .errors import UsageError

DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab"}


class Table:
    """A CSV file's cells as text: the header (None without one) and the data rows.

    ``body`` holds the data rows' lines as they are in the file (blank lines left out) and
    ``lines`` their line numbers. Splitting the lines into cells (``rows``, csv module
    rules) and checking that every row has ``width`` fields happen when first needed: a
    file that NumPy reads whole needs neither, and NumPy's reader refuses ragged rows.
    """

    def __init__(self, path: str, header: list[str] | None, delimiter: str, width: int,
                 body: list[str], lines: list[int] | range, quoted: bool):
        self.path, self.header, self.delimiter = path, header, delimiter
        self.width, self.body, self.lines, self.quoted = width, body, lines, quoted
        self._rows: list[list[str]] | None = None

    @property
    def rows(self) -> list[list[str]]:
        if self._rows is None:
            reader = csv.reader(self.body, delimiter=self.delimiter)
            self._rows = [[cell.strip() for cell in row] for row in reader]
        return self._rows

    def check_widths(self) -> None:
        """UsageError naming the first row whose field count is not ``width``."""
        if self.quoted:  # a quoted cell may hold the delimiter: only csv can count
            counts = [len(row) for row in self.rows]
        else:
            counts = [line.count(self.delimiter) + 1 for line in self.body]
        k = next((k for k, n in enumerate(counts) if n != self.width), None)
        if k is not None:
            start = "the header" if self.header is not None else f"line {self.lines[0]}"
            raise UsageError(f"{self.path}: line {self.lines[k]} (row {k + 1}) has "
                             f"{_fields(counts[k])}, {start} {_fields(self.width)}")

    def column(self, j: int) -> list[str]:
        """The text of column ``j`` in every data row."""
        self.check_widths()
        if self.quoted:
            return [row[j] for row in self.rows]
        d = self.delimiter
        return [line.split(d)[j].strip() for line in self.body]

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


# a blank line inside the text (re finds the leading newline fast; ^...$ is 10x slower)
_BLANK_LINE = re.compile(r"\n[ \t\f\v\r]*\n")


def parse_table(text: str, path: str) -> Table:
    """A :class:`Table` from the text of a CSV file."""
    all_lines = text.splitlines()
    # a file without blank lines (the usual case) is not filtered line by line
    if (all_lines and all(all_lines) and all_lines[0].strip() and all_lines[-1].strip()
            and _BLANK_LINE.search(text) is None):
        body, lines = all_lines, range(1, len(all_lines) + 1)
    else:
        numbered = [(i, line) for i, line in enumerate(all_lines, 1) if line.strip()]
        body, lines = [line for _, line in numbered], [i for i, _ in numbered]
    if not body:
        raise UsageError(f"{path}: no data")
    delimiter = delimiter_of(body[0])
    first = [cell.strip() for cell in next(csv.reader([body[0]], delimiter=delimiter))]
    header = None
    if not any(_is_number(cell) for cell in first):
        header, body, lines = first, body[1:], lines[1:]
    return Table(path, header, delimiter, len(first), body, lines, '"' in text)


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
    if not table.body:
        return np.empty((0, len(cols)))
    read = functools.partial(np.loadtxt, table.body, delimiter=table.delimiter,
                             comments=None, ndmin=2, quotechar='"', dtype=np.float64)
    try:  # every column: NumPy also checks that the rows have one width
        arr = read()
        arr = arr if arr.shape[1] == table.width else None
    except ValueError:
        arr = None
    if arr is None:
        table.check_widths()
        try:  # other columns may hold text (a target of class names)
            arr = read(usecols=cols)
        except ValueError:
            arr = None
    elif columns is not None:
        arr = arr[:, cols]
    if arr is not None and (not finite or np.isfinite(arr).all()):
        return arr
    cells = [[row[j] for j in cols] for row in table.rows]
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

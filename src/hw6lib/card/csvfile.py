"""The Problem 2 data file, ``card_transdata.csv``: its columns and a validating loader.

The real file (1,000,000 rows, the Kaggle dataset "Credit Card Fraud" by Dhanush Narayanan R.) is
public but not shipped (:mod:`hw6lib.card.synthetic` draws a stand-in). :func:`load_card_csv`
reads either, checks every cell and reports the first problem in one line naming the file, the
line (1-based, the header is line 1, as a text editor counts) and the column, e.g.
``card_transdata.csv line 1207, column used_chip: value 2 is not 0 or 1``.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import os
import re
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from hw6lib.errors import InputError

#: Columns of the file, in order; the last is the label.
COLUMNS: tuple[str, ...] = (
    "distance_from_home",
    "distance_from_last_transaction",
    "ratio_to_median_purchase_price",
    "repeat_retailer",
    "used_chip",
    "used_pin_number",
    "online_order",
    "fraud",
)
#: The seven features, in file order.
FEATURES: tuple[str, ...] = COLUMNS[:-1]
#: The label.
LABEL: str = COLUMNS[-1]
#: Non-negative continuous columns (distances and a ratio).
CONTINUOUS: tuple[str, ...] = COLUMNS[:3]
#: Columns that must be 0 or 1 (``1.0``/``0.0`` accepted).
BINARY: tuple[str, ...] = COLUMNS[3:]
_CONTINUOUS_AT = [COLUMNS.index(c) for c in CONTINUOUS]
_BINARY_AT = [COLUMNS.index(c) for c in BINARY]


_NOUN = {
    "distance_from_home": "a distance",
    "distance_from_last_transaction": "a distance",
    "ratio_to_median_purchase_price": "a ratio",
}


def file_sha256(path: str | os.PathLike[str]) -> str:
    """SHA-256 of a file's bytes, as 64 hex digits."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _raw_line(path: str | os.PathLike[str], line: int) -> str:
    """Text of 1-based ``line`` (BOM and line end removed; ``""`` past the end)."""
    with open(path, encoding="utf-8-sig", errors="replace", newline=None) as f:
        for text in itertools.islice(f, line - 1, line):
            return text.rstrip("\r\n")
    return ""


#: Names pandas gives a saved index column (``to_csv`` without ``index=False``, or again after
#: reading such a file without ``index_col=0``).
INDEX_NAMES: tuple[str, ...] = ("", "Unnamed: 0", "index")


def _check_header(name: str, header: str) -> None:
    """Raise :class:`InputError` unless ``header`` names :data:`COLUMNS` in order."""
    got = [h.strip().strip('"').strip() for h in header.split(",")]
    want = list(COLUMNS)
    if got == want:
        return
    if got[1:] == want and got[0] in INDEX_NAMES:
        raise InputError(
            f"{name} line 1, column 1 ({got[0] or 'empty name'}): a saved pandas index, not "
            "data (DataFrame.to_csv without index=False); save the data again with "
            "to_csv(..., index=False), or read this copy with read_csv(..., index_col=0) first"
        )
    if not set(got) & set(want):
        raise InputError(
            f"{name} line 1: no header: expected {','.join(want)!r}, found {header[:80]!r}"
        )
    missing = [c for c in want if c not in got]
    if missing:
        raise InputError(
            f"{name} line 1, column {missing[0]}: missing from the header "
            f"(expected columns, in order: {', '.join(want)})"
        )
    for i, g in enumerate(got):
        if g not in want:
            raise InputError(
                f"{name} line 1, column {i + 1} ({g or 'empty name'}): unexpected extra column "
                f"(expected columns, in order: {', '.join(want)})"
            )
    for i, g in enumerate(got):
        if got.index(g) != i:
            raise InputError(f"{name} line 1, column {i + 1} ({g}): duplicate column")
    for i, (g, w) in enumerate(zip(got, want, strict=True)):
        if g != w:
            raise InputError(
                f"{name} line 1, column {i + 1}: found {g} where {w} belongs (columns reordered; "
                f"expected order: {', '.join(want)})"
            )
    raise AssertionError("unreachable: header mismatch not classified")  # pragma: no cover


def _describe(
    name: str, path: str | os.PathLike[str], row: int, col: int, value: float, n_rows: int
) -> str:
    """One-line message for the bad cell at data ``row`` (0-based) and column index ``col``."""
    line = row + 2
    column = COLUMNS[col]
    cells = _raw_line(path, line).split(",")
    raw = cells[col].strip() if col < len(cells) else ""
    where = f"{name} line {line}, column {column}"
    if raw == "":
        filled = [c for c in cells if c.strip() != ""]
        if not any(c.strip() for c in cells):
            return f"{where}: empty line (no values)"
        tail_empty = all(c.strip() == "" for c in cells[col:]) and len(filled) == col
        if row == n_rows - 1 and tail_empty:
            return (
                f"{where}: empty cell; the file is cut off mid-row (the last line has "
                f"{len(filled)} of {len(COLUMNS)} values)"
            )
        return f"{where}: empty cell"
    if not np.isfinite(value):
        return f"{where}: value {_clip(raw)!r} is not a finite number"
    if column in CONTINUOUS:
        return f"{where}: value {_clip(raw)} is negative ({_NOUN[column]} cannot be)"
    return f"{where}: value {_clip(raw)} is not 0 or 1"


#: Bytes that may make up a blank line.
_BLANK = b" \t\r\n"


def _data_end(path: str | os.PathLike[str], block: int = 1 << 16) -> int | None:
    """Byte offset where blank lines at the end of the file begin; ``None`` if there are none.

    Editors and some exports leave empty (or whitespace-only) lines after the last row; they
    are not data. Blank lines between rows are left alone (they are reported as errors).
    """
    with open(path, "rb") as f:
        size = f.seek(0, os.SEEK_END)
        pos, tail = size, b""
        while pos > 0:  # read backwards until a byte that is not blank
            start = max(0, pos - block)
            f.seek(start)
            tail = f.read(pos - start) + tail
            pos = start
            if tail.strip(_BLANK):
                break
    last = len(tail.rstrip(_BLANK)) - 1  # the last byte of data, in `tail`
    if last < 0:
        return None
    newline = tail.find(b"\n", last + 1)
    if newline < 0 or newline + 1 == len(tail):
        return None
    return pos + newline + 1


class _Prefix(io.RawIOBase):
    """The first ``limit`` bytes of a binary file, as a readable stream."""

    def __init__(self, f: io.BufferedReader, limit: int) -> None:
        self._f, self._left = f, limit

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        if self._left <= 0:
            return 0
        n = self._f.readinto(memoryview(b)[: min(len(b), self._left)]) or 0
        self._left -= n
        return n


def _read_csv(path: str | os.PathLike[str], end: int | None, **kwargs: Any) -> pd.DataFrame:
    """``pandas.read_csv`` of the file up to byte ``end`` (the whole file if ``None``)."""
    if end is None:
        return pd.read_csv(path, **kwargs)
    with open(path, "rb") as f, io.BufferedReader(_Prefix(f, end)) as head:
        return pd.read_csv(head, **kwargs)


def _long_row(name: str, path: str | os.PathLike[str]) -> InputError:
    """Return the error naming the first data row with more values than the header has columns."""
    with open(path, encoding="utf-8-sig", errors="replace", newline="") as f:
        next(f)
        for line_no, line in enumerate(f, start=2):
            count = line.count(",") + 1
            if count > len(COLUMNS):
                return InputError(
                    f"{name} line {line_no}, column {len(COLUMNS) + 1}: extra value "
                    f"(the row has {count:,} values, the header {len(COLUMNS)} columns)"
                )
    return InputError(f"{name}: a row has more values than the header has columns")


def _not_utf8(name: str, path: str | os.PathLike[str]) -> InputError:
    """Return the error naming the first line that is not UTF-8 and the column it starts in."""
    with open(path, "rb") as f:
        for line_no, line in enumerate(f, start=1):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError as err:
                field = line[: err.start].count(b",")
                column = COLUMNS[field] if field < len(COLUMNS) else str(field + 1)
                return InputError(
                    f"{name} line {line_no}, column {column}: byte 0x{line[err.start]:02x} is "
                    "not UTF-8 text; save the file as UTF-8"
                )
    return InputError(f"{name}: the file is not UTF-8 text; save it as UTF-8")


def _clip(text: str, limit: int = 40) -> str:
    """``text`` cut to ``limit`` characters (with its length) so that a message stays short."""
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text):,} characters)"


def _first_bad_cell(values: np.ndarray) -> tuple[int, int] | None:
    """Row and column of the first invalid cell in file order, or ``None``."""
    bad = ~np.isfinite(values)
    bad[:, _CONTINUOUS_AT] |= values[:, _CONTINUOUS_AT] < 0
    binary = values[:, _BINARY_AT]
    bad[:, _BINARY_AT] |= (binary != 0) & (binary != 1)
    if not bad.any():
        return None
    flat = int(np.flatnonzero(bad.ravel())[0])
    return divmod(flat, values.shape[1])


def _slow_first_problem(
    name: str, path: str | os.PathLike[str], err: Exception, end: int | None = None
) -> InputError:
    """Return the error naming the first problem in file order (the fast parse failed)."""
    raw = _read_csv(
        path,
        end,
        header=None,
        skiprows=1,
        names=list(COLUMNS),
        dtype=object,
        na_filter=False,
        skip_blank_lines=False,
        encoding="utf-8",
        engine="c",
        index_col=False,
    )
    values = np.empty(raw.shape, dtype=np.float64)
    non_numeric = np.zeros(raw.shape, dtype=bool)
    for j, col in enumerate(COLUMNS):
        text = raw[col].astype(str).str.strip()
        coerced = pd.to_numeric(text, errors="coerce").to_numpy(dtype=np.float64)
        # pandas' NA spellings (NaN, nan, NA, ...) parse to NaN and are reported as not finite.
        nan_word = text.str.lower().isin(["nan", "-nan", "na", "n/a", "null", "none", "<na>"])
        non_numeric[:, j] = np.isnan(coerced) & (text != "").to_numpy() & ~nan_word.to_numpy()
        values[:, j] = coerced
    cell = _first_bad_cell(values)
    if cell is None:
        return InputError(f"{name}: cannot read the file as numbers ({err})")
    row, j = cell
    if non_numeric[row, j]:
        text = str(raw.iat[row, j]).strip()
        where = f"{name} line {row + 2}, column {COLUMNS[j]}"
        if [str(v).strip() for v in raw.iloc[row]] == list(COLUMNS):
            return InputError(f"{where}: the header is repeated here (a second header line)")
        return InputError(f"{where}: value {_clip(text)!r} is not a number")
    return InputError(_describe(name, path, row, j, values[row, j], len(raw)))


def load_card_csv(
    path: str | os.PathLike[str], min_rows: int = 1, min_rows_reason: str = ""
) -> pd.DataFrame:
    r"""Read and validate ``card_transdata.csv`` (or a file in its format).

    Accepted: a UTF-8 byte-order mark, ``\n`` or ``\r\n`` line ends, binary values written
    ``1``/``0`` or ``1.0``/``0.0``, floats with any number of digits, blank lines after the
    last row. Rejected, with one line
    naming the file, the line (header = line 1) and the column of the first problem: an empty
    file or a header only; missing, extra, duplicate or reordered columns (a saved pandas index
    column is named as such); a blank line between rows; an empty cell or a
    short row (a file cut off mid-row is named as such); a non-numeric cell; NaN or infinity; a
    negative distance or ratio; a binary column or label other than 0/1; more values in a row
    than columns; fewer than ``min_rows`` data rows.

    Parameters
    ----------
    path : path-like
        The CSV file; messages name it as given.
    min_rows : int
        Least number of data rows accepted.
    min_rows_reason : str
        Why ``min_rows`` rows are needed, appended to that message (e.g. the config key).

    Returns
    -------
    pandas.DataFrame
        The columns of :data:`COLUMNS` in order, float64, one row per data line in file order.

    Raises
    ------
    InputError
        On the first problem found.
    """
    name = os.fspath(path)
    with open(path, "rb") as f:
        first = f.readline(1 << 16)
        second = f.readline(1 << 16)
    if not first:
        raise InputError(f"{name} line 1: the file is empty (expected the header and rows)")
    if first.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError(
            f"{name} line 1: the file is UTF-16 text; save it as UTF-8 (plain CSV) and retry"
        )
    if first.startswith(b"\x1f\x8b") or first.startswith(b"PK\x03\x04"):
        raise InputError(f"{name} line 1: the file is compressed (gzip or zip); unpack it first")
    if b"\x00" in first and not first.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError(f"{name} line 1: the file is binary (NUL bytes), not CSV text")
    try:
        header = first.decode("utf-8-sig").rstrip("\r\n")
    except UnicodeDecodeError:
        raise InputError(
            f"{name} line 1: the header is not UTF-8 text (a binary file, or another encoding?)"
        ) from None
    _check_header(name, header)
    if second.count(b",") >= len(COLUMNS):
        # pandas would drop the extra values of a long first row with a mere warning, and
        # takes minutes to do so for a very long one: report it at once
        raise _long_row(name, path)
    end = _data_end(path)
    try:
        with warnings.catch_warnings():
            # pandas warns (and drops values) when the first data row is longer than the
            # header: turn that into the error it is
            warnings.simplefilter("error", pd.errors.ParserWarning)
            frame = _read_csv(
                path,
                end,
                header=None,
                skiprows=1,
                names=list(COLUMNS),
                dtype=np.float64,
                skip_blank_lines=False,
                encoding="utf-8",
                engine="c",
                index_col=False,
            )
    except pd.errors.ParserWarning:
        raise _long_row(name, path) from None
    except pd.errors.ParserError as err:
        m = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(err))
        if m:
            raise InputError(
                f"{name} line {m.group(2)}, column {int(m.group(1)) + 1}: extra value "
                f"(the row has {m.group(3)} values, the header {m.group(1)} columns)"
            ) from None
        raise InputError(f"{name}: cannot parse the file ({str(err).strip()})") from None
    except UnicodeDecodeError:
        raise _not_utf8(name, path) from None
    except ValueError as err:
        raise _slow_first_problem(name, path, err, end) from None
    n_rows = len(frame)
    if n_rows == 0:
        raise InputError(f"{name} line 2: no data rows after the header")
    values = frame.to_numpy()
    cell = _first_bad_cell(values)
    if cell is not None:
        row, col = cell
        raise InputError(_describe(name, path, row, col, values[row, col], n_rows))
    if n_rows < min_rows:
        reason = f" ({min_rows_reason})" if min_rows_reason else ""
        raise InputError(
            f"{name} line {n_rows + 2}: the file ends after {n_rows:,} data rows; at least "
            f"{min_rows:,} are needed{reason}"
        )
    return frame


def describe_features(
    frame: pd.DataFrame, columns: Sequence[str] = COLUMNS
) -> list[dict[str, Any]]:
    """Summary statistics of each column, for the report's data table.

    Returns
    -------
    list of dict
        Per column: ``column``, ``kind`` (continuous/binary), ``mean``, ``sd``, ``min``,
        ``median``, ``max`` and, for continuous columns, ``log_mean`` and ``log_sd`` (of the
        positive values).
    """
    out = []
    for col in columns:
        v = frame[col].to_numpy(dtype=np.float64)
        rec: dict[str, Any] = {
            "column": col,
            "kind": "continuous" if col in CONTINUOUS else "binary",
            "mean": float(v.mean()),
            "sd": float(v.std()),
            "min": float(v.min()),
            "median": float(np.median(v)),
            "max": float(v.max()),
        }
        if col in CONTINUOUS:
            logs = np.log(v[v > 0])
            rec["log_mean"] = float(logs.mean()) if logs.size else None
            rec["log_sd"] = float(logs.std()) if logs.size else None
        out.append(rec)
    return out

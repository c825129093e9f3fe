"""Opening text inputs the same way in every reader.

A file is gzip-compressed when its first two bytes say so, whatever its name (``peaks.bed``
may be gzipped, ``genes.bed.gz`` may be plain text); a UTF-8 byte-order mark is dropped.
Gene accessions lose their version suffix with one rule (:func:`unversioned`).
"""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path
from typing import TextIO

import numpy as np
import pandas as pd

from hicexpr.lib.errors import InputError, first_line

GZIP_MAGIC = b"\x1f\x8b"
#: A number whose exponent has 10+ digits ("1e16739914952"): pandas 2.3's C float parser
#: (pd.to_numeric, read_csv's default converter) crashes the interpreter on it.
LONG_EXPONENT = r"[eE][+-]?\d{10,}"
#: read_csv's converter that parses numbers with Python's float (exact; no crash on
#: LONG_EXPONENT): pass as ``float_precision=`` wherever read_csv converts numbers itself.
SAFE_FLOAT_PRECISION = "round_trip"
_VERSIONED = r"^([A-Za-z]+_?\d+)\.\d+$"  # ENSG0001.5, ENSMUSG0001.2, NM_0001.2


def is_gzip(path: Path) -> bool:
    """True when ``path`` starts with the gzip magic bytes."""
    with open(path, "rb") as fh:
        return fh.read(2) == GZIP_MAGIC


def compression(path: Path) -> str | None:
    """The ``compression=`` argument for :func:`pandas.read_csv`, from the file's content."""
    return "gzip" if is_gzip(path) else None


#: What reading a truncated or corrupt gzip file raises: catch these, raise :func:`corrupt_gzip`.
GZIP_ERRORS = (EOFError, OSError, zlib.error)


def corrupt_gzip(path: Path | str, exc: BaseException) -> InputError:
    """The one-line error for a truncated or corrupt gzip file."""
    return InputError(path, "", "a complete gzip file", f"truncated or corrupt ({exc})"[:80])


def not_utf8(path: Path, exc: UnicodeDecodeError) -> InputError:
    """The one-line error for a file that is not UTF-8 text: its first undecodable line and
    byte (e.g. a Latin-1 accent in a gene name, a table saved by Excel as ANSI)."""
    opener = gzip.open if is_gzip(path) else open
    with opener(path, "rb") as fh:
        for number, raw in enumerate(fh, start=1):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError as bad:
                return InputError(path, f"line {number}", "UTF-8 text (save the file as UTF-8)",
                                  f"byte 0x{raw[bad.start]:02x}")
    return InputError(path, "", "UTF-8 text", first_line(exc))


def to_numbers(values: pd.Series, errors: str = "coerce") -> pd.Series:
    """:func:`pandas.to_numeric` that survives cells with a :data:`LONG_EXPONENT`: those are
    parsed by Python's ``float`` (``inf``, ``0.0``; not a number: NaN with ``errors="coerce"``,
    else ``ValueError``), every other cell by pandas."""
    if values.dtype == object or pd.api.types.is_string_dtype(values):
        text = values.astype(str)
        long = text.str.contains(LONG_EXPONENT, regex=True, na=False)
        if long.any():
            values = values.astype(object).copy()
            values[long] = [_python_float(t, errors) for t in text[long]]
    return pd.to_numeric(values, errors=errors)  # type: ignore[call-overload]


def finite_numbers(values: pd.Series) -> tuple[pd.Series, int | None]:
    """``values`` as numbers (:func:`to_numbers`) and the position of the first cell that is
    not a finite number (text, empty, ``inf``), or None when every cell is one."""
    numbers = to_numbers(values, errors="coerce")
    bad = np.flatnonzero(~np.isfinite(numbers.to_numpy(float)))
    return numbers, int(bad[0]) if bad.size else None


def _python_float(text: str, errors: str) -> float:
    try:
        return float(text.strip())
    except ValueError:
        if errors == "coerce":
            return float("nan")
        raise


def open_text(path: Path, errors: str = "strict") -> TextIO:
    """Open ``path`` for reading text (gzip by content, UTF-8, byte-order mark dropped).

    Args:
        errors: how undecodable bytes are handled (:func:`open`'s ``errors``).
    """
    if is_gzip(path):
        return gzip.open(path, "rt", encoding="utf-8-sig", errors=errors)
    return open(path, encoding="utf-8-sig", errors=errors)


def unversioned(ids: pd.Index | pd.Series) -> pd.Index:
    """Accessions without their version suffix (``ENSG0001.5`` -> ``ENSG0001``, ``NM_0001.2``
    -> ``NM_0001``); other ids (``RP11-34P13.7``, ``YAL001C``) unchanged."""
    return pd.Index(pd.Index(ids).astype(str).str.replace(_VERSIONED, r"\1", regex=True))

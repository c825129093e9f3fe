"""Opening text inputs the same way in every reader.

A file is gzip-compressed when its first two bytes say so, whatever its name (``peaks.bed``
may be gzipped, ``genes.bed.gz`` may be plain text); a UTF-8 byte-order mark is dropped.
Gene accessions lose their version suffix with one rule (:func:`unversioned`).
"""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import TextIO

import pandas as pd

GZIP_MAGIC = b"\x1f\x8b"
_VERSIONED = r"^([A-Za-z]+_?\d+)\.\d+$"  # ENSG0001.5, ENSMUSG0001.2, NM_0001.2


def is_gzip(path: Path) -> bool:
    """True when ``path`` starts with the gzip magic bytes."""
    with open(path, "rb") as fh:
        return fh.read(2) == GZIP_MAGIC


def compression(path: Path) -> str | None:
    """The ``compression=`` argument for :func:`pandas.read_csv`, from the file's content."""
    return "gzip" if is_gzip(path) else None


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

"""4DN ``.pairs`` files (``.pairs.gz``): a ``#`` header with ``#chromsize: CHROM LENGTH`` lines
(and optionally ``#columns:`` and ``#genome_assembly:``), then one tab-separated line per read
pair, ``readID chr1 pos1 chr2 pos2 ...`` with 1-based positions.

Only parsing and validation live here; :mod:`hicexpr.io.contacts` bins the pairs into a
``.cool`` with cooler's own record binner.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from hicexpr.io.text import GZIP_ERRORS, compression, corrupt_gzip, finite_numbers, open_text
from hicexpr.lib.errors import InputError

PAIRS_SUFFIXES = (".pairs", ".pairs.gz")
PAIRS_CHUNK_ROWS = 1_000_000  # pairs parsed at a time: memory stays bounded
UNMAPPED = "!"  # pairtools' chromosome of an unmapped side: such pairs are skipped
_FIELDS = ("chr1", "pos1", "chr2", "pos2")
_DEFAULT_COLUMNS = {"chr1": 1, "pos1": 2, "chr2": 3, "pos2": 4}  # after readID


@dataclass(frozen=True)
class PairsHeader:
    """What the header says: its number of lines, chromosome lengths (in header order), the
    column of each of ``chr1 pos1 chr2 pos2`` and the assembly (``#genome_assembly:``)."""

    lines: int
    chromsizes: pd.Series
    columns: dict[str, int]
    assembly: str | None


def has_pairs_name(path: Path) -> bool:
    return path.name.lower().endswith(PAIRS_SUFFIXES)


def read_header(path: Path) -> PairsHeader:
    """Parse the ``#`` lines at the top of a pairs file; refuse one without chromsizes."""
    sizes: dict[str, int] = {}
    columns, assembly, lines = dict(_DEFAULT_COLUMNS), None, 0
    try:
        with open_text(path) as fh:
            for line in fh:
                if not line.startswith("#"):
                    break
                lines += 1
                key, _, value = line[1:].partition(":")
                if key == "chromsize":
                    chrom, length = _chromsize(path, lines, value)
                    sizes[chrom] = length
                elif key == "columns":
                    columns = _columns(path, lines, value.split())
                elif key == "genome_assembly":
                    assembly = value.strip() or None
    except GZIP_ERRORS as exc:
        raise corrupt_gzip(path, exc) from None
    except UnicodeDecodeError as exc:
        raise InputError(path, "", "a UTF-8 text .pairs file", str(exc)[:60]) from None
    if not sizes:
        raise InputError(path, "header", "#chromsize: CHROM LENGTH lines (4DN pairs header)",
                         "none")
    return PairsHeader(lines, pd.Series(sizes, dtype="int64"), columns, assembly)


def _chromsize(path: Path, line: int, value: str) -> tuple[str, int]:
    cells = value.split()
    if len(cells) != 2 or not cells[1].isdigit() or int(cells[1]) <= 0:
        raise InputError(path, f"line {line}", "#chromsize: CHROM LENGTH (a positive integer)",
                         value.strip())
    return cells[0], int(cells[1])


def _columns(path: Path, line: int, names: list[str]) -> dict[str, int]:
    missing = [f for f in _FIELDS if f not in names]
    if missing:
        raise InputError(path, f"line {line}", "#columns: naming chr1 pos1 chr2 pos2",
                         f"no {', '.join(missing)}")
    return {f: names.index(f) for f in _FIELDS}


def pair_chunks(path: Path, header: PairsHeader,
                chunksize: int | None = None) -> Iterator[pd.DataFrame]:
    """Checked ``chrom1, pos1, chrom2, pos2`` chunks (1-based positions within the header's
    chromosome lengths; pairs with an unmapped side ``!`` left out)."""
    order = sorted(_FIELDS, key=header.columns.__getitem__)
    try:
        for df in pd.read_csv(path, sep="\t", header=None, dtype=str, keep_default_na=False,
                              skiprows=header.lines, compression=compression(path),
                              usecols=[header.columns[f] for f in order],
                              chunksize=chunksize or PAIRS_CHUNK_ROWS):
            df.columns = order  # the index runs on over chunks: line = header + index + 1
            yield _checked_chunk(path, df, header.lines, header.chromsizes)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
        if isinstance(exc, InputError):
            raise
        raise InputError(path, "", "tab-separated pairs: readID chr1 pos1 chr2 pos2 ...",
                         str(exc)[:60]) from None
    except GZIP_ERRORS as exc:
        raise corrupt_gzip(path, exc) from None


def _checked_chunk(path: Path, df: pd.DataFrame, offset: int,
                   chromsizes: pd.Series) -> pd.DataFrame:
    df = df[(df["chr1"] != UNMAPPED) & (df["chr2"] != UNMAPPED)]
    out = {}
    for side in ("1", "2"):
        chroms = df[f"chr{side}"]
        unknown = np.flatnonzero(~chroms.isin(chromsizes.index).to_numpy())
        if unknown.size:
            i = int(unknown[0])
            raise InputError(path, f"line {offset + df.index[i] + 1}", f"a chromosome with a "
                             f"#chromsize line in column chr{side}", chroms.iloc[i])
        pos, bad = finite_numbers(df[f"pos{side}"])
        values = pos.to_numpy(float)
        limit = chromsizes.reindex(chroms).to_numpy(float)
        wrong = np.flatnonzero((values % 1 != 0) | (values < 1) | (values > limit)) \
            if bad is None else np.array([bad])
        if wrong.size:
            i = int(wrong[0])
            raise InputError(path, f"line {offset + df.index[i] + 1}", f"a 1-based position "
                             f"within {chroms.iloc[i]} in column pos{side}",
                             df[f"pos{side}"].iloc[i])
        out[f"chrom{side}"] = chroms.to_numpy()
        out[f"pos{side}"] = values.astype(np.int64)
    return pd.DataFrame(out)


__all__ = ["PAIRS_CHUNK_ROWS", "PAIRS_SUFFIXES", "PairsHeader", "has_pairs_name", "pair_chunks",
           "read_header"]

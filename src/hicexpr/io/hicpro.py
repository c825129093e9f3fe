"""HiC-Pro contact maps: a sparse ``<sample>_<res>.matrix`` (``bin_i bin_j count``, 1-based bin
ids, upper triangle; ``_iced.matrix`` when ICE-normalised) and its bins file
``<sample>_<res>_abs.bed`` (``chrom start end bin_id``).

Only parsing and validation live here; :mod:`hicexpr.io.contacts` writes the ``.cool``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from hicexpr.io.text import GZIP_ERRORS, compression, corrupt_gzip, finite_numbers, open_text
from hicexpr.lib.errors import InputError

HICPRO_SUFFIXES = (".matrix", ".matrix.gz")
HICPRO_CHUNK_ROWS = 250_000  # matrix lines parsed at a time: memory stays bounded
_MATRIX_EXPECTED = "3 columns: bin_i bin_j count (HiC-Pro sparse matrix)"
_BED_EXPECTED = "4 columns: chrom start end bin_id (HiC-Pro _abs.bed)"
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


def has_matrix_name(path: Path) -> bool:
    """Whether the file is named like a HiC-Pro matrix (``.matrix`` / ``.matrix.gz``)."""
    return path.name.lower().endswith(HICPRO_SUFFIXES)


def matrix_stem(path: Path) -> str:
    """``sample_1000000`` for ``sample_1000000.matrix`` and ``sample_1000000_iced.matrix``."""
    name = re.sub(r"\.matrix(\.gz)?$", "", path.name, flags=re.IGNORECASE)
    return re.sub(r"_iced$", "", name)


def is_iced_name(path: Path) -> bool:
    """Whether HiC-Pro named the matrix as ICE-normalised (``*_iced.matrix``)."""
    return re.search(r"_iced\.matrix(\.gz)?$", path.name, flags=re.IGNORECASE) is not None


def sibling_bins(matrix: Path) -> Path | None:
    """The matrix's ``<stem>_abs.bed``: next to it, or (for HiC-Pro's ``iced/<res>/`` folder)
    in the matching ``raw/<res>/`` folder; None when there is none."""
    name = f"{matrix_stem(matrix)}_abs.bed"
    folder = matrix.parent
    candidates = [folder / name, folder.parent.parent / "raw" / folder.name / name]
    return next((c for c in candidates if c.is_file()), None)


def looks_sparse(matrix: Path) -> bool:
    """Whether the first data line is three numbers (HiC-Pro), not a labelled dense row."""
    try:
        with open_text(matrix, errors="replace") as fh:
            for line in fh:
                if line.strip():
                    cells = line.split()
                    return len(cells) == 3 and all(_NUMBER.match(c) for c in cells)
    except GZIP_ERRORS:
        return False  # the reader of either format reports it
    return False


def resolve_bins(matrix: Path, bins: str | os.PathLike[str] | None) -> Path:
    """The bins file of a HiC-Pro matrix: ``bins`` when given, else :func:`sibling_bins`."""
    if bins is not None:
        path = Path(bins)
        if not path.is_file():
            raise InputError(path, "", "an existing HiC-Pro bins file (_abs.bed)", "no such file")
        return path
    found = sibling_bins(matrix)
    if found is None:
        raise InputError(matrix, "bins file", f"{matrix_stem(matrix)}_abs.bed next to the "
                         "HiC-Pro matrix, or --bins BED", "none")
    return found


def read_bins(bed: Path) -> pd.DataFrame:
    """``chrom, start, end`` of a HiC-Pro bins file, checked: bin ids 1, 2, 3... in line order
    and bins tiling each chromosome from 0 (start = previous bin's end), one block of lines per
    chromosome."""
    try:
        df = pd.read_csv(bed, sep=r"\s+", header=None, dtype=str, compression=compression(bed),
                         keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InputError(bed, "", _BED_EXPECTED, str(exc)[:60]) from None
    except GZIP_ERRORS as exc:
        raise corrupt_gzip(bed, exc) from None
    if df.shape[1] != 4:
        raise InputError(bed, "line 1", _BED_EXPECTED, f"{df.shape[1]} columns")
    df.columns = ["chrom", "start", "end", "bin_id"]
    numbers = {col: _integers(bed, df[col], col) for col in ("start", "end", "bin_id")}
    _check_ids(bed, numbers["bin_id"])
    _check_tiling(bed, df["chrom"].to_numpy(str), numbers["start"], numbers["end"])
    return pd.DataFrame({"chrom": df["chrom"].astype(str), "start": numbers["start"],
                         "end": numbers["end"]})


def _integers(file: Path, values: pd.Series, column: str, offset: int = 0) -> np.ndarray:
    """``values`` as int64; an InputError at the first cell that is not a whole number."""
    numbers, bad = finite_numbers(values)
    array = numbers.to_numpy(float)
    if bad is None:
        fractional = np.flatnonzero(array % 1 != 0)
        bad = int(fractional[0]) if fractional.size else None
    if bad is not None:
        raise InputError(file, f"line {offset + bad + 1}", f"a whole number in column {column}",
                         values.iloc[bad])
    return array.astype(np.int64)


def _check_ids(bed: Path, ids: np.ndarray) -> None:
    wrong = np.flatnonzero(ids != np.arange(1, len(ids) + 1))
    if wrong.size:
        i = int(wrong[0])
        raise InputError(bed, f"line {i + 1}", f"bin id {i + 1} (ids 1, 2, 3... in line order)",
                         int(ids[i]))


def _check_tiling(bed: Path, chroms: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> None:
    new_chrom = np.r_[True, chroms[1:] != chroms[:-1]]
    firsts = chroms[new_chrom]
    seen: set[str] = set()
    for line, chrom in zip(np.flatnonzero(new_chrom), firsts, strict=True):
        if chrom in seen:
            raise InputError(bed, f"line {line + 1}", f"the bins of {chrom} in one block of "
                             "lines (sorted bins)", f"{chrom} again")
        seen.add(chrom)
    expected_start = np.where(new_chrom, 0, np.r_[0, ends[:-1]])
    bad = np.flatnonzero((starts != expected_start) | (ends <= starts))
    if bad.size:
        i = int(bad[0])
        raise InputError(bed, f"line {i + 1}", f"bins tiling {chroms[i]} from 0 in order "
                         f"(start = previous end {expected_start[i]}, end > start; no overlap "
                         "or gap)", f"{starts[i]}-{ends[i]}")


def matrix_chunks(matrix: Path, n_bins: int, bed: Path,
                  chunksize: int | None = None) -> Iterator[pd.DataFrame]:
    """Checked ``bin1_id, bin2_id`` (0-based) and ``count`` chunks of a HiC-Pro matrix: ids are
    whole numbers in the bins file (1..``n_bins``) with ``bin_i <= bin_j``, counts finite."""
    first = 0
    try:
        for df in pd.read_csv(matrix, sep=r"\s+", header=None, dtype=str, keep_default_na=False,
                              compression=compression(matrix),
                              chunksize=chunksize or HICPRO_CHUNK_ROWS):
            yield _checked_chunk(df, first, matrix, n_bins, bed)
            first += len(df)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InputError(matrix, "", _MATRIX_EXPECTED, str(exc)[:60]) from None
    except GZIP_ERRORS as exc:
        raise corrupt_gzip(matrix, exc) from None


def _checked_chunk(df: pd.DataFrame, first: int, matrix: Path, n_bins: int,
                   bed: Path) -> pd.DataFrame:
    if df.shape[1] != 3:
        raise InputError(matrix, f"line {first + 1}", _MATRIX_EXPECTED, f"{df.shape[1]} columns")
    ids = [_integers(matrix, df[col], name, first) for col, name in ((0, "bin_i"), (1, "bin_j"))]
    for values, name in zip(ids, ("bin_i", "bin_j"), strict=True):
        outside = np.flatnonzero((values < 1) | (values > n_bins))
        if outside.size:
            i = int(outside[0])
            raise InputError(matrix, f"line {first + i + 1}", f"a {name} of {bed.name} "
                             f"(1..{n_bins})", int(values[i]))
    lower = np.flatnonzero(ids[0] > ids[1])
    if lower.size:
        i = int(lower[0])
        raise InputError(matrix, f"line {first + i + 1}", "bin_i <= bin_j (HiC-Pro's upper "
                         "triangle)", f"{ids[0][i]} > {ids[1][i]}")
    counts, bad = finite_numbers(df[2])
    if bad is not None:
        raise InputError(matrix, f"line {first + bad + 1}", "a finite number in column count",
                         df[2].iloc[bad])
    return pd.DataFrame({"bin1_id": ids[0] - 1, "bin2_id": ids[1] - 1,
                         "count": counts.to_numpy(np.float64)})


__all__ = ["HICPRO_CHUNK_ROWS", "HICPRO_SUFFIXES", "has_matrix_name", "is_iced_name",
           "looks_sparse", "matrix_chunks", "matrix_stem", "read_bins", "resolve_bins",
           "sibling_bins"]

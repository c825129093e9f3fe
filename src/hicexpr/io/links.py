"""Readers for 3D link lists: HiCCUPS loop lists (BEDPE) and BENGI-style enhancer-gene links.

Both return interval tables with bioframe-style column names and ``chr``-prefixed chromosomes.
"""

from __future__ import annotations

import gzip
import os
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hicexpr.io.text import SAFE_FLOAT_PRECISION, compression, finite_numbers, to_numbers
from hicexpr.io.tracks import harmonise_chrom
from hicexpr.lib.errors import InputError, first_line

PathLike = str | os.PathLike[str]

LOOP_COLUMNS = ["chrom1", "start1", "end1", "chrom2", "start2", "end2", "count"]
LINK_COLUMNS = ["chrom", "start", "end", "gene_id", "gene_chrom", "tss", "weight"]


def _read_tsv(path: Path, **kwargs: Any) -> pd.DataFrame:
    if not path.is_file():
        raise InputError(path, "", "an existing file", "not found")
    try:
        return pd.read_csv(path, sep="\t", compression=compression(path),
                           float_precision=SAFE_FLOAT_PRECISION, **kwargs)
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise InputError(path, "", "a complete gzip file", f"corrupt gzip ({exc})") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InputError(path, "", "a tab-separated table", first_line(exc)) from None


def _as_int(df: pd.DataFrame, col: int, path: Path) -> np.ndarray:
    """Column ``col`` (0-based) of a header-less table whose index is the file's row (0-based)
    as integers; InputError naming the line and column of the first cell that is not one."""
    vals, bad = finite_numbers(df[col])
    if bad is not None:
        raise InputError(path, _place(df, bad, col), "a finite number", df[col].iloc[bad])
    return vals.to_numpy().astype(np.int64)


def _place(df: pd.DataFrame, row: int, col: int) -> str:
    """``line L, column C`` (1-based, in the file) of the cell at position ``row`` of ``df``."""
    return f"line {int(df.index[row]) + 1}, column {col + 1}"


def read_loops(path: PathLike) -> pd.DataFrame:
    """Read a HiCCUPS loop list / BEDPE: ``chrom1, start1, end1, chrom2, start2, end2, count``.

    ``count`` is the HiCCUPS observed count (column ``o``) when present, else 1.
    A header line (``chr1 x1 x2 chr2 y1 y2 ...``) is optional.
    """
    file = Path(path)
    df = _read_tsv(file, header=None, dtype=str, comment=None)
    if df.shape[1] < 6:
        raise InputError(file, "line 1", "at least 6 BEDPE columns", f"{df.shape[1]}")
    header = df.iloc[0].tolist()
    has_header = not str(header[1]).replace(".", "", 1).isdigit()
    names = [str(h) for h in header] if has_header else []
    body = df.iloc[1:] if has_header else df
    body = body[~body[0].astype(str).str.startswith("#")]  # index: the file's row
    if body.empty:
        raise InputError(file, "", "at least one loop", "no rows")
    out = pd.DataFrame({
        "chrom1": harmonise_chrom(body[0]).to_numpy(),
        "start1": _as_int(body, 1, file), "end1": _as_int(body, 2, file),
        "chrom2": harmonise_chrom(body[3]).to_numpy(),
        "start2": _as_int(body, 4, file), "end2": _as_int(body, 5, file),
    })
    if "o" in names:
        out["count"] = to_numbers(body[names.index("o")], errors="coerce").fillna(1.0).to_numpy()
    else:
        out["count"] = 1.0
    return out


def read_bengi(path: PathLike, positives_only: bool = True) -> pd.DataFrame:
    """Read a BENGI enhancer-gene link table (one link per row).

    Columns in the file: 1 = label (1 positive), 3-5 = enhancer ``chrom, start, end``,
    10 = gene locus ``chrN:tss-tss+1|cell|ENSG...version|ENST...|strand``.

    Returns:
        ``chrom, start, end`` (the enhancer), ``gene_id`` (Ensembl id without version),
        ``gene_chrom``, ``tss``, ``weight`` (1.0), one row per distinct enhancer-gene pair.
    """
    file = Path(path)
    df = _read_tsv(file, header=None, dtype=str)
    if df.shape[1] < 10:
        raise InputError(file, "line 1", "at least 10 BENGI columns", f"{df.shape[1]}")
    if positives_only:
        df = df[df[0].astype(str).str.strip() == "1"]  # index: the file's row
    if df.empty:
        raise InputError(file, "column 1", "at least one positive link (label 1)", "none")
    locus = df[9].astype(str).str.split("|", expand=True)
    bad = np.flatnonzero(locus.reindex(columns=[0, 1, 2]).isna().any(axis=1).to_numpy())
    if bad.size:
        raise InputError(file, _place(df, bad[0], 9), "chrN:pos-pos|cell|ENSG...|...",
                         df[9].iloc[bad[0]])
    pos = locus[0].str.extract(r"^(?P<chrom>[^:]+):(?P<tss>\d+)-\d+$")
    bad = np.flatnonzero(pos["tss"].isna().to_numpy())
    if bad.size:
        raise InputError(file, _place(df, bad[0], 9), "chrN:start-end|...",
                         df[9].iloc[bad[0]])
    out = pd.DataFrame({
        "chrom": harmonise_chrom(df[2]).to_numpy(),
        "start": _as_int(df, 3, file), "end": _as_int(df, 4, file),
        "gene_id": locus[2].str.split(".").str[0].to_numpy(),
        "gene_chrom": harmonise_chrom(pos["chrom"]).to_numpy(),
        "tss": pos["tss"].astype(np.int64).to_numpy(),
        "weight": 1.0,
    })
    return out.drop_duplicates(["chrom", "start", "end", "gene_id"]).reset_index(drop=True)

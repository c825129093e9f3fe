"""Write feature tables as genome-browser tracks: bedGraph, BED and BEDPE (atomic writes)."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from hicexpr.lib.atomic import atomic_path


def write_bedgraph(path: str | os.PathLike[str], table: pd.DataFrame, column: str,
                   name: str | None = None) -> Path:
    """``chrom start end value`` for rows where ``column`` is not NaN, with a track line."""
    df = table.loc[table[column].notna(), ["chrom", "start", "end", column]]
    header = f'track type=bedGraph name="{name or column}"\n'
    return _write(path, header, df)


def write_bed(path: str | os.PathLike[str], table: pd.DataFrame, name_col: str) -> Path:
    """BED4 ``chrom start end name``."""
    return _write(path, "", table[["chrom", "start", "end", name_col]])


def write_bedpe(path: str | os.PathLike[str], pairs: pd.DataFrame, bins: pd.DataFrame,
                extra: list[str] | None = None) -> Path:
    """BEDPE of gene pairs: bin coordinates of both genes, then ``gene1, gene2`` and ``extra``.

    Args:
        bins: the map's bin table (``clr.bins()[:]``) to turn bin ids into coordinates.
    """
    b = bins[["chrom", "start", "end"]]
    left = b.iloc[pairs["bin1"].to_numpy()].reset_index(drop=True).add_suffix("1")
    right = b.iloc[pairs["bin2"].to_numpy()].reset_index(drop=True).add_suffix("2")
    cols = ["gene1", "gene2", *(extra or [])]
    df = pd.concat([left, right, pairs[cols].reset_index(drop=True)], axis=1)
    header = "#" + "\t".join(df.columns) + "\n"
    return _write(path, header, df)


def _write(path: str | os.PathLike[str], header: str, df: pd.DataFrame) -> Path:
    with atomic_path(path) as tmp:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(header)
            df.to_csv(fh, sep="\t", header=False, index=False, na_rep="NA")
    return Path(path)

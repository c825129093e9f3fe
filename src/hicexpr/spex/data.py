"""Inputs for SpEx: gene tables and expression tables (gene x sample, e.g. Roadmap RPKM)."""

from __future__ import annotations

import gzip
import os
import zlib
from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd

from hicexpr.io.tracks import harmonise_chrom
from hicexpr.lib.errors import InputError

PathLike = str | os.PathLike[str]
GENE_COLUMNS = ["chrom", "start", "end", "gene_id", "symbol", "strand", "tss"]


def strip_version(ids: pd.Series | pd.Index) -> pd.Series:
    """Ensembl ids without their version suffix (``ENSG0001.5`` -> ``ENSG0001``)."""
    return pd.Series(ids, dtype=str).str.split(".").str[0]


def read_expression_table(path: PathLike, id_column: str | None = None) -> ad.AnnData:
    """Read a gene x sample expression table (TSV, gzip ok; e.g. ``57epigenomes.RPKM.pc.gz``).

    Returns:
        AnnData with ``obs`` = samples (columns of the file), ``var`` = genes (index = gene id
        without version), ``X`` = expression (sample x gene, float32),
        ``uns["provenance"]`` = the source path.
    """
    file = Path(path)
    if not file.is_file():
        raise InputError(file, "", "an existing expression table", "not found")
    try:
        df = pd.read_csv(file, sep="\t", compression="infer", index_col=False)
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise InputError(file, "", "a complete gzip file", f"corrupt gzip ({exc})") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InputError(file, "", "a tab-separated gene x sample table",
                         str(exc).splitlines()[0]) from None
    id_col = id_column or df.columns[0]
    if id_col not in df.columns:
        raise InputError(file, "header", f"a column '{id_col}'", list(df.columns)[:5])
    values = df.drop(columns=[id_col]).apply(pd.to_numeric, errors="coerce")
    bad_rows, bad_cols = np.nonzero(values.isna().to_numpy())
    if bad_rows.size:
        col = values.columns[bad_cols[0]]
        raise InputError(file, f"line {bad_rows[0] + 2}, column '{col}'", "a number",
                         df[col].iloc[bad_rows[0]])
    levels = values.to_numpy(dtype=np.float64)
    bad_rows, bad_cols = np.nonzero(~np.isfinite(levels) | (levels < 0))
    if bad_rows.size:  # levels are log-transformed: negative or infinite values are errors
        col = values.columns[bad_cols[0]]
        raise InputError(file, f"line {bad_rows[0] + 2}, column '{col}'",
                         "a finite, non-negative expression level", str(df[col].iloc[bad_rows[0]]))
    ids = strip_version(df[id_col]).to_numpy()
    keep = ~pd.Series(ids).duplicated().to_numpy()
    adata = ad.AnnData(
        X=values.to_numpy(dtype=np.float32)[keep].T,
        obs=pd.DataFrame(index=pd.Index(values.columns.astype(str), name="sample")),
        var=pd.DataFrame(index=pd.Index(ids[keep], name="gene_id")),
    )
    adata.uns["provenance"] = {"source": str(file)}
    return adata


def read_gene_table(path: PathLike) -> pd.DataFrame:
    """Gene table ``chrom, start, end, gene_id, symbol, strand, tss`` (see docs/run_folder.md).

    Uses :func:`hicexpr.io.genes.read_genes` when available; otherwise reads a BED6+ file with
    the Ensembl id in column 7 when present (CollapsedGeneBounds), else the name (column 4).
    Version suffixes are removed (``ENSG0001.5`` -> ``ENSG0001``), as in the expression reader.
    """
    try:
        from hicexpr.io.genes import read_genes
    except ImportError:
        return _read_gene_bed(Path(path))
    genes = read_genes(path)
    genes["gene_id"] = genes["gene_id"].astype(str).str.replace(r"\.\d+$", "", regex=True)
    return genes.drop_duplicates("gene_id").reset_index(drop=True)


def _read_gene_bed(file: Path) -> pd.DataFrame:
    if not file.is_file():
        raise InputError(file, "", "an existing gene BED file", "not found")
    df = pd.read_csv(file, sep="\t", header=None, comment="#", dtype=str)
    if df.shape[1] < 6:
        raise InputError(file, "line 1", "BED6 (chrom, start, end, name, score, strand)",
                         f"{df.shape[1]} columns")
    start = pd.to_numeric(df[1], errors="coerce")
    end = pd.to_numeric(df[2], errors="coerce")
    bad = np.flatnonzero((start.isna() | end.isna()).to_numpy())
    if bad.size:
        raise InputError(file, f"row {bad[0] + 1}", "integer start and end", df[1].iloc[bad[0]])
    strand = df[5].astype(str)
    bad = np.flatnonzero(~strand.isin(["+", "-"]).to_numpy())
    if bad.size:
        raise InputError(file, f"row {bad[0] + 1}, column 6", "strand '+' or '-'",
                         strand.iloc[bad[0]])
    gene_id = strip_version(df[6]) if df.shape[1] >= 7 else df[3].astype(str)
    out = pd.DataFrame({
        "chrom": harmonise_chrom(df[0]).to_numpy(),
        "start": start.astype(np.int64).to_numpy(),
        "end": end.astype(np.int64).to_numpy(),
        "gene_id": gene_id.to_numpy(),
        "symbol": df[3].astype(str).to_numpy(),
        "strand": strand.to_numpy(),
    })
    out["tss"] = np.where(out["strand"] == "+", out["start"], out["end"] - 1)
    return out[GENE_COLUMNS]


def align_genes(genes: pd.DataFrame, expression: ad.AnnData,
                chroms: list[str] | None = None) -> tuple[pd.DataFrame, ad.AnnData]:
    """Keep genes present in both tables (first row per id), sorted by chromosome and TSS.

    Raises:
        InputError: when fewer than 10 ids are shared (usually an id-type mismatch).
    """
    g = genes.drop_duplicates("gene_id")
    g = g[g["gene_id"].isin(expression.var_names)]
    if chroms is not None:
        g = g[g["chrom"].isin(chroms)]
    if len(g) < 10:
        raise InputError("genes/expression", "gene ids", "at least 10 ids shared by both tables",
                         f"{len(g)} (genes: {genes['gene_id'].iloc[0]}, expression: "
                         f"{expression.var_names[0]})")
    g = g.sort_values(["chrom", "tss"]).reset_index(drop=True)
    return g, expression[:, g["gene_id"].to_numpy()].copy()

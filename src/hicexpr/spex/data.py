"""Inputs for SpEx: gene tables and expression tables (gene x sample, e.g. Roadmap RPKM)."""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd

from hicexpr.io.expression import read_gene_matrix
from hicexpr.io.genes import read_genes
from hicexpr.io.text import unversioned
from hicexpr.io.tracks import harmonise_chrom
from hicexpr.lib.errors import InputError

log = logging.getLogger(__name__)
PathLike = str | os.PathLike[str]


def read_expression_table(path: PathLike, samples: Sequence[str] | None = None) -> ad.AnnData:
    """Read a gene x sample expression table (e.g. ``57epigenomes.RPKM.pc.gz``).

    Any layout :func:`hicexpr.io.expression.read_gene_matrix` reads: TSV or CSV (``.gz`` ok),
    R's header without an id cell, ``.h5ad`` (obs = samples). Genes with a missing value are
    dropped (logged); ids that repeat once their version is removed keep their first row
    (logged). With ``samples``, only those columns are read, so other columns (symbols,
    transcript lists, lengths as in RSEM's ``genes.results``) may hold anything.

    Returns:
        AnnData with ``obs`` = samples (columns of the file), ``var`` = genes (index = gene id
        without version), ``X`` = expression (sample x gene, float32),
        ``uns["provenance"]`` = the source path.
    """
    file = Path(path)
    frame = read_gene_matrix(file, samples)
    levels = frame.to_numpy(dtype=np.float64)
    bad_rows, bad_cols = np.nonzero(levels < 0)
    if bad_rows.size:  # levels are log-transformed: negative values are errors
        col = frame.columns[bad_cols[0]]
        raise InputError(file, _place(file, frame.index, bad_rows[0], col),
                         "a finite, non-negative expression level",
                         format(levels[bad_rows[0], bad_cols[0]], "g"))
    complete = ~np.isnan(levels).any(axis=1)
    if not complete.all():
        log.warning("%s: %d of %d genes have a missing value: dropped", file.name,
                    int((~complete).sum()), len(complete))
    ids = unversioned(frame.index).to_numpy()
    keep = complete & ~pd.Series(ids).duplicated().to_numpy()
    repeated = int((complete & ~keep).sum())
    if repeated:
        log.warning("%s: %d gene ids repeat an earlier id once the version is removed: "
                    "first row kept", file.name, repeated)
    if not keep.any():
        raise InputError(file, "", "at least one gene with a value in every sample", "none")
    adata = ad.AnnData(
        X=levels[keep].astype(np.float32).T,
        obs=pd.DataFrame(index=pd.Index(frame.columns.astype(str), name="sample")),
        var=pd.DataFrame(index=pd.Index(ids[keep], name="gene_id")),
    )
    adata.uns["provenance"] = {"source": str(file)}
    return adata


def _place(file: Path, ids: pd.Index, row: int, column: str) -> str:
    if file.name.endswith(".h5ad"):
        return f"gene '{ids[row]}', sample '{column}'"
    return f"line {row + 2}, column '{column}'"


def read_gene_table(path: PathLike) -> pd.DataFrame:
    """Gene table ``chrom, start, end, gene_id, symbol, strand, tss`` (see docs/run_folder.md)
    read by :func:`hicexpr.io.genes.read_genes` (BED, GTF, GFF3, SGD), first row per id.

    Version suffixes are removed (``ENSG0001.5`` -> ``ENSG0001``), as in the expression reader;
    chromosome names get the ``chr`` prefix the track and loop readers give theirs (``1`` ->
    ``chr1``).
    """
    genes = read_genes(path)
    genes["gene_id"] = unversioned(genes["gene_id"]).to_numpy()
    genes["chrom"] = harmonise_chrom(genes["chrom"]).to_numpy()
    return genes.drop_duplicates("gene_id").reset_index(drop=True)


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
        raise InputError("genes/expression", "gene ids", "at least 10 ids shared by both tables"
                         f"{_symbol_hint(genes, expression)}",
                         f"{len(g)} (genes: {genes['gene_id'].iloc[0]}, expression: "
                         f"{expression.var_names[0]})")
    log.info("%d genes in both tables (gene table: %d, expression: %d)", len(g),
             genes["gene_id"].nunique(), expression.n_vars)
    g = g.sort_values(["chrom", "tss"]).reset_index(drop=True)
    return g, expression[:, g["gene_id"].to_numpy()].copy()


def _symbol_hint(genes: pd.DataFrame, expression: ad.AnnData) -> str:
    """A hint when the expression names genes by the gene table's symbols, not its ids."""
    if "symbol" not in genes.columns:
        return ""
    n = int(pd.Index(expression.var_names).isin(genes["symbol"].astype(str)).sum())
    if n < 10:
        return ""
    return (f"; the expression names {n} genes by their symbol: use one kind of id in both "
            "tables, e.g. a BED6 gene table with symbols as names")

"""Genes -> bins of a contact map; bins with data ("coverage"), computed in chunks."""

from __future__ import annotations

import logging

import cooler
import numpy as np
import pandas as pd

from hicexpr.io.chroms import harmonise_chroms
from hicexpr.lib.errors import InputError

log = logging.getLogger(__name__)

_CHUNK = 2_000_000
_COVERAGE_CACHE: dict[tuple[str, int], np.ndarray] = {}


def bin_coverage(clr: cooler.Cooler, chunksize: int = _CHUNK) -> np.ndarray:
    """Raw contact marginal of every bin (sum over its row and column), pixel chunks at a time."""
    key = (clr.uri, int(clr.info.get("nnz", 0)))
    if key in _COVERAGE_CACHE:
        return _COVERAGE_CACHE[key]
    n = int(clr.info["nbins"])
    total = np.zeros(n, dtype=np.float64)
    nnz = int(clr.info["nnz"])
    pixels = clr.pixels()
    for lo in range(0, nnz, chunksize):
        chunk = pixels[lo:min(lo + chunksize, nnz)]
        count = chunk["count"].to_numpy(np.float64)
        total += np.bincount(chunk["bin1_id"].to_numpy(), weights=count, minlength=n)
        offdiag = chunk["bin1_id"].to_numpy() != chunk["bin2_id"].to_numpy()
        total += np.bincount(chunk["bin2_id"].to_numpy()[offdiag], weights=count[offdiag],
                             minlength=n)
    _COVERAGE_CACHE[key] = total
    return total


def gene_bins(clr: cooler.Cooler, genes: pd.DataFrame, body: bool = False,
              source: str | None = None) -> pd.DataFrame:
    """Add ``bin_id`` (bin of the TSS) and ``in_coverage`` to a gene table.

    Chromosome names are harmonised first (:func:`hicexpr.io.chroms.harmonise_chroms`).
    A gene is in coverage when its chromosome is in the map, its TSS lies within the chromosome
    and the TSS bin holds contacts. Genes outside are logged and flagged (``in_coverage=False``,
    ``coverage_note`` says why), never snapped to another bin; ``bin_id`` is -1 when the TSS is
    not on a map chromosome. ``body=True`` adds ``body_bin_start``/``body_bin_end`` (half-open).
    """
    src = source or genes.attrs.get("source", "genes")
    genes = harmonise_chroms(genes, clr, source=src)
    sizes = clr.chromsizes
    binsize = int(clr.binsize)
    offsets = pd.Series([clr.offset(c) for c in sizes.index], index=sizes.index)
    on_map = genes["chrom"].isin(sizes.index).to_numpy()
    chrom_len = genes["chrom"].map(sizes).fillna(0).to_numpy(np.int64)
    within = on_map & (genes["tss"].to_numpy() < chrom_len)
    offset = genes["chrom"].map(offsets).fillna(0).to_numpy(np.int64)
    bin_id = np.where(within, offset + genes["tss"].to_numpy() // binsize, -1)
    cov = bin_coverage(clr)
    has_data = np.zeros(len(genes), dtype=bool)
    has_data[within] = cov[bin_id[within]] > 0
    out = genes.copy()
    out["bin_id"] = bin_id.astype(np.int64)
    out["in_coverage"] = has_data
    out["coverage_note"] = np.select(
        [~on_map, ~within, ~has_data], ["chromosome not in map", "beyond chromosome end",
                                        "bin without contacts"], "")
    if body:
        first = np.where(within, offset + out["start"].to_numpy() // binsize, -1)
        last = np.where(within, offset + (np.minimum(out["end"].to_numpy(), chrom_len) - 1)
                        // binsize + 1, -1)
        out["body_bin_start"], out["body_bin_end"] = first, last
    _report(out)
    return out


def _report(out: pd.DataFrame) -> None:
    outside = out[~out["in_coverage"]]
    if outside.empty:
        return
    if len(outside) == len(out):
        raise InputError(out.attrs.get("source", "genes"), "coverage",
                         "genes inside the map's coverage",
                         f"all {len(out)} genes outside ({outside['coverage_note'].iloc[0]})")
    ex = outside.iloc[0]
    log.warning("%d of %d genes outside the map's coverage (e.g. %s on %s at %s: %s); flagged "
                "in_coverage=False, not snapped", len(outside), len(out), ex["gene_id"],
                ex["chrom"], f"{int(ex['tss']):,}", ex["coverage_note"])


def covered_extent(clr: cooler.Cooler) -> pd.DataFrame:
    """Per chromosome: first and last bin start with contacts (``chrom, start, end``)."""
    cov = bin_coverage(clr)
    bins = clr.bins()[["chrom", "start", "end"]][:]
    bins = bins[cov > 0]
    return bins.groupby("chrom", observed=True).agg(start=("start", "min"), end=("end", "max"))\
        .reset_index()

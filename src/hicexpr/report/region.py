"""The region of the report's contact-map figure: ``--region`` checked before any work, its
chromosome matched to the map's names (``chr8`` <-> ``8``); without one, a region picked by a
fixed rule (:func:`default_region`)."""

from __future__ import annotations

import bioframe
import cooler
import numpy as np
import pandas as pd

from hicexpr.io.chroms import chrom_mapping, natural_sorted
from hicexpr.io.text import to_numbers
from hicexpr.lib.errors import InputError

DEFAULT_REGION_BINS = 60  # bins across a region the report picks: a 60 x 60 dense matrix
_EXPECTED = "a region chrom:start-end with start < end (e.g. chr8:60000000-61000000) or chrom"


def check_region(region: str | None) -> tuple[str, int, int | None] | None:
    """``(chrom, start, end)`` of a UCSC region string (end None: to the chromosome end)."""
    if region is None:
        return None
    try:
        chrom, start, end = bioframe.parse_region(region)
    except ValueError as exc:
        raise InputError("--region", "", _EXPECTED, f"{region} ({exc})") from None
    if end is not None and end <= start:
        raise InputError("--region", "", _EXPECTED, region)
    return str(chrom), int(start), None if end is None else int(end)


def region_on_map(region: str, clr: cooler.Cooler, source: str) -> str:
    """``region`` with its chromosome named as in the map ``clr`` and within that chromosome."""
    parsed = check_region(region)
    assert parsed is not None
    chrom, start, end = parsed
    target = chrom_mapping([chrom], list(clr.chromnames)).get(chrom)
    if target is None:
        names = ", ".join(list(clr.chromnames)[:5])
        raise InputError("--region", "chromosome", f"a chromosome of the map {source} "
                         f"(e.g. {names})", chrom)
    size = int(clr.chromsizes[target])
    end = size if end is None else end
    if start >= size or end > size:
        raise InputError("--region", target, f"positions within {target} of the map {source} "
                         f"({size:,} bp)", region)
    return f"{target}:{start}-{end}"


def default_region(clr: cooler.Cooler, genes: pd.DataFrame | None,
                   n_bins: int = DEFAULT_REGION_BINS) -> tuple[str, str]:
    """The region drawn when no ``--region`` is given and no scored gene centres one, and why.

    Rule: the first chromosome of the map in natural order (``chr2`` before ``chr10``) that
    holds a gene of ``genes`` (``chrom`` + ``tss`` or ``start``; chromosome names matched to
    the map's), and on it the window of ``n_bins`` bins holding the most gene TSSs (the first
    such window on a tie); without genes on the map, the first ``n_bins`` bins of the first
    chromosome. The dense matrix drawn is thus at most ``n_bins`` x ``n_bins``.

    Returns:
        ``("chrom:start-end", sentence saying why this region)``.
    """
    binsize = int(clr.binsize or 10_000)
    tss = _gene_positions(clr, genes)
    chroms = natural_sorted(clr.chromnames)
    with_genes = [c for c in chroms if c in tss]
    if not with_genes:
        chrom = chroms[0]
        end = min(int(clr.chromsizes[chrom]), n_bins * binsize)
        return (f"{chrom}:0-{end}", f"no --region given and no gene placed on the map: the "
                f"first {n_bins} bins of {chrom}, the first chromosome in natural order")
    chrom = with_genes[0]
    size = int(clr.chromsizes[chrom])
    start_bin, count = _densest_window(tss[chrom] // binsize, -(-size // binsize), n_bins)
    start = start_bin * binsize
    end = min(size, start + n_bins * binsize)
    return (f"{chrom}:{start}-{end}", f"no --region given: the {n_bins}-bin window with the "
            f"most genes ({count}) on {chrom}, the first chromosome in natural order with genes")


def _gene_positions(clr: cooler.Cooler, genes: pd.DataFrame | None) -> dict[str, np.ndarray]:
    """TSS (else start) of each gene on the map, by the map's chromosome name."""
    if genes is None or "chrom" not in genes.columns:
        return {}
    column = "tss" if "tss" in genes.columns else "start"
    if column not in genes.columns:
        return {}
    chroms = genes["chrom"].astype(str)
    names = chrom_mapping(sorted(set(chroms)), list(clr.chromnames))
    positions = to_numbers(genes[column], errors="coerce")
    out = {}
    for source, target in names.items():
        values = positions[(chroms == source).to_numpy()].dropna().to_numpy(np.int64)
        values = values[(values >= 0) & (values < int(clr.chromsizes[target]))]
        if len(values):
            out[target] = values
    return out


def _densest_window(gene_bins: np.ndarray, total_bins: int, n_bins: int) -> tuple[int, int]:
    """First bin of the window of ``n_bins`` bins holding the most genes, and that count."""
    per_bin = np.bincount(gene_bins, minlength=total_bins)
    width = min(n_bins, total_bins)
    sums = np.convolve(per_bin, np.ones(width, dtype=np.int64), mode="valid")
    best = int(np.argmax(sums))  # argmax: the first window on a tie
    return best, int(sums[best])

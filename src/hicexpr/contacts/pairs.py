"""Gene-pair contacts (raw, balanced, observed/expected), top partners, contact -> distance.

Pixels are read one chromosome at a time in row blocks of at most ``chunk_bins`` bins (pixel
offsets from the cooler index), so no dense matrix is ever built.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path

import cooler
import numpy as np
import pandas as pd

from hicexpr.contacts.mapping import gene_bins
from hicexpr.io.contacts import multiplicative_weights, require_balanced
from hicexpr.lib.errors import InputError
from hicexpr.lib.progress import track

log = logging.getLogger(__name__)

PAIR_COLUMNS = ["gene1", "gene2", "chrom1", "chrom2", "bin1", "bin2", "distance", "count",
                "balanced", "oe"]


def gene_pair_contacts(
    clr: cooler.Cooler,
    genes: pd.DataFrame,
    max_distance: int | None = None,
    balance: bool = True,
    min_count: float = 0,
    trans: bool = False,
    weight: str = "weight",
    chunk_bins: int = 20_000,
) -> pd.DataFrame:
    """Contacts between every pair of genes whose TSS bins share a stored pixel.

    Returns one row per gene pair (``gene1`` before ``gene2`` in the table) with
    ``count`` (raw) > ``min_count``; pairs without a stored pixel have zero contacts and are
    not listed. ``balanced`` = count x w1 x w2 (NaN for filtered bins, or all NaN when
    ``balance=False``); ``oe`` = balanced (or count) / mean of its diagonal over valid bins of the
    chromosome (cooltools' ``expected_cis`` "balanced.avg", no smoothing); for trans pairs the
    mean over the chromosome-pair block. ``distance`` = |tss1 - tss2| (NaN for trans).

    Args:
        genes: gene table, or the output of :func:`gene_bins` (``bin_id``, ``in_coverage``).
        max_distance: only cis pairs with TSS distance <= this (bp).
    """
    if max_distance is not None and max_distance < 0:
        raise InputError("max_distance", "", "a distance in bp >= 0 (None: no limit)",
                         max_distance)
    if not isinstance(balance, bool | np.bool_):
        raise InputError("balance", "", "True or False (the weight column is weight=)", balance)
    if balance:  # divisive (Juicer KR/VC) weights: a multiplicative copy
        clr, weight = multiplicative_weights(clr, weight)
        require_balanced(clr, weight=weight)
    if "bin_id" not in genes or "in_coverage" not in genes:
        genes = gene_bins(clr, genes)
    used = genes[genes["in_coverage"]].reset_index(drop=True)
    if used.empty:
        raise InputError(genes.attrs.get("source", "genes"), "", "genes inside the map", "none")
    bins = clr.bins()[:]
    w = bins[weight].to_numpy(np.float64) if balance else np.ones(len(bins))
    valid = np.isfinite(w) & (w > 0) if balance else np.ones(len(bins), bool)
    order = np.argsort(used["bin_id"].to_numpy(), kind="stable")
    used = used.iloc[order].reset_index(drop=True)
    parts = []
    chroms = [c for c in clr.chromnames if (used["chrom"] == c).any()]
    for chrom in track(chroms, "gene-pair contacts"):
        parts.append(_cis_pairs(clr, used, chrom, w, valid, balance, max_distance, chunk_bins))
    if trans:
        parts.append(_trans_pairs(clr, used, w, valid, balance, chunk_bins))
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=PAIR_COLUMNS)
    out = out[out["count"] > min_count] if min_count > 0 else out
    return out.reset_index(drop=True)[PAIR_COLUMNS]


def _pixel_blocks(clr: cooler.Cooler, lo: int, hi: int,
                  chunk_bins: int) -> Iterator[pd.DataFrame]:
    """Pixels with bin1 in [lo, hi), read in row blocks via the bin1 offset index."""
    index = clr._load_dset("indexes/bin1_offset")
    pixels = clr.pixels()
    for start in range(lo, hi, chunk_bins):
        stop = min(start + chunk_bins, hi)
        p0, p1 = int(index[start]), int(index[stop])
        if p1 > p0:
            yield pixels[p0:p1]


def _cis_pairs(clr: cooler.Cooler, used: pd.DataFrame, chrom: str, w: np.ndarray,
               valid: np.ndarray, balance: bool, max_distance: int | None,
               chunk_bins: int) -> pd.DataFrame:
    lo, hi = clr.extent(chrom)
    n = hi - lo
    sel = used[used["chrom"] == chrom]
    gene_bin = sel["bin_id"].to_numpy()
    is_gene_bin = np.zeros(n, bool)
    is_gene_bin[gene_bin - lo] = True
    max_diag = n if max_distance is None else min(n, int(max_distance) // clr.binsize + 2)
    diag_sum = np.zeros(max_diag)
    keep = []
    for px in _pixel_blocks(clr, lo, hi, chunk_bins):
        b1, b2 = px["bin1_id"].to_numpy(), px["bin2_id"].to_numpy()
        cnt = px["count"].to_numpy(np.float64)
        d = b2 - b1
        ok = (b2 < hi) & (d < max_diag)
        b1, b2, cnt, d = b1[ok], b2[ok], cnt[ok], d[ok]
        val = cnt * w[b1] * w[b2]
        good = valid[b1] & valid[b2]
        diag_sum += np.bincount(d[good], weights=val[good], minlength=max_diag)
        hit = is_gene_bin[b1 - lo] & is_gene_bin[b2 - lo]
        keep.append(pd.DataFrame({"bin1": b1[hit], "bin2": b2[hit], "count": cnt[hit],
                                  "value": np.where(good[hit], val[hit], np.nan)}))
    expected = diag_sum / np.maximum(_valid_pairs_per_diag(valid[lo:hi], max_diag), 1)
    expected[expected == 0] = np.nan
    px = pd.concat(keep, ignore_index=True) if keep else pd.DataFrame(
        columns=["bin1", "bin2", "count", "value"])
    px["oe"] = px["value"].to_numpy() / expected[(px["bin2"] - px["bin1"]).to_numpy(np.int64)]
    pairs = _expand(px, sel)
    pairs["chrom1"] = pairs["chrom2"] = chrom
    pairs["distance"] = np.abs(pairs.pop("tss1") - pairs.pop("tss2")).astype(np.float64)
    if max_distance is not None:
        pairs = pairs[pairs["distance"] <= max_distance].copy()
    pairs["balanced"] = pairs["value"] if balance else np.nan
    return pairs


def _valid_pairs_per_diag(valid: np.ndarray, max_diag: int) -> np.ndarray:
    """Number of (i, i + d) pairs with both bins valid, for d < max_diag (FFT autocorrelation)."""
    v = valid.astype(np.float64)
    n = len(v)
    size = 1 << int(np.ceil(np.log2(max(2 * n, 2))))
    f = np.fft.rfft(v, size)
    ac = np.fft.irfft(f * np.conj(f), size)[:max_diag]
    out = np.rint(ac).astype(np.int64)
    return np.pad(out, (0, max(0, max_diag - len(out))))


def _expand(px: pd.DataFrame, sel: pd.DataFrame) -> pd.DataFrame:
    """Bin pairs -> gene pairs (all genes of bin1 x all genes of bin2; i < j on one bin)."""
    gbin = sel["bin_id"].to_numpy()
    uniq, first, size = np.unique(gbin, return_index=True, return_counts=True)
    pos1 = np.searchsorted(uniq, px["bin1"].to_numpy())
    pos2 = np.searchsorted(uniq, px["bin2"].to_numpy())
    n1, n2 = size[pos1], size[pos2]
    reps = n1 * n2
    row = np.repeat(np.arange(len(px)), reps)
    k = np.arange(reps.sum()) - np.repeat(np.cumsum(reps) - reps, reps)
    g1 = first[pos1][row] + k // n2[row]
    g2 = first[pos2][row] + k % n2[row]
    same = px["bin1"].to_numpy()[row] == px["bin2"].to_numpy()[row]
    ok = ~same | (g1 < g2)
    row, g1, g2 = row[ok], g1[ok], g2[ok]
    ids = sel["gene_id"].to_numpy()
    tss = sel["tss"].to_numpy()
    return pd.DataFrame({
        "gene1": ids[g1], "gene2": ids[g2], "bin1": px["bin1"].to_numpy()[row],
        "bin2": px["bin2"].to_numpy()[row], "count": px["count"].to_numpy()[row],
        "value": px["value"].to_numpy()[row], "oe": px["oe"].to_numpy()[row],
        "tss1": tss[g1], "tss2": tss[g2],
    })


def _trans_pairs(clr: cooler.Cooler, used: pd.DataFrame, w: np.ndarray, valid: np.ndarray,
                 balance: bool, chunk_bins: int) -> pd.DataFrame:
    nb = int(clr.info["nbins"])
    is_gene_bin = np.zeros(nb, bool)
    is_gene_bin[used["bin_id"].to_numpy()] = True
    chrom_of = clr.bins()["chrom"][:].astype(str).to_numpy()
    keep = []
    for chrom in clr.chromnames:
        lo, hi = clr.extent(chrom)
        for px in _pixel_blocks(clr, lo, hi, chunk_bins):
            b1, b2 = px["bin1_id"].to_numpy(), px["bin2_id"].to_numpy()
            hit = (b2 >= hi) & is_gene_bin[b1] & is_gene_bin[b2]
            cnt = px["count"].to_numpy(np.float64)[hit]
            b1, b2 = b1[hit], b2[hit]
            good = valid[b1] & valid[b2]
            keep.append(pd.DataFrame({"bin1": b1, "bin2": b2, "count": cnt,
                                      "value": np.where(good, cnt * w[b1] * w[b2], np.nan)}))
    px = pd.concat(keep, ignore_index=True) if keep else pd.DataFrame(
        columns=["bin1", "bin2", "count", "value"])
    px["oe"] = px["value"] / _trans_expected(clr, w, valid, px, chrom_of, chunk_bins)
    pairs = _expand_trans(px, used)
    pairs["chrom1"], pairs["chrom2"] = chrom_of[pairs["bin1"]], chrom_of[pairs["bin2"]]
    pairs["distance"] = np.nan
    pairs["balanced"] = pairs["value"] if balance else np.nan
    return pairs


def _trans_expected(clr: cooler.Cooler, w: np.ndarray, valid: np.ndarray, px: pd.DataFrame,
                    chrom_of: np.ndarray, chunk_bins: int) -> np.ndarray:
    """Mean balanced value of each chromosome-pair block (valid bins only)."""
    if px.empty:
        return np.zeros(0)
    codes = pd.Categorical(chrom_of, categories=list(clr.chromnames)).codes
    nchr = len(clr.chromnames)
    sums = np.zeros((nchr, nchr))
    nvalid = np.bincount(codes[valid], minlength=nchr).astype(np.float64)
    for chrom in clr.chromnames:
        lo, hi = clr.extent(chrom)
        for block in _pixel_blocks(clr, lo, hi, chunk_bins):
            b1, b2 = block["bin1_id"].to_numpy(), block["bin2_id"].to_numpy()
            ok = (b2 >= hi) & valid[b1] & valid[b2]
            val = block["count"].to_numpy(np.float64)[ok] * w[b1[ok]] * w[b2[ok]]
            np.add.at(sums, (codes[b1[ok]], codes[b2[ok]]), val)
    mean = sums / np.maximum(np.outer(nvalid, nvalid), 1)
    c1, c2 = codes[px["bin1"].to_numpy()], codes[px["bin2"].to_numpy()]
    return mean[c1, c2]


def _expand_trans(px: pd.DataFrame, used: pd.DataFrame) -> pd.DataFrame:
    pairs = _expand(px, used)
    return pairs.drop(columns=["tss1", "tss2"])


#: Output files of ``hicexpr contacts pairs`` (tables, or BEDPE).
PAIR_OUTPUTS = (".tsv", ".tsv.gz", ".parquet", ".bedpe")


def check_pair_options(out: str | os.PathLike[str], max_distance: int | None = None,
                       top_k: int | None = None, resolution: int | None = None) -> None:
    """Refuse an unsupported output name or out-of-range options before any work."""
    name = Path(out).name.lower()
    if not name.endswith(PAIR_OUTPUTS):
        raise InputError(out, "--out", f"a file ending in {', '.join(PAIR_OUTPUTS)}",
                         Path(out).name)
    check_positive("contacts pairs", {"--max-distance": max_distance, "--top-k": top_k,
                                      "--resolution": resolution})


def check_positive(source: str, options: dict[str, int | None],
                   expected: str = "a positive value") -> None:
    """Refuse the first option below 1 (None: its default), naming ``source`` and the option."""
    for option, value in options.items():
        if value is not None and value < 1:
            raise InputError(source, option, expected, value)


def top_partners(pairs: pd.DataFrame, k: int, max_distance: int | None = None,
                 value: str = "balanced") -> pd.DataFrame:
    """The ``k`` strongest partners of every gene (both directions) within ``max_distance``.

    Ranks by ``value`` (``balanced``, ``count`` or ``oe``; falls back to ``count`` when the
    column is all NaN). Returns ``gene, partner, rank`` plus the pair columns.
    """
    if k < 1:
        raise InputError("k", "", "a positive number of partners", k)
    if value not in pairs:
        raise InputError("value", "", "one of balanced, count, oe", value)
    sel = pairs
    if max_distance is not None:
        sel = sel[sel["distance"] <= max_distance]
    if sel[value].isna().all():
        value = "count"
    fwd = sel.rename(columns={"gene1": "gene", "gene2": "partner"})
    rev = sel.rename(columns={"gene2": "gene", "gene1": "partner"})
    both = pd.concat([fwd, rev], ignore_index=True).dropna(subset=[value])
    both = both.sort_values(["gene", value], ascending=[True, False], kind="stable")
    both["rank"] = both.groupby("gene").cumcount() + 1
    return both[both["rank"] <= k].reset_index(drop=True)


def contact_to_distance(values: np.ndarray | pd.Series, alpha: float = 1.0 / 3.0) -> np.ndarray:
    """Spatial distance from contact frequency: d = (c / max c) ** (-alpha).

    Polymer models give c ~ d^(-1/alpha) (``alpha`` = 1/3 for a fractal globule, as in SpEx-style
    spatial features); values are scaled by their maximum so the closest pair has d = 1. Zero,
    negative or NaN contacts give ``inf`` (no contact = far).
    """
    if alpha <= 0:
        raise InputError("alpha", "", "a positive exponent", alpha)
    c = np.asarray(values, dtype=np.float64)
    top = np.nanmax(c) if np.isfinite(c).any() and np.nanmax(c) > 0 else 1.0
    with np.errstate(divide="ignore", invalid="ignore"):
        d = np.power(c / top, -alpha)
    d[~np.isfinite(d) | (c <= 0) | np.isnan(c)] = np.inf
    return d

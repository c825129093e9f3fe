"""3D features per bin and per gene: insulation and boundaries (cooltools.insulation), TAD
domains between boundaries, A/B compartments (cooltools.eigs_cis), and pair flags."""

from __future__ import annotations

import logging
import warnings

import cooler
import numpy as np
import pandas as pd

from hicexpr.contacts.mapping import bin_coverage, gene_bins
from hicexpr.io.contacts import multiplicative_weights, require_balanced
from hicexpr.lib.errors import InputError

log = logging.getLogger(__name__)

DEFAULT_WINDOW_BINS = 5


def default_window(clr: cooler.Cooler) -> int:
    """Default insulation window: 5 bins (e.g. 250 kb at 50 kb, 5 Mb at 1 Mb)."""
    return DEFAULT_WINDOW_BINS * int(clr.binsize)


def _view(clr: cooler.Cooler, min_bins: int) -> pd.DataFrame:
    """Chromosomes with at least ``min_bins`` bins holding contacts (others are skipped)."""
    cov = bin_coverage(clr)
    rows = []
    for chrom in clr.chromnames:
        lo, hi = clr.extent(chrom)
        n = int((cov[lo:hi] > 0).sum())
        if n >= min_bins:
            rows.append((chrom, 0, int(clr.chromsizes[chrom]), chrom))
        else:
            log.info("%s: %d bins with contacts; skipped for 3D features", chrom, n)
    if not rows:
        raise InputError(clr.filename, "chromosomes", f"a chromosome with >= {min_bins} bins "
                         "holding contacts", "none (empty map?)")
    return pd.DataFrame(rows, columns=["chrom", "start", "end", "name"])


def ignore_diags(clr: cooler.Cooler, weight: str | None) -> int:
    """Diagonals to ignore: as recorded by the balancing step, else 2 (cooler's default)."""
    if weight is None:
        return 2
    attrs = clr._load_attrs(f"bins/{weight}")
    return int(attrs.get("ignore_diags", 2))


def insulation(clr: cooler.Cooler, window_bp: int | None = None, weight: str | None = "weight",
               threshold: str | float = "Li", min_frac_valid_pixels: float = 0.66) -> pd.DataFrame:
    """Diamond insulation score and boundaries (``cooltools.insulation``) for every bin.

    Returns cooltools' table (``chrom, start, end, region, is_bad_bin``, score/strength/boundary
    columns named with the window) plus window-free aliases ``insulation`` (log2 score),
    ``boundary_strength`` and ``is_boundary``. ``weight=None`` uses raw counts. Chromosomes
    without enough bins with data get NaN scores.
    """
    from cooltools import insulation as ct_insulation

    if weight is not None:  # divisive (Juicer KR/VC) weights: a multiplicative copy
        clr, weight = multiplicative_weights(clr, weight)
        require_balanced(clr, weight=weight)
    window = int(window_bp or default_window(clr))
    if window < clr.binsize or window % clr.binsize:
        raise InputError("window_bp", "", f"a multiple of the bin size {clr.binsize}", window)
    view = _view(clr, min_bins=3 * window // clr.binsize)
    diags = ignore_diags(clr, weight)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            table = ct_insulation(clr, [window], view_df=view, clr_weight_name=weight,
                                  threshold=threshold, ignore_diags=diags,
                                  min_frac_valid_pixels=min_frac_valid_pixels, nproc=1)
        except (ValueError, np.linalg.LinAlgError):  # too few boundaries for Li thresholding
            table = ct_insulation(clr, [window], view_df=view, clr_weight_name=weight,
                                  threshold=0, ignore_diags=diags,
                                  min_frac_valid_pixels=min_frac_valid_pixels, nproc=1)
    return finish_insulation(clr, table, window)


def finish_insulation(clr: cooler.Cooler, table: pd.DataFrame, window: int) -> pd.DataFrame:
    """A cooltools insulation table on every bin of ``clr``, with window-free column names
    (``insulation``, ``boundary_strength``, ``is_boundary``) added."""
    table = _all_bins(clr, table)
    table["insulation"] = table[f"log2_insulation_score_{window}"]
    table["boundary_strength"] = table[f"boundary_strength_{window}"]
    table["is_boundary"] = table[f"is_boundary_{window}"].astype("boolean").fillna(False)\
        .astype(bool)
    table.attrs["window_bp"] = window
    return table


def _all_bins(clr: cooler.Cooler, table: pd.DataFrame) -> pd.DataFrame:
    """Re-index a per-region table onto every bin of the map (NaN on skipped chromosomes)."""
    bins = clr.bins()[["chrom", "start", "end"]][:]
    bins["chrom"] = bins["chrom"].astype(str)
    table = table.assign(chrom=table["chrom"].astype(str))
    out = bins.merge(table, on=["chrom", "start", "end"], how="left")
    return out


def boundaries(ins: pd.DataFrame) -> pd.DataFrame:
    """Boundary bins of an :func:`insulation` table (``chrom, start, end, boundary_strength``)."""
    cols = ["chrom", "start", "end", "insulation", "boundary_strength"]
    return ins.loc[ins["is_boundary"], cols].reset_index(drop=True)


def tad_domains(ins: pd.DataFrame) -> pd.DataFrame:
    """Domains between consecutive boundaries (``chrom, start, end, tad_id, edge``).

    A domain runs from one boundary bin's start to the next boundary bin's start; the stretches
    from the first bin with a score to the first boundary and from the last boundary to the last
    bin with a score are kept as ``edge=True`` domains.
    """
    rows = []
    for chrom, df in ins.groupby("chrom", sort=False, observed=True):
        scored = df[df["insulation"].notna()]
        if scored.empty:
            continue
        cuts = df.loc[df["is_boundary"], "start"].tolist()
        lo, hi = int(scored["start"].min()), int(scored["end"].max())
        edges = sorted({lo, *[c for c in cuts if lo < c < hi], hi})
        for i, (a, b) in enumerate(zip(edges[:-1], edges[1:], strict=True)):
            edge = (i == 0 and a not in cuts) or (i == len(edges) - 2 and b not in cuts)
            rows.append((chrom, a, b, f"{chrom}:{a}-{b}", edge))
    return pd.DataFrame(rows, columns=["chrom", "start", "end", "tad_id", "edge"])


def gene_density_track(clr: cooler.Cooler, genes: pd.DataFrame) -> pd.DataFrame:
    """Number of gene TSSs per bin (``chrom, start, end, gene_density``)."""
    if "bin_id" not in genes:
        genes = gene_bins(clr, genes)
    bins = clr.bins()[["chrom", "start", "end"]][:]
    ids = genes.loc[genes["bin_id"] >= 0, "bin_id"].to_numpy()
    bins["gene_density"] = np.bincount(ids, minlength=len(bins)).astype(float)
    return bins


#: Pixels read per chunk when a chromosome's cis matrix is summed into blocks.
PIXEL_CHUNK = 2_000_000
#: Longest chromosome (bins) whose E1 comes from one dense matrix (512 MB per copy).
MAX_DENSE_BINS = 8_000


def compartments(clr: cooler.Cooler, genes: pd.DataFrame | None = None,
                 phasing_track: pd.DataFrame | None = None, weight: str | None = "weight",
                 max_bins: int = MAX_DENSE_BINS) -> pd.DataFrame:
    """A/B compartments from the first cis eigenvector, per chromosome.

    The method is cooltools' ``eigs_cis`` (observed/expected by diagonal over valid bins,
    clipped at the 99.9th percentile, minus 1, eigen-decomposed by
    ``cooltools.lib.numutils.get_eig``, vectors scaled by sqrt|eigenvalue|). The O/E step is
    done here in numpy because cooltools' numba kernel costs ~20-40 s of JIT compilation per
    process; ``tests/contacts`` checks that both give the same E1. E1 is oriented per
    chromosome to correlate positively (Spearman) with ``phasing_track`` (``chrom, start, end,
    value`` on the map's bins) or, if not given, with the gene density of ``genes``; then
    ``compartment`` = A where E1 > 0, B where E1 < 0, empty where E1 is NaN. Without a track
    the sign is arbitrary (logged; made reproducible: the largest |E1| is positive).
    A chromosome's covered stretch of up to ``max_bins`` bins is one dense matrix (8,000 bins
    = 512 MB per copy); a longer one is never densified: see :func:`chromosome_e1`.
    """
    if weight is not None:  # divisive (Juicer KR/VC) weights: a multiplicative copy
        clr, weight = multiplicative_weights(clr, weight)
        require_balanced(clr, weight=weight)
    track = phasing_track
    if track is None and genes is not None:
        track = gene_density_track(clr, genes)
    if track is None:
        log.warning("no phasing track or genes: A/B labels have an arbitrary sign")
        values = None
    else:
        values = _align_track(clr, track).iloc[:, 3].to_numpy(np.float64)
    diags = ignore_diags(clr, weight)
    e1 = np.full(int(clr.info["nbins"]), np.nan)
    cov = bin_coverage(clr)
    for chrom in _view(clr, min_bins=4)["chrom"]:
        lo, hi = covered_stretch(clr, chrom, cov)
        phasing = None if values is None else values[lo:hi]
        e1[lo:hi] = chromosome_e1(clr, lo, hi, weight, diags, phasing, max_bins)
    return compartment_table(clr, e1)


def compartment_table(clr: cooler.Cooler, e1: np.ndarray) -> pd.DataFrame:
    """``chrom, start, end, E1, compartment`` per bin from the genome-wide E1 vector
    (A where E1 > 0, B where E1 < 0, empty where NaN)."""
    out = clr.bins()[["chrom", "start", "end"]][:]
    out["E1"] = e1
    out["compartment"] = np.select([out["E1"] > 0, out["E1"] < 0], ["A", "B"], "")
    return out


def covered_stretch(clr: cooler.Cooler, chrom: str, coverage: np.ndarray) -> tuple[int, int]:
    """Bin range ``lo, hi`` from the first to the last bin of ``chrom`` holding contacts
    (``coverage``: :func:`~hicexpr.contacts.mapping.bin_coverage`); compartments are computed
    on this stretch only."""
    lo, hi = clr.extent(chrom)
    filled = np.flatnonzero(coverage[lo:hi] > 0)
    if not filled.size:
        return lo, lo
    return lo + int(filled[0]), lo + int(filled[-1]) + 1


def chromosome_e1(clr: cooler.Cooler, lo: int, hi: int, weight: str | None, diags: int,
                  phasing: np.ndarray | None = None, max_bins: int = MAX_DENSE_BINS) -> np.ndarray:
    """E1 ``[hi - lo]`` of the cis bins ``lo:hi`` (one chromosome).

    Up to ``max_bins`` bins: :func:`cis_e1` of the dense (balanced) matrix. More: the pixels
    are streamed into ``ceil(bins / max_bins)``-bin blocks (:func:`coarse_cis_matrix`), the
    phasing track is summed over the same blocks, and every bin gets its block's E1 (NaN on
    bins the balancing filtered out). A 150 Mb chromosome at 10 kb with ``max_bins=2,000``:
    8-bin blocks, a 28 MB matrix instead of 1.8 GB.
    """
    n = hi - lo
    if n <= max_bins:
        mat = clr.matrix(balance=weight if weight is not None else False)[lo:hi, lo:hi]
        return cis_e1(mat, diags, phasing)
    factor = -(-n // max_bins)
    log.info("%d bins > %d: E1 from %d-bin blocks", n, max_bins, factor)
    coarse = coarse_cis_matrix(clr, lo, hi, factor, weight, diags)
    blocks = None
    if phasing is not None:
        blocks = np.bincount(np.arange(n) // factor, weights=np.nan_to_num(phasing))
    fine = np.repeat(cis_e1(coarse, diags, blocks), factor)[:n]
    if weight is not None:
        fine[~np.isfinite(clr.bins()[weight][lo:hi].to_numpy())] = np.nan
    return fine


def coarse_cis_matrix(clr: cooler.Cooler, lo: int, hi: int, factor: int, weight: str | None,
                      diags: int) -> np.ndarray:
    """Symmetric (balanced) cis matrix of bins ``lo:hi`` summed into ``factor``-bin blocks,
    streamed from the pixel table :data:`PIXEL_CHUNK` pixels at a time (fine diagonals
    closer than ``diags`` left out)."""
    n = -(-(hi - lo) // factor)
    w = (clr.bins()[weight][lo:hi].to_numpy(np.float64) if weight is not None
         else np.ones(hi - lo))
    index = clr._load_dset("indexes/bin1_offset")
    first, last = int(index[lo]), int(index[hi])
    pixels, out = clr.pixels(), np.zeros(n * n)
    for start in range(first, last, PIXEL_CHUNK):
        px = pixels[start:min(start + PIXEL_CHUNK, last)]
        b1, b2 = px["bin1_id"].to_numpy() - lo, px["bin2_id"].to_numpy() - lo
        keep = (b1 >= 0) & (b2 < hi - lo) & (b2 - b1 >= diags)
        b1, b2 = b1[keep], b2[keep]
        v = px["count"].to_numpy(np.float64)[keep] * w[b1] * w[b2]
        ok = np.isfinite(v)
        i, j, v = b1[ok] // factor, b2[ok] // factor, v[ok]
        out += np.bincount(i * n + j, weights=v, minlength=n * n)
        out += np.bincount(j * n + i, weights=v, minlength=n * n)  # lower triangle
    return out.reshape(n, n)


def _log_distance_bins(n: int, ratio: float = 1.03) -> np.ndarray:
    """Edges ``0, 1, ..., n`` of diagonal groups evenly spaced in log (as cooltools)."""
    count = int(np.log(n) / np.log(ratio)) if n > 1 else 1
    edges = np.unique(np.rint(10 ** np.linspace(0, np.log10(n), max(count, 1)))).astype(int)
    return np.concatenate([[0], edges])


def observed_over_expected(mat: np.ndarray, mask: np.ndarray, ratio: float = 1.03) -> np.ndarray:
    """Divide each pixel by the mean of its diagonal group over pixels of two ``mask`` bins.

    Diagonals are grouped in log-spaced distance bins (edge ratio ``ratio``) exactly as
    ``cooltools.lib.numutils.observed_over_expected``; groups with mean 0 and pixels outside
    the mask are left as is. Works diagonal by diagonal (one extra matrix in memory).
    """
    n = mat.shape[0]
    out = np.array(mat, dtype=np.float64)
    edges = _log_distance_bins(n, ratio)
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        valid = [mask[k:] & mask[: n - k] for k in range(lo, hi)]
        total = sum(float(np.diagonal(mat, -k)[v].sum()) for k, v in zip(range(lo, hi), valid,
                                                                         strict=True))
        count = sum(int(v.sum()) for v in valid)
        if count == 0 or total == 0:
            continue
        mean = total / count
        for k, v in zip(range(lo, hi), valid, strict=True):
            j = np.flatnonzero(v)
            out[j + k, j] /= mean
            if k > 0:
                out[j, j + k] /= mean
    return out


def cis_e1(mat: np.ndarray, ignore: int = 2, phasing: np.ndarray | None = None,
           clip_percentile: float = 99.9) -> np.ndarray:
    """First compartment eigenvector of one dense balanced cis matrix (cooltools' recipe)."""
    from cooltools.api.eigdecomp import _phase_eigs
    from cooltools.lib.numutils import get_eig

    a = np.array(mat, dtype=np.float64)
    a[~np.isfinite(a)] = 0
    mask = a.sum(axis=0) > 0
    if a.shape[0] <= ignore + 3 or mask.sum() <= ignore + 3:
        return np.full(a.shape[0], np.nan)
    for k in range(-ignore + 1, ignore):
        idx = np.arange(max(0, -k), min(a.shape[0], a.shape[0] - k))
        a[idx, idx + k] = 1.0
    oe = observed_over_expected(a, mask)
    if clip_percentile and clip_percentile < 100:
        oe = np.clip(oe, 0, np.percentile(oe[mask, :][:, mask], clip_percentile))
    oe -= 1.0
    oe[~mask, :] = 0
    oe[:, ~mask] = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        vecs, vals = get_eig(oe, 3, mask_zero_rows=True)
        vecs /= np.sqrt(np.nansum(vecs**2, axis=1))[:, None]
        vecs *= np.sqrt(np.abs(vals))[:, None]
        if phasing is not None and np.isfinite(phasing).sum() > 2:
            vals, vecs = _phase_eigs(vals, vecs, phasing)
            return vecs[0]
    e1 = vecs[0]
    if np.isfinite(e1).any():  # no track: arbitrary but reproducible sign
        e1 = e1 * np.sign(e1[np.nanargmax(np.abs(e1))])
    return e1


def _align_track(clr: cooler.Cooler, track: pd.DataFrame) -> pd.DataFrame:
    """Phasing track on the map's bins (4th column = value)."""
    if track.shape[1] < 4:
        raise InputError("phasing_track", "columns", "chrom, start, end, value", track.shape[1])
    bins = clr.bins()[["chrom", "start", "end"]][:]
    value = track.columns[3]
    t = track[["chrom", "start", "end", value]].assign(chrom=lambda d: d["chrom"].astype(str))
    merged = bins.assign(chrom=bins["chrom"].astype(str)).merge(
        t, on=["chrom", "start", "end"], how="left")
    if merged[value].notna().sum() == 0:
        raise InputError("phasing_track", "bins", "values on the map's bins", "no overlap")
    return merged


def gene_features(clr: cooler.Cooler, genes: pd.DataFrame, window_bp: int | None = None,
                  weight: str | None = "weight", ins: pd.DataFrame | None = None,
                  comp: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per-gene 3D features at the TSS bin.

    Columns: ``gene_id, symbol, chrom, tss, bin_id, in_coverage, insulation, is_boundary,
    boundary_distance`` (bp between the TSS bin and the nearest boundary bin on the chromosome),
    ``boundary_distance_bins, tad_id, E1, compartment``. Genes outside coverage get NaN/empty.
    """
    mapped = gene_bins(clr, genes) if "bin_id" not in genes else genes
    ins = insulation(clr, window_bp, weight=weight) if ins is None else ins
    comp = compartments(clr, genes=mapped, weight=weight) if comp is None else comp
    ok = mapped["in_coverage"].to_numpy()
    bid = np.where(ok, mapped["bin_id"].to_numpy(), 0)
    out = mapped[["gene_id", "symbol", "chrom", "tss", "bin_id", "in_coverage"]].copy()
    out["insulation"] = np.where(ok, ins["insulation"].to_numpy()[bid], np.nan)
    out["is_boundary"] = ok & ins["is_boundary"].to_numpy()[bid]
    dist = _boundary_distance_bins(clr, ins)
    out["boundary_distance_bins"] = np.where(ok, dist[bid], np.nan)
    out["boundary_distance"] = out["boundary_distance_bins"] * clr.binsize
    out["tad_id"] = _tad_of_bins(clr, tad_domains(ins), bid, ok)
    out["E1"] = np.where(ok, comp["E1"].to_numpy()[bid], np.nan)
    out["compartment"] = np.where(ok, comp["compartment"].to_numpy()[bid], "")
    return out


def _boundary_distance_bins(clr: cooler.Cooler, ins: pd.DataFrame) -> np.ndarray:
    """Per bin: bins to the nearest boundary bin on its chromosome (NaN without boundaries)."""
    dist = np.full(len(ins), np.nan)
    is_b = ins["is_boundary"].to_numpy()
    for chrom in clr.chromnames:
        lo, hi = clr.extent(chrom)
        where = np.flatnonzero(is_b[lo:hi])
        if len(where) == 0:
            continue
        idx = np.arange(hi - lo)
        pos = np.searchsorted(where, idx)
        left = where[np.clip(pos - 1, 0, len(where) - 1)]
        right = where[np.clip(pos, 0, len(where) - 1)]
        dist[lo:hi] = np.minimum(np.abs(idx - left), np.abs(right - idx))
    return dist


def _tad_of_bins(clr: cooler.Cooler, tads: pd.DataFrame, bid: np.ndarray,
                 ok: np.ndarray) -> np.ndarray:
    labels = np.full(int(clr.info["nbins"]), "", dtype=object)
    binsize = int(clr.binsize)
    offsets = {c: clr.offset(c) for c in pd.unique(tads["chrom"])}  # one HDF5 read per chrom
    for row in tads.itertuples(index=False):
        lo = offsets[row.chrom] + row.start // binsize
        hi = offsets[row.chrom] + -(-row.end // binsize)
        labels[lo:hi] = row.tad_id
    return np.where(ok, labels[bid], "")


def pair_flags(pairs: pd.DataFrame, gene_feats: pd.DataFrame) -> pd.DataFrame:
    """Add ``same_tad`` and ``same_compartment`` to a gene-pair table.

    Both are False when either gene lacks a TAD / compartment (outside coverage or NaN E1).
    """
    feats = gene_feats.drop_duplicates("gene_id").set_index("gene_id")
    tad1 = pairs["gene1"].map(feats["tad_id"]).fillna("")
    tad2 = pairs["gene2"].map(feats["tad_id"]).fillna("")
    c1 = pairs["gene1"].map(feats["compartment"]).fillna("")
    c2 = pairs["gene2"].map(feats["compartment"]).fillna("")
    out = pairs.copy()
    out["same_tad"] = (tad1 == tad2) & (tad1 != "")
    out["same_compartment"] = (c1 == c2) & (c1 != "")
    return out

"""Genome scale: per-chromosome contact features and gene graphs on Dask, large simulations.

:func:`contact_features_parallel` computes, one chromosome per task, the expensive parts of
:mod:`hicexpr.contacts` (cooltools insulation scores, cis compartment eigenvectors, gene-pair
contacts) from the cooler's *path*, then finishes the genome-wide steps in this process
(boundary prominence and the Li threshold over all chromosomes, per-gene features). The
result equals the serial functions ``insulation``, ``compartments``, ``gene_features`` and
``gene_pair_contacts`` exactly (tests/scale checks it on a 2-worker local cluster).
:func:`simulate_large` writes a genome-size data set. The mini-batch STEPmr lives in
:mod:`hicexpr.forecast.minibatch` (re-exported here).
"""

from __future__ import annotations

import functools
import logging
import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import cooler
import numpy as np
import pandas as pd
import torch
from torch_geometric.data import Data

from hicexpr.contacts.features import (
    MAX_DENSE_BINS,
    _view,
    chromosome_e1,
    compartment_table,
    covered_stretch,
    default_window,
    finish_insulation,
    ignore_diags,
)
from hicexpr.contacts.features import gene_features as _gene_features
from hicexpr.contacts.mapping import bin_coverage, gene_bins
from hicexpr.contacts.pairs import PAIR_COLUMNS, gene_pair_contacts
from hicexpr.forecast.cheb_conv import SparseChebGraphConv, sparse_matmul
from hicexpr.forecast.minibatch import (
    MiniBatchSTEPmr,
    gene_blocks,
    resolve_device,
    window_batches,
)
from hicexpr.graph.build import EdgeWeights, build_gene_graph, graph_pairs
from hicexpr.io.contacts import require_balanced
from hicexpr.lib.errors import InputError
from hicexpr.lib.parallel import map_chromosomes
from hicexpr.lib.paths import writable_folder

if TYPE_CHECKING:
    import scipy.sparse as sp

    from hicexpr.datasets.simulate import SimulatedPaths

log = logging.getLogger(__name__)

PathLike = str | os.PathLike[str]
DEFAULT_MAX_DISTANCE = 2_000_000


@dataclass
class ContactFeatures:
    """Genome-wide contact features of a gene set (the tables of ``hicexpr contacts features``).

    Attributes:
        genes: gene table with ``bin_id, in_coverage, coverage_note`` (:func:`gene_bins`).
        features: per-gene 3D features (:func:`hicexpr.contacts.gene_features`).
        pairs: cis gene-pair contacts (:func:`hicexpr.contacts.gene_pair_contacts`).
        insulation: per-bin insulation table (:func:`hicexpr.contacts.insulation`).
        compartments: per-bin ``chrom, start, end, E1, compartment``.
    """

    genes: pd.DataFrame
    features: pd.DataFrame
    pairs: pd.DataFrame
    insulation: pd.DataFrame
    compartments: pd.DataFrame


@dataclass(frozen=True)
class _ChromJob:
    """Everything a worker needs for one chromosome (plain, picklable values)."""

    uri: str
    genes: pd.DataFrame  # mapped genes (all chromosomes; the task selects its own)
    window: int
    weight: str | None
    diags: int
    max_distance: int
    max_bins: int
    insulation_chroms: frozenset[str]
    compartment_stretches: dict[str, tuple[int, int]]  # covered bins of each chromosome


def _chrom_task(job: _ChromJob, chrom: str) -> dict[str, object]:
    """Insulation scores, E1 and gene pairs of one chromosome, read from the cooler path."""
    clr = cooler.Cooler(job.uri)
    return {
        "insulation": _chrom_insulation(clr, job, chrom),
        "E1": _chrom_e1(clr, job, chrom),
        "pairs": _chrom_pairs(clr, job, chrom),
    }


def _chrom_insulation(clr: cooler.Cooler, job: _ChromJob, chrom: str) -> pd.DataFrame | None:
    """cooltools' diamond insulation score of one chromosome (before boundary calling)."""
    from cooltools.api.insulation import calculate_insulation_score

    if chrom not in job.insulation_chroms:
        return None
    view = pd.DataFrame([(chrom, 0, int(clr.chromsizes[chrom]), chrom)],
                        columns=["chrom", "start", "end", "name"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return calculate_insulation_score(clr, [job.window], view_df=view,
                                          ignore_diags=job.diags, clr_weight_name=job.weight,
                                          nproc=1)


def _chrom_e1(clr: cooler.Cooler, job: _ChromJob,
              chrom: str) -> tuple[int, np.ndarray] | None:
    """First bin and first cis eigenvector of one chromosome's covered stretch, phased by gene
    density (as ``compartments``)."""
    if chrom not in job.compartment_stretches:
        return None
    lo, hi = job.compartment_stretches[chrom]
    ids = job.genes["bin_id"].to_numpy()
    ids = ids[(ids >= lo) & (ids < hi)] - lo
    density = np.bincount(ids, minlength=hi - lo).astype(np.float64)
    return lo, chromosome_e1(clr, lo, hi, job.weight, job.diags, density, job.max_bins)


def _chrom_pairs(clr: cooler.Cooler, job: _ChromJob, chrom: str) -> pd.DataFrame | None:
    """Cis gene-pair contacts of one chromosome (None when no gene there is in coverage)."""
    sel = job.genes[(job.genes["chrom"] == chrom) & job.genes["in_coverage"]]
    if sel.empty:
        return None
    return gene_pair_contacts(clr, sel, max_distance=job.max_distance,
                              balance=job.weight is not None, weight=job.weight or "weight")


def contact_features_parallel(
    cool_path: PathLike,
    genes: pd.DataFrame,
    workers: int | None = None,
    scheduler: str | None = None,
    window_bp: int | None = None,
    max_distance: int | None = DEFAULT_MAX_DISTANCE,
    weight: str | None = "weight",
    threshold: str | float = "Li",
    min_frac_valid_pixels: float = 0.66,
    max_bins: int = MAX_DENSE_BINS,
    client: object = None,
    source: str | None = None,
) -> ContactFeatures:
    """Gene bins, insulation, compartments, per-gene features and cis gene pairs, computed one
    chromosome per task (serial, ``--workers N`` local cluster or ``--scheduler ADDRESS``).

    Args:
        cool_path: balanced ``.cool`` (URI ``file.mcool::resolutions/N`` allowed); workers open
            it themselves.
        genes: gene table (``chrom, start, end, gene_id, symbol, strand, tss``).
        workers, scheduler, client: engine (see :func:`hicexpr.lib.parallel.map_chromosomes`).
        window_bp: insulation window (default 5 bins); weight: balancing column or None (raw).
        max_distance: largest TSS distance of listed gene pairs (bp; None = whole chromosome).
        threshold, min_frac_valid_pixels: boundary calling (as :func:`insulation`).
        max_bins: chromosomes with more bins get E1 from streamed blocks (as
            :func:`compartments`).
        source: name of the gene file (for messages).

    Returns:
        :class:`ContactFeatures`, identical to the serial :mod:`hicexpr.contacts` functions.
    """
    clr = cooler.Cooler(str(cool_path))
    if weight is not None:
        require_balanced(clr, weight=weight)
    window = int(window_bp or default_window(clr))
    if window < clr.binsize or window % clr.binsize:
        raise InputError("window_bp", "", f"a multiple of the bin size {clr.binsize}", window)
    mapped = gene_bins(clr, genes, source=source)
    coverage = bin_coverage(clr)  # cached: the one pass gene_bins already made
    job = _ChromJob(
        uri=clr.uri, genes=mapped, window=window, weight=weight, diags=ignore_diags(clr, weight),
        max_distance=int(max_distance) if max_distance is not None else
        int(max(clr.chromsizes)), max_bins=max_bins,
        insulation_chroms=frozenset(_view(clr, min_bins=3 * window // clr.binsize)["chrom"]),
        compartment_stretches={chrom: covered_stretch(clr, chrom, coverage)
                               for chrom in _view(clr, min_bins=4)["chrom"]},
    )
    chroms = list(clr.chromnames)
    parts = map_chromosomes(functools.partial(_chrom_task, job), chroms, workers, scheduler,
                            client=client, description="contact features")
    ins = _finish_insulation(clr, [p["insulation"] for p in parts], window, threshold,
                             min_frac_valid_pixels)
    comp = _finish_compartments(clr, [p["E1"] for p in parts])
    feats = _gene_features(clr, mapped, window, weight=weight, ins=ins, comp=comp)
    pair_parts = [p["pairs"] for p in parts if p["pairs"] is not None]
    pairs = (pd.concat(pair_parts, ignore_index=True) if pair_parts
             else pd.DataFrame(columns=PAIR_COLUMNS))
    return ContactFeatures(mapped, feats, pairs.reset_index(drop=True)[PAIR_COLUMNS], ins, comp)


def _finish_insulation(clr: cooler.Cooler, parts: list[pd.DataFrame | None], window: int,
                       threshold: str | float, min_frac_valid_pixels: float) -> pd.DataFrame:
    """Genome-wide steps of ``cooltools.insulation``: prominence, Li threshold, all bins."""
    from cooltools.api.insulation import find_boundaries
    from skimage.filters import threshold_li, threshold_otsu

    found = [p for p in parts if p is not None]
    if not found:
        raise InputError(clr.filename, "chromosomes", "a chromosome with enough bins holding "
                         "contacts for the insulation window", "none (empty map?)")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = find_boundaries(pd.concat(found), min_frac_valid_pixels=min_frac_valid_pixels)
        strength = table[f"boundary_strength_{window}"].to_numpy()
        try:
            if threshold == "Li":
                cut = threshold_li(strength)
            elif threshold == "Otsu":
                cut = threshold_otsu(strength)
            else:
                cut = float(threshold)
        except (ValueError, np.linalg.LinAlgError):  # too few boundaries: keep every peak
            cut = 0.0
        table[f"is_boundary_{window}"] = strength >= cut
    return finish_insulation(clr, table, window)


def _finish_compartments(clr: cooler.Cooler,
                         parts: list[tuple[int, np.ndarray] | None]) -> pd.DataFrame:
    e1 = np.full(int(clr.info["nbins"]), np.nan)
    for part in parts:
        if part is not None:
            lo, vec = part
            e1[lo:lo + len(vec)] = vec
    return compartment_table(clr, e1)


# --- gene graphs, one chromosome per task ---------------------------------------------------


@dataclass(frozen=True)
class _GraphJob:
    genes: pd.Index
    chrom_of: pd.Series  # gene id -> chromosome
    pairs: pd.DataFrame
    weights: EdgeWeights | None


def _chrom_graph(job: _GraphJob, chrom: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Edges (global node ids) of the cis sub-graph of one chromosome."""
    nodes = job.genes[(job.chrom_of.reindex(job.genes) == chrom).to_numpy()]
    sel = job.pairs[job.pairs["chrom1"].astype(str) == chrom]
    sub = build_gene_graph(nodes, sel, job.weights)
    local = job.genes.get_indexer(nodes)
    src, dst = sub.edge_index.numpy()
    return local[src], local[dst], sub.edge_weight.numpy()


def gene_graph_parallel(
    genes: Sequence[str] | pd.Index,
    chroms: Sequence[str] | pd.Series,
    pairs: pd.DataFrame,
    weights: EdgeWeights | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    client: object = None,
) -> Data:
    """:func:`hicexpr.graph.build_gene_graph` of cis pairs, built one chromosome per task.

    Cis pairs never join two chromosomes, so the graph is the union of the per-chromosome
    graphs; the edges come back in the serial order (sorted by source, then target).

    Args:
        genes: node order; chroms: the chromosome of each gene (same order).
        pairs: pair table with ``gene1, gene2, chrom1, chrom2`` and feature columns; trans
            pairs (``chrom1 != chrom2``) are refused (use :func:`build_gene_graph`).
        weights: edge weights; ``top_k`` is applied per chromosome (same as genome-wide,
            since every edge of a gene lies on its chromosome).
    """
    index = pd.Index([str(g) for g in genes])
    chrom_of = pd.Series(np.asarray(chroms).astype(str), index=index)
    if len(chrom_of) != len(index):
        raise InputError("chroms", "", f"one chromosome per gene ({len(index)})", len(chrom_of))
    if (pairs["chrom1"].astype(str) != pairs["chrom2"].astype(str)).any():
        raise InputError("pairs", "chrom1/chrom2", "cis pairs only", "trans pairs")
    if weights is not None and weights.similarity:
        raise InputError("weights", "similarity", "0 (similarity edges join chromosomes)",
                         weights.similarity)
    job = _GraphJob(index, chrom_of, graph_pairs(pairs), weights)
    order = list(dict.fromkeys(chrom_of.tolist()))
    parts = map_chromosomes(functools.partial(_chrom_graph, job), order, workers, scheduler,
                            client=client, description="gene graph")
    src = np.concatenate([p[0] for p in parts]) if parts else np.zeros(0, np.int64)
    dst = np.concatenate([p[1] for p in parts]) if parts else np.zeros(0, np.int64)
    w = np.concatenate([p[2] for p in parts]) if parts else np.zeros(0, np.float32)
    keep = np.lexsort((dst, src))
    return Data(edge_index=torch.as_tensor(np.stack([src[keep], dst[keep]]), dtype=torch.long)
                .reshape(2, -1), edge_weight=torch.as_tensor(w[keep], dtype=torch.float32),
                num_nodes=len(index))


# --- genome-size simulation ------------------------------------------------------------------

#: Chromosome length of the genome-scale simulation (bp): 150 Mb, ~15,000 bins at 10 kb.
LARGE_CHROM_SIZE = 150_000_000


def cis_ice(
    cool_path: PathLike,
    weight_name: str = "weight",
    ignore_diags: int = 2,
    min_nnz: int = 10,
    mad_max: float = 5.0,
    tol: float = 1e-5,
    max_iters: int = 200,
) -> np.ndarray:
    """Cis-only iterative correction of a ``.cool``, one chromosome in memory at a time.

    The same algorithm, filters and stored attributes as ``cooler.balance_cooler(cis_only=True,
    rescale_marginals=True)`` (min_nnz and MAD-max bin filters, marginals scaled to 1 per
    chromosome), but each chromosome's pixels are read once and iterated as a sparse matrix in
    memory instead of re-reading the file on every iteration (~100x fewer reads on a genome-wide
    10 kb map). Trans pixels are ignored. Returns the weights (NaN = filtered bin) and stores them
    as ``bins/<weight_name>``.
    """
    import h5py
    import scipy.sparse as sp

    clr = cooler.Cooler(str(cool_path))
    n = int(clr.info["nbins"])
    offsets = clr._load_dset("indexes/chrom_offset")
    index = clr._load_dset("indexes/bin1_offset")
    pixels = clr.pixels()
    mats, marg_nnz, marg = [], np.zeros(n), np.zeros(n)
    for lo, hi in zip(offsets[:-1], offsets[1:], strict=True):
        px = pixels[int(index[lo]):int(index[hi])]
        b1, b2 = px["bin1_id"].to_numpy() - lo, px["bin2_id"].to_numpy() - lo
        v = px["count"].to_numpy(np.float64)
        keep = (b2 < hi - lo) & (np.abs(b2 - b1) >= ignore_diags) & (v != 0)
        upper = sp.coo_matrix((v[keep], (b1[keep], b2[keep])), shape=(hi - lo, hi - lo)).tocsr()
        sym = (upper + upper.T - sp.diags(upper.diagonal())).tocsr()
        mats.append(sym)
        marg_nnz[lo:hi] = np.asarray((sym != 0).sum(axis=1)).ravel()
        marg[lo:hi] = np.asarray(sym.sum(axis=1)).ravel()
    bias = np.ones(n)
    bias[marg_nnz < min_nnz] = 0
    if mad_max > 0:
        bias[_mad_filter(marg, offsets, mad_max)] = 0
    scales, variances = np.ones(len(mats)), np.full(len(mats), np.nan)
    for cid, (sym, lo, hi) in enumerate(zip(mats, offsets[:-1], offsets[1:], strict=True)):
        b, scales[cid], variances[cid] = _ice_chrom(sym, bias[lo:hi], tol, max_iters)
        bias[lo:hi] = b
    stats = {"tol": tol, "min_nnz": min_nnz, "min_count": 0, "mad_max": mad_max,
             "cis_only": True, "ignore_diags": ignore_diags, "scale": scales,
             "converged": variances < tol, "var": variances, "divisive_weights": False}
    with h5py.File(clr.filename, "r+") as f:
        grp = f[clr.root]["bins"]
        if weight_name in grp:
            del grp[weight_name]
        grp.create_dataset(weight_name, data=bias, compression="gzip", compression_opts=6)
        grp[weight_name].attrs.update(stats)
    return bias


def _mad_filter(marg: np.ndarray, offsets: np.ndarray, mad_max: float) -> np.ndarray:
    """Bins whose chromosome-normalised marginal is below median - mad_max x MAD (log scale)."""
    marg = marg.copy()
    for lo, hi in zip(offsets[:-1], offsets[1:], strict=True):
        c = marg[lo:hi]
        if (c > 0).any():
            marg[lo:hi] = c / np.median(c[c > 0])
    log_nz = np.log(marg[marg > 0])
    cutoff = np.exp(np.median(log_nz) - mad_max * np.median(np.abs(log_nz - np.median(log_nz))))
    return marg < cutoff


def _ice_chrom(sym: sp.csr_matrix, bias: np.ndarray, tol: float,
               max_iters: int) -> tuple[np.ndarray, float, float]:
    """Iterative correction of one symmetric cis matrix (cooler's ``_balance_cisonly`` steps)."""
    b = bias.astype(np.float64).copy()
    var, nz = np.nan, np.zeros(0)
    for _ in range(max_iters):
        m = b * (sym @ b)
        nz = m[m != 0]
        if not len(nz):
            return np.full_like(b, np.nan), float("nan"), 0.0
        m = m / nz.mean()
        m[m == 0] = 1
        b /= m
        var = float(nz.var())
        if var < tol:
            break
    else:
        log.info("cis ICE: iteration limit reached (variance %.2e)", var)
    scale = float(nz.mean())
    b[b == 0] = np.nan
    return b / np.sqrt(scale), scale, var


def simulate_large(
    out: PathLike,
    n_genes: int = 20_000,
    n_times: int = 100,
    seed: int = 0,
    resolution: int = 10_000,
    chrom_size: int = LARGE_CHROM_SIZE,
    n_chroms: int | None = None,
    max_distance: int = 2_000_000,
    **params: object,
) -> SimulatedPaths:
    """Genome-scale simulated data set: ``hicexpr simulate`` at realistic size.

    Same model and files as :func:`hicexpr.datasets.simulate.simulate_dataset` (pixels drawn
    per chromosome in bands and written through ``cooler.create_cooler`` from an iterator of
    chunks), with a human-like layout: one chromosome per 1,000 genes, 150 Mb on average
    (20,000 genes: 20 chromosomes, 3 Gb, ~300,000 bins at 10 kb), contacts up to
    ``max_distance`` (~50 M pixels at 20,000 genes), and cis ICE weights from :func:`cis_ice`.

    Returns:
        :class:`hicexpr.datasets.simulate.SimulatedPaths`.
    """
    from hicexpr.datasets import simulate as sim
    from hicexpr.lib import atomic

    n_chroms = max(1, round(n_genes / 1000)) if n_chroms is None else int(n_chroms)
    try:
        p = sim.SimulationParams(n_genes=n_genes, n_times=n_times, n_chroms=n_chroms,
                                 genome_size=int(chrom_size) * n_chroms, resolution=resolution,
                                 max_distance=max_distance, **params)  # type: ignore[arg-type]
    except TypeError as exc:
        raise InputError("simulate", "parameters", "known SimulationParams fields",
                         str(exc)) from None
    p.check()
    sim.check_seed(seed)
    folder = writable_folder(out)
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(4)]
    genome = sim.plant_genome(p, streams[0])
    genes = sim.place_genes(genome, p, streams[1])
    coupling, edges = sim.coupling_matrix(genes, p, streams[2])
    expr = sim.simulate_expression(coupling, genes, p, streams[3])
    paths = sim.SimulatedPaths(folder, folder / "contacts.cool", folder / "genes.bed",
                               folder / "expression.tsv", folder / "truth.json")
    bins = genome.bins[["chrom", "start", "end"]].copy()
    bins["chrom"] = bins["chrom"].astype(str)
    meta = {"generated-by": "hicexpr.workflows.scale.simulate_large", "seed": int(seed)}
    with atomic.atomic_path(paths.cool) as tmp:
        cooler.create_cooler(str(tmp), bins, sim._pixels(genome, p, seed), ordered=True,
                             metadata=meta, assembly="sim", dtypes={"count": np.int32},
                             h5opts={"compression": "lzf", "shuffle": True})
        cis_ice(tmp)
    sim._write_genes(paths.genes, genes)
    sim._write_expression(paths.expression, expr, genes, p)
    atomic.write_json(paths.truth, sim._truth(genome, genes, coupling, edges, p, seed))
    log.info("simulated %d genes x %d time points, %d bins, into %s", n_genes, n_times,
             len(bins), folder)
    return paths


__all__ = ["ContactFeatures", "MiniBatchSTEPmr", "SparseChebGraphConv", "cis_ice",
           "contact_features_parallel", "gene_blocks", "gene_graph_parallel", "resolve_device",
           "simulate_large", "sparse_matmul", "window_batches"]

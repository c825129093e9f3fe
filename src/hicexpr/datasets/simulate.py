"""Simulated Hi-C + gene expression data sets with planted, known structure.

The contact map is a real ``.cool`` file whose expected counts follow

    lambda_ij = depth * (1 + |i - j|)^(-alpha) * b_i * b_j * tad_ij * exp(comp * c_i * c_j)

with ``b`` a per-bin coverage bias, ``tad_ij = tad_strength`` when bins ``i`` and ``j`` lie in
the same planted domain (else 1) and ``c_i = +1`` (A) or ``-1`` (B) the planted compartment:
the familiar power-law decay, TAD squares and A/B checkerboard. Counts are Poisson draws and the
matrix-balancing weights are stored (``cooler.balance_cooler``).

Genes are placed preferentially in the A compartment. Their expression follows a sparse linear
dynamical system whose coupling lives on gene pairs sharing a planted domain::

    x_{t+1} = A x_t + u * sin(2 pi t / period + phase) + noise

``A = rho * I + C`` with ``C`` supported on same-domain pairs, each row scaled so that its
absolute sum stays below ``max_gain < 1``, which bounds the spectral radius (Gershgorin).
Everything planted is written to ``truth.json``. The same seed gives byte-identical files.

Pixels are built per chromosome, one band of diagonals at a time (``max_distance`` bounds the
band), so genome-wide 10 kb maps never need a dense N x N matrix.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cooler
import h5py
import numpy as np
import pandas as pd
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from hicexpr.io.contacts import balance_quietly
from hicexpr.lib import atomic
from hicexpr.lib.errors import InputError
from hicexpr.lib.paths import writable_folder
from hicexpr.lib.progress import track

log = logging.getLogger(__name__)

#: Fixed ``creation-date`` stored in simulated coolers (keeps files byte-identical per seed).
FIXED_DATE = "2000-01-01T00:00:00"
_PIXEL_CHUNK = 5_000_000


@dataclass(frozen=True)
class SimulatedPaths:
    """Files written by :func:`simulate_dataset`."""

    folder: Path
    cool: Path
    genes: Path
    expression: Path
    truth: Path


@dataclass(frozen=True)
class SimulationParams:
    """Parameters of the simulation (all recorded in ``truth.json``).

    Attributes:
        n_genes: number of genes.
        n_times: number of time points written.
        n_chroms: number of chromosomes (named ``chr1``, ``chr2``, ...).
        genome_size: total genome length in bp, split unequally between chromosomes.
        resolution: bin size in bp.
        max_distance: largest simulated contact distance in bp (None: whole chromosome).
        depth: expected count on the main diagonal.
        alpha: power-law exponent of the distance decay.
        tad_size: (min, max) domain length in bp (None: 20 to 80 bins).
        tad_strength: contact enrichment factor inside a domain.
        compartment_strength: ``comp`` in ``exp(comp * c_i * c_j)``.
        bias_sd: standard deviation of the log coverage bias.
        a_gene_weight: relative gene density of A versus B bins.
        self_coupling: ``rho``, the diagonal of ``A``.
        edge_prob: probability that an ordered same-domain gene pair is coupled.
        max_in_degree: cap on the expected number of couplings into one gene (lowers
            ``edge_prob`` in gene-dense domains).
        positive_frac: fraction of couplings with a positive sign.
        coupling: (min, max) absolute coupling weight before scaling.
        max_gain: bound on every row's absolute sum of ``A`` (bounds the spectral radius).
        oscillation_amplitude: standard deviation of the per-gene loadings ``u``.
        period: oscillation period in time steps.
        noise_sd: standard deviation of the innovation noise.
        burn_in: steps simulated and discarded before the first written time point.
        time_step: time between written points (the header values are ``k * time_step``).
    """

    n_genes: int = 300
    n_times: int = 40
    n_chroms: int = 3
    genome_size: int = 24_000_000
    resolution: int = 10_000
    max_distance: int | None = None
    depth: float = 200.0
    alpha: float = 1.0
    tad_size: tuple[int, int] | None = None
    tad_strength: float = 2.5
    compartment_strength: float = 0.4
    bias_sd: float = 0.15
    a_gene_weight: float = 3.0
    self_coupling: float = 0.4
    edge_prob: float = 0.5
    max_in_degree: float = 4.0
    positive_frac: float = 0.8
    coupling: tuple[float, float] = (0.3, 0.6)
    max_gain: float = 0.9
    oscillation_amplitude: float = 0.5
    period: float = 12.0
    noise_sd: float = 0.5
    burn_in: int = 50
    time_step: float = 1.0

    @property
    def domain_size(self) -> tuple[int, int]:
        """(min, max) domain length in bp."""
        if self.tad_size is None:
            return (20 * self.resolution, 80 * self.resolution)
        return (int(self.tad_size[0]), int(self.tad_size[1]))

    def check(self) -> None:
        """Raise :class:`InputError` for values that cannot give a valid data set."""
        positive = ("n_genes", "n_times", "n_chroms", "genome_size", "resolution", "depth")
        for name in positive:
            if getattr(self, name) <= 0:
                raise InputError("simulate", name, "a positive value", getattr(self, name))
        if self.max_distance is not None and self.max_distance < self.resolution:
            raise InputError("simulate", "max_distance", f"at least one bin ({self.resolution} "
                             "bp; unset: whole chromosomes)", self.max_distance)
        lo, hi = self.domain_size
        if not 0 < lo <= hi or lo < 3 * self.resolution:
            raise InputError("simulate", "tad_size", "0 < min <= max, min >= 3 bins", (lo, hi))
        smallest = int(chrom_lengths(self).min())
        if smallest < 2 * lo:
            raise InputError(
                "simulate", "genome_size", f"at least {2 * lo} bp in the smallest chromosome "
                "(two domains)", f"{self.genome_size} bp in all, {smallest} bp in the smallest "
                f"of {self.n_chroms} chromosomes",
            )
        if not 0 <= self.self_coupling < self.max_gain < 1:
            raise InputError(
                "simulate", "max_gain", "0 <= self_coupling < max_gain < 1", self.max_gain
            )


@dataclass
class _Genome:
    """Planted genome layout: chromosomes, bins, domains and compartments."""

    chromsizes: pd.Series
    bins: pd.DataFrame  # chrom, start, end (+ domain, compartment, bias)
    offsets: dict[str, int] = field(default_factory=dict)


def simulate_dataset(
    out: str | os.PathLike[str],
    seed: int = 0,
    n_genes: int = 300,
    n_times: int = 40,
    resolution: int = 10_000,
    n_chroms: int = 3,
    genome_size: int = 24_000_000,
    max_distance: int | None = None,
    **params: Any,
) -> SimulatedPaths:
    """Simulate a Hi-C map, genes and an expression time course into folder ``out``.

    Args:
        out: output folder (created).
        seed: random seed; the same seed and parameters give byte-identical files.
        n_genes, n_times, resolution, n_chroms, genome_size, max_distance: see
            :class:`SimulationParams`; ``**params`` sets any other field of it.

    Returns:
        The paths of ``contacts.cool``, ``genes.bed``, ``expression.tsv`` and ``truth.json``.
    """
    try:
        p = SimulationParams(
            n_genes=n_genes, n_times=n_times, resolution=resolution, n_chroms=n_chroms,
            genome_size=genome_size, max_distance=max_distance, **params,
        )
    except TypeError as exc:
        raise InputError(
            "simulate", "parameters", "known SimulationParams fields", str(exc)
        ) from None
    p.check()
    check_seed(seed)
    folder = writable_folder(out)
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(4)]
    genome = plant_genome(p, streams[0])
    genes = place_genes(genome, p, streams[1])
    A, edges = coupling_matrix(genes, p, streams[2])
    expr = simulate_expression(A, genes, p, streams[3])
    paths = SimulatedPaths(
        folder=folder,
        cool=folder / "contacts.cool",
        genes=folder / "genes.bed",
        expression=folder / "expression.tsv",
        truth=folder / "truth.json",
    )
    converged = write_cooler(paths.cool, genome, p, seed)
    _write_genes(paths.genes, genes)
    _write_expression(paths.expression, expr, genes, p)
    truth = _truth(genome, genes, A, edges, p, seed)
    truth["balance_converged"] = converged
    atomic.write_json(paths.truth, truth)
    log.info("simulated %d genes x %d time points into %s", p.n_genes, p.n_times, folder)
    return paths


def check_seed(seed: int) -> None:
    """Raise :class:`InputError` unless ``seed`` is a non-negative integer (numpy's rule)."""
    if seed < 0:
        raise InputError("simulate", "seed", "a non-negative integer", seed)


def chrom_lengths(p: SimulationParams) -> np.ndarray:
    """Chromosome lengths (bp, multiples of the resolution): linearly from 1.25 to 0.75 x mean."""
    weights = np.linspace(1.25, 0.75, p.n_chroms) if p.n_chroms > 1 else np.ones(1)
    lengths = np.floor(p.genome_size * weights / weights.sum() / p.resolution) * p.resolution
    return lengths.astype(np.int64)


def plant_genome(p: SimulationParams, rng: np.random.Generator) -> _Genome:
    """Chromosomes, bins, planted domains (TADs), compartments and coverage biases."""
    names = [f"chr{i + 1}" for i in range(p.n_chroms)]
    chromsizes = pd.Series(chrom_lengths(p), index=names, name="length")
    frames, offsets, offset = [], {}, 0
    domain_base = 0
    for chrom, length in chromsizes.items():
        n = int(length // p.resolution)
        domain, n_domains = _plant_domains(n, p, rng)
        comp = _plant_compartments(n_domains, rng)[domain]
        starts = np.arange(n, dtype=np.int64) * p.resolution
        frames.append(pd.DataFrame({
            "chrom": chrom,
            "start": starts,
            "end": starts + p.resolution,
            "domain": domain + domain_base,
            "compartment": comp,
            "bias": np.exp(rng.normal(0.0, p.bias_sd, n)),
        }))
        offsets[str(chrom)] = offset
        offset += n
        domain_base += n_domains
    bins = pd.concat(frames, ignore_index=True)
    bins["chrom"] = pd.Categorical(bins["chrom"], categories=names, ordered=True)
    return _Genome(chromsizes=chromsizes, bins=bins, offsets=offsets)


def _plant_domains(n: int, p: SimulationParams, rng: np.random.Generator) -> tuple[np.ndarray, int]:
    """Domain index per bin, domain lengths drawn uniformly in ``domain_size``."""
    lo, hi = (max(3, s // p.resolution) for s in p.domain_size)
    sizes: list[int] = []
    while sum(sizes) < n:
        sizes.append(int(rng.integers(lo, hi + 1)))
    overshoot = sum(sizes) - n
    sizes[-1] -= overshoot
    if sizes[-1] < lo and len(sizes) > 1:
        last = sizes.pop()
        sizes[-1] += last
    return np.repeat(np.arange(len(sizes)), sizes), len(sizes)


def _plant_compartments(n_domains: int, rng: np.random.Generator) -> np.ndarray:
    """+1 (A) / -1 (B) per domain: alternating runs of 1-3 whole domains."""
    labels = np.empty(n_domains, dtype=np.int8)
    sign = 1 if rng.random() < 0.5 else -1
    i = 0
    while i < n_domains:
        run = int(rng.integers(1, 4))
        labels[i : i + run] = sign
        sign = -sign
        i += run
    return labels


def expected_band(
    chrom_bins: pd.DataFrame, p: SimulationParams, d_start: int, d_stop: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Expected counts on diagonals ``d_start <= j - i < d_stop`` of one chromosome.

    Returns:
        ``(i, j, lam)``: local bin indices (``i <= j``) and expected counts, shape ``(m,)`` each.
    """
    n = len(chrom_bins)
    offsets = np.arange(d_start, min(d_stop, n))
    lengths = n - offsets
    d = np.repeat(offsets, lengths)
    i = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    j = i + d
    bias = chrom_bins["bias"].to_numpy()
    dom = chrom_bins["domain"].to_numpy()
    comp = chrom_bins["compartment"].to_numpy().astype(np.float64)
    lam = p.depth * (1.0 + d) ** (-p.alpha) * bias[i] * bias[j]
    lam *= np.where(dom[i] == dom[j], p.tad_strength, 1.0)
    lam *= np.exp(p.compartment_strength * comp[i] * comp[j])
    return i, j, lam


def _chrom_pixels(
    chrom_bins: pd.DataFrame, offset: int, p: SimulationParams, rng: np.random.Generator
) -> Iterator[pd.DataFrame]:
    """Poisson pixels of one chromosome, in row-sorted chunks of bands of diagonals."""
    n = len(chrom_bins)
    band = n if p.max_distance is None else min(n, p.max_distance // p.resolution + 1)
    counts = []
    step = max(1, _PIXEL_CHUNK // max(n, 1))
    rows, cols = [], []
    for d0 in range(0, band, step):
        i, j, lam = expected_band(chrom_bins, p, d0, min(d0 + step, band))
        c = rng.poisson(lam)
        keep = c > 0
        rows.append(i[keep])
        cols.append(j[keep])
        counts.append(c[keep])
    i = np.concatenate(rows)
    j = np.concatenate(cols)
    c = np.concatenate(counts)
    order = np.lexsort((j, i))
    i, j, c = i[order], j[order], c[order]
    for s in range(0, len(i), _PIXEL_CHUNK):
        sl = slice(s, s + _PIXEL_CHUNK)
        yield pd.DataFrame({
            "bin1_id": i[sl] + offset,
            "bin2_id": j[sl] + offset,
            "count": c[sl].astype(np.int32),
        })


def _pixels(genome: _Genome, p: SimulationParams, seed: int) -> Iterator[pd.DataFrame]:
    """Pixels of every chromosome, each from its own random stream (chunk-order independent)."""
    chroms = list(genome.chromsizes.index)
    streams = np.random.SeedSequence([seed, 7]).spawn(len(chroms))
    for chrom, ss in track(list(zip(chroms, streams, strict=True)), "simulating contacts"):
        chrom_bins = genome.bins[genome.bins["chrom"] == chrom].reset_index(drop=True)
        yield from _chrom_pixels(chrom_bins, genome.offsets[chrom], p, np.random.default_rng(ss))


def write_cooler(path: Path, genome: _Genome, p: SimulationParams, seed: int) -> bool:
    """Write the simulated contacts as a balanced ``.cool`` (atomically).

    Returns:
        Whether matrix balancing converged on every chromosome. Banded maps
        (``max_distance`` set) converge slowly; the weights are stored either way and
        the bins/weight attributes record the per-chromosome ``converged`` flags.
    """
    bins = genome.bins[["chrom", "start", "end"]].copy()
    bins["chrom"] = bins["chrom"].astype(str)
    meta = {"generated-by": "hicexpr.datasets.simulate", "seed": int(seed)}
    with atomic.atomic_path(path) as tmp:
        raw = atomic.scratch_path(path, "raw")  # a leftover after kill -9 is cleaned up too
        try:
            cooler.create_cooler(
                str(raw), bins, _pixels(genome, p, seed), ordered=True, metadata=meta,
                assembly="sim", dtypes={"count": np.int32}, h5opts={"compression": None},
            )
            _, _, unconverged = balance_quietly(cooler.Cooler(str(raw)), cis_only=True,
                                                store=True)
            _repack(raw, tmp, {"creation-date": FIXED_DATE})
        finally:
            raw.unlink(missing_ok=True)
    _log_convergence(path, unconverged, banded=p.max_distance is not None)
    return not unconverged


def _log_convergence(path: Path, chroms: list[str], banded: bool) -> None:
    """One line naming the chromosomes whose (cis) balancing did not converge: INFO for banded
    maps (expected; ``truth.json`` records it), a WARNING otherwise."""
    if not chroms:
        return
    level = logging.INFO if banded else logging.WARNING
    log.log(level, "%s: balancing did not converge on %s (weights stored; truth.json "
            "balance_converged is false)%s", path, ", ".join(chroms),
            ": expected for banded maps (max_distance)" if banded else "")


def _repack(src: Path, dst: Path, attrs: dict[str, str]) -> None:
    """Copy an HDF5 file into a fresh, gzip-compressed one with root ``attrs`` replaced.

    Balancing reads the pixels many times, so it runs on an uncompressed file; overwriting an
    attribute in place would leave the old bytes in the file, so a fresh copy also makes the
    output depend on the seed alone (not on the clock).
    """
    with h5py.File(src, "r") as fin, h5py.File(dst, "w") as fout:
        for key, value in fin.attrs.items():
            fout.attrs[key] = attrs.get(key, value)
        _copy_group(fin, fout)


def _copy_group(src: h5py.Group, dst: h5py.Group) -> None:
    for name, obj in src.items():
        if isinstance(obj, h5py.Group):
            _copy_group(obj, dst.create_group(name))
            out: h5py.HLObject = dst[name]
        else:
            data = obj[()]
            opts = {"compression": "gzip", "compression_opts": 6, "shuffle": True}
            if np.ndim(data) == 0 or obj.dtype.kind in "OSU":
                opts = {}
            out = dst.create_dataset(name, data=data, dtype=obj.dtype, **opts)
        for key, value in obj.attrs.items():
            out.attrs[key] = value


def place_genes(genome: _Genome, p: SimulationParams, rng: np.random.Generator) -> pd.DataFrame:
    """Genes placed on bins with density ``a_gene_weight`` : 1 in A versus B bins.

    Returns:
        DataFrame ``chrom, start, end, gene_id, strand, tss, bin, domain, compartment``, sorted
        by position; ``bin`` is the genome-wide bin of the TSS.
    """
    bins = genome.bins
    w = np.where(bins["compartment"].to_numpy() > 0, p.a_gene_weight, 1.0)
    chosen = np.sort(rng.choice(len(bins), size=p.n_genes, replace=True, p=w / w.sum()))
    tss = bins["start"].to_numpy()[chosen] + rng.integers(0, p.resolution, p.n_genes)
    length = rng.integers(2_000, 30_000, p.n_genes)
    plus = rng.random(p.n_genes) < 0.5
    chrom_len = genome.chromsizes.reindex(bins["chrom"].astype(str).to_numpy()[chosen]).to_numpy()
    start = np.where(plus, tss, np.maximum(tss + 1 - length, 0))
    end = np.where(plus, np.minimum(tss + length, chrom_len), tss + 1)
    genes = pd.DataFrame({
        "chrom": bins["chrom"].astype(str).to_numpy()[chosen],
        "start": start.astype(np.int64),
        "end": end.astype(np.int64),
        "strand": np.where(plus, "+", "-"),
        "tss": tss.astype(np.int64),
        "bin": chosen,
        "domain": bins["domain"].to_numpy()[chosen],
        "compartment": bins["compartment"].to_numpy()[chosen],
    })
    genes = genes.sort_values(["bin", "start", "tss"], kind="stable").reset_index(drop=True)
    width = max(4, len(str(p.n_genes)))
    genes.insert(3, "gene_id", [f"simg{k:0{width}d}" for k in range(1, p.n_genes + 1)])
    return genes


def coupling_matrix(
    genes: pd.DataFrame, p: SimulationParams, rng: np.random.Generator
) -> tuple[sp.csr_matrix, pd.DataFrame]:
    """Sparse ``A = rho I + C`` with ``C`` on ordered gene pairs sharing a planted domain.

    A pair is coupled with probability ``min(edge_prob, max_in_degree / (m - 1))`` in a domain
    holding ``m`` genes.

    Each row of ``C`` is scaled down so that ``rho + sum_j |C_ij| <= max_gain``.

    Returns:
        ``A`` (n_genes x n_genes, CSR; ``A[i, j]`` is the effect of gene ``j`` on gene ``i``)
        and the edge table ``source, target, weight`` (after scaling).
    """
    n = len(genes)
    src, dst, prob = [], [], []
    for members in genes.groupby("domain", sort=True).indices.values():
        if len(members) < 2:
            continue
        s, t = np.meshgrid(members, members, indexing="ij")
        off = s != t
        src.append(s[off])
        dst.append(t[off])
        # expected in-degree at most max_in_degree, however gene-dense the domain
        prob.append(np.full(off.sum(), min(p.edge_prob, p.max_in_degree / (len(members) - 1))))
    s = np.concatenate(src) if src else np.zeros(0, dtype=np.int64)
    t = np.concatenate(dst) if dst else np.zeros(0, dtype=np.int64)
    keep = rng.random(len(s)) < (np.concatenate(prob) if prob else np.zeros(0))
    s, t = s[keep], t[keep]
    sign = np.where(rng.random(len(s)) < p.positive_frac, 1.0, -1.0)
    w = sign * rng.uniform(p.coupling[0], p.coupling[1], len(s))
    room = p.max_gain - p.self_coupling
    row_abs = np.bincount(t, weights=np.abs(w), minlength=n)
    row_scale = np.minimum(1.0, room / np.maximum(row_abs, 1e-12))
    w = w * row_scale[t]
    C = sp.csr_matrix((w, (t, s)), shape=(n, n))
    A = (sp.identity(n, format="csr") * p.self_coupling + C).tocsr()
    A.sort_indices()
    edges = pd.DataFrame({
        "source": genes["gene_id"].to_numpy()[s],
        "target": genes["gene_id"].to_numpy()[t],
        "weight": w,
    })
    return A, edges


def simulate_expression(
    A: sp.csr_matrix, genes: pd.DataFrame, p: SimulationParams, rng: np.random.Generator
) -> np.ndarray:
    """Run ``x_{t+1} = A x_t + u sin(2 pi t / period + phase) + noise``; add gene baselines.

    Returns:
        Expression, shape ``(n_genes, n_times)``; baselines are higher in the A compartment.
    """
    n = A.shape[0]
    loading = rng.normal(0.0, p.oscillation_amplitude, n)
    phase = rng.uniform(0.0, 2 * np.pi)
    baseline = 5.0 + np.where(genes["compartment"].to_numpy() > 0, 1.0, 0.0)
    baseline = baseline + rng.normal(0.0, 0.5, n)
    x = np.zeros(n)
    out = np.empty((n, p.n_times))
    for t in range(-p.burn_in, p.n_times):
        drive = loading * np.sin(2 * np.pi * t / p.period + phase)
        x = A @ x + drive + rng.normal(0.0, p.noise_sd, n)
        if t >= 0:
            out[:, t] = x
    return out + baseline[:, None]


def spectral_radius(A: sp.csr_matrix) -> float | None:
    """Largest absolute eigenvalue of ``A`` (ARPACK; None if it does not converge)."""
    n = A.shape[0]
    if n == 0:
        return 0.0
    if n < 50:
        return float(np.abs(np.linalg.eigvals(A.toarray())).max())
    v0 = np.ones(n) / np.sqrt(n)  # fixed start vector: deterministic
    try:
        vals = spla.eigs(A.astype(np.float64), k=1, which="LM", v0=v0, return_eigenvectors=False)
    except spla.ArpackNoConvergence:
        return None
    return float(np.abs(vals).max())


def _write_genes(path: Path, genes: pd.DataFrame) -> None:
    bed = genes[["chrom", "start", "end", "gene_id"]].copy()
    bed["score"] = 0
    bed["strand"] = genes["strand"]
    with atomic.atomic_path(path) as tmp:
        bed.to_csv(tmp, sep="\t", header=False, index=False)


def _write_expression(
    path: Path, expr: np.ndarray, genes: pd.DataFrame, p: SimulationParams
) -> None:
    times = [f"{k * p.time_step:g}" for k in range(p.n_times)]
    df = pd.DataFrame(expr, columns=times)
    df.insert(0, "gene_id", genes["gene_id"].to_numpy())
    with atomic.atomic_path(path) as tmp:
        df.to_csv(tmp, sep="\t", index=False, float_format="%.6f")


def _truth(
    genome: _Genome,
    genes: pd.DataFrame,
    A: sp.csr_matrix,
    edges: pd.DataFrame,
    p: SimulationParams,
    seed: int,
) -> dict[str, Any]:
    """Everything planted: borders (bp), compartments per bin, coupling edges, parameters."""
    borders: dict[str, list[int]] = {}
    compartments: dict[str, list[int]] = {}
    for chrom, b in genome.bins.groupby("chrom", observed=True, sort=False):
        dom = b["domain"].to_numpy()
        change = np.flatnonzero(np.diff(dom) != 0) + 1
        borders[str(chrom)] = [int(x) for x in b["start"].to_numpy()[change]]
        compartments[str(chrom)] = [int(x) for x in b["compartment"].to_numpy()]
    params = {k: (list(v) if isinstance(v, tuple) else v) for k, v in vars(p).items()}
    params["tad_size"] = list(p.domain_size)
    return {
        "seed": int(seed),
        "parameters": params,
        "chromsizes": {str(k): int(v) for k, v in genome.chromsizes.items()},
        "resolution": p.resolution,
        "tad_borders": borders,
        "compartments": compartments,
        "compartment_codes": {"A": 1, "B": -1},
        "genes_in_A": int((genes["compartment"] > 0).sum()),
        "self_coupling": float(A.diagonal()[0]) if A.shape[0] else 0.0,
        "spectral_radius": spectral_radius(A),
        "max_row_gain": float(np.asarray(abs(A).sum(axis=1)).max()) if A.shape[0] else 0.0,
        "edges": [
            {"source": s, "target": t, "weight": round(float(w), 6)}
            for s, t, w in edges.itertuples(index=False)
        ],
    }


__all__ = [
    "SimulatedPaths",
    "SimulationParams",
    "simulate_dataset",
    "check_seed",
    "plant_genome",
    "place_genes",
    "coupling_matrix",
    "simulate_expression",
    "expected_band",
    "chrom_lengths",
    "write_cooler",
    "spectral_radius",
]

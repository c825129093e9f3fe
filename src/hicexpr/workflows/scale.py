"""Genome scale: per-chromosome contact features and gene graphs on Dask, large simulations.

:func:`contact_features_parallel` computes, one chromosome per task, the expensive parts of
:mod:`hicexpr.contacts` (cooltools insulation scores, cis compartment eigenvectors, gene-pair
contacts) from the cooler's *path*, then finishes the genome-wide steps in this process
(boundary prominence and the Li threshold over all chromosomes, per-gene features). The
result equals the serial functions ``insulation``, ``compartments``, ``gene_features`` and
``gene_pair_contacts`` exactly (tests/scale checks it on a 2-worker local cluster).
"""

from __future__ import annotations

import contextlib
import copy
import functools
import logging
import os
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import cooler
import numpy as np
import pandas as pd
import torch
from torch import Tensor, nn
from torch_geometric.data import Data

from hicexpr.contacts.features import (
    _view,
    cis_e1,
    default_window,
    finish_insulation,
    ignore_diags,
)
from hicexpr.contacts.features import gene_features as _gene_features
from hicexpr.contacts.mapping import gene_bins
from hicexpr.contacts.pairs import PAIR_COLUMNS, gene_pair_contacts
from hicexpr.forecast.losses import mse
from hicexpr.forecast.neural import STEPmr
from hicexpr.forecast.train import TrainResult
from hicexpr.graph.build import EdgeWeights, build_gene_graph
from hicexpr.io.contacts import require_balanced
from hicexpr.lib.errors import InputError
from hicexpr.lib.parallel import map_chromosomes

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
    compartment_chroms: frozenset[str]


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
                                          ignore_diags=job.diags, clr_weight_name=job.weight)


def _chrom_e1(clr: cooler.Cooler, job: _ChromJob, chrom: str) -> np.ndarray | None:
    """First cis eigenvector of one chromosome, phased by gene density (as ``compartments``)."""
    lo, hi = clr.extent(chrom)
    if chrom not in job.compartment_chroms:
        return None
    if hi - lo > job.max_bins:
        log.warning("%s: %d bins > %d; compartments skipped (use a coarser map)", chrom,
                    hi - lo, job.max_bins)
        return None
    ids = job.genes["bin_id"].to_numpy()
    ids = ids[(ids >= lo) & (ids < hi)] - lo
    density = np.bincount(ids, minlength=hi - lo).astype(np.float64)
    mat = clr.matrix(balance=job.weight if job.weight is not None else False).fetch(chrom)
    return cis_e1(mat, job.diags, density)


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
    max_bins: int = 15_000,
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
        max_bins: chromosomes with more bins get no compartments (as :func:`compartments`).
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
    job = _ChromJob(
        uri=clr.uri, genes=mapped, window=window, weight=weight, diags=ignore_diags(clr, weight),
        max_distance=int(max_distance) if max_distance is not None else
        int(max(clr.chromsizes)), max_bins=max_bins,
        insulation_chroms=frozenset(_view(clr, min_bins=3 * window // clr.binsize)["chrom"]),
        compartment_chroms=frozenset(_view(clr, min_bins=4)["chrom"]),
    )
    chroms = list(clr.chromnames)
    parts = map_chromosomes(functools.partial(_chrom_task, job), chroms, workers, scheduler,
                            client=client, description="contact features")
    ins = _finish_insulation(clr, [p["insulation"] for p in parts], window, threshold,
                             min_frac_valid_pixels)
    comp = _finish_compartments(clr, chroms, [p["E1"] for p in parts])
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


def _finish_compartments(clr: cooler.Cooler, chroms: list[str],
                         parts: list[np.ndarray | None]) -> pd.DataFrame:
    e1 = np.full(int(clr.info["nbins"]), np.nan)
    for chrom, vec in zip(chroms, parts, strict=True):
        if vec is not None:
            lo, hi = clr.extent(chrom)
            e1[lo:hi] = vec
    out = clr.bins()[["chrom", "start", "end"]][:]
    out["E1"] = e1
    out["compartment"] = np.select([out["E1"] > 0, out["E1"] < 0], ["A", "B"], "")
    return out


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
    job = _GraphJob(index, chrom_of, pairs, weights)
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




# --- STEPmr at scale: mini-batches of time windows x gene blocks, selectable device ---------


def resolve_device(device: str | None) -> torch.device:
    """``torch.device`` for ``cpu``, ``cuda``, ``cuda:N``, ``mps`` or ``auto`` (GPU if any)."""
    name = (device or "cpu").strip().lower()
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    try:
        dev = torch.device(name)
    except RuntimeError:
        raise InputError("device", "", "cpu, cuda, cuda:N, mps or auto", device) from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise InputError("device", "", "a device present on this machine (no CUDA GPU here)",
                         device)
    if dev.type == "mps" and not torch.backends.mps.is_available():
        raise InputError("device", "", "a device present on this machine (no MPS here)", device)
    return dev


def gene_blocks(n_genes: int, n_blocks: int) -> list[np.ndarray]:
    """``n_blocks`` contiguous node ranges (genes are in genome order, so most cis edges stay
    inside a block; a block is the induced sub-graph, as in Cluster-GCN)."""
    if n_blocks < 1:
        raise InputError("gene_blocks", "", "a positive number of gene blocks", n_blocks)
    return [b for b in np.array_split(np.arange(n_genes), min(n_blocks, n_genes)) if len(b)]


def window_batches(n_windows: int, batch_windows: int | None) -> list[np.ndarray]:
    """Consecutive (chronological) chunks of windows: the temporal loss needs time order."""
    size = n_windows if not batch_windows or batch_windows >= n_windows else batch_windows
    return [np.arange(s, min(s + size, n_windows)) for s in range(0, n_windows, size)]


def sparse_matmul(lap: Tensor, x: Tensor) -> Tensor:
    """``lap @ x`` over the node axis: lap sparse ``[N, N]``, x ``[..., N, C]`` -> same shape."""
    moved = x.movedim(-2, 0)
    out = lap @ moved.reshape(moved.shape[0], -1)
    return out.reshape(moved.shape).movedim(0, -2)


class SparseChebGraphConv(nn.Module):
    r"""The Chebyshev convolution of a :class:`torch_geometric.nn.ChebConv` (same parameters,
    same :math:`\tilde L = 2L/\lambda_{max} - I` from PyG's normalisation), with
    :math:`T_k(\tilde L) X` computed as sparse x dense products (one CSR matrix per graph,
    cached) instead of gathering node features onto every edge. Memory is O(E + N), never
    O(N^2) or O(E x batch x channels).

    Shapes: x ``[..., N, C_in]``, edge_index ``[2, E]``, edge_weight ``[E]`` ->
    ``[..., N, C_out]``.
    """

    def __init__(self, conv: nn.Module, lambda_max: float = 2.0) -> None:
        super().__init__()
        self.conv = conv
        self.lambda_max = lambda_max
        self._cache: dict[tuple[int, int, int, int], tuple[Tensor, Tensor | None, Tensor]] = {}

    def laplacian(self, edge_index: Tensor, edge_weight: Tensor | None, n: int,
                  dtype: torch.dtype) -> Tensor:
        """Scaled Laplacian as a sparse CSR ``[N, N]`` (row = target node)."""
        key = (edge_index.data_ptr(), 0 if edge_weight is None else edge_weight.data_ptr(), n,
               edge_index.shape[1])
        hit = self._cache.get(key)
        if hit is not None and hit[0] is edge_index and hit[1] is edge_weight:
            return hit[2]
        ei, norm = self.conv.__norm__(edge_index, n, edge_weight, self.conv.normalization,
                                      torch.tensor(self.lambda_max), dtype=dtype)
        lap = torch.sparse_coo_tensor(torch.stack([ei[1], ei[0]]), norm, (n, n)).coalesce()
        lap = lap.to_sparse_csr()
        if len(self._cache) > 64:
            self._cache.clear()
        self._cache[key] = (edge_index, edge_weight, lap)
        return lap

    def forward(self, x: Tensor, edge_index: Tensor, edge_weight: Tensor | None = None) -> Tensor:
        conv = self.conv
        bias = conv.bias if conv.bias is not None else 0.0
        if edge_index.numel() == 0:
            return conv.lins[0](x) + bias
        lap = self.laplacian(edge_index, edge_weight, x.shape[-2], x.dtype)
        tx0, out = x, conv.lins[0](x)
        tx1 = x
        if len(conv.lins) > 1:
            tx1 = sparse_matmul(lap, x)
            out = out + conv.lins[1](tx1)
        for lin in conv.lins[2:]:
            tx2 = 2.0 * sparse_matmul(lap, tx1) - tx0
            out = out + lin(tx2)
            tx0, tx1 = tx1, tx2
        return out + bias


class _GeneSlice(nn.Module):
    """A net whose per-gene head parameters are restricted to the genes ``idx`` of a block."""

    def __init__(self, net: nn.Module, idx: Tensor) -> None:
        super().__init__()
        self.net = net
        self.idx = idx

    def forward(self, *args: object) -> Tensor:
        head = getattr(self.net, "head", None)
        if getattr(head, "gene_ar", None) is None:
            return self.net(*args)
        sliced = {"head.gene_ar": head.gene_ar[self.idx],
                  "head.gene_bias": head.gene_bias[self.idx]}
        return torch.func.functional_call(self.net, sliced, args)


class MiniBatchSTEPmr(STEPmr):
    """STEPmr trained on mini-batches: chronological chunks of ``batch_windows`` windows x
    ``gene_blocks`` contiguous gene blocks (induced sub-graphs), on ``device``.

    Everything but the training loop is STEPmr's (graph tensors, residual skip choice, nets,
    forward pass). The graph stays an ``edge_index``: no N x N matrix. With
    ``batch_windows=None``, ``gene_blocks=1`` and ``sparse_matmul=False`` it is exactly
    :class:`hicexpr.forecast.STEPmr` (same updates). Early stopping uses the validation MSE on
    the whole graph; prediction runs in chunks of ``batch_windows`` windows (STEPmr's
    connectivity attention averages over the windows of a batch).

    Args:
        batch_windows: windows per step (None: all); gene_blocks: gene blocks per window batch.
        device: ``cpu``, ``cuda``, ``cuda:N``, ``mps`` or ``auto``.
        sparse_matmul: graph convolutions as sparse x dense products
            (:class:`SparseChebGraphConv`, ~6x faster on CPU; equal to PyG's message passing
            up to float rounding); False keeps PyG's gather/scatter. Other args: see STEPmr.
    """

    def __init__(
        self,
        hidden: int = 16,
        K: int = 2,
        dropout: float = 0.1,
        lr: float = 1e-2,
        weight_decay: float = 1e-3,
        max_epochs: int = 300,
        patience: int = 30,
        loss: str = "mse",
        loss_weights: dict[str, float] | None = None,
        n_ensemble: int = 1,
        per_gene_ar: bool = True,
        skip: str = "auto",
        seed: int = 0,
        n_threads: int = 1,
        batch_windows: int | None = None,
        gene_blocks: int = 1,
        device: str = "cpu",
        sparse_matmul: bool = True,
    ) -> None:
        super().__init__(hidden=hidden, K=K, dropout=dropout, lr=lr, weight_decay=weight_decay,
                         max_epochs=max_epochs, patience=patience, loss=loss,
                         loss_weights=loss_weights, n_ensemble=n_ensemble,
                         per_gene_ar=per_gene_ar, skip=skip, seed=seed, n_threads=n_threads)
        self.batch_windows = batch_windows
        self.gene_blocks = gene_blocks
        self.device = device
        self.sparse_matmul = sparse_matmul

    def _build(self, in_channels: int) -> nn.Module:
        net = super()._build(in_channels)
        if self.sparse_matmul:
            for block in net.blocks:
                block.graph_conv = SparseChebGraphConv(block.graph_conv.conv)
        return net

    def _to_device(self) -> torch.device:
        """Move the fitted graph tensors to ``device`` (idempotent)."""
        dev = resolve_device(self.device)
        for name in ("edge_index_", "edge_weight_", "node_features_", "stats_", "base_coef_"):
            value = getattr(self, name, None)
            if isinstance(value, Tensor) and value.device != dev:
                setattr(self, name, value.to(dev))
        return dev

    def _train_net(self, net: nn.Module, train: tuple[Tensor, Tensor],
                   val: tuple[Tensor, Tensor] | None) -> TrainResult:
        """Adam over window chunks x gene blocks; keep the best validation-MSE weights (the
        untrained net, epoch 0, competes as in STEPmr)."""
        dev = self._to_device()
        net.to(dev)
        train = (train[0].to(dev), train[1].to(dev))
        val = None if val is None else (val[0].to(dev), val[1].to(dev))
        n = train[0].shape[2]
        self.blocks_ = [self._block(b, dev) for b in gene_blocks(n, self.gene_blocks)]
        rng = np.random.default_rng(self.seed + len(getattr(self, "nets_", [])))
        opt = torch.optim.Adam(net.parameters(), lr=self.lr, weight_decay=self.weight_decay)
        loss_fn = self._loss_fn()
        X, y = train
        batches = window_batches(X.shape[0], self.batch_windows)
        best, best_epoch, best_state, wait = float("inf"), 0, None, 0
        if val is not None:
            best, best_state = self._val_mse(net, val), copy.deepcopy(net.state_dict())
        history: list[tuple[float, float]] = []
        epoch = 0
        for epoch in range(1, self.max_epochs + 1):
            net.train()
            losses = []
            for b in rng.permutation(len(batches)) if len(batches) > 1 else [0]:
                rows = batches[b]
                xb, yb = (X, y) if len(rows) == X.shape[0] else (X[rows], y[rows])
                for k in rng.permutation(len(self.blocks_)) if len(self.blocks_) > 1 else [0]:
                    block = self.blocks_[k]
                    idx = block["idx"]
                    xs, ys = (xb, yb) if idx is None else (xb[..., idx], yb[..., idx])
                    opt.zero_grad()
                    loss = loss_fn(self._forward_block(net, xs, block), ys, xs[:, -1, :])
                    loss.backward()
                    opt.step()
                    losses.append(float(loss.detach()))
            val_mse = float("nan")
            if val is not None:
                val_mse = self._val_mse(net, val)
                if val_mse < best - 1e-7:
                    best, best_epoch, wait = val_mse, epoch, 0
                    best_state = copy.deepcopy(net.state_dict())
                else:
                    wait += 1
            history.append((float(np.mean(losses)), val_mse))
            if val is not None and wait >= self.patience:
                break
        if best_state is not None:
            net.load_state_dict(best_state)
        net.eval()
        return TrainResult(best_epoch, best, epoch, history)

    def _block(self, nodes: np.ndarray, dev: torch.device) -> dict[str, object]:
        """Induced sub-graph, features and connectivity stats of one gene block."""
        from torch_geometric.utils import subgraph

        if len(nodes) == self.stats_.shape[0]:  # the whole graph: the tensors themselves
            return {"idx": None, "edge_index": self.edge_index_, "edge_weight": self.edge_weight_,
                    "features": self.node_features_, "stats": self.stats_}
        idx = torch.as_tensor(nodes, dtype=torch.long, device=dev)
        ei, w = subgraph(idx, self.edge_index_, self.edge_weight_, relabel_nodes=True,
                         num_nodes=int(self.stats_.shape[0]))
        feats = None if self.node_features_ is None else self.node_features_[idx]
        return {"idx": idx, "edge_index": ei, "edge_weight": w, "features": feats,
                "stats": self.stats_[idx]}

    @contextlib.contextmanager
    def _on_block(self, block: dict[str, object]) -> Iterator[None]:
        """Temporarily make one gene block the graph STEPmr's forward pass sees."""
        names = ("edge_index_", "edge_weight_", "node_features_", "stats_")
        saved = [getattr(self, n) for n in names]
        for n, key in zip(names, ("edge_index", "edge_weight", "features", "stats"), strict=True):
            setattr(self, n, block[key])
        try:
            yield
        finally:
            for n, value in zip(names, saved, strict=True):
                setattr(self, n, value)

    def _forward_block(self, net: nn.Module, x: Tensor, block: dict[str, object]) -> Tensor:
        """STEPmr's forward pass on a gene block (per-gene parameters sliced to the block)."""
        if block["idx"] is None:
            return self._forward(net, x)
        with self._on_block(block):
            return self._forward(_GeneSlice(net, block["idx"]), x)

    def _val_mse(self, net: nn.Module, val: tuple[Tensor, Tensor]) -> float:
        """Validation MSE on the whole graph (window chunks, no gradients)."""
        net.eval()
        with torch.no_grad():
            pred = torch.cat([self._forward(net, val[0][rows])
                              for rows in window_batches(val[0].shape[0], self.batch_windows)])
            return float(mse(pred, val[1]))

    def _predict(self, X: np.ndarray) -> np.ndarray:
        dev = self._to_device()
        x = torch.as_tensor(X, dtype=torch.float32, device=dev)
        torch.set_num_threads(self.n_threads)
        preds = []
        with torch.no_grad():
            for net in self.nets_:
                net.to(dev).eval()
                parts = [self._forward(net, x[rows]).cpu().numpy()
                         for rows in window_batches(x.shape[0], self.batch_windows)]
                preds.append(np.concatenate(parts))
        return np.mean(preds, axis=0).astype(np.float64)


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


def _ice_chrom(sym, bias: np.ndarray, tol: float,
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
):
    """Genome-scale simulated data set: ``hicexpr simulate`` at realistic size.

    Same model and files as :func:`hicexpr.datasets.simulate.simulate_dataset` (pixels drawn
    per chromosome in bands and written through ``cooler.create_cooler`` from an iterator of
    chunks), with a human-like layout: one 150 Mb chromosome per 1,000 genes (20,000 genes:
    20 chromosomes, 3 Gb, ~300,000 bins at 10 kb), contacts up to ``max_distance`` (~50 M
    pixels at 20,000 genes), and cis ICE weights from :func:`cis_ice`.

    Returns:
        :class:`hicexpr.datasets.simulate.SimulatedPaths`.
    """
    from hicexpr.datasets import simulate as sim
    from hicexpr.lib import atomic

    n_chroms = int(n_chroms or max(1, round(n_genes / 1000)))
    try:
        p = sim.SimulationParams(n_genes=n_genes, n_times=n_times, n_chroms=n_chroms,
                                 genome_size=int(chrom_size) * n_chroms, resolution=resolution,
                                 max_distance=max_distance, **params)  # type: ignore[arg-type]
    except TypeError as exc:
        raise InputError("simulate", "parameters", "known SimulationParams fields",
                         str(exc)) from None
    p.check()
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
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

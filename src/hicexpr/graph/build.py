"""Gene graphs: edges from Hi-C contacts, weighted by contact strength and 3D annotation.

Edge weight of a gene pair (all terms >= 0)::

    w = contact * c + same_tad * t + same_compartment * m + insulation * sigmoid(ins_mean)
        + similarity * s          (s: expression similarity fitted on training times only)

Graphs are undirected: every pair gives the edges i->j and j->i with the same weight.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch_geometric.data import Data

from hicexpr.lib.errors import InputError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EdgeWeights:
    """Coefficients of the edge-weight terms and edge filtering.

    Attributes:
        contact: weight of the normalised contact strength (``pairs["contact"]`` in [0, 1]).
        same_tad: bonus for pairs in the same TAD.
        same_compartment: bonus for pairs in the same A/B compartment.
        insulation: weight of ``sigmoid(insulation_mean)`` (high score = weakly insulated).
        similarity: weight of the expression-similarity edges (0 = not used).
        min_contact: drop pairs whose ``contact`` is below this.
        top_k: keep each gene's ``top_k`` strongest edges (union over both ends); None = all.
    """

    contact: float = 1.0
    same_tad: float = 0.5
    same_compartment: float = 0.25
    insulation: float = 0.0
    similarity: float = 0.0
    min_contact: float = 0.0
    top_k: int | None = None


def normalised_contact(hic: np.ndarray) -> np.ndarray:
    """Contact strength in [0, 1]: ``log1p(max(hic, 0)) / max(log1p(max(hic, 0)))``."""
    logged = np.log1p(np.clip(np.nan_to_num(hic, nan=0.0), 0.0, None))
    top = logged.max() if logged.size else 0.0
    return logged / top if top > 0 else logged


def graph_pairs(pairs: pd.DataFrame) -> pd.DataFrame:
    """A pair table with the columns the graph reads: ``contact`` and ``distance_bp`` made
    from :func:`hicexpr.contacts.gene_pair_contacts`' ``balanced`` (else ``count``) and
    ``distance`` when missing (else every edge would weigh the same, silently)."""
    out = pairs
    if "contact" not in pairs.columns:
        source = next((c for c in ("balanced", "count") if c in pairs.columns
                       and np.isfinite(pairs[c].to_numpy(dtype=float)).any()), None)
        if source is not None:
            out = out.assign(contact=normalised_contact(pairs[source].to_numpy(dtype=float)))
    if "distance_bp" not in pairs.columns and "distance" in pairs.columns:
        out = out.assign(distance_bp=pairs["distance"].astype(float))
    return out


def pair_weights(pairs: pd.DataFrame, weights: EdgeWeights | None = None) -> np.ndarray:
    """Static weight of each row of a pair table (see module docstring)."""
    w = weights or EdgeWeights()
    total = w.contact * _column(pairs, "contact", 1.0)
    total = total + w.same_tad * _column(pairs, "same_tad", 0.0)
    total = total + w.same_compartment * _column(pairs, "same_compartment", 0.0)
    if w.insulation:
        ins = _column(pairs, "insulation_mean", 0.0)
        total = total + w.insulation / (1.0 + np.exp(-ins))
    return np.clip(total, 0.0, None)


def build_gene_graph(
    genes: Sequence[str] | pd.Index,
    pairs: pd.DataFrame,
    weights: EdgeWeights | None = None,
    similarity: pd.DataFrame | None = None,
) -> Data:
    """Undirected weighted gene graph as a PyG ``Data``.

    Args:
        genes: node order (node ``i`` = ``genes[i]``).
        pairs: pair table with ``gene1, gene2`` and feature columns (``contact, same_tad,
            same_compartment, insulation_mean``; a :func:`hicexpr.contacts.gene_pair_contacts`
            table works too, see :func:`graph_pairs`); pairs with unknown genes are ignored.
        weights: edge-weight coefficients (default :class:`EdgeWeights`).
        similarity: output of :func:`expression_similarity_edges` (``i, j, similarity``), added
            with coefficient ``weights.similarity``.

    Returns:
        ``Data(edge_index [2, E] long, edge_weight [E] float32, num_nodes=len(genes))`` with both
        directions of every pair, no self-loops, no duplicate edges.
    """
    w = weights or EdgeWeights()
    pairs = graph_pairs(pairs)
    index = pd.Index([str(g) for g in genes])
    if index.has_duplicates:
        raise InputError("genes", "gene ids", "unique gene ids", index[index.duplicated()][0])
    missing = [c for c in ("gene1", "gene2") if c not in pairs.columns]
    if missing:
        got = list(pairs.columns)
        raise InputError("pairs", f"column '{missing[0]}'", "a gene-pair table", got)
    i = index.get_indexer(pairs["gene1"].astype(str))
    j = index.get_indexer(pairs["gene2"].astype(str))
    if len(pairs) and len(index) and not ((i >= 0) | (j >= 0)).any():  # e.g. ids in another case
        raise InputError("pairs", "gene1, gene2", f"ids of the graph's genes (e.g. '{index[0]}')",
                         str(pairs["gene1"].iloc[0]))
    keep = (i >= 0) & (j >= 0) & (i != j) & (_column(pairs, "contact", 1.0) >= w.min_contact)
    src, dst, weight = i[keep], j[keep], pair_weights(pairs, w)[keep]
    if similarity is not None and w.similarity and len(similarity):
        src = np.concatenate([src, similarity["i"].to_numpy(dtype=int)])
        dst = np.concatenate([dst, similarity["j"].to_numpy(dtype=int)])
        weight = np.concatenate([weight, w.similarity * similarity["similarity"].to_numpy()])
    src, dst, weight = _undirected(src, dst, weight, len(index))
    if w.top_k is not None:
        src, dst, weight = _top_k(src, dst, weight, w.top_k)
    return _data(src, dst, weight, len(index))


def expression_similarity_edges(
    expr_train: np.ndarray,
    k: int = 5,
    on: str = "changes",
    min_similarity: float = 0.0,
    genes: Sequence[str] | None = None,
) -> pd.DataFrame:
    """k-nearest-neighbour edges by expression correlation over *training* time points.

    Args:
        expr_train: expression [T_train, N] of the training time points only (the caller must
            not pass validation or test time points).
        k: neighbours per gene (by Pearson correlation; the union over both ends is kept).
        on: ``"changes"`` (correlation of first differences) or ``"levels"``.
        min_similarity: drop edges whose correlation is not above this.
        genes: gene ids of the columns (adds ``gene1, gene2`` columns).

    Returns:
        DataFrame ``i, j, similarity`` (``i < j``, similarity in (min_similarity, 1]).
    """
    X = np.asarray(expr_train, dtype=float)
    if X.ndim != 2:
        raise InputError("expr_train", "shape", "a 2-D array [time points, genes]", X.shape)
    if on not in ("changes", "levels"):
        raise InputError("expression_similarity_edges", "on", "changes or levels", on)
    if on == "changes":
        X = np.diff(X, axis=0)
    if X.shape[0] < 3:
        raise InputError("expr_train", "time points", "at least 3 usable training time points",
                         X.shape[0])
    rows, cols, sim = _nearest_by_correlation(X, k)
    keep = sim > min_similarity
    a, b = np.minimum(rows, cols)[keep], np.maximum(rows, cols)[keep]
    out = pd.DataFrame({"i": a, "j": b, "similarity": sim[keep]}).drop_duplicates(["i", "j"])
    out = out.sort_values(["i", "j"]).reset_index(drop=True)
    if genes is not None:
        names = np.asarray([str(g) for g in genes])
        out["gene1"], out["gene2"] = names[out["i"]], names[out["j"]]
    return out


def temporal_graphs(
    genes: Sequence[str] | pd.Index,
    pairs: pd.DataFrame,
    expression: np.ndarray,
    train_index: Sequence[int] | np.ndarray,
    weights: EdgeWeights | None = None,
    similarity: pd.DataFrame | None = None,
    strength: float = 1.0,
) -> list[Data]:
    """One graph per time point: static weights modulated by the current expression.

    ``w_t(i, j) = w(i, j) * exp(-strength * |z_i(t) - z_j(t)|)`` where ``z`` is expression
    standardised per gene with means and standard deviations fitted on ``train_index`` only.
    The graph of time ``t`` uses expression at ``t`` and nothing later, so a forecaster may use
    graphs up to its last observed time point.

    Args:
        genes: node order.
        pairs: pair table (see :func:`build_gene_graph`).
        expression: [T, N] expression, columns in the order of ``genes``.
        train_index: time-point indices used to fit the standardisation.
        weights: static edge-weight coefficients.
        similarity: optional similarity edges (fitted on training time points only).
        strength: how strongly expression differences damp an edge (0 = static graphs).
    """
    X = np.asarray(expression, dtype=float)
    if X.ndim != 2 or X.shape[1] != len(genes):
        raise InputError("expression", "shape", f"[T, {len(genes)}]", X.shape)
    base = build_gene_graph(genes, pairs, weights, similarity)
    train = np.asarray(train_index, dtype=int)
    if train.size == 0:
        raise InputError("train_index", "", "at least one training time point", "none")
    mean = X[train].mean(axis=0)
    sd = X[train].std(axis=0)
    Z = (X - mean) / np.where(sd > 0, sd, 1.0)
    src, dst = base.edge_index.numpy()
    w0 = base.edge_weight.numpy().astype(float)
    graphs = []
    for t in range(X.shape[0]):
        wt = w0 * np.exp(-strength * np.abs(Z[t, src] - Z[t, dst]))
        graphs.append(_data(src, dst, wt, len(genes)))
    return graphs


# --- helpers -------------------------------------------------------------------------------


def _column(pairs: pd.DataFrame, name: str, default: float) -> np.ndarray:
    if name not in pairs.columns:
        return np.full(len(pairs), default, dtype=float)
    return np.nan_to_num(pairs[name].to_numpy(dtype=float), nan=0.0)


def _nearest_by_correlation(
    X: np.ndarray, k: int, block: int = 512
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each column's ``k`` most correlated other columns of ``X`` ``[T, N]`` (rows, cols,
    correlation), computed in blocks of ``block`` columns (memory ``block x N``, not ``N^2``).
    A constant column correlates 0 with everything."""
    Xc = X - X.mean(axis=0)
    norm = np.sqrt((Xc**2).sum(axis=0))
    Xn = Xc / np.where(norm > 0, norm, 1.0)
    n = X.shape[1]
    k = min(k, n - 1)
    if k <= 0:
        return np.empty(0, int), np.empty(0, int), np.empty(0)
    rows, cols, sims = [], [], []
    for start in range(0, n, block):
        ids = np.arange(start, min(start + block, n))
        corr = Xn[:, ids].T @ Xn
        corr[ids - start, ids] = -np.inf
        nbr = np.argpartition(-corr, kth=k - 1, axis=1)[:, :k]
        rows.append(np.repeat(ids, k))
        cols.append(nbr.ravel())
        sims.append(np.take_along_axis(corr, nbr, axis=1).ravel())
    return np.concatenate(rows), np.concatenate(cols), np.concatenate(sims)


def _undirected(
    src: np.ndarray, dst: np.ndarray, weight: np.ndarray, n: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Both directions of each pair; a pair given several times keeps its strongest weight."""
    a, b = np.minimum(src, dst), np.maximum(src, dst)
    key = a.astype(np.int64) * n + b
    order = np.lexsort((-weight, key))
    key, weight = key[order], weight[order]
    first = np.ones(len(key), dtype=bool)
    first[1:] = key[1:] != key[:-1]
    key, weight = key[first], weight[first]
    a, b = key // n, key % n
    return np.concatenate([a, b]), np.concatenate([b, a]), np.concatenate([weight, weight])


def _top_k(
    src: np.ndarray, dst: np.ndarray, weight: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Keep an undirected edge when it is among the k strongest of either end."""
    frame = pd.DataFrame({"s": src, "d": dst, "w": weight})
    rank = frame.groupby("s")["w"].rank(method="first", ascending=False)
    frame["top"] = rank <= k
    a, b = np.minimum(frame["s"], frame["d"]), np.maximum(frame["s"], frame["d"])
    frame["key"] = list(zip(a, b, strict=True))
    keep_keys = set(frame.loc[frame["top"], "key"])
    keep = frame["key"].isin(keep_keys).to_numpy()
    return src[keep], dst[keep], weight[keep]


def _data(src: np.ndarray, dst: np.ndarray, weight: np.ndarray, n: int) -> Data:
    order = np.lexsort((dst, src))
    edge_index = torch.as_tensor(np.stack([src[order], dst[order]]), dtype=torch.long)
    edge_weight = torch.as_tensor(weight[order], dtype=torch.float32)
    return Data(edge_index=edge_index.reshape(2, -1), edge_weight=edge_weight, num_nodes=n)

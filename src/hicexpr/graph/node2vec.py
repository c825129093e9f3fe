"""Temporal Node2vec: biased random walks per time point + skip-gram, aligned across time.

Walks (Grover & Leskovec 2016): from node ``v`` reached from ``u``, the next node ``x`` is drawn
with probability proportional to ``w(v, x) * alpha(u, x)``, ``alpha = 1/p`` when ``x == u``,
``1`` when ``x`` is a neighbour of ``u``, ``1/q`` otherwise. Sampled for all walkers at once
over the CSR adjacency (first-order proposal by weight + rejection on ``alpha``). Embeddings:
skip-gram with negative sampling (SGNS), centred, by one of two backends:

- ``torch`` (default): the SGNS objective over the walks' window co-occurrence counts
  ``C[i, j]``, ``-sum C_ij log s(u_i.v_j) - k sum_i n_i sum_j P_j log s(-u_i.v_j)``
  (``P`` = unigram^0.75, ``n_i`` = contexts of ``i``: the expected negative-sampling loss),
  minimised full-batch with Adam for all time points at once. Deterministic for a seed.
  Graphs over ``max_dense_nodes`` nodes use the sparse form: counts as a sparse matrix, the
  positive term over its non-zeros and the negative term estimated from ``negative`` nodes
  drawn from ``P`` per node and step (seeded), so memory is O(non-zeros + N), never N x N.
- ``gensim``: ``Word2Vec(sg=1)`` on the walks (one worker, seeded, process-independent hash).

Alignment: the embedding of time ``t`` is rotated onto that of ``t - 1`` (orthogonal
Procrustes), so coordinates are comparable over time.
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
from scipy.linalg import orthogonal_procrustes
from torch_geometric.data import Data

from hicexpr.lib.errors import InputError
from hicexpr.lib.progress import track

log = logging.getLogger(__name__)


def _csr(graph: Data) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(indptr [N+1], indices [E], weights [E]) of a PyG graph, rows sorted by source."""
    n = int(graph.num_nodes)
    src, dst = graph.edge_index.numpy()
    w = (graph.edge_weight.numpy() if graph.edge_weight is not None
         else np.ones(len(src))).astype(float)
    keep = w > 0
    src, dst, w = src[keep], dst[keep], w[keep]
    order = np.lexsort((dst, src))
    src, dst, w = src[order], dst[order], w[order]
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.add.at(indptr, src + 1, 1)
    return np.cumsum(indptr), dst.astype(np.int64), w


def biased_random_walks(
    graph: Data,
    walk_length: int = 20,
    walks_per_node: int = 10,
    p: float = 1.0,
    q: float = 1.0,
    rng: np.random.Generator | None = None,
) -> np.ndarray:
    """Node2vec walks from every node.

    Args:
        graph: PyG graph (``edge_weight`` optional; edges with weight 0 are ignored).
        walk_length: nodes per walk (including the start).
        walks_per_node: walks started from each node.
        p: return parameter (high p: rarely step back).
        q: in-out parameter (low q: explore outwards, DFS-like).
        rng: random generator.

    Returns:
        int array [N * walks_per_node, walk_length]; ``-1`` pads walks that reached a node
        without neighbours (an isolated start node gives a walk of one node).
    """
    if p <= 0 or q <= 0:
        raise InputError("node2vec", "p, q", "positive numbers", (p, q))
    rng = rng or np.random.default_rng(0)
    indptr, indices, weights = _csr(graph)
    n = len(indptr) - 1
    cum = np.cumsum(weights)
    row_start = np.concatenate([[0.0], cum])[indptr[:-1]]
    row_total = np.concatenate([[0.0], cum])[indptr[1:]] - row_start
    edge_keys = np.repeat(np.arange(n, dtype=np.int64), np.diff(indptr)) * n + indices
    walks = np.full((n * walks_per_node, walk_length), -1, dtype=np.int64)
    walks[:, 0] = np.tile(np.arange(n), walks_per_node)
    alive = row_total[walks[:, 0]] > 0
    max_alpha = max(1.0 / p, 1.0, 1.0 / q)
    for step in range(1, walk_length):
        idx = np.flatnonzero(alive)
        if idx.size == 0:
            break
        cur = walks[idx, step - 1]
        prev = walks[idx, step - 2] if step >= 2 else None
        nxt = np.empty(idx.size, dtype=np.int64)
        todo = np.arange(idx.size)
        while todo.size:
            cand = _propose(cur[todo], rng, cum, row_start, row_total, indptr, indices)
            if prev is None or (p == 1.0 and q == 1.0):
                nxt[todo] = cand
                break
            pv = prev[todo]
            alpha = np.where(
                cand == pv, 1.0 / p,
                np.where(np.isin(pv * n + cand, edge_keys), 1.0, 1.0 / q),
            )
            accept = rng.random(todo.size) * max_alpha < alpha
            nxt[todo[accept]] = cand[accept]
            todo = todo[~accept]
        walks[idx, step] = nxt
        alive[idx] = row_total[nxt] > 0
    return walks


def _propose(
    nodes: np.ndarray,
    rng: np.random.Generator,
    cum: np.ndarray,
    row_start: np.ndarray,
    row_total: np.ndarray,
    indptr: np.ndarray,
    indices: np.ndarray,
) -> np.ndarray:
    """One neighbour of each node, drawn proportionally to the edge weight."""
    target = row_start[nodes] + rng.random(nodes.size) * row_total[nodes]
    pos = np.searchsorted(cum, target, side="right")
    pos = np.clip(pos, indptr[nodes], indptr[nodes + 1] - 1)
    return indices[pos]


def cooccurrence(walks: np.ndarray, n: int, window: int = 5) -> np.ndarray:
    """Symmetric counts [N, N] of node pairs at most ``window`` steps apart in the walks."""
    counts = np.zeros((n, n), dtype=np.float64)
    for a, b in _window_pairs(walks, window):
        np.add.at(counts, (a, b), 1.0)
        np.add.at(counts, (b, a), 1.0)
    return counts


def _window_pairs(walks: np.ndarray, window: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Per offset 1..window: the node pairs (a, b) that far apart in the walks (padding -1
    dropped)."""
    for offset in range(1, min(window, walks.shape[1] - 1) + 1):
        a, b = walks[:, :-offset].ravel(), walks[:, offset:].ravel()
        ok = (a >= 0) & (b >= 0)
        yield a[ok], b[ok]


def _sgns_parameters(shape: tuple[int, ...], seed: int, lr: float) -> tuple[Any, Any, Any, Any]:
    """Seeded generator, centre / context vectors of ``shape`` (scale 0.1) and their Adam."""
    import torch

    gen = torch.Generator().manual_seed(seed)
    U = (torch.randn(*shape, generator=gen) * 0.1).requires_grad_()
    V = (torch.randn(*shape, generator=gen) * 0.1).requires_grad_()
    return gen, U, V, torch.optim.Adam([U, V], lr=lr)


def sgns_torch(
    counts: np.ndarray,
    dim: int = 16,
    negative: int = 5,
    steps: int = 100,
    lr: float = 0.1,
    seed: int = 0,
) -> np.ndarray:
    """Skip-gram with negative sampling on co-occurrence counts, full batch.

    Args:
        counts: [T, N, N] (or [N, N]) window co-occurrence counts, one matrix per graph.
        dim: embedding size.
        negative: negative samples per positive pair (``k``).
        steps: Adam steps.
        lr: learning rate.
        seed: initialisation seed.

    Returns:
        centre-word vectors [T, N, dim] (or [N, dim]).
    """
    import torch

    single = counts.ndim == 2
    C = torch.as_tensor(counts[None] if single else counts, dtype=torch.float32)
    T, n, _ = C.shape
    freq = C.sum(dim=2)  # contexts per node
    unigram = freq.clamp(min=0) ** 0.75
    P = unigram / unigram.sum(dim=1, keepdim=True).clamp(min=1e-12)
    neg = negative * freq[:, :, None] * P[:, None, :]
    total = C.sum(dim=(1, 2)).clamp(min=1.0)[:, None, None]
    C, neg = C / total, neg / total
    _, U, V, opt = _sgns_parameters((T, n, dim), seed, lr)
    logsig = torch.nn.functional.logsigmoid
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # small dense ops: extra threads only contend
    try:
        for _ in range(steps):
            opt.zero_grad()
            S = torch.bmm(U, V.transpose(1, 2))
            loss = -(C * logsig(S) + neg * logsig(-S)).sum()
            loss.backward()
            opt.step()
    finally:
        torch.set_num_threads(threads)
    out = U.detach().numpy().astype(np.float64)
    return out[0] if single else out


#: Largest graph embedded through dense [N, N] co-occurrence counts (torch backend); larger
#: graphs use the sparse SGNS (4,000 nodes: 128 MB per float64 count matrix).
MAX_DENSE_NODES = 4_000


def cooccurrence_sparse(walks: np.ndarray, n: int, window: int = 5) -> Any:  # csr_matrix
    """:func:`cooccurrence` as a ``scipy.sparse.csr_matrix`` (summed one offset at a time)."""
    import scipy.sparse as sp

    counts = sp.csr_matrix((n, n), dtype=np.float64)
    for a, b in _window_pairs(walks, window):
        rows, cols = np.concatenate([a, b]), np.concatenate([b, a])
        counts = counts + sp.csr_matrix((np.ones(rows.size), (rows, cols)), shape=(n, n))
    counts.sum_duplicates()
    return counts


def sgns_torch_sparse(
    counts: Any,
    dim: int = 16,
    negative: int = 5,
    steps: int = 100,
    lr: float = 0.1,
    seed: int = 0,
) -> np.ndarray:
    """:func:`sgns_torch` for one sparse ``[N, N]`` count matrix (``scipy.sparse``).

    The positive term runs over the non-zero counts; the negative term
    ``k sum_i n_i E_{j~P} log s(-u_i.v_j)`` is estimated each step from ``negative`` nodes
    drawn from ``P`` per node (a seeded generator), the sampling of word2vec without the
    N x N expectation. Returns centre-word vectors ``[N, dim]``.
    """
    import torch

    coo = counts.tocoo()
    n = int(coo.shape[0])
    rows = torch.as_tensor(coo.row, dtype=torch.long)
    cols = torch.as_tensor(coo.col, dtype=torch.long)
    total = max(float(coo.data.sum()), 1.0)
    c = torch.as_tensor(coo.data / total, dtype=torch.float32)
    freq = torch.as_tensor(np.asarray(counts.sum(axis=1)).ravel(), dtype=torch.float32)
    unigram = freq.clamp(min=0) ** 0.75
    probs = unigram / unigram.sum().clamp(min=1e-12)
    weight = (negative * freq / total)[:, None]  # k n_i, scaled as the positive term
    gen, U, V, opt = _sgns_parameters((n, dim), seed, lr)
    logsig = torch.nn.functional.logsigmoid
    k = max(1, negative)
    has_context = bool(probs.sum() > 0)
    for _ in range(steps):
        opt.zero_grad()
        loss = -(c * logsig((U[rows] * V[cols]).sum(-1))).sum()
        if has_context:
            neg = torch.multinomial(probs, n * k, replacement=True, generator=gen).view(n, k)
            score = torch.einsum("nd,nkd->nk", U, V[neg])
            loss = loss - (weight * logsig(-score)).mean(dim=1).sum()
        loss.backward()
        opt.step()
    return U.detach().numpy().astype(np.float64)


def _stable_hash(text: str) -> int:
    """Process-independent hash for gensim's vector initialisation (``hash`` is salted)."""
    return zlib.crc32(text.encode("utf-8"))


def node2vec_embedding(
    graph: Data,
    dim: int = 16,
    walk_length: int = 20,
    walks_per_node: int = 10,
    p: float = 1.0,
    q: float = 1.0,
    window: int = 5,
    epochs: int = 5,
    seed: int = 0,
    backend: str = "torch",
) -> np.ndarray:
    """Node2vec embedding [N, dim] of one graph (skip-gram with negative sampling), centred.

    Skip-gram vectors share a large common component on small graphs; it is removed (mean over
    nodes subtracted) so that cosine similarities and Procrustes rotations reflect structure.
    With the torch backend, graphs over :data:`MAX_DENSE_NODES` nodes use the sparse SGNS
    (:func:`sgns_torch_sparse`; no N x N matrix).
    """
    rng = np.random.default_rng(seed)
    walks = biased_random_walks(graph, walk_length, walks_per_node, p, q, rng)
    n = int(graph.num_nodes)
    if backend == "torch":
        emb = _torch_sgns(walks, n, dim, window, epochs, seed)
        return emb - emb.mean(axis=0)
    if backend != "gensim":
        raise InputError("node2vec", "backend", "torch or gensim", backend)
    from gensim.models import Word2Vec

    sentences = [[str(v) for v in row[row >= 0]] for row in walks]
    model = Word2Vec(
        sentences, vector_size=dim, window=window, min_count=0, sg=1, negative=5, sample=0,
        workers=1, seed=seed, epochs=epochs, hashfxn=_stable_hash,
    )
    emb = np.stack([model.wv[str(v)] for v in range(n)]).astype(np.float64)
    return emb - emb.mean(axis=0)


def _torch_sgns(walks: np.ndarray, n: int, dim: int, window: int, epochs: int,
                seed: int) -> np.ndarray:
    """SGNS of one graph's walks: dense counts up to MAX_DENSE_NODES nodes, sparse above."""
    if n > MAX_DENSE_NODES:
        return sgns_torch_sparse(cooccurrence_sparse(walks, n, window), dim,
                                 steps=20 * epochs, seed=seed)
    return sgns_torch(cooccurrence(walks, n, window), dim, steps=20 * epochs, seed=seed)


def align_to(embedding: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Rotate ``embedding`` [N, d] onto ``reference`` [N, d] (orthogonal Procrustes)."""
    rotation, _ = orthogonal_procrustes(embedding, reference)
    return embedding @ rotation


def temporal_node2vec(
    graphs: Sequence[Data],
    dim: int = 16,
    walk_length: int = 20,
    walks_per_node: int = 10,
    p: float = 1.0,
    q: float = 1.0,
    window: int = 5,
    epochs: int = 5,
    seed: int = 0,
    fit_index: Sequence[int] | np.ndarray | None = None,
    backend: str = "torch",
) -> np.ndarray:
    """Node2vec per time point, aligned across time.

    Args:
        graphs: one graph per time point (same nodes), e.g. :func:`temporal_graphs`.
        dim, walk_length, walks_per_node, p, q, window, epochs: Node2vec settings.
        seed: random seed (walks and skip-gram); results are identical for equal seeds.
        backend: ``torch`` (all time points in one batched SGNS fit; ``20 * epochs`` Adam
            steps, learning rate 0.1) or ``gensim`` (one Word2Vec per time point).
        fit_index: time points whose graphs are embedded (the training time points). Every
            other time point gets the embedding of the latest fitted time point before it (the
            first fitted one if none is earlier), so validation and test graphs are never used.

    Returns:
        array [T, N, dim]; each fitted time point is Procrustes-aligned onto the previous one.
    """
    T = len(graphs)
    if T == 0:
        raise InputError("graphs", "", "at least one graph", "none")
    n = {int(g.num_nodes) for g in graphs}
    if len(n) != 1:
        raise InputError("graphs", "num_nodes", "the same nodes at every time point", sorted(n))
    fit = np.arange(T) if fit_index is None else np.unique(np.asarray(fit_index, dtype=int))
    if fit.size == 0 or fit.min() < 0 or fit.max() >= T:
        raise InputError("fit_index", "", f"indices in [0, {T})", fit.tolist())
    n_nodes = n.pop()
    if backend == "torch":
        raw = _batched_torch(graphs, fit, n_nodes, dim, walk_length, walks_per_node, p, q,
                             window, epochs, seed)
    else:
        raw = [
            node2vec_embedding(graphs[t], dim, walk_length, walks_per_node, p, q, window,
                               epochs, seed + t, backend)
            for t in track(fit.tolist(), "node2vec")
        ]
    fitted: dict[int, np.ndarray] = {}
    previous: np.ndarray | None = None
    for t, emb in zip(fit.tolist(), raw, strict=True):
        if previous is not None:
            emb = align_to(emb, previous)
        fitted[t] = emb
        previous = emb
    out = np.empty((T, n_nodes, dim), dtype=np.float64)
    for t in range(T):
        earlier = fit[fit <= t]
        out[t] = fitted[int(earlier.max() if earlier.size else fit.min())]
    return out


def _batched_torch(
    graphs: Sequence[Data],
    fit: np.ndarray,
    n: int,
    dim: int,
    walk_length: int,
    walks_per_node: int,
    p: float,
    q: float,
    window: int,
    epochs: int,
    seed: int,
    max_cells: int = 20_000_000,
) -> list[np.ndarray]:
    """Walks per fitted graph, then SGNS for chunks of time points at once (centred); graphs
    over MAX_DENSE_NODES nodes are embedded one at a time with the sparse SGNS."""
    if n > MAX_DENSE_NODES:
        out = []
        for t in track(fit.tolist(), "node2vec"):
            rng = np.random.default_rng(seed + t)
            walks = biased_random_walks(graphs[t], walk_length, walks_per_node, p, q, rng)
            emb = _torch_sgns(walks, n, dim, window, epochs, seed + t)
            out.append(emb - emb.mean(axis=0))
        return out
    counts = []
    for t in track(fit.tolist(), "node2vec walks"):
        rng = np.random.default_rng(seed + t)
        walks = biased_random_walks(graphs[t], walk_length, walks_per_node, p, q, rng)
        counts.append(cooccurrence(walks, n, window))
    chunk = max(1, max_cells // max(n * n, 1))
    out: list[np.ndarray] = []
    for start in range(0, len(counts), chunk):
        block = np.stack(counts[start:start + chunk])
        emb = sgns_torch(block, dim, steps=20 * epochs, seed=seed + start)
        out += [e - e.mean(axis=0) for e in emb]
    return out

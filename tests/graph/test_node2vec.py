"""Temporal Node2vec: walks follow edges with the (p, q) bias, embeddings separate communities,
Procrustes alignment, training-time-only fitting, determinism."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch_geometric.data import Data

from hicexpr.graph import biased_random_walks, temporal_node2vec
from hicexpr.graph import node2vec as n2v
from hicexpr.graph.node2vec import align_to, node2vec_embedding


def _graph(edges: list[tuple[int, int]], n: int, w: list[float] | None = None) -> Data:
    src = [a for a, b in edges] + [b for a, b in edges]
    dst = [b for a, b in edges] + [a for a, b in edges]
    weight = (w or [1.0] * len(edges)) * 2
    return Data(edge_index=torch.tensor([src, dst]), edge_weight=torch.tensor(weight),
                num_nodes=n)


def _two_cliques(n: int = 8) -> Data:
    half = n // 2
    edges = [(i, j) for i in range(half) for j in range(i + 1, half)]
    edges += [(i + half, j + half) for i in range(half) for j in range(i + 1, half)]
    edges.append((0, half))  # one bridge
    return _graph(edges, n)


def _transitions(walks: np.ndarray) -> set[tuple[int, int]]:
    out = set()
    for row in walks:
        row = row[row >= 0]
        out |= set(zip(row[:-1].tolist(), row[1:].tolist(), strict=False))
    return out


def test_walks_only_use_edges_and_stop_at_isolated_nodes() -> None:
    g = _graph([(0, 1), (1, 2), (2, 3)], n=5)  # node 4 isolated
    walks = biased_random_walks(g, walk_length=6, walks_per_node=3, p=0.5, q=2.0)
    assert walks.shape == (15, 6)
    allowed = {(0, 1), (1, 0), (1, 2), (2, 1), (2, 3), (3, 2)}
    assert _transitions(walks) <= allowed
    isolated = walks[walks[:, 0] == 4]
    assert (isolated[:, 1:] == -1).all()


def test_edge_weights_bias_first_steps() -> None:
    g = _graph([(0, 1), (0, 2)], n=3, w=[9.0, 1.0])
    walks = biased_random_walks(g, walk_length=2, walks_per_node=2000,
                                rng=np.random.default_rng(1))
    first = walks[walks[:, 0] == 0, 1]
    assert abs((first == 1).mean() - 0.9) < 0.03


def test_return_parameter_p_controls_backtracking() -> None:
    g = _graph([(0, 1), (1, 2), (2, 3), (3, 0)], n=4)  # a 4-cycle: from v, back or forward

    def backtrack_rate(p: float) -> float:
        w = biased_random_walks(g, walk_length=30, walks_per_node=50, p=p, q=1.0,
                                rng=np.random.default_rng(0))
        return float((w[:, 2:] == w[:, :-2]).mean())

    low, neutral, high = backtrack_rate(0.25), backtrack_rate(1.0), backtrack_rate(4.0)
    # alpha(back) = 1/p vs 1/q = 1 for the other neighbour: P(back) = (1/p) / (1/p + 1)
    assert abs(neutral - 0.5) < 0.05
    assert abs(low - 0.8) < 0.05 and abs(high - 0.2) < 0.05


def _assert_separates_cliques(emb: np.ndarray) -> None:
    """Nodes of the same 5-clique are far more cosine-similar than nodes of different ones."""
    unit = emb / np.linalg.norm(emb, axis=1, keepdims=True)
    cos = unit @ unit.T
    same = np.zeros_like(cos, dtype=bool)
    same[:5, :5] = same[5:, 5:] = True
    np.fill_diagonal(same, False)
    other = ~same
    np.fill_diagonal(other, False)
    assert cos[same].mean() > cos[other].mean() + 0.3


@pytest.mark.parametrize("backend", ["torch", "gensim"])
def test_embedding_separates_communities(backend: str) -> None:
    g = _two_cliques(10)
    emb = node2vec_embedding(g, dim=8, walk_length=10, walks_per_node=20, epochs=5, seed=0,
                             backend=backend)
    _assert_separates_cliques(emb)


def test_procrustes_recovers_a_rotation() -> None:
    rng = np.random.default_rng(0)
    ref = rng.normal(size=(20, 4))
    q, _ = np.linalg.qr(rng.normal(size=(4, 4)))
    np.testing.assert_allclose(align_to(ref @ q, ref), ref, atol=1e-8)


def test_temporal_fit_only_on_training_times_and_deterministic() -> None:
    graphs = [_two_cliques(8) for _ in range(4)]
    kw = {"dim": 4, "walk_length": 8, "walks_per_node": 5, "epochs": 2, "seed": 3}
    emb = temporal_node2vec(graphs, fit_index=[0, 1], **kw)
    assert emb.shape == (4, 8, 4)
    np.testing.assert_array_equal(emb[2], emb[1])  # test times reuse the last fitted time
    np.testing.assert_array_equal(emb[3], emb[1])
    changed = graphs[:2] + [_graph([(0, 7)], 8), _graph([(1, 2)], 8)]
    np.testing.assert_array_equal(temporal_node2vec(changed, fit_index=[0, 1], **kw), emb)
    # successive fitted times are aligned: closer after Procrustes than before
    raw1 = node2vec_embedding(graphs[1], 4, 8, 5, 1.0, 1.0, 5, 2, seed=4)
    assert np.linalg.norm(emb[1] - emb[0]) < np.linalg.norm(raw1 - emb[0])


def test_sparse_cooccurrence_equals_dense() -> None:
    g = _two_cliques(10)
    walks = biased_random_walks(g, walk_length=8, walks_per_node=4, rng=np.random.default_rng(2))
    walks[0, 5:] = -1  # a walk stopped early
    dense = n2v.cooccurrence(walks, 10, window=3)
    np.testing.assert_array_equal(n2v.cooccurrence_sparse(walks, 10, window=3).toarray(), dense)


def test_large_graphs_use_the_sparse_sgns(monkeypatch) -> None:
    """Above MAX_DENSE_NODES no N x N matrix is built, and communities still separate."""
    monkeypatch.setattr(n2v, "MAX_DENSE_NODES", 5)

    def no_dense(*args, **kwargs):
        raise AssertionError("dense co-occurrence built above MAX_DENSE_NODES")

    monkeypatch.setattr(n2v, "cooccurrence", no_dense)
    g = _two_cliques(10)
    emb = node2vec_embedding(g, dim=8, walk_length=10, walks_per_node=20, epochs=5, seed=0)
    _assert_separates_cliques(emb)
    again = node2vec_embedding(g, dim=8, walk_length=10, walks_per_node=20, epochs=5, seed=0)
    np.testing.assert_array_equal(again, emb)  # seeded negative sampling: deterministic
    temporal = temporal_node2vec([g, g], dim=4, walk_length=8, walks_per_node=5, epochs=2)
    assert temporal.shape == (2, 10, 4) and np.isfinite(temporal).all()

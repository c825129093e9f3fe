"""Gene graphs: symmetric weighted edges from pairs, similarity edges fitted on training times."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hicexpr.graph import (
    EdgeWeights,
    build_gene_graph,
    expression_similarity_edges,
    temporal_graphs,
)
from hicexpr.graph.build import _nearest_by_correlation
from hicexpr.lib.errors import InputError

GENES = ["a", "b", "c", "d"]


def _pairs() -> pd.DataFrame:
    return pd.DataFrame({
        "gene1": ["a", "a", "b", "c", "a", "x"],
        "gene2": ["b", "c", "c", "d", "b", "a"],
        "contact": [0.8, 0.2, 0.5, 1.0, 0.1, 0.9],
        "same_tad": [True, False, True, False, True, True],
        "same_compartment": [True, True, False, False, True, True],
        "insulation_mean": [0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    })


def _weights(g) -> dict[tuple[int, int], float]:
    src, dst = g.edge_index.numpy()
    weights = g.edge_weight.numpy()
    return {(int(s), int(d)): float(w) for s, d, w in zip(src, dst, weights, strict=True)}


def test_weights_follow_the_formula_and_graph_is_undirected() -> None:
    g = build_gene_graph(GENES, _pairs(), EdgeWeights(contact=1.0, same_tad=0.5,
                                                      same_compartment=0.25))
    w = _weights(g)
    assert g.num_nodes == 4 and g.edge_index.shape == (2, 8)
    assert w[(0, 1)] == pytest.approx(0.8 + 0.5 + 0.25)  # duplicate a-b keeps the strongest
    assert w[(0, 2)] == pytest.approx(0.2 + 0.25)
    assert w[(2, 3)] == pytest.approx(1.0)
    assert all(w[(d, s)] == v for (s, d), v in w.items())  # symmetric
    assert not any(s == d for s, d in w)  # no self-loops; unknown gene 'x' dropped


def test_min_contact_and_top_k() -> None:
    g = build_gene_graph(GENES, _pairs(), EdgeWeights(min_contact=0.3))
    assert (0, 2) not in _weights(g)
    g1 = build_gene_graph(GENES, _pairs(), EdgeWeights(top_k=1))
    kept = {tuple(sorted(k)) for k in _weights(g1)}
    # strongest edge of a: a-b; of b: a-b; of c: c-d; of d: c-d
    assert kept == {(0, 1), (2, 3)}


def test_insulation_term() -> None:
    pairs = _pairs().assign(insulation_mean=[2.0, -2.0, 0.0, 0.0, 0.0, 0.0])
    w = _weights(build_gene_graph(GENES, pairs, EdgeWeights(0.0, 0.0, 0.0, insulation=1.0)))
    assert w[(0, 1)] == pytest.approx(1 / (1 + np.exp(-2.0)))
    assert w[(0, 2)] == pytest.approx(1 / (1 + np.exp(2.0)))


def test_similarity_edges_use_only_training_rows() -> None:
    rng = np.random.default_rng(0)
    base = rng.normal(size=(12, 1))
    X = np.hstack([base, base * 2 + 0.01 * rng.normal(size=(12, 1)), rng.normal(size=(12, 2))])
    sim = expression_similarity_edges(X[:8], k=1, on="levels", min_similarity=0.5,
                                      genes=GENES)
    assert {(0, 1)} <= set(zip(sim["i"], sim["j"], strict=False))
    assert sim.loc[(sim["i"] == 0) & (sim["j"] == 1), "similarity"].iloc[0] > 0.99
    X2 = X.copy()
    X2[8:] = rng.normal(size=(4, 4)) * 100  # changing test rows changes nothing
    sim2 = expression_similarity_edges(X2[:8], k=1, on="levels", min_similarity=0.5)
    pd.testing.assert_frame_equal(sim[["i", "j", "similarity"]], sim2)
    g = build_gene_graph(GENES, _pairs().iloc[:0], EdgeWeights(similarity=2.0), similarity=sim)
    assert _weights(g)[(1, 0)] == pytest.approx(2.0 * sim["similarity"].iloc[0])


def test_temporal_graphs_damp_edges_between_diverging_genes() -> None:
    X = np.array([[0.0, 0.0, 0.0, 0.0], [1.0, 1.0, -1.0, 0.0], [2.0, -2.0, 0.0, 0.0]])
    graphs = temporal_graphs(GENES, _pairs(), X, train_index=[0, 1, 2],
                             weights=EdgeWeights(1.0, 0.0, 0.0))
    assert len(graphs) == 3
    w = [_weights(g) for g in graphs]
    z = (X[:, :2] - X[:, :2].mean(axis=0)) / X[:, :2].std(axis=0)
    for t in range(3):
        assert w[t][(0, 1)] == pytest.approx(0.8 * np.exp(-abs(z[t, 0] - z[t, 1])), rel=1e-5)
    assert w[2][(0, 1)] < w[1][(0, 1)]  # a and b diverge at t=2
    static = temporal_graphs(GENES, _pairs(), X, [0, 1, 2], EdgeWeights(1.0, 0.0, 0.0),
                             strength=0.0)
    assert all(_weights(g)[(0, 1)] == pytest.approx(0.8) for g in static)
    with pytest.raises(InputError, match="shape"):
        temporal_graphs(GENES, _pairs(), X[:, :3], train_index=[0])


def test_missing_columns_and_duplicate_genes_are_input_errors() -> None:
    with pytest.raises(InputError, match="column 'gene2'"):
        build_gene_graph(GENES, pd.DataFrame({"gene1": ["a"]}))
    with pytest.raises(InputError, match="unique gene ids"):
        build_gene_graph(["a", "a"], _pairs())


@settings(max_examples=25, deadline=None)
@given(n_genes=st.integers(2, 40), k=st.integers(1, 6), block=st.integers(1, 9),
       seed=st.integers(0, 10_000))
def test_similarity_edges_in_blocks_equal_the_full_correlation_matrix(n_genes, k, block,
                                                                      seed) -> None:
    X = np.random.default_rng(seed).normal(size=(7, n_genes))
    rows, cols, sim = _nearest_by_correlation(X, k, block=block)
    corr = np.corrcoef(X.T)
    np.fill_diagonal(corr, -np.inf)
    kk = min(k, n_genes - 1)
    best = -np.sort(-corr, axis=1)[:, :kk]
    got = np.full((n_genes, kk), np.nan)
    for i in range(n_genes):
        got[i] = -np.sort(-sim[rows == i])
    assert np.allclose(got, best)
    assert np.allclose(sim, corr[rows, cols])


def test_a_gene_pair_contacts_table_gives_contact_weighted_edges() -> None:
    from hicexpr.graph import graph_pairs, normalised_contact

    table = pd.DataFrame({"gene1": ["a", "a"], "gene2": ["b", "c"], "distance": [10, 200],
                          "count": [5, 1], "balanced": [0.2, 0.01], "oe": [2.0, 0.5]})
    graph = build_gene_graph(["a", "b", "c"], table, EdgeWeights(same_tad=0.0,
                                                                 same_compartment=0.0))
    strength = normalised_contact(np.array([0.2, 0.01]))
    assert _weights(graph)[(0, 1)] == pytest.approx(strength[0])
    assert _weights(graph)[(0, 2)] == pytest.approx(strength[1])  # not 1.0 for every edge
    assert graph_pairs(table)["distance_bp"].tolist() == [10.0, 200.0]


def test_pairs_naming_none_of_the_genes_are_refused() -> None:
    """Ids in another case (or with versions) would give an empty graph without a word."""
    with pytest.raises(InputError, match=r"pairs: gene1, gene2: expected ids of the graph's "
                       r"genes \(e.g. 'A'\), got 'a'"):
        build_gene_graph([g.upper() for g in GENES], _pairs())
    assert build_gene_graph(GENES, _pairs().iloc[:0]).edge_index.shape[1] == 0  # no pairs: fine

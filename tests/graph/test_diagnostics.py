"""Contact vs co-expression diagnostics: planted signal found, distance effects removed."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hicexpr.graph import build_gene_graph, contact_coexpression
from hicexpr.lib.errors import InputError

N_GENES, N_TIMES, N_MODULES = 80, 40, 8


def _genome(seed: int) -> tuple[pd.Index, np.ndarray, np.ndarray]:
    """Gene ids, positions (bp, one chromosome) and module labels independent of position."""
    rng = np.random.default_rng(seed)
    genes = pd.Index([f"g{k}" for k in range(N_GENES)])
    position = np.sort(rng.choice(np.arange(N_GENES * 20), N_GENES, replace=False)) * 10_000
    module = rng.integers(0, N_MODULES, N_GENES)
    return genes, position, module


def _all_pairs(genes: pd.Index, position: np.ndarray) -> tuple[pd.DataFrame, np.ndarray,
                                                                np.ndarray]:
    i, j = np.triu_indices(len(genes), k=1)
    pairs = pd.DataFrame({"gene1": genes[i], "gene2": genes[j],
                          "distance_bp": np.abs(position[i] - position[j]).astype(float)})
    return pairs, i, j


def _module_series(module: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Random walks driven by one shared factor per module, plus gene noise: [T, N]."""
    factors = rng.normal(size=(N_TIMES, N_MODULES))
    steps = factors[:, module] + 0.8 * rng.normal(size=(N_TIMES, len(module)))
    return np.cumsum(steps, axis=0)


def _planted(seed: int = 0) -> tuple[np.ndarray, pd.Index, pd.DataFrame]:
    """Contacts decay with distance and are higher for same-module (co-expressed) pairs."""
    rng = np.random.default_rng(seed)
    genes, position, module = _genome(seed)
    pairs, i, j = _all_pairs(genes, position)
    decay = 1.0 / np.log10(pairs["distance_bp"].to_numpy())
    pairs["contact"] = decay + 0.3 * (module[i] == module[j]) + 0.05 * rng.normal(size=len(i))
    pairs["same_tad"] = rng.random(len(i)) < 0.2
    return _module_series(module, rng), genes, pairs


def _row(table: pd.DataFrame, measure: str) -> pd.Series:
    return table.set_index("measure").loc[measure]


def test_contacts_that_join_co_expressed_genes_are_found() -> None:
    values, genes, pairs = _planted()
    table = contact_coexpression(values, genes, pairs, np.arange(30), n_perm=99)
    contact = _row(table, "contact")
    assert contact.spearman_same_distance > 0.2
    assert contact.p_value == pytest.approx(0.01)  # no permutation as high: 1 / (1 + 99)
    assert contact.coexpr_high > contact.coexpr_low + 0.2
    noise = _row(table, "same_tad")  # random, unrelated to the modules
    assert abs(noise.spearman_same_distance) < 0.05
    assert noise.p_value > 0.05
    assert list(table.columns) == ["measure", "n_pairs", "spearman", "spearman_same_distance",
                                   "p_value", "coexpr_high", "coexpr_low"]


def test_a_contact_that_only_restates_distance_scores_zero_within_distance() -> None:
    """Neighbours co-vary along the genome; the contact is distance plus noise."""
    rng = np.random.default_rng(1)
    genes, position, _ = _genome(1)
    pairs, i, j = _all_pairs(genes, position)
    block = position // 2_000_000  # genes in the same 2 Mb block share a driver
    values = _module_series(np.unique(block, return_inverse=True)[1], rng)
    distance = pairs["distance_bp"].to_numpy()
    pairs["contact"] = -np.log10(distance) + 0.3 * rng.normal(size=len(i))
    row = _row(contact_coexpression(values, genes, pairs, np.arange(N_TIMES), n_perm=0),
               "contact")
    assert row.spearman > 0.1
    assert abs(row.spearman_same_distance) < 0.05
    assert np.isnan(row.p_value)  # n_perm = 0
    assert _row(contact_coexpression(values, genes, pairs, np.arange(N_TIMES), n_perm=0),
                "proximity").spearman > 0.1


def test_only_fit_times_are_read() -> None:
    values, genes, pairs = _planted()
    fit = np.arange(25)
    before = contact_coexpression(values, genes, pairs, fit, n_perm=19)
    changed = values.copy()
    changed[25:] = np.random.default_rng(5).normal(size=changed[25:].shape)
    pd.testing.assert_frame_equal(before, contact_coexpression(changed, genes, pairs, fit,
                                                               n_perm=19))


def test_graph_edges_and_constant_genes() -> None:
    values, genes, pairs = _planted()
    strong = pairs.nlargest(100, "contact")
    graph = build_gene_graph(genes, strong)
    values[:, 0] = 1.0  # constant: its pairs are dropped
    table = contact_coexpression(values, genes, pairs, np.arange(30), graph=graph, n_perm=19)
    in_graph = _row(table, "in_graph")
    assert in_graph.n_pairs == len(pairs) - (N_GENES - 1)
    assert in_graph.coexpr_high > in_graph.coexpr_low
    # unknown genes are ignored, not an error
    extra = pd.concat([pairs, pd.DataFrame({"gene1": ["zz"], "gene2": ["g1"],
                                            "contact": [9.0], "distance_bp": [1e4]})])
    again = contact_coexpression(values, genes, extra, np.arange(30), graph=graph, n_perm=19)
    pd.testing.assert_frame_equal(table, again)


def test_bad_input_is_named() -> None:
    values, genes, pairs = _planted()
    with pytest.raises(InputError, match="consecutive"):
        contact_coexpression(values, genes, pairs, np.array([0, 2, 4, 6, 8]))
    with pytest.raises(InputError, match="shape"):
        contact_coexpression(values[:, :10], genes, pairs, np.arange(30))
    with pytest.raises(InputError, match="gene2"):
        contact_coexpression(values, genes, pairs.drop(columns="gene2"), np.arange(30))


def test_signed_coexpression_tells_opposition_from_agreement() -> None:
    """Genes in contact move in opposition: |r| rises with contact, r falls."""
    rng = np.random.default_rng(3)
    genes, position, _ = _genome(3)
    pairs, i, j = _all_pairs(genes, position)
    partner = rng.permutation(N_GENES).reshape(-1, 2)  # 40 mirrored pairs
    steps = rng.normal(size=(N_TIMES, N_GENES))
    steps[:, partner[:, 1]] = -steps[:, partner[:, 0]] + 0.5 * rng.normal(size=(N_TIMES, 40))
    values = np.cumsum(steps, axis=0)
    mirrored = {frozenset(p) for p in partner.tolist()}
    flag = np.array([frozenset((a, b)) in mirrored for a, b in zip(i, j, strict=True)])
    pairs["same_tad"] = flag
    fit = np.arange(N_TIMES)
    absolute = _row(contact_coexpression(values, genes, pairs, fit, n_perm=19), "same_tad")
    signed = _row(contact_coexpression(values, genes, pairs, fit, n_perm=19, signed=True),
                  "same_tad")
    assert absolute.spearman_same_distance > 0 and absolute.p_value == pytest.approx(0.05)
    assert signed.spearman_same_distance < 0 and signed.p_value > 0.5
    assert signed.coexpr_high < -0.8 and absolute.coexpr_high > 0.8  # the 40 mirrored pairs


def test_blocks_of_pairs_give_the_same_table(monkeypatch) -> None:
    import hicexpr.graph.diagnostics as diagnostics

    values, genes, pairs = _planted()
    whole = contact_coexpression(values, genes, pairs, np.arange(30), n_perm=9)
    monkeypatch.setattr(diagnostics, "PAIR_BLOCK", 7)
    pd.testing.assert_frame_equal(whole, contact_coexpression(values, genes, pairs,
                                                              np.arange(30), n_perm=9))


def test_lagged_coexpression_finds_coupled_dynamics_that_simultaneous_changes_miss() -> None:
    """Each follower's change repeats its leader's previous change: the partner's change
    announces the gene's next one, while simultaneous changes are uncorrelated."""
    rng = np.random.default_rng(4)
    genes, position, _ = _genome(4)
    pairs, i, j = _all_pairs(genes, position)
    leader, follower = rng.permutation(N_GENES).reshape(2, -1)
    steps = rng.normal(size=(200, N_GENES))
    steps[1:, follower] += 0.9 * steps[:-1, leader]
    x = np.cumsum(steps, axis=0)
    coupled = {frozenset(p) for p in zip(leader.tolist(), follower.tolist(), strict=True)}
    pairs["same_tad"] = [frozenset((a, b)) in coupled for a, b in zip(i, j, strict=True)]
    fit = np.arange(len(x))
    now = _row(contact_coexpression(x, genes, pairs, fit, n_perm=19), "same_tad")
    lagged = _row(contact_coexpression(x, genes, pairs, fit, n_perm=19, lag=1), "same_tad")
    assert lagged.p_value == pytest.approx(0.05) and lagged.coexpr_high > 0.25
    assert now.p_value > 0.05 and now.coexpr_high < 0.1
    with pytest.raises(InputError, match="lag"):
        contact_coexpression(x, genes, pairs, fit, lag=-1)

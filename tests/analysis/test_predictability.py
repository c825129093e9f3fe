"""Predictability tests: planted relations are found, with the named test and its p-value."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hicexpr.analysis import (
    best_model,
    expression_range,
    forecast_scores,
    gene_factors,
    graph_degree,
    predictability,
    spex_scores,
)
from hicexpr.lib.errors import InputError


def test_graph_degree_counts_distinct_neighbours() -> None:
    edges = pd.DataFrame({"gene1": ["a", "a", "b", "a", "c"], "gene2": ["b", "c", "a", "a", "d"]})
    degree = graph_degree(edges)  # a-b listed twice, a-a self loop ignored
    assert degree.to_dict() == {"a": 2, "b": 1, "c": 2, "d": 1}


def test_graph_degree_needs_columns() -> None:
    with pytest.raises(InputError, match="gene1, gene2"):
        graph_degree(pd.DataFrame({"x": [1]}))


def test_expression_range_per_gene() -> None:
    expr = pd.DataFrame({"g1": [1.0, 4.0, 2.0], "g2": [0.5, 0.5, np.nan]}, index=[0, 1, 2])
    assert expression_range(expr).to_dict() == {"g1": 3.0, "g2": 0.0}


def test_scores_best_model_mean_over_seeds() -> None:
    pgm = pd.DataFrame({"gene": ["a", "a", "b", "b"] * 2, "model": ["m1"] * 4 + ["m2"] * 4,
                        "seed": [0, 1, 0, 1] * 2,
                        "pearson": [0.2, 0.4, 0.0, np.nan, 0.5, 0.7, 0.1, 0.3]})
    assert best_model(pgm) == "m2"
    assert best_model(pgm, exclude=["m2"]) == "m1"
    scores = forecast_scores(pgm)
    assert scores.name == "m2"
    assert scores.to_dict() == pytest.approx({"a": 0.6, "b": 0.2})


def test_spex_scores_pick_setting() -> None:
    gain = pd.DataFrame({"gene": ["a", "b", "a"], "setting": ["s1", "s1", "s2"],
                         "gain": [1.0, -2.0, 5.0], "abs_error_3d": [0.1, 0.2, 0.3]})
    assert spex_scores(gain).to_dict() == {"a": 1.0, "b": -2.0}
    assert spex_scores(gain, "abs_error_3d", setting="s2").to_dict() == {"a": 0.3}
    with pytest.raises(InputError, match="setting"):
        spex_scores(gain, setting="nope")


def planted(n: int = 120, seed: int = 0) -> tuple[pd.Series, pd.DataFrame]:
    """Scores that fall with boundary distance and are higher in compartment A."""
    rng = np.random.default_rng(seed)
    genes = [f"g{i}" for i in range(n)]
    distance = rng.uniform(0, 500_000, n)
    compartment = np.where(rng.random(n) < 0.5, "A", "B")
    score = -distance / 500_000 + 0.5 * (compartment == "A") + rng.normal(0, 0.2, n)
    factors = pd.DataFrame({"boundary_distance": distance, "compartment": compartment,
                            "insulation": rng.normal(size=n)}, index=genes)
    return pd.Series(score, index=genes), factors


def test_predictability_finds_planted_relations() -> None:
    scores, factors = planted()
    result = predictability(scores, factors).set_index("factor")
    dist = result.loc["boundary_distance"]
    assert dist["test"] == "Spearman rank correlation"
    assert dist["effect"] < -0.4 and dist["p_value"] < 1e-6
    comp = result.loc["compartment"]
    assert comp["test"].startswith("Mann-Whitney U (two-sided), A vs B")
    assert comp["effect"] > 0.2 and comp["p_value"] < 1e-4
    assert result.loc["insulation", "p_value"] > 0.01  # unrelated noise
    assert result.loc["insulation", "n"] == 120
    # Benjamini-Hochberg over the three tests: the largest p-value is unchanged
    p = result["p_value"].to_numpy()
    assert result["p_adjusted"].max() == pytest.approx(p.max())
    assert result.loc["compartment", "p_adjusted"] == pytest.approx(
        min(1.0, min(p.max(), result.loc["compartment", "p_value"] * 3 / 2)))


def test_predictability_monotonic_relation_gives_rho_one() -> None:
    scores = pd.Series(np.arange(10.0), index=list("abcdefghij"))
    factors = pd.DataFrame({"degree": np.arange(10) ** 2}, index=list("abcdefghij"))
    row = predictability(scores, factors).iloc[0]
    assert row["effect"] == pytest.approx(1.0) and row["p_value"] < 1e-6


def test_predictability_three_groups_kruskal_and_too_few_genes() -> None:
    scores = pd.Series([1, 2, 3, 4, 5, 10, 11, 12, 13, 14, 20, 21, 22, 23, 24.0])
    scores.index = [f"g{i}" for i in range(15)]
    factors = pd.DataFrame({"compartment": ["A"] * 5 + ["B"] * 5 + ["C"] * 5,
                            "degree": [1.0] * 15}, index=scores.index)
    result = predictability(scores, factors).set_index("factor")
    assert result.loc["compartment", "test"] == "Kruskal-Wallis H"
    assert result.loc["compartment", "p_value"] < 0.01
    assert np.isnan(result.loc["degree", "p_value"])  # constant factor: not testable


def test_gene_factors_combines_sources_and_derives_compartment() -> None:
    feats = pd.DataFrame({"gene_id": ["a", "b", "c"], "E1": [0.3, -0.2, np.nan],
                          "boundary_distance": [10, 20, 30], "tad_id": [1, 1, 2]})
    edges = pd.DataFrame({"gene1": ["a"], "gene2": ["b"]})
    expr = pd.DataFrame({"a": [1.0, 3.0], "b": [2.0, 2.0], "c": [0.0, 5.0]})
    table = gene_factors(feats, edges, expr)
    assert list(table.columns) == ["degree", "expression_range", "compartment",
                                   "boundary_distance", "E1"]
    assert table.loc["a", "compartment"] == "A" and table.loc["b", "compartment"] == "B"
    assert table.loc["c", "compartment"] is None
    assert table.loc["a", "degree"] == 1 and np.isnan(table.loc["c", "degree"])
    assert table.loc["c", "expression_range"] == 5.0


def test_gene_factors_keeps_one_degree_column_from_the_graph() -> None:
    feats = pd.DataFrame({"gene_id": ["a", "b"], "degree": [7, 9], "E1": [0.1, -0.1]})
    edges = pd.DataFrame({"gene1": ["a"], "gene2": ["b"]})
    table = gene_factors(feats, edges)
    assert list(table.columns).count("degree") == 1
    assert table["degree"].tolist() == [1, 1]
    assert gene_factors(feats)["degree"].tolist() == [7, 9]  # no graph: the table's own column


def test_gene_factors_refuses_expression_with_genes_as_rows() -> None:
    feats = pd.DataFrame({"gene_id": ["a", "b", "c"], "E1": [0.3, -0.2, 0.1]})
    genes_by_times = pd.DataFrame([[1.0, 3.0], [2.0, 2.0], [0.0, 5.0]], index=["a", "b", "c"])
    with pytest.raises(InputError, match=r"transpose it \(expression.T\)"):
        gene_factors(feats, expression=genes_by_times)
    assert gene_factors(feats, expression=genes_by_times.T)["expression_range"].tolist() == \
        [2.0, 0.0, 5.0]


def test_predictability_refuses_scores_sharing_no_gene_with_the_factors() -> None:
    factors = pd.DataFrame({"degree": [1.0, 2.0]}, index=["a", "b"])
    with pytest.raises(InputError, match="gene ids shared with the factors table"):
        predictability(pd.Series([0.1, 0.2], index=["x", "y"]), factors)

"""Which genes are predictable, and why: per-gene score against gene properties.

Numeric properties (graph degree, expression range, distance to a TAD boundary, insulation,
E1) are tested with Spearman's rank correlation; categorical ones (compartment A/B) with the
two-sided Mann-Whitney U test (two groups) or Kruskal-Wallis (more groups).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from hicexpr.io.text import to_numbers
from hicexpr.lib.errors import InputError

FACTOR_COLUMNS = ("degree", "expression_range", "compartment", "boundary_distance",
                  "insulation", "E1")
RESULT_COLUMNS = ["factor", "test", "n", "statistic", "effect", "effect_name", "p_value",
                  "p_adjusted"]


def graph_degree(edges: pd.DataFrame) -> pd.Series:
    """Number of distinct neighbours of each gene in an undirected ``gene1, gene2`` edge list."""
    if not {"gene1", "gene2"} <= set(edges.columns):
        raise InputError("graph_edges", "columns", "gene1, gene2[, weight]", list(edges.columns))
    pairs = pd.concat([
        edges[["gene1", "gene2"]].set_axis(["a", "b"], axis=1),
        edges[["gene2", "gene1"]].set_axis(["a", "b"], axis=1),
    ])
    pairs = pairs[pairs["a"] != pairs["b"]].drop_duplicates()
    degree = pairs.groupby("a")["b"].size()
    degree.index = degree.index.astype(str)
    return degree.rename("degree")


def expression_range(expression: pd.DataFrame) -> pd.Series:
    """Max minus min over time of each gene (``expression``: time x gene, genes as columns)."""
    values = expression.apply(to_numbers)
    rng = values.max(axis=0) - values.min(axis=0)
    rng.index = rng.index.astype(str)
    return rng.rename("expression_range")


def gene_factors(
    gene_features: pd.DataFrame | None = None,
    edges: pd.DataFrame | None = None,
    expression: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per gene with every available property (columns from :data:`FACTOR_COLUMNS`).

    Args:
        gene_features: ``gene_id`` + any of ``compartment, E1, boundary_distance, insulation``
            (compartment is derived from the sign of ``E1`` when absent).
        edges: gene graph edges (gives ``degree``; a ``degree`` column of ``gene_features`` is
            then ignored, so the table never has two).
        expression: observed expression, time x gene (gives ``expression_range``).
    """
    parts: list[pd.Series | pd.DataFrame] = []
    if gene_features is not None:
        feats = gene_features.copy()
        key = "gene_id" if "gene_id" in feats.columns else "gene"
        feats[key] = feats[key].astype(str)
        feats = feats.drop_duplicates(key).set_index(key)
        if "compartment" not in feats.columns and "E1" in feats.columns:
            feats["compartment"] = np.where(feats["E1"] >= 0, "A", "B")
            feats.loc[feats["E1"].isna(), "compartment"] = None
        keep = [c for c in FACTOR_COLUMNS if c in feats.columns
                and not (c == "degree" and edges is not None)]  # the graph's degree wins
        parts.append(feats[keep])
    if edges is not None:
        parts.append(graph_degree(edges))
    if expression is not None:
        _check_genes_are_columns(expression, {str(g) for part in parts for g in part.index})
        parts.append(expression_range(expression))
    if not parts:
        return pd.DataFrame()
    table = pd.concat(parts, axis=1)
    return table[[c for c in FACTOR_COLUMNS if c in table.columns]]


def _check_genes_are_columns(expression: pd.DataFrame, genes: set[str]) -> None:
    """Refuse a genes x times ``expression`` when the other properties name its rows, not its
    columns."""
    in_rows = len(genes & set(expression.index.astype(str)))
    in_columns = len(genes & set(expression.columns.astype(str)))
    if in_rows > in_columns:
        raise InputError("expression", "layout", "time x gene (genes as columns); its rows are "
                         "genes: transpose it (expression.T)",
                         f"{in_rows} genes in rows, {in_columns} in columns")


def predictability(scores: pd.Series, factors: pd.DataFrame, min_n: int = 5) -> pd.DataFrame:
    """Test each property of ``factors`` against the per-gene ``scores``.

    Args:
        scores: per-gene score indexed by gene.
        factors: properties indexed by gene (see :func:`gene_factors`).
        min_n: genes needed (per group for categorical factors) to run a test.

    Returns:
        One row per factor: ``factor, test, n, statistic, effect, effect_name, p_value,
        p_adjusted`` (``effect`` = Spearman rho, or the difference in median score between the
        first and second group for categorical factors; NaN p-value when too few genes;
        ``p_adjusted`` = Benjamini-Hochberg over the factors tested).
    """
    if len(factors.columns) and not shares_genes(scores, factors):
        raise InputError("scores", "genes", "gene ids shared with the factors table (e.g. "
                         f"{', '.join(map(str, factors.index[:3]))})",
                         ", ".join(map(str, scores.index[:3])) or "no genes")
    rows = []
    for factor in factors.columns:
        joined = pd.concat([scores.rename("score"), factors[factor]], axis=1, join="inner")
        joined = joined.dropna()
        if _is_categorical(joined[factor]):
            rows.append(_categorical_test(factor, joined, min_n))
        else:
            rows.append(_numeric_test(factor, joined, min_n))
    table = pd.DataFrame(rows, columns=RESULT_COLUMNS)
    tested = table["p_value"].notna()
    if tested.any():
        table.loc[tested, "p_adjusted"] = stats.false_discovery_control(
            table.loc[tested, "p_value"].to_numpy(float), method="bh")
    return table


def shares_genes(scores: pd.Series, factors: pd.DataFrame) -> bool:
    """True when ``scores`` names at least one gene of ``factors`` (ids compared as text)."""
    return bool(scores.index.astype(str).isin(factors.index.astype(str)).any())


def _is_categorical(values: pd.Series) -> bool:
    return not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values)


def _numeric_test(factor: str, joined: pd.DataFrame, min_n: int) -> dict[str, object]:
    x = joined[factor].astype(float).to_numpy()
    y = joined["score"].astype(float).to_numpy()
    row: dict[str, object] = {"factor": factor, "test": "Spearman rank correlation",
                              "n": len(joined), "effect_name": "rho", "statistic": np.nan,
                              "effect": np.nan, "p_value": np.nan}
    if len(joined) >= min_n and np.ptp(x) > 0 and np.ptp(y) > 0:
        res = stats.spearmanr(x, y)
        row.update(statistic=float(res.statistic), effect=float(res.statistic),
                   p_value=float(res.pvalue))
    return row


def _categorical_test(factor: str, joined: pd.DataFrame, min_n: int) -> dict[str, object]:
    groups = {str(k): g["score"].to_numpy(float) for k, g in joined.groupby(factor)}
    groups = {k: v for k, v in sorted(groups.items()) if len(v) >= min_n}
    names = list(groups)
    row: dict[str, object] = {"factor": factor, "n": int(sum(len(v) for v in groups.values())),
                              "statistic": np.nan, "effect": np.nan, "p_value": np.nan}
    if len(names) == 2:
        res = stats.mannwhitneyu(groups[names[0]], groups[names[1]], alternative="two-sided")
        row.update(test=f"Mann-Whitney U (two-sided), {names[0]} vs {names[1]}",
                   statistic=float(res.statistic), p_value=float(res.pvalue),
                   effect=float(np.median(groups[names[0]]) - np.median(groups[names[1]])),
                   effect_name=f"median({names[0]}) - median({names[1]})")
    elif len(names) > 2:
        res = stats.kruskal(*groups.values())
        row.update(test="Kruskal-Wallis H", statistic=float(res.statistic),
                   p_value=float(res.pvalue), effect_name="")
    else:
        row.update(test=f"not tested (fewer than 2 groups with >= {min_n} genes)",
                   effect_name="")
    return row

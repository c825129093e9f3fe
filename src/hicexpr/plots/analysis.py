"""Figures for the gene-level analysis: score vs gene properties, enrichment bars."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from hicexpr.plots._common import new_figure

# readable names of the gene properties (hicexpr.analysis.predictability.FACTOR_COLUMNS and
# the feature columns of runs); a column not listed keeps its own name
FACTOR_NAMES = {
    "degree": "contact degree (gene-graph neighbours)",
    "expression_range": "expression range",
    "compartment": "A/B compartment",
    "boundary_distance": "distance to TAD boundary",
    "insulation": "insulation score",
    "E1": "compartment E1 (A > 0)",
}


def readable_factor(factor: str) -> str:
    """The readable name of a gene property (:data:`FACTOR_NAMES`), else ``factor`` itself."""
    return FACTOR_NAMES.get(str(factor), str(factor))


def plot_predictability(scores: pd.Series, factors: pd.DataFrame,
                        results: pd.DataFrame | None = None, score_name: str = "score") -> Figure:
    """One panel per property (3 per row): scatter (numeric) or boxplot per group (categorical),
    titled and labelled with the property's readable name (:data:`FACTOR_NAMES`).

    Args:
        scores: per-gene score indexed by gene.
        factors: gene properties indexed by gene.
        results: output of :func:`hicexpr.analysis.predictability` (test + p-value in titles).
        score_name: y-axis label.
    """
    cols = list(factors.columns)
    ncols = min(max(len(cols), 1), 3)
    nrows = int(np.ceil(max(len(cols), 1) / ncols))
    fig = new_figure(3.4 * ncols, 3.0 * nrows)
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for ax in axes[len(cols):]:
        ax.set_visible(False)
    tests = results.set_index("factor") if results is not None else None
    for ax, factor in zip(axes, cols, strict=False):
        joined = pd.concat([scores.rename("score"), factors[factor]], axis=1, join="inner")
        joined = joined.dropna()
        if pd.api.types.is_numeric_dtype(joined[factor]):
            ax.scatter(joined[factor].astype(float), joined["score"], s=6, alpha=0.5)
        else:
            names = sorted(joined[factor].astype(str).unique())
            data = [joined.loc[joined[factor].astype(str) == n, "score"] for n in names]
            ax.boxplot(data)
            ax.set_xticks(range(1, len(names) + 1), names)
        name = readable_factor(factor)
        title = name
        if tests is not None and factor in tests.index:
            p = tests.loc[factor, "p_value"]
            test = str(tests.loc[factor, "test"]).split(" (")[0].split(",")[0]
            title = f"{name}\n{test}: p={p:.2g}" if np.isfinite(p) else f"{name}\nnot tested"
        ax.set_title(title, fontsize=8)
        ax.set_xlabel(name)
        ax.set_ylabel(score_name)
    return fig


def plot_enrichment(table: pd.DataFrame, title: str, top: int = 15,
                    p_column: str = "fdr") -> Figure:
    """Horizontal bars of -log10(``p_column``) for the ``top`` terms (most significant on top)."""
    rows = table.sort_values(p_column).head(top).iloc[::-1]
    fig = new_figure(7.0, 0.3 * max(len(rows), 3) + 1.2)
    ax = fig.subplots()
    values = -np.log10(np.clip(rows[p_column].astype(float).to_numpy(), 1e-300, 1.0))
    labels = [_shorten(str(t), 60) for t in rows["term"]]
    ax.barh(np.arange(len(rows)), values, color="#4C72B0")
    ax.set_yticks(np.arange(len(rows)), labels, fontsize=7)
    ax.axvline(-np.log10(0.05), color="#C44E52", ls="--", lw=0.8, label=f"{p_column} = 0.05")
    ax.legend(fontsize=7, loc="lower right")
    ax.set_xlabel(f"-log10 {p_column}")
    ax.set_title(title, fontsize=9)
    return fig


def _shorten(text: str, width: int) -> str:
    """``text`` cut to ``width`` characters, an ellipsis marking the cut."""
    return text if len(text) <= width else text[: width - 1] + "\u2026"

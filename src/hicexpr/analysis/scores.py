"""Per-gene scores for predictability and enrichment, from the run-folder tables.

Forecasts: the per-gene Pearson of the best model (mean over seeds). SpEx: the per-gene gain
from 3D features (or the absolute error with 3D features).
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from hicexpr.lib.errors import InputError


def best_model(per_gene_metrics: pd.DataFrame, metric: str = "pearson",
               exclude: Sequence[str] = ()) -> str:
    """Model with the highest mean over genes of the seed-averaged ``metric``."""
    _require(per_gene_metrics, ("gene", "model", metric), "per_gene_metrics")
    rows = per_gene_metrics[~per_gene_metrics["model"].isin(list(exclude))]
    if rows.empty:
        rows = per_gene_metrics
    means = rows.groupby(["model", "gene"])[metric].mean().groupby("model").mean()
    if means.dropna().empty:
        raise InputError("per_gene_metrics", f"column '{metric}'", "finite values", "all NaN")
    return str(means.idxmax())


def forecast_scores(per_gene_metrics: pd.DataFrame, model: str | None = None,
                    metric: str = "pearson", exclude: Sequence[str] = ()) -> pd.Series:
    """Per-gene ``metric`` of ``model`` (default: :func:`best_model`), mean over seeds.

    Returns:
        Series indexed by gene, named after the model, NaN genes dropped.
    """
    model = model or best_model(per_gene_metrics, metric, exclude)
    rows = per_gene_metrics[per_gene_metrics["model"] == model]
    if rows.empty:
        raise InputError("per_gene_metrics", "column 'model'", "a model in the table", model)
    scores = rows.groupby("gene")[metric].mean().dropna()
    scores.index = scores.index.astype(str)
    return scores.rename(model)


def spex_scores(per_gene_gain: pd.DataFrame, value: str = "gain",
                setting: str | None = None) -> pd.Series:
    """Per-gene SpEx score: ``gain`` or ``abs_error_3d`` in one setting (default: the first).

    Genes repeated within the setting (e.g. several folds) are averaged.
    """
    _require(per_gene_gain, ("gene", value), "per_gene_gain")
    rows = per_gene_gain
    if "setting" in rows.columns:
        chosen = setting if setting is not None else default_setting(rows)
        rows = rows[rows["setting"].astype(str) == chosen]
        if rows.empty:
            raise InputError("per_gene_gain", "column 'setting'", "a setting in the table",
                             setting)
    scores = rows.groupby("gene")[value].mean().dropna()
    scores.index = scores.index.astype(str)
    return scores.rename(value)


def default_setting(per_gene_gain: pd.DataFrame) -> str:
    """The setting :func:`spex_scores` reads when none is given: the first in name order."""
    return sorted(per_gene_gain["setting"].astype(str))[0]


def _require(df: pd.DataFrame, columns: Sequence[str], source: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise InputError(source, f"column '{missing[0]}'", f"columns {list(columns)}",
                         list(df.columns))

"""Forecast figures: predicted vs observed, per-gene trajectories, metric boxplots.

All functions take the run-folder tables (docs/run_folder.md) as DataFrames and return a
:class:`matplotlib.figure.Figure`; :func:`hicexpr.plots.save_figure` writes PNG + SVG.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from hicexpr.io.timelabels import UNIT_NAMES
from hicexpr.lib.errors import InputError
from hicexpr.plots._common import (
    SPLIT_COLOURS,
    model_colours,
    new_figure,
    ordered_splits,
)

PREDICTION_COLUMNS = ("gene", "time", "split", "model", "observed", "predicted")
UNKNOWN_TIME = "time (as in the input header)"
UNKNOWN_VALUES = "expression (as in the input table)"


def time_axis_label(unit: str | None) -> str:
    """``time (minutes)`` for a known unit (``min``, ``h``, ``d``, ... as in
    :mod:`hicexpr.io.timelabels`), else a label that says the unit is the input's."""
    return f"time ({UNIT_NAMES[unit]})" if unit in UNIT_NAMES else UNKNOWN_TIME


def value_axis_label(values: str | None) -> str:
    """``expression (log2 ratio ...)`` when what the values are is known, else a label that
    says they are as in the input."""
    return f"expression ({values})" if values else UNKNOWN_VALUES


def require_columns(df: pd.DataFrame, columns: Sequence[str], source: str) -> None:
    """Raise :class:`InputError` naming the first missing column of ``df``."""
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise InputError(source, f"column '{missing[0]}'", f"columns {list(columns)}",
                         list(df.columns))


def select_model(predictions: pd.DataFrame, model: str | None, seed: int | None) -> pd.DataFrame:
    """Rows of one model (default: the first in the table) and optionally one seed."""
    if model is None:
        model = str(predictions["model"].iloc[0])
    rows = predictions[predictions["model"] == model]
    if rows.empty:
        raise InputError("predictions", "column 'model'", "a model present in the table",
                         model)
    if seed is not None and "seed" in rows.columns:
        rows = rows[rows["seed"] == seed]
    return rows


def plot_predicted_vs_observed(
    predictions: pd.DataFrame,
    model: str | None = None,
    seed: int | None = None,
    gridsize: int = 40,
    setting: str | None = None,
    values: str | None = None,
) -> Figure:
    """Hexbin of predicted against observed expression, one panel per split.

    Args:
        predictions: forecast or SpEx predictions (``split, model, observed, predicted``).
        model: model to show (default: first in the table).
        seed: one seed only (default: all seeds pooled).
        gridsize: hexagons across the x axis.
        setting: SpEx setting to show when the table has a ``setting`` column (default: the
            model's first; settings are never pooled, each holds every gene once).
        values: what the values are (e.g. ``log2 ratio to reference``), added to the axis
            labels when given.

    Returns:
        Figure with one axes per split, titled ``split: n=..., r=...``, each with a colour bar
        (its own axes, labelled ``<colorbar>``) of points per hexagon.
    """
    require_columns(predictions, ("split", "model", "observed", "predicted"), "predictions")
    rows = select_model(predictions, model, seed)
    shown = str(rows["model"].iloc[0]) if len(rows) else str(model)
    if "setting" in rows.columns and len(rows):
        setting = setting if setting is not None else str(rows["setting"].iloc[0])
        rows = rows[rows["setting"].astype(str) == setting]
        shown = f"{shown}, {setting}"
    rows = rows[np.isfinite(rows["observed"]) & np.isfinite(rows["predicted"])]
    splits = ordered_splits(list(rows["split"].astype(str).unique()))
    fig = new_figure(4.8 * max(len(splits), 1), 4.0)
    axes = fig.subplots(1, max(len(splits), 1), squeeze=False)[0]
    lo = float(min(rows["observed"].min(), rows["predicted"].min())) if len(rows) else 0.0
    hi = float(max(rows["observed"].max(), rows["predicted"].max())) if len(rows) else 1.0
    for ax, split in zip(axes, splits, strict=False):
        part = rows[rows["split"].astype(str) == split]
        obs, pred = part["observed"].to_numpy(float), part["predicted"].to_numpy(float)
        hexes = ax.hexbin(obs, pred, gridsize=gridsize, mincnt=1, cmap="viridis",
                          extent=(lo, hi, lo, hi))
        bar = fig.colorbar(hexes, ax=ax, label="points per hexagon", shrink=0.8)
        bar.ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.plot([lo, hi], [lo, hi], color="black", lw=0.8, ls="--")
        r = _pearson(obs, pred)
        ax.set_title(f"{split}: n={len(part)}, r={r:.3f}")
        unit = f" ({values})" if values else ""
        ax.set_xlabel(f"observed{unit}")
        ax.set_ylabel(f"predicted{unit}")
    fig.suptitle(f"Predicted vs observed ({shown})")
    return fig


def plot_trajectory_page(
    predictions: pd.DataFrame,
    genes: Sequence[str],
    model: str | None = None,
    ncols: int = 3,
    labels: dict[str, str] | None = None,
    title: str | None = None,
    time_unit: str | None = None,
    values: str | None = None,
    colours: dict[str, str] | None = None,
) -> Figure:
    """Observed vs forecast trajectories for several genes, the period of each split in the
    table shaded (a forecast run's table holds the test windows only).

    The forecast is the model's shortest-horizon prediction, averaged over seeds.

    Args:
        predictions: forecast predictions (``gene, time, split, horizon, model, seed, ...``).
        genes: genes to draw (one axes each, in order).
        model: model whose forecast is drawn (default: first in the table).
        ncols: axes per row.
        labels: optional gene id -> display name (panel titles read ``name (id)``).
        title: what the page shows, after the default title (e.g. ``most predictable genes``).
        time_unit: unit of the ``time`` column (``min``, ``h``, ``d``, ...; None: unknown, the
            axis then says the times are as in the input header).
        values: what the expression values are (None: as in the input table).
        colours: model -> colour (default :func:`hicexpr.plots._common.model_colours`); the
            forecast line has the model's colour.
    """
    require_columns(predictions, PREDICTION_COLUMNS, "predictions")
    if model is None:
        model = str(predictions["model"].iloc[0])
    colour = (colours or model_colours([model])).get(model, "#C44E52")
    nrows = max(1, int(np.ceil(len(genes) / ncols)))
    fig = new_figure(4.0 * ncols, 2.6 * nrows)
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for ax, gene in zip(axes, genes, strict=False):
        draw_trajectory(ax, predictions, gene, model, colour)
        ax.set_title(gene_label(gene, labels), fontsize=9)
        ax.set_xlabel(time_axis_label(time_unit), fontsize=8)
        ax.set_ylabel(value_axis_label(values), fontsize=8)
    if len(genes):  # one legend for the page, below the panels: it never hides a line
        handles, names = axes[0].get_legend_handles_labels()
        fig.legend(handles, names, loc="outside lower center", ncols=len(names), fontsize=8,
                   frameon=False)
    for ax in axes[len(genes):]:
        ax.set_visible(False)
    fig.suptitle(f"Observed vs forecast ({model})" + (f": {title}" if title else ""))
    return fig


def gene_label(gene: str, labels: dict[str, str] | None) -> str:
    """``name (id)`` when ``labels`` gives ``gene`` another name, else the id."""
    name = (labels or {}).get(gene)
    return f"{name} ({gene})" if name and name != gene else str(gene)


def trajectory_data(
    predictions: pd.DataFrame, gene: str, model: str
) -> tuple[pd.Series, pd.Series, dict[str, tuple[float, float]]]:
    """Observed series, forecast series (indexed by time) and the time span of each split."""
    rows = predictions[predictions["gene"] == gene]
    if rows.empty:
        raise InputError("predictions", "column 'gene'", "a gene present in the table", gene)
    observed = rows.drop_duplicates("time").set_index("time")["observed"].sort_index()
    fc = rows[rows["model"] == model]
    if "horizon" in fc.columns and len(fc):
        fc = fc[fc["horizon"] == fc["horizon"].min()]
    forecast = fc.groupby("time")["predicted"].mean().sort_index()
    spans = {
        str(split): (float(part["time"].min()), float(part["time"].max()))
        for split, part in rows.groupby("split")
    }
    return observed, forecast, spans


def draw_trajectory(ax: Axes, predictions: pd.DataFrame, gene: str, model: str,
                    colour: str = "#C44E52") -> None:
    """Draw one gene's observed and forecast trajectory on ``ax``."""
    observed, forecast, spans = trajectory_data(predictions, gene, model)
    times = np.sort(observed.index.to_numpy(float))
    half = float(np.median(np.diff(times))) / 2 if len(times) > 1 else 0.5
    for split in ordered_splits(list(spans)):
        start, end = spans[split]
        ax.axvspan(start - half, end + half, color=SPLIT_COLOURS.get(split, "#DDDDDD"),
                   alpha=0.15, lw=0, label=f"{split} period")
    ax.plot(observed.index, observed.to_numpy(), color="black", marker="o", ms=3,
            label="observed")
    ax.plot(forecast.index, forecast.to_numpy(), color=colour, marker="s", ms=3,
            label=f"forecast ({model})")
    ax.set_title(str(gene), fontsize=9)
    ax.set_xlabel(UNKNOWN_TIME)
    ax.set_ylabel(UNKNOWN_VALUES)


def plot_metric_boxplots(
    per_gene_metrics: pd.DataFrame,
    metric: str = "pearson",
    baselines: Sequence[str] = (),
    colours: dict[str, str] | None = None,
) -> Figure:
    """Per-gene ``metric`` (mean over seeds) for each model, each box in its model's colour
    (``colours``, default :func:`hicexpr.plots._common.model_colours`: baselines in greys).

    Models are ordered by median, best last; the axes' x tick labels are the model names.
    """
    require_columns(per_gene_metrics, ("gene", "model", metric), "per_gene_metrics")
    per_gene = metric_by_model(per_gene_metrics, metric)
    order = sorted(per_gene, key=lambda m: float(np.median(per_gene[m])) if len(per_gene[m])
                   else -np.inf)  # models without a finite value (e.g. constant) first
    fig = new_figure(max(5.5, 1.0 * len(order) + 2), 4.0)
    ax = fig.subplots()
    colours = colours or model_colours(order, baselines)
    box = ax.boxplot([per_gene[m] for m in order], patch_artist=True)
    ax.set_xticks(range(1, len(order) + 1), order, rotation=30, ha="right")
    for patch, model in zip(box["boxes"], order, strict=False):
        patch.set_facecolor(colours.get(model, "#4C72B0"))
    ax.set_ylabel(f"per-gene {metric} (mean over seeds)")
    ax.set_title(f"Per-gene {metric} by model (grey = baseline)", fontsize=10)
    return fig


def metric_by_model(per_gene_metrics: pd.DataFrame, metric: str) -> dict[str, np.ndarray]:
    """Finite per-gene ``metric`` values averaged over seeds, per model."""
    means = per_gene_metrics.groupby(["model", "gene"])[metric].mean().reset_index()
    out = {}
    for model, part in means.groupby("model"):
        values = part[metric].to_numpy(float)
        out[str(model)] = values[np.isfinite(values)]
    return out


def _pearson(x: np.ndarray, y: np.ndarray) -> float:
    if len(x) < 2 or np.std(x) == 0 or np.std(y) == 0:
        return float("nan")
    return float(np.corrcoef(x, y)[0, 1])

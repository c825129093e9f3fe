"""SpEx figures: observed vs predicted per chromosome, per-gene gain from 3D features."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from hicexpr.io.chroms import natural_sorted
from hicexpr.plots._common import new_figure
from hicexpr.plots.forecast import require_columns


def plot_spex_chromosome_scatter(
    predictions: pd.DataFrame,
    model: str | None = None,
    setting: str | None = None,
    split: str | None = "test",
    ncols: int = 6,
    values: str | None = None,
) -> Figure:
    """Observed vs predicted expression, one small scatter per chromosome.

    Args:
        predictions: SpEx predictions (``gene, chrom, split, setting, model, observed,
            predicted``).
        model, setting: which rows to show (default: first in the table).
        split: split to show (``None``: all rows; a split absent from the table: all rows).
        ncols: panels per row.
        values: what the values are (axis labels), e.g. ``ln(expression + 0.0001)``.

    Returns:
        Figure with one axes per chromosome (natural order), titled ``chrom (r=...)``.
    """
    require_columns(predictions, ("chrom", "model", "observed", "predicted"), "predictions")
    rows = predictions
    shown = []
    for col, value in (("model", model), ("setting", setting)):
        if col in rows.columns:
            value = value if value is not None else rows[col].iloc[0]
            rows = rows[rows[col] == value]
            shown.append(str(value))
    if split is not None and "split" in rows.columns and (rows["split"] == split).any():
        rows = rows[rows["split"] == split]
        shown.append(f"{split} split")
    chroms = natural_sorted(rows["chrom"].astype(str).unique())
    ncols = max(1, min(ncols, len(chroms)))
    nrows = max(1, int(np.ceil(len(chroms) / ncols)))
    fig = new_figure(max(2.2 * ncols, 4.5), 2.2 * nrows + 0.6)  # room for the title
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for ax, chrom in zip(axes, chroms, strict=False):
        part = rows[rows["chrom"].astype(str) == chrom]
        obs, pred = part["observed"].to_numpy(float), part["predicted"].to_numpy(float)
        ax.scatter(obs, pred, s=4, alpha=0.6, color="#4C72B0")
        r = np.corrcoef(obs, pred)[0, 1] if len(part) > 2 and np.std(pred) > 0 else np.nan
        ax.set_title(f"{chrom} (r={r:.2f})", fontsize=8)
        ax.tick_params(labelsize=6)
    for ax in axes[len(chroms):]:
        ax.set_visible(False)
    unit = f" ({values})" if values else ""
    fig.supxlabel(f"observed{unit}", fontsize=9)
    fig.supylabel(f"predicted{unit}", fontsize=9)
    fig.suptitle(f"Observed vs predicted per chromosome ({', '.join(shown)})", fontsize=9)
    return fig


def plot_spex_gain(per_gene_gain: pd.DataFrame, ncols: int = 3) -> Figure:
    """Per-gene gain from 3D features (``abs_error_local - abs_error_3d``), sorted, one panel per
    setting (and per model when the table has several), ``ncols`` panels per row, shared y axis.

    Returns:
        Figure with one axes per panel; each holds one line of the sorted gains (its data is
        the plotted array) and a zero line. Positive = the 3D features reduced the error.
    """
    require_columns(per_gene_gain, ("gene", "gain"), "per_gene_gain")
    panels = gain_panels(per_gene_gain)
    ncols = max(1, min(ncols, len(panels)))
    nrows = int(np.ceil(len(panels) / ncols))
    fig = new_figure(4.5 * ncols, 3.2 * nrows)
    axes = fig.subplots(nrows, ncols, squeeze=False, sharey=True).ravel()
    for ax, (label, part) in zip(axes, panels.items(), strict=False):
        gain = np.sort(part["gain"].to_numpy(float))[::-1]
        improved = float(np.mean(gain > 0)) if len(gain) else float("nan")
        ax.plot(np.arange(len(gain)), gain, color="#4C72B0")
        ax.fill_between(np.arange(len(gain)), gain, 0, where=gain > 0, color="#55A868",
                        alpha=0.4)
        ax.fill_between(np.arange(len(gain)), gain, 0, where=gain < 0, color="#C44E52",
                        alpha=0.4)
        ax.axhline(0, color="black", lw=0.6)
        ax.set_title(f"{label}: {improved:.0%} of genes improved", fontsize=9)
        ax.set_xlabel("genes (sorted by gain)")
        ax.set_ylabel("gain (abs error local - 3D)")
        ax.yaxis.set_tick_params(labelleft=True)
    for ax in axes[len(panels):]:
        ax.set_visible(False)
    return fig


def gain_panels(per_gene_gain: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Rows of each panel: one per setting (``all`` without a setting column), split by model
    when several models are in the table (a gene counted once per panel)."""
    keys = [c for c in ("setting", "model") if c in per_gene_gain.columns]
    if "model" in keys and per_gene_gain["model"].nunique() < 2:
        keys.remove("model")
    if not keys:
        return {"all": per_gene_gain}
    panels = {}
    for key, part in per_gene_gain.groupby([per_gene_gain[k].astype(str) for k in keys]):
        key = key if isinstance(key, tuple) else (key,)
        panels[key[0] + (f" ({key[1]})" if len(key) > 1 else "")] = part
    return panels



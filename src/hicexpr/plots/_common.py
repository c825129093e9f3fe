"""Shared figure helpers: headless backend, saving PNG + SVG, colours."""

from __future__ import annotations

import io
import os
from collections.abc import Collection, Iterable
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from hicexpr.lib.atomic import write_bytes  # noqa: E402

SPLIT_COLOURS = {"train": "#4C72B0", "val": "#DD8452", "test": "#55A868"}
SPLIT_ORDER = ("train", "val", "test")

# One colour per forecast model (lower-case hex), the same in every figure: baselines in
# greys, hicexpr's own models in distinct colours (names of hicexpr.forecast.registry.MODELS)
MODEL_COLOURS = {
    "persistence": "#7f7f7f", "window_mean": "#a5a5a5", "gene_ridge_ar": "#5e6b73",
    "pooled_ridge_ar": "#9aa5ad", "ridge_ar_hic": "#b8ae9c",
    "gru": "#dd8452", "stepmr": "#4c72b0", "stepmr_minibatch": "#64b5cd", "stepmi": "#8172b2",
    "graph_gru": "#55a868", "graph_ar": "#c44e52", "graph_ensemble": "#da8bc3",
}
SPARE_MODEL_COLOURS = ("#937860", "#ccb974", "#2ca02c", "#17becf", "#bcbd22", "#e377c2")
SPARE_BASELINE_COLOURS = ("#6e6e6e", "#c8c8c8", "#8c8c8c", "#b0b0b0")


def new_figure(width: float, height: float) -> Figure:
    """A figure not registered with pyplot's global state (no leaks in long runs)."""
    return Figure(figsize=(width, height), layout="constrained")


def figure_bytes(fig: Figure, fmt: str, dpi: int = 110) -> bytes:
    """Render ``fig`` to bytes in ``fmt`` (``png`` or ``svg``)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format=fmt, dpi=dpi)
    return buffer.getvalue()


def save_figure(fig: Figure, directory: str | os.PathLike[str], stem: str) -> dict[str, Path]:
    """Write ``fig`` as ``stem.png`` and ``stem.svg`` in ``directory`` (atomically).

    Returns:
        ``{"png": path, "svg": path}``.
    """
    out = Path(directory)
    paths = {}
    for fmt in ("png", "svg"):
        paths[fmt] = write_bytes(out / f"{stem}.{fmt}", figure_bytes(fig, fmt))
        fig.set_layout_engine("none")  # keep the layout of the first render: half the cost
    plt.close(fig)
    return paths


def ordered_splits(splits: list[str]) -> list[str]:
    """Known splits in train/val/test order, then any others alphabetically."""
    known = [s for s in SPLIT_ORDER if s in splits]
    return known + sorted(s for s in splits if s not in SPLIT_ORDER)


def model_colours(models: Iterable[str], baselines: Collection[str] = ()) -> dict[str, str]:
    """Colour of each model: its :data:`MODEL_COLOURS` entry, else (names unknown to hicexpr)
    a spare grey for a baseline and a spare colour otherwise, given in sorted name order so
    that one set of models always gets the same colours."""
    colours: dict[str, str] = {}
    used = {True: 0, False: 0}  # spare colours handed out, baselines / other models
    for model in sorted({str(m) for m in models} - set(MODEL_COLOURS)):
        baseline = model in baselines
        pool = SPARE_BASELINE_COLOURS if baseline else SPARE_MODEL_COLOURS
        colours[model] = pool[used[baseline] % len(pool)]
        used[baseline] += 1
    return {**MODEL_COLOURS, **colours}

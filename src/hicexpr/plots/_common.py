"""Shared figure helpers: headless backend, saving PNG + SVG, colours."""

from __future__ import annotations

import io
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from hicexpr.lib.atomic import write_bytes  # noqa: E402

SPLIT_COLOURS = {"train": "#4C72B0", "val": "#DD8452", "test": "#55A868"}
BASELINE_COLOUR = "#B0B0B0"
MODEL_COLOUR = "#4C72B0"
SPLIT_ORDER = ("train", "val", "test")


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

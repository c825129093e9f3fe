"""The gene graph around one gene: neighbours on rings, edge width by weight."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure

from hicexpr.lib.errors import InputError
from hicexpr.plots._common import new_figure


def neighbourhood(edges: pd.DataFrame, gene: str, hops: int = 1,
                  max_nodes: int = 40) -> tuple[list[list[str]], pd.DataFrame]:
    """Genes within ``hops`` of ``gene`` (one list per ring) and the edges among them.

    Within a ring, neighbours are kept by decreasing total edge weight, at most ``max_nodes``
    genes in all (``gene`` included).
    """
    if not {"gene1", "gene2"} <= set(edges.columns):
        raise InputError("graph_edges", "columns", "gene1, gene2[, weight]", list(edges.columns))
    weight = edges["weight"] if "weight" in edges.columns else pd.Series(1.0, edges.index)
    both = pd.concat([
        pd.DataFrame({"a": edges["gene1"], "b": edges["gene2"], "w": weight}),
        pd.DataFrame({"a": edges["gene2"], "b": edges["gene1"], "w": weight}),
    ])
    both = both[both["a"] != both["b"]]
    if gene not in set(both["a"]):
        raise InputError("graph_edges", "gene", "a gene with at least one edge", gene)
    rings, seen = [[gene]], {gene}
    for _ in range(hops):
        near = both[both["a"].isin(rings[-1]) & ~both["b"].isin(seen)]
        ranked = near.groupby("b")["w"].sum().sort_values(ascending=False)
        room = max_nodes - len(seen)
        ring = [str(g) for g in ranked.index[:room]]
        if not ring:
            break
        rings.append(ring)
        seen.update(ring)
    sub = both[both["a"].isin(seen) & both["b"].isin(seen) & (both["a"] < both["b"])]
    return rings, sub.rename(columns={"a": "gene1", "b": "gene2", "w": "weight"})


def ring_layout(rings: list[list[str]]) -> dict[str, tuple[float, float]]:
    """Centre gene at the origin, ring ``k`` on a circle of radius ``k``."""
    pos = {rings[0][0]: (0.0, 0.0)}
    for radius, ring in enumerate(rings[1:], start=1):
        angles = np.linspace(0, 2 * np.pi, len(ring), endpoint=False) + 0.3 * radius
        for name, angle in zip(ring, angles, strict=False):
            pos[name] = (radius * float(np.cos(angle)), radius * float(np.sin(angle)))
    return pos


def plot_gene_graph(edges: pd.DataFrame, gene: str, hops: int = 1, max_nodes: int = 40,
                    labels: dict[str, str] | None = None) -> Figure:
    """Draw ``gene`` and its neighbours up to ``hops`` edges away.

    Args:
        edges: ``gene1, gene2[, weight]`` (undirected).
        gene: centre gene.
        hops: rings of neighbours.
        max_nodes: cap on drawn genes.
        labels: optional gene id -> display name.

    Returns:
        Figure whose single axes holds one scatter (the nodes, centre first) and one
        LineCollection (the edges).
    """
    rings, sub = neighbourhood(edges, gene, hops, max_nodes)
    pos = ring_layout(rings)
    names = [g for ring in rings for g in ring]
    xy = np.array([pos[g] for g in names])
    fig = new_figure(6.0, 5.0)
    ax = fig.subplots()
    segments = [[pos[a], pos[b]] for a, b in zip(sub["gene1"], sub["gene2"], strict=False)]
    w = sub["weight"].to_numpy(float)
    widths = 0.5 + 3.0 * (w - w.min()) / (np.ptp(w) or 1.0) if len(w) else []
    ax.add_collection(LineCollection(segments, linewidths=widths, colors="#999999", zorder=1))
    colours = ["#C44E52"] + ["#4C72B0"] * (len(names) - 1)
    ax.scatter(xy[:, 0], xy[:, 1], s=60, c=colours, zorder=2)
    for name, (x, y) in zip(names, xy, strict=False):
        ax.text(x, y + 0.08, (labels or {}).get(name, name), fontsize=7, ha="center")
    _fit_labels(ax, xy)
    ax.axis("off")
    ax.set_title(f"Gene graph around {(labels or {}).get(gene, gene)} "
                 f"({len(names) - 1} neighbours, {len(sub)} edges)")
    return fig


def _fit_labels(ax: Axes, xy: np.ndarray, pad: float = 0.25) -> None:
    """Equal aspect with room around the nodes for their labels (above) and the title."""
    radius = max(float(np.abs(xy).max()), 0.5)
    ax.set_xlim(-radius - pad, radius + pad)
    ax.set_ylim(-radius - pad, radius + pad)
    ax.set_aspect("equal", adjustable="box")

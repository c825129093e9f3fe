"""Contact-map, gene-graph and SpEx figures hold the data they were given."""

from __future__ import annotations

import io
from pathlib import Path

import cooler
import numpy as np
import pandas as pd
import pytest
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection, PathCollection
from matplotlib.figure import Figure
from matplotlib.transforms import Bbox

from hicexpr.lib.errors import InputError
from hicexpr.plots import (
    plot_contact_region,
    plot_gene_graph,
    plot_spex_chromosome_scatter,
    plot_spex_gain,
)


@pytest.fixture(scope="module")
def toy_cooler(tmp_path_factory: pytest.TempPathFactory) -> cooler.Cooler:
    """Unbalanced 30-bin cooler whose contacts are i + j + 1 on the upper triangle."""
    path = tmp_path_factory.mktemp("cool") / "toy.cool"
    n, size = 30, 1_000
    bins = pd.DataFrame({"chrom": "chr1", "start": np.arange(n) * size,
                         "end": (np.arange(n) + 1) * size})
    i, j = np.triu_indices(n)
    cooler.create_cooler(str(path), bins, pd.DataFrame({"bin1_id": i, "bin2_id": j,
                                                        "count": i + j + 1}))
    return cooler.Cooler(str(path))


def test_contact_heatmap_holds_the_region_matrix_and_tracks(toy_cooler: cooler.Cooler) -> None:
    bins = toy_cooler.bins()[:]
    ins = bins.assign(log2_insulation_score_3000=np.linspace(-1, 1, len(bins)),
                      is_boundary_3000=np.arange(len(bins)) == 15)
    comp = bins.assign(E1=np.where(np.arange(len(bins)) < 20, 0.7, -0.4))
    genes = pd.DataFrame({"chrom": "chr1", "start": [12_100, 15_500, 29_000],
                          "end": [13_000, 16_000, 29_500], "symbol": ["GA", "GB", "GOUT"],
                          "strand": ["+", "-", "+"]})
    fig = plot_contact_region(toy_cooler, "chr1:10000-20000", ins, None, comp, genes)
    heat, ins_ax, e1_ax, gene_ax = fig.axes[:4]
    shown = np.asarray(heat.images[0].get_array())
    rows, cols = np.meshgrid(np.arange(10, 20), np.arange(10, 20), indexing="ij")
    np.testing.assert_array_equal(shown, rows + cols + 1)  # symmetric fetch of i + j + 1
    line = ins_ax.lines[0]
    np.testing.assert_allclose(line.get_xdata(), (np.arange(10, 20) * 1_000 + 500) / 1e6)
    np.testing.assert_allclose(line.get_ydata(), np.linspace(-1, 1, 30)[10:20])
    boundary = [ln for ln in ins_ax.lines[1:]]
    assert len(boundary) == 1 and boundary[0].get_xdata()[0] == pytest.approx(0.0155)
    heights = [p.get_height() for p in e1_ax.patches]
    assert heights == [0.7] * 10
    labels = {t.get_text() for t in gene_ax.texts}
    assert labels == {"GA", "GB"}  # the gene outside the region is not drawn
    assert heat.get_xlim() == pytest.approx((0.01, 0.02))


def _label_boxes(fig: Figure, ax: Axes) -> list[Bbox]:
    renderer = FigureCanvasAgg(fig).get_renderer()
    return [t.get_window_extent(renderer) for t in ax.texts]


def test_gene_labels_of_close_genes_never_overlap(toy_cooler: cooler.Cooler) -> None:
    # 80 genes 120 bp apart on both strands: far more names than fit side by side
    starts = 1_000 + 120 * np.arange(80)
    genes = pd.DataFrame({"chrom": "chr1", "start": starts, "end": starts + 100,
                          "symbol": [f"LONGNAME{i:02d}" for i in range(80)],
                          "strand": ["+", "-"] * 40})
    fig = plot_contact_region(toy_cooler, "chr1:0-12000", genes_df=genes, max_gene_labels=80)
    gene_ax = fig.axes[1]  # heatmap, genes, then the colour bar
    boxes = _label_boxes(fig, gene_ax)
    assert 3 <= len(boxes) < 80  # several rows used, the rest left out
    for a in range(len(boxes)):
        for b in range(a + 1, len(boxes)):
            assert not boxes[a].overlaps(boxes[b]), (gene_ax.texts[a].get_text(),
                                                     gene_ax.texts[b].get_text())
    inside = gene_ax.get_window_extent(FigureCanvasAgg(fig).get_renderer())
    assert all(inside.x0 <= box.x0 and box.x1 <= inside.x1 for box in boxes)
    assert len({t.get_position()[1] for t in gene_ax.texts}) > 2  # staggered over rows
    assert f"{len(boxes)} of 80 genes labelled" in gene_ax.get_xlabel()
    # the layout is fixed, so saving (another render) keeps the labels apart
    fig.savefig(io.BytesIO(), format="png", dpi=110)
    boxes = _label_boxes(fig, gene_ax)
    assert not any(boxes[a].overlaps(boxes[b]) for a in range(len(boxes))
                   for b in range(a + 1, len(boxes)))


def test_contact_region_rejects_unknown_chromosome(toy_cooler: cooler.Cooler) -> None:
    with pytest.raises(InputError, match="region"):
        plot_contact_region(toy_cooler, "chr9:0-1000")


def test_contact_region_real_yeast_map(data_dir: Path) -> None:
    import cooltools

    clr = cooler.Cooler(str(data_dir / "yeast/hic/yeast.10kb.cool"))
    view = pd.DataFrame({"chrom": ["chrIV"], "start": [0], "end": [clr.chromsizes["chrIV"]],
                         "name": ["chrIV"]})
    ins = cooltools.insulation(clr, [50_000], view_df=view, ignore_diags=2, verbose=False)
    fig = plot_contact_region(clr, "chrIV:200000-700000", ins)
    shown = np.asarray(fig.axes[0].images[0].get_array(), dtype=float)
    expected = clr.matrix(balance=True).fetch("chrIV:200000-700000")
    assert shown.shape == (50, 50)
    finite = np.isfinite(expected) & (expected > 0)
    np.testing.assert_allclose(shown[finite], expected[finite])
    # contact frequency decays with distance: the diagonal holds more than 10 bins away
    assert np.nanmean(np.diag(expected, 1)) > 5 * np.nanmean(np.diag(expected, 10))


def test_gene_graph_rings_and_edges() -> None:
    edges = pd.DataFrame({"gene1": ["c", "c", "c", "a", "x"], "gene2": ["a", "b", "d", "e", "y"],
                          "weight": [3.0, 1.0, 2.0, 1.0, 9.0]})
    fig = plot_gene_graph(edges, "c", hops=2)
    ax = fig.axes[0]
    nodes = [c for c in ax.collections if isinstance(c, PathCollection)][0]
    xy = nodes.get_offsets()
    assert tuple(xy[0]) == (0.0, 0.0)  # centre first
    assert len(xy) == 5  # c + a, d, b (ring 1) + e (ring 2); x-y not connected
    radii = np.hypot(xy[:, 0], xy[:, 1])
    np.testing.assert_allclose(radii, [0, 1, 1, 1, 2])
    lines = [c for c in ax.collections if isinstance(c, LineCollection)][0]
    assert len(lines.get_segments()) == 4
    widths = lines.get_linewidths()
    assert max(widths) > min(widths)  # weight 3 drawn thicker than weight 1
    assert {t.get_text() for t in ax.texts} == {"a", "b", "c", "d", "e"}


def test_gene_graph_unknown_gene() -> None:
    edges = pd.DataFrame({"gene1": ["a"], "gene2": ["b"]})
    with pytest.raises(InputError, match="gene"):
        plot_gene_graph(edges, "zz")


def test_spex_chromosome_scatter_natural_order_and_points() -> None:
    chroms = ["chr10", "chr2", "chrX", "chr1"] * 5
    obs = np.arange(20.0)
    pred = pd.DataFrame({"gene": [f"g{i}" for i in range(20)], "chrom": chroms, "split": "test",
                         "setting": "s", "model": "m", "observed": obs, "predicted": obs * 2})
    fig = plot_spex_chromosome_scatter(pred, ncols=2)
    visible = [ax for ax in fig.axes if ax.get_visible() and ax.collections]
    assert [ax.get_title().split()[0] for ax in visible] == ["chr1", "chr2", "chr10", "chrX"]
    pts = visible[0].collections[0].get_offsets()
    np.testing.assert_allclose(pts[:, 0], obs[3::4])
    np.testing.assert_allclose(pts[:, 1], 2 * obs[3::4])
    assert "r=1.00" in visible[0].get_title()


def test_spex_gain_sorted_per_setting() -> None:
    gain = pd.DataFrame({"gene": list("abcdef"), "setting": ["x"] * 3 + ["y"] * 3,
                         "gain": [0.5, -1.0, 2.0, 0.1, 0.2, -0.3]})
    fig = plot_spex_gain(gain)
    assert len(fig.axes) == 2
    np.testing.assert_allclose(fig.axes[0].lines[0].get_ydata(), [2.0, 0.5, -1.0])
    assert "67% of genes improved" in fig.axes[0].get_title()
    np.testing.assert_allclose(fig.axes[1].lines[0].get_ydata(), [0.2, 0.1, -0.3])

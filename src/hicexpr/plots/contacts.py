"""Contact-map figure: a region's heatmap with insulation, boundaries, E1 and genes below."""

from __future__ import annotations

import bioframe
import cooler
import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.backend_bases import RendererBase
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure
from matplotlib.text import Text
from matplotlib.transforms import Bbox

from hicexpr.lib.errors import InputError
from hicexpr.plots._common import new_figure

Region = tuple[str, int, int]
MISSING_COLOUR = "#D9D9D9"  # bins without contacts or filtered out by balancing
LABEL_ROWS = (1.2, 2.2, 3.2)  # heights of the gene-label rows above (+) / below (-) the genes
LABEL_GAP_PX = 3.0  # least gap (pixels) around a gene label


def parse_region(clr: cooler.Cooler, region: str | Region) -> Region:
    """``'chrI:0-200000'`` or a ``(chrom, start, end)`` tuple, checked against the cooler."""
    try:
        chrom, start, end = bioframe.parse_region(region, chromsizes=clr.chromsizes)
    except ValueError as exc:
        raise InputError("region", "", f"a region on {list(clr.chromnames)}", str(exc)) from None
    return str(chrom), int(start), int(end)


def region_matrix(clr: cooler.Cooler, region: Region) -> np.ndarray:
    """Balanced contacts of ``region`` (raw counts when the cooler has no ``weight``)."""
    balance = "weight" in clr.bins().columns
    return np.asarray(clr.matrix(balance=balance).fetch(region), dtype=float)


def plot_contact_region(
    clr: cooler.Cooler,
    region: str | Region,
    insulation_df: pd.DataFrame | None = None,
    boundaries_df: pd.DataFrame | None = None,
    compartments_df: pd.DataFrame | None = None,
    genes_df: pd.DataFrame | None = None,
    max_gene_labels: int = 30,
) -> Figure:
    """Heatmap of ``region`` with tracks below, all sharing the genomic x axis (Mb).

    Args:
        clr: contact map.
        region: UCSC string or ``(chrom, start, end)``.
        insulation_df: ``chrom, start, end`` + an insulation column (``log2_insulation_score_*``
            from :func:`cooltools.insulation`, or ``insulation``).
        boundaries_df: ``chrom, start, end`` of TAD boundaries (default: rows of
            ``insulation_df`` whose ``is_boundary_*`` column is true).
        compartments_df: ``chrom, start, end, E1``.
        genes_df: ``chrom, start, end`` + ``symbol`` or ``gene_id`` (+ ``strand``).
        max_gene_labels: label at most this many genes (spread over the region). Labels are
            staggered over rows and never overlap: one that fits in no row is left out, and
            the gene track's x label says how many genes are labelled.

    Returns:
        Figure; axes 0 is the heatmap (its image holds the plotted matrix), then the
        insulation, compartment and gene tracks, in that order, each only when given. Its
        layout is fixed (the gene labels were placed on it).
    """
    chrom, start, end = parse_region(clr, region)
    matrix = region_matrix(clr, (chrom, start, end))
    edges = clr.bins().fetch((chrom, start, end))
    if len(edges):  # the image spans whole bins
        start, end = int(edges["start"].iloc[0]), int(edges["end"].iloc[-1])
    tracks = [t for t in (insulation_df, compartments_df, genes_df) if t is not None]
    heights = [4.0] + [1.0] * len(tracks)
    if genes_df is not None:
        heights[-1] = 1.8  # room for the rows of gene labels
    fig = new_figure(6.5, sum(heights) + 0.8)
    axes = fig.subplots(len(heights), 1, sharex=True, height_ratios=heights, squeeze=False)[:, 0]
    _draw_heatmap(axes[0], matrix, chrom, start, end, clr.binsize,
                  balanced="weight" in clr.bins().columns)
    extent = (start / 1e6, end / 1e6)
    k = 1
    if boundaries_df is None and insulation_df is not None:
        boundaries_df = boundaries_from_insulation(insulation_df)
    if insulation_df is not None:
        _draw_insulation(axes[k], _in_region(insulation_df, chrom, start, end), boundaries_df,
                         chrom, start, end)
        k += 1
    elif boundaries_df is not None:
        _draw_boundaries(axes[0], _in_region(boundaries_df, chrom, start, end))
    if compartments_df is not None:
        _draw_e1(axes[k], _in_region(compartments_df, chrom, start, end))
        k += 1
    axes[-1].set_xlim(*extent)
    axes[-1].set_xlabel(f"{chrom} position (Mb)")
    if genes_df is not None:
        genes = _in_region(genes_df, chrom, start, end)
        _draw_genes(axes[k], genes)
        fig.draw_without_rendering()  # settle the layout: labels are placed in pixels
        fig.set_layout_engine("none")
        shown = place_gene_labels(axes[k], genes, max_gene_labels)
        axes[-1].set_xlabel(f"{chrom} position (Mb); {shown} of {len(genes)} genes labelled"
                            + (" (more would overlap or be too many)" if shown < len(genes)
                               else ""))
    return fig


def insulation_column(insulation_df: pd.DataFrame) -> str:
    """Name of the insulation-score column (first ``log2_insulation_score_*`` or ``insulation``)."""
    for col in insulation_df.columns:
        if str(col).startswith("log2_insulation_score") or col == "insulation":
            return str(col)
    raise InputError("insulation table", "columns", "a log2_insulation_score_* or insulation "
                     "column", list(insulation_df.columns))


def boundaries_from_insulation(insulation_df: pd.DataFrame) -> pd.DataFrame | None:
    """Rows flagged in the first ``is_boundary_*`` column, or None when there is none."""
    cols = [c for c in insulation_df.columns if str(c).startswith("is_boundary")]
    if not cols:
        return None
    flags = insulation_df[cols[0]].astype("boolean").fillna(False).astype(bool)
    return insulation_df.loc[flags, ["chrom", "start", "end"]]


def _in_region(df: pd.DataFrame, chrom: str, start: int, end: int) -> pd.DataFrame:
    return bioframe.select(df, (chrom, start, end)).reset_index(drop=True)


def _draw_heatmap(ax: Axes, matrix: np.ndarray, chrom: str, start: int, end: int,
                  binsize: int | None, balanced: bool = True) -> None:
    finite = matrix[np.isfinite(matrix) & (matrix > 0)]
    norm = LogNorm(vmin=finite.min(), vmax=finite.max()) if finite.size else None
    shown = np.where(matrix > 0, matrix, np.nan)
    cmap = colormaps["YlOrRd"].with_extremes(bad=MISSING_COLOUR)  # filtered / empty bins
    image = ax.imshow(shown, cmap=cmap, norm=norm, interpolation="none",
                      extent=(start / 1e6, end / 1e6, end / 1e6, start / 1e6), aspect="auto")
    label = "balanced contacts" if balanced else "raw contact counts"
    ax.figure.colorbar(image, ax=ax.figure.axes, label=f"{label} (log scale; grey: none)",
                       shrink=0.5, location="right", anchor=(0.0, 1.0))
    ax.set_ylabel(f"{chrom} position (Mb)")
    bins = f"{binsize:,} bp bins" if binsize else "variable-size bins"
    ax.set_title(f"{chrom}:{start:,}-{end:,} ({bins})")


def _draw_insulation(ax: Axes, ins: pd.DataFrame, boundaries: pd.DataFrame | None,
                     chrom: str, start: int, end: int) -> None:
    col = insulation_column(ins)
    mid = (ins["start"] + ins["end"]).to_numpy(float) / 2e6
    ax.plot(mid, ins[col].to_numpy(float), color="#4C72B0", lw=1)
    if boundaries is not None:
        _draw_boundaries(ax, _in_region(boundaries, chrom, start, end))
    ax.set_ylabel("log2 insulation" if col.startswith("log2") else "insulation", fontsize=8)


def _draw_boundaries(ax: Axes, boundaries: pd.DataFrame) -> None:
    for pos in (boundaries["start"] + boundaries["end"]).to_numpy(float) / 2e6:
        ax.axvline(pos, color="#C44E52", lw=0.8, ls=":")


def _draw_e1(ax: Axes, comp: pd.DataFrame) -> None:
    e1 = comp["E1"].to_numpy(float)
    left = comp["start"].to_numpy(float) / 1e6
    width = (comp["end"] - comp["start"]).to_numpy(float) / 1e6
    colours = np.where(e1 >= 0, "#C44E52", "#4C72B0")
    ax.bar(left, np.nan_to_num(e1), width=width, align="edge", color=colours)
    ax.axhline(0, color="black", lw=0.5)
    ax.set_ylabel("E1 (A>0)", fontsize=8)


def _draw_genes(ax: Axes, genes: pd.DataFrame) -> None:
    for _, row in genes.iterrows():
        y = 0.5 if _strand(row) == "+" else -0.5
        ax.plot([row["start"] / 1e6, row["end"] / 1e6], [y, y], lw=4,
                color="#55A868" if y > 0 else "#8172B2", solid_capstyle="butt")
    ax.set_ylim(-LABEL_ROWS[-1] - 0.8, LABEL_ROWS[-1] + 0.8)
    ax.set_yticks([-0.5, 0.5], ["-", "+"])
    ax.set_ylabel("genes", fontsize=8)


def _strand(row: pd.Series) -> str:
    return "-" if str(row.get("strand", "+")) == "-" else "+"


def place_gene_labels(ax: Axes, genes: pd.DataFrame, max_labels: int) -> int:
    """Label genes (at most ``max_labels``, spread along the region) above / below their strand,
    each in the first row where its box, as the renderer draws it, meets no other label and
    stays inside the axes; a label that fits nowhere is left out. Returns how many are shown.

    Call it once the figure's layout is final (box sizes are in pixels).
    """
    name_col = "symbol" if "symbol" in genes.columns else "gene_id"
    if name_col not in genes.columns or not len(genes) or max_labels < 1:
        return 0
    genes = genes.assign(_mid=(genes["start"] + genes["end"]) / 2e6).sort_values("_mid")
    step = max(1, int(np.ceil(len(genes) / max_labels)))
    canvas = ax.figure.canvas
    renderer = (canvas if isinstance(canvas, FigureCanvasAgg)
                else FigureCanvasAgg(ax.figure)).get_renderer()
    inside = ax.get_window_extent(renderer)
    placed: list[Text] = []
    for _, row in genes.iloc[::step].iterrows():
        label = _first_free_row(ax, row, str(row[name_col]), placed, inside, renderer)
        if label is not None:
            placed.append(label)
    return len(placed)


def _first_free_row(ax: Axes, row: pd.Series, name: str, placed: list[Text], inside: Bbox,
                    renderer: RendererBase) -> Text | None:
    """The label of one gene in the first free row, or None (nothing added to ``ax``)."""
    sign = 1.0 if _strand(row) == "+" else -1.0
    for height in LABEL_ROWS:
        label = ax.text(row["_mid"], sign * height, name, fontsize=6, ha="center",
                        va="center", in_layout=False)
        box = label.get_window_extent(renderer).padded(LABEL_GAP_PX)
        fits = inside.x0 <= box.x0 and box.x1 <= inside.x1
        if fits and not any(box.overlaps(other.get_window_extent(renderer)) for other in placed):
            return label
        label.remove()
    return None

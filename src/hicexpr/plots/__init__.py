"""Figures (matplotlib, headless): every function returns a Figure; ``save_figure`` writes
PNG + SVG."""

from hicexpr.plots._common import figure_bytes, model_colours, save_figure
from hicexpr.plots.analysis import plot_enrichment, plot_predictability
from hicexpr.plots.contacts import plot_contact_region
from hicexpr.plots.forecast import (
    plot_metric_boxplots,
    plot_predicted_vs_observed,
    plot_trajectory_page,
)
from hicexpr.plots.graph import plot_gene_graph
from hicexpr.plots.spex import plot_spex_chromosome_scatter, plot_spex_gain

__all__ = [
    "figure_bytes", "plot_contact_region", "plot_enrichment", "plot_gene_graph",
    "model_colours", "plot_metric_boxplots", "plot_predictability", "plot_predicted_vs_observed",
    "plot_spex_chromosome_scatter", "plot_spex_gain", "plot_trajectory_page", "save_figure",
]

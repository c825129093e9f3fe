"""Gene-level analysis of a run: per-gene scores, predictability tests, offline enrichment."""

from hicexpr.analysis.enrichment import (
    enrich_top,
    harmonise_ids,
    id_overlap,
    prerank_scores,
    read_gmt,
    read_go_slim,
)
from hicexpr.analysis.predictability import (
    expression_range,
    gene_factors,
    graph_degree,
    predictability,
)
from hicexpr.analysis.scores import best_model, forecast_scores, spex_scores

__all__ = [
    "best_model", "enrich_top", "expression_range", "forecast_scores", "gene_factors",
    "graph_degree", "harmonise_ids", "id_overlap", "predictability", "prerank_scores",
    "read_gmt", "read_go_slim", "spex_scores",
]

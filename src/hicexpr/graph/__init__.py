"""Gene graphs from 3D contacts (PyG ``Data``) and temporal Node2vec node embeddings."""

from hicexpr.graph.build import (
    EdgeWeights,
    build_gene_graph,
    expression_similarity_edges,
    graph_pairs,
    normalised_contact,
    temporal_graphs,
)
from hicexpr.graph.diagnostics import contact_coexpression
from hicexpr.graph.node2vec import biased_random_walks, temporal_node2vec

__all__ = [
    "EdgeWeights",
    "biased_random_walks",
    "build_gene_graph",
    "contact_coexpression",
    "expression_similarity_edges",
    "graph_pairs",
    "normalised_contact",
    "temporal_graphs",
    "temporal_node2vec",
]

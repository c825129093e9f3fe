"""Contact maps -> genes: bins, gene-pair contacts and 3D features (insulation, TADs, A/B)."""

from hicexpr.contacts.features import (
    boundaries,
    compartments,
    gene_density_track,
    gene_features,
    insulation,
    pair_flags,
    tad_domains,
)
from hicexpr.contacts.mapping import bin_coverage, covered_extent, gene_bins
from hicexpr.contacts.pairs import contact_to_distance, gene_pair_contacts, top_partners

__all__ = [
    "bin_coverage", "boundaries", "compartments", "contact_to_distance", "covered_extent",
    "gene_bins", "gene_density_track", "gene_features", "gene_pair_contacts", "insulation",
    "pair_flags", "tad_domains", "top_partners",
]

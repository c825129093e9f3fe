"""Which offline gene-set collection fits a run, and how to map its gene ids onto it.

Collections in the shared data folder:

- yeast: SGD GO-slim (systematic names, ``yeast/genesets/go_slim_mapping.tab``);
- human: GO biological process (symbols, ``genesets/human_GO_BP_symbols.gmt``);
- mouse: Reactome (Entrez ids, ``genesets/mouse_reactome_entrez.gmt``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from hicexpr.analysis.enrichment import read_gmt, read_go_slim
from hicexpr.lib.paths import shared_data_dir

YEAST_ORF = re.compile(r"^Y[A-P][LR]\d{3}[WC](-[A-Z])?$")
ORGANISM_WORDS = {
    "yeast": ("yeast", "scer", "cerevisiae", "spellman", "alpha", "cdc15"),
    "human": ("human", "hg19", "hg38", "gm12878", "k562", "imr90", "geuvadis", "roadmap", "lcl"),
    "mouse": ("mouse", "mm9", "mm10", "step", "mesc", "lung"),
}
COLLECTIONS = {
    "yeast": ("yeast/genesets/go_slim_mapping.tab", "SGD GO-slim", "systematic names"),
    "human": ("genesets/human_GO_BP_symbols.gmt", "GO biological process", "gene symbols"),
    "mouse": ("genesets/mouse_reactome_entrez.gmt", "Reactome", "Entrez gene ids"),
}


@dataclass
class GeneSetSource:
    """A gene-set collection and what ids it uses."""

    name: str
    path: Path
    id_type: str
    sets: dict[str, list[str]]


def infer_organism(texts: Iterable[str], genes: Iterable[str] = ()) -> str | None:
    """``yeast``/``human``/``mouse`` from dataset names and gene ids, or None when unknown.

    Gene ids decide first (yeast systematic names, Ensembl ``ENSG``/``ENSMUSG``), then words in
    ``texts`` (dataset name, config values).
    """
    genes = [str(g) for g in genes][:200]
    if genes:
        if sum(bool(YEAST_ORF.match(g)) for g in genes) > len(genes) / 2:
            return "yeast"
        if sum(g.startswith("ENSMUSG") for g in genes) > len(genes) / 2:
            return "mouse"
        if sum(g.startswith("ENSG") for g in genes) > len(genes) / 2:
            return "human"
    words = " ".join(texts).lower()
    for organism, keys in ORGANISM_WORDS.items():
        if any(re.search(rf"(^|[^a-z]){k}([^a-z]|$)", words) for k in keys):
            return organism
    return None


def default_gene_sets(organism: str, data_dir: Path | None = None) -> GeneSetSource | None:
    """The shared-data collection for ``organism`` (None when the data folder is absent)."""
    data_dir = data_dir or shared_data_dir(required=False)
    if data_dir is None or organism not in COLLECTIONS:
        return None
    rel, name, id_type = COLLECTIONS[organism]
    path = data_dir / rel
    if not path.is_file():
        return None
    sets = read_go_slim(path) if path.suffix == ".tab" else read_gmt(path)
    return GeneSetSource(name=name, path=path, id_type=id_type, sets=sets)


def gene_sets_from_file(path: str | Path) -> GeneSetSource:
    """A user-given collection: GMT, or an SGD ``go_slim_mapping.tab``."""
    path = Path(path)
    if path.suffix == ".tab":
        return GeneSetSource(path.stem, path, "systematic names", read_go_slim(path))
    return GeneSetSource(path.stem, path, "as in the GMT", read_gmt(path))


def id_mapping_from_genes(genes: pd.DataFrame | None, target: str = "symbol"
                          ) -> Mapping[str, str] | None:
    """``gene_id`` (version suffix dropped too) -> ``target`` column of a gene table, or None."""
    if genes is None or target not in genes.columns or "gene_id" not in genes.columns:
        return None
    table = genes[["gene_id", target]].dropna().astype(str)
    mapping = dict(zip(table["gene_id"], table[target], strict=True))
    mapping.update({k.split(".")[0]: v for k, v in mapping.items() if k.startswith("ENS")})
    return mapping

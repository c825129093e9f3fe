"""Offline gene-set enrichment of per-gene scores with gseapy (no network access).

- :func:`enrich_top`: over-representation (hypergeometric, gseapy ``enrich``) of the top-scoring
  genes, background = every analysed gene.
- :func:`prerank_scores`: GSEA pre-ranked (gseapy ``prerank``) on the per-gene score.
- Gene sets come from any GMT file (:func:`read_gmt`) or the SGD GO-slim table
  (:func:`read_go_slim`); :func:`harmonise_ids` maps data ids onto the ids the sets use.
"""

from __future__ import annotations

import contextlib
import logging
import os
import zlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import gseapy
import numpy as np
import pandas as pd

from hicexpr.io.text import compression, open_text, to_numbers
from hicexpr.lib.errors import InputError, first_line

log = logging.getLogger(__name__)

GO_ROOTS = ("biological_process", "molecular_function", "cellular_component")
ENRICH_COLUMNS = ["term", "overlap", "p_value", "fdr", "odds_ratio", "genes"]
PRERANK_COLUMNS = ["term", "es", "nes", "p_value", "fdr", "size", "lead_genes"]


def read_gmt(path: str | os.PathLike[str]) -> dict[str, list[str]]:
    """Gene sets from a GMT file (``name<TAB>description<TAB>gene...`` per line).

    Raises:
        InputError: unreadable file, or a line with fewer than three tab-separated fields.
    """
    file = Path(path)
    try:
        with open_text(file) as fh:
            text = fh.read()
    except (OSError, EOFError, zlib.error, UnicodeDecodeError) as exc:
        raise InputError(file, "", "a readable GMT text file (UTF-8, gzip ok)",
                         first_line(exc)) from None
    sets: dict[str, list[str]] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.rstrip("\n").split("\t")
        if len(fields) < 3:
            raise InputError(file, f"line {number}", "name, description and genes separated "
                             "by tabs", line[:60])
        name = fields[0] if fields[1] in ("", "NA", fields[0]) else f"{fields[0]} {fields[1]}"
        sets[name] = sorted({g for g in fields[2:] if g})
    if not sets:
        raise InputError(file, "", "at least one gene set", "an empty file")
    return sets


def read_go_slim(path: str | os.PathLike[str], aspects: Iterable[str] = ("P", "F", "C"),
                 drop_roots: bool = True) -> dict[str, list[str]]:
    """SGD ``go_slim_mapping.tab`` as gene sets of systematic names (``GO:id term`` keys).

    Args:
        path: the SGD table (ORF, gene, SGDID, aspect, GO-slim term, GO id, feature type).
        aspects: GO aspects to keep (P process, F function, C component).
        drop_roots: drop the root terms, which SGD uses for "unknown".
    """
    file = Path(path)
    try:
        table = pd.read_csv(file, sep="\t", header=None, dtype=str, usecols=range(6),
                            names=["orf", "gene", "sgdid", "aspect", "term", "goid"],
                            compression=compression(file))
    except (OSError, EOFError, zlib.error, ValueError, pd.errors.ParserError) as exc:
        raise InputError(file, "", "the SGD go_slim_mapping.tab table (6+ tab columns)",
                         str(exc)) from None
    table = table[table["aspect"].isin(list(aspects)) & table["goid"].notna()]
    if drop_roots:
        table = table[~table["term"].isin(GO_ROOTS)]
    key = table["goid"] + " " + table["term"]
    return {k: sorted(set(v)) for k, v in table.groupby(key)["orf"]}


def id_overlap(genes: Iterable[str], gene_sets: Mapping[str, Iterable[str]]) -> float:
    """Fraction of ``genes`` that occur in at least one gene set."""
    genes = [str(g) for g in genes]
    if not genes:
        return 0.0
    universe = {g for members in gene_sets.values() for g in members}
    return float(np.mean([g in universe for g in genes]))


@dataclass
class Harmonised:
    """Scores re-indexed by the gene-set ids, with a note on how they were mapped."""

    scores: pd.Series
    note: str
    ok: bool


def harmonise_ids(
    scores: pd.Series,
    gene_sets: Mapping[str, Iterable[str]],
    mapping: Mapping[str, str] | pd.Series | None = None,
    min_overlap: float = 0.05,
) -> Harmonised:
    """Put ``scores`` on the ids of ``gene_sets``, mapping through ``mapping`` when needed.

    The data ids are used as they are when at least ``min_overlap`` of them occur in the sets;
    otherwise each id is replaced by ``mapping[id]`` (e.g. Ensembl id -> symbol from the gene
    table) and genes mapping to the same id are averaged. When neither works, ``ok`` is False
    and ``note`` says why (no mapping is invented).
    """
    direct = id_overlap(scores.index, gene_sets)
    if direct >= min_overlap:
        return Harmonised(scores, f"ids used as they are ({direct:.0%} found in the gene sets)",
                          True)
    if mapping is None or len(mapping) == 0:
        return Harmonised(scores.iloc[:0], f"only {direct:.0%} of the gene ids occur in the gene "
                          "sets and no id mapping is available offline: enrichment not run",
                          False)
    lookup = pd.Series(mapping, dtype=object)
    mapped = scores.copy()
    keys = [k if k in lookup.index else k.split(".")[0] for k in scores.index.astype(str)]
    mapped.index = lookup.reindex(keys).to_numpy()
    mapped = mapped[mapped.index.notna()]
    mapped = mapped.groupby(level=0).mean()
    overlap = id_overlap(mapped.index, gene_sets)
    note = (f"{len(mapped)} of {len(scores)} genes mapped to gene-set ids; {overlap:.0%} of them "
            "found in the gene sets")
    return Harmonised(mapped, note, overlap >= min_overlap)


def filter_sets(gene_sets: Mapping[str, Iterable[str]], background: Iterable[str],
                min_size: int, max_size: int) -> dict[str, list[str]]:
    """Gene sets restricted to ``background``, keeping those with min..max members."""
    universe = set(map(str, background))
    kept = {}
    for name, members in gene_sets.items():
        inside = sorted(universe.intersection(members))
        if min_size <= len(inside) <= max_size:
            kept[name] = inside
    return kept


def enrich_top(
    scores: pd.Series,
    gene_sets: Mapping[str, Iterable[str]] | str | os.PathLike[str],
    top_fraction: float = 0.2,
    min_size: int = 5,
    max_size: int = 500,
) -> pd.DataFrame:
    """Over-representation of the top-scoring genes (hypergeometric test, gseapy ``enrich``).

    Args:
        scores: per-gene score (higher = more predictable / larger gain).
        gene_sets: dict of sets or a GMT path.
        top_fraction: the query is the top ``top_fraction`` of genes by score.
        min_size, max_size: gene-set size limits within the background.

    Returns:
        ``term, overlap, p_value, fdr, odds_ratio, genes`` sorted by p-value (empty when no
        set passes the size filter). Background = every gene in ``scores``.
    """
    sets = _as_sets(gene_sets)
    background = [str(g) for g in scores.index]
    sets = filter_sets(sets, background, min_size, max_size)
    n_top = max(1, int(round(top_fraction * len(scores))))
    query = [str(g) for g in scores.sort_values(ascending=False).index[:n_top]]
    if not sets:
        return pd.DataFrame(columns=ENRICH_COLUMNS)
    with _quiet_gseapy():
        result = gseapy.enrich(gene_list=query, gene_sets=sets, background=background,
                               outdir=None, no_plot=True, verbose=False).res2d
    if result is None or result.empty:  # no set shares a gene with the query
        return pd.DataFrame(columns=ENRICH_COLUMNS)
    table = result.rename(columns={"Term": "term", "Overlap": "overlap", "P-value": "p_value",
                                   "Adjusted P-value": "fdr", "Odds Ratio": "odds_ratio",
                                   "Genes": "genes"})
    return table[ENRICH_COLUMNS].sort_values("p_value").reset_index(drop=True)


def prerank_scores(
    scores: pd.Series,
    gene_sets: Mapping[str, Iterable[str]] | str | os.PathLike[str],
    permutation_num: int = 1000,
    seed: int = 0,
    min_size: int = 15,
    max_size: int = 500,
    threads: int = 1,
) -> pd.DataFrame:
    """GSEA pre-ranked on ``scores`` (gseapy ``prerank``, gene-set permutations by ``seed``).

    Returns:
        ``term, es, nes, p_value, fdr, size, lead_genes`` sorted by nominal p-value (empty when
        no set has ``min_size`` genes among the scored ones). p-values and FDR of 0 (no
        permutation as extreme) are reported as ``1 / (permutation_num + 1)``.
    """
    sets = filter_sets(_as_sets(gene_sets), scores.index, min_size, max_size)
    if not sets:
        return pd.DataFrame(columns=PRERANK_COLUMNS)
    rnk = scores.astype(float).copy()
    rnk.index = rnk.index.astype(str)
    ties = float(rnk.duplicated().mean())
    if ties > 0:
        log.info("prerank: %.2f%% of genes share a score with another (order among ties is "
                 "arbitrary)", 100 * ties)
    with _quiet_gseapy():
        result = gseapy.prerank(rnk=rnk.sort_values(ascending=False), gene_sets=sets,
                                permutation_num=permutation_num, seed=seed, threads=threads,
                                min_size=min_size, max_size=max_size, outdir=None,
                                no_plot=True, verbose=False).res2d
    table = result.rename(columns={"Term": "term", "ES": "es", "NES": "nes",
                                   "NOM p-val": "p_value", "FDR q-val": "fdr",
                                   "Lead_genes": "lead_genes"})
    table["size"] = [len(sets[t]) for t in table["term"]]
    for col in ("es", "nes", "p_value", "fdr"):
        table[col] = to_numbers(table[col], errors="coerce")
    floor = 1.0 / (permutation_num + 1)  # resolution of a permutation p-value
    table[["p_value", "fdr"]] = table[["p_value", "fdr"]].clip(lower=floor)
    return table[PRERANK_COLUMNS].sort_values(["p_value", "nes"]).reset_index(drop=True)


def _as_sets(gene_sets: Mapping[str, Iterable[str]] | str | os.PathLike[str]
             ) -> dict[str, list[str]]:
    if isinstance(gene_sets, (str, os.PathLike)):
        return read_gmt(gene_sets)
    return {str(k): [str(g) for g in v] for k, v in gene_sets.items()}


@contextlib.contextmanager
def _quiet_gseapy() -> Iterator[None]:
    """gseapy logs to its own stderr handlers; silence them (empty results are handled here)."""
    previous = logging.root.manager.disable
    logging.disable(logging.ERROR)
    try:
        yield
    finally:
        logging.disable(previous)

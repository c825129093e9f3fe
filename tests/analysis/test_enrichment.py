"""Offline enrichment: GMT / GO-slim parsing, id mapping, planted and real-data enrichment."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hicexpr.analysis import (
    enrich_top,
    harmonise_ids,
    id_overlap,
    prerank_scores,
    read_gmt,
    read_go_slim,
)
from hicexpr.analysis.genesets import default_gene_sets, id_mapping_from_genes, infer_organism
from hicexpr.lib.errors import InputError


def test_read_gmt_and_bad_line(tmp_path: Path) -> None:
    good = tmp_path / "sets.gmt"
    good.write_text("S1\tfirst set\tA\tB\tA\nS2\tNA\tC\n")
    assert read_gmt(good) == {"S1 first set": ["A", "B"], "S2": ["C"]}
    bad = tmp_path / "bad.gmt"
    bad.write_text("S1\tdesc\tA\nbroken line\n")
    with pytest.raises(InputError, match=r"bad.gmt: line 2: expected name, description"):
        read_gmt(bad)


def test_read_gmt_gzipped_and_not_utf8(tmp_path: Path) -> None:
    packed = tmp_path / "sets.gmt.gz"
    packed.write_bytes(gzip.compress("\ufeffS1\tfirst set\tA\tB\n".encode()))
    assert read_gmt(packed) == {"S1 first set": ["A", "B"]}
    latin = tmp_path / "latin.gmt"
    latin.write_bytes("S1\tr\xe9sum\xe9\tA\n".encode("latin-1"))
    with pytest.raises(InputError, match=r"latin.gmt: expected a readable GMT text file"):
        read_gmt(latin)


def planted_scores(n: int = 300, seed: int = 0) -> tuple[pd.Series, dict[str, list[str]]]:
    rng = np.random.default_rng(seed)
    genes = [f"G{i:03d}" for i in range(n)]
    scores = pd.Series(rng.normal(size=n), index=genes)
    scores.iloc[:30] += 3.0  # the planted set scores high
    sets = {"planted": genes[:30], "random": list(rng.choice(genes[30:], 40, replace=False)),
            "outside": ["X1", "X2", "X3", "X4", "X5", "X6"]}
    return scores, sets


def test_enrich_top_finds_planted_set_against_analysed_background() -> None:
    scores, sets = planted_scores()
    table = enrich_top(scores, sets, top_fraction=0.1)
    assert list(table.columns) == ["term", "overlap", "p_value", "fdr", "odds_ratio", "genes"]
    top = table.iloc[0]
    assert top["term"] == "planted" and top["fdr"] < 1e-10
    assert top["overlap"].endswith("/30")  # set size counted within the background
    assert "outside" not in set(table["term"])  # no member among the analysed genes
    random = table[table["term"] == "random"]
    assert random.empty or random["p_value"].iloc[0] > 0.01


def test_enrich_top_no_overlap_gives_empty_table() -> None:
    genes = [f"G{i}" for i in range(100)]
    scores = pd.Series(np.arange(100.0), index=genes)  # top 20% = G80..G99
    table = enrich_top(scores, {"low": genes[:20], "mid": genes[40:60]})
    assert table.empty and list(table.columns)[:3] == ["term", "overlap", "p_value"]


def test_prerank_planted_set_positive_nes_seeded() -> None:
    scores, sets = planted_scores()
    first = prerank_scores(scores, sets, permutation_num=100, seed=3, min_size=5)
    again = prerank_scores(scores, sets, permutation_num=100, seed=3, min_size=5)
    row = first.set_index("term").loc["planted"]
    assert row["nes"] > 2 and row["p_value"] < 0.02 and row["size"] == 30
    assert first.set_index("term").loc["random", "p_value"] > 0.01
    pd.testing.assert_frame_equal(first, again)  # fixed seed, same result
    assert first["p_value"].min() == pytest.approx(1 / 101)  # 0 reported at test resolution


def test_harmonise_maps_ensembl_to_symbols_and_refuses_without_mapping() -> None:
    scores = pd.Series([1.0, 2.0, 3.0, 4.0], index=["ENSG1.3", "ENSG2", "ENSG3", "ENSG9"])
    sets = {"s": ["SYM1", "SYM2", "SYM3"]}
    genes = pd.DataFrame({"gene_id": ["ENSG1", "ENSG2", "ENSG3"],
                          "symbol": ["SYM1", "SYM2", "SYM2"]})
    mapped = harmonise_ids(scores, sets, id_mapping_from_genes(genes))
    assert mapped.ok
    assert mapped.scores.to_dict() == {"SYM1": 1.0, "SYM2": 2.5}  # version dropped, dups mean
    refused = harmonise_ids(scores, sets, None)
    assert not refused.ok and refused.scores.empty
    assert "no id mapping is available offline" in refused.note


def test_infer_organism() -> None:
    assert infer_organism([""], ["YAL001C", "YBR002W", "YCL004W-A"]) == "yeast"
    assert infer_organism(["step_mrna"], ["ABCA3", "AGER"]) == "mouse"
    assert infer_organism(["gm12878_chr22"], ["CTSS"]) == "human"
    assert infer_organism(["synthetic"], ["G1"]) is None


def test_yeast_go_slim_real(data_dir: Path) -> None:
    sets = read_go_slim(data_dir / "yeast/genesets/go_slim_mapping.tab")
    assert "GO:0002181 cytoplasmic translation" in sets
    assert "YOR063W" in sets["GO:0002181 cytoplasmic translation"]  # RPL3
    assert not any(k.endswith(" biological_process") for k in sets)  # "unknown" roots dropped
    assert id_overlap(["YOR063W", "YAL001C", "NOTAGENE"], sets) == pytest.approx(2 / 3)


def test_yeast_alpha_smooth_genes_are_mating_and_cell_wall(data_dir: Path) -> None:
    """Score = per-gene Pearson of the persistence forecast (lag-1 autocorrelation) in the
    alpha-factor time course: after alpha-factor release, the smooth genes are the mating
    (conjugation) and cell-wall genes; ribosomal genes are the least predictable."""
    expr = pd.read_csv(data_dir / "yeast/expression/spellman1998_alpha_log2ratio.tsv.gz",
                       sep="\t", index_col=0)
    values = expr[expr.notna().sum(axis=1) >= 16].to_numpy(float)
    prev, curr = values[:, :-1], values[:, 1:]
    ok = np.isfinite(prev) & np.isfinite(curr)
    scores = pd.Series([np.corrcoef(prev[i, m], curr[i, m])[0, 1] for i, m in enumerate(ok)],
                       index=expr.index[expr.notna().sum(axis=1) >= 16]).dropna()
    source = default_gene_sets("yeast", data_dir)
    assert source is not None and source.id_type == "systematic names"
    assert harmonise_ids(scores, source.sets).note.startswith("ids used as they are")
    ora = enrich_top(scores, source.sets, top_fraction=0.1).set_index("term")
    assert ora.loc["GO:0000746 conjugation", "fdr"] < 1e-3
    assert ora.loc["GO:0005618 cell wall", "fdr"] < 1e-6
    pre = prerank_scores(scores, source.sets, permutation_num=50, seed=0).set_index("term")
    ribosome = pre.loc["GO:0003735 structural constituent of ribosome"]
    assert ribosome["nes"] < -2 and ribosome["fdr"] < 0.05


def test_human_go_bp_via_ensembl_to_symbol_mapping(data_dir: Path) -> None:
    """Score = GM12878 (E116) log expression minus its mean over the other Roadmap samples;
    ids are Ensembl and reach the symbol GMT through the gene table. Proliferating LCL-specific
    genes are enriched in chromosome segregation and humoral immunity."""
    rpkm = pd.read_csv(data_dir / "human_gm12878_hg19/expression/roadmap/57epigenomes.RPKM.pc.gz",
                       sep="\t", index_col=0)
    logged = np.log2(rpkm + 1)
    scores = logged["E116"] - logged.drop(columns=["E116", "E000"]).mean(axis=1)
    scores = scores[rpkm["E116"] > 1]
    genes = pd.read_csv(data_dir / "human_gm12878_hg19/genes/CollapsedGeneBounds.hg19.bed",
                        sep="\t").rename(columns={"Ensembl_ID": "gene_id", "name": "symbol"})
    source = default_gene_sets("human", data_dir)
    assert source is not None
    assert id_overlap(scores.index, source.sets) == 0.0  # Ensembl ids vs symbols
    mapped = harmonise_ids(scores, source.sets, id_mapping_from_genes(genes))
    assert mapped.ok and len(mapped.scores) > 9_000
    ora = enrich_top(mapped.scores, source.sets, top_fraction=0.05).set_index("term")
    assert ora.loc["GO:0007059 chromosome segregation", "fdr"] < 1e-6
    assert ora.loc["GO:0006959 humoral immune response", "fdr"] < 0.01


def test_mouse_reactome_uses_entrez_and_step_symbols_are_refused(data_dir: Path) -> None:
    source = default_gene_sets("mouse", data_dir)
    assert source is not None and source.id_type == "Entrez gene ids"
    symbols = pd.Series([0.5, 0.1, 0.9], index=["ABCA3", "AGER", "SFTPC"])
    result = harmonise_ids(symbols, source.sets, id_mapping_from_genes(None))
    assert not result.ok and "no id mapping" in result.note

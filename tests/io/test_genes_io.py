"""Gene annotation readers: BED6+, GTF, GFF3, SGD_features.tab, STEP CSV; bad input."""

from __future__ import annotations

import pytest

from hicexpr.io.genes import COLUMNS, genes_from_text, read_genes
from hicexpr.lib.errors import InputError

GTF = (
    'chr1\tsrc\tgene\t101\t200\t.\t+\t.\tgene_id "G1"; gene_name "ONE"; gene_type "pc";\n'
    'chr1\tsrc\texon\t101\t150\t.\t+\t.\tgene_id "G1"; gene_name "ONE";\n'
    'chr2\tsrc\tgene\t301\t400\t.\t-\t.\tgene_id "G2"; gene_name "TWO"; gene_type "lnc";\n'
)
GFF3 = (
    "##gff-version 3\n"
    "chrI\tSGD\tgene\t335\t649\t.\t+\t.\tID=gene:YAL069W;Name=YAL069W;biotype=protein_coding\n"
    "chrI\tSGD\tmRNA\t335\t649\t.\t+\t.\tID=YAL069W_mRNA;Parent=gene:YAL069W\n"
    "chrI\tSGD\tgene\t1807\t2169\t.\t-\t.\tID=gene:YAL068C;Name=PAU8\n"
)


def test_collapsed_gene_bounds(data_dir):
    genes = read_genes(data_dir / "human_gm12878_hg19/genes/CollapsedGeneBounds.hg19.bed")
    assert list(genes.columns) == COLUMNS + ["gene_type"]
    assert len(genes) == 20629 - 45  # 45 repeated Ensembl ids keep their first row
    assert genes["gene_id"].is_unique
    row = genes.set_index("symbol").loc["FAM138A"]
    assert row["gene_id"] == "ENSG00000237613" and row["strand"] == "-"
    assert row["tss"] == row["end"] - 1 == 36080
    plus = genes[genes["strand"] == "+"]
    assert (plus["tss"] == plus["start"]).all()


def test_duplicate_policies(data_dir):
    path = data_dir / "human_gm12878_hg19/genes/CollapsedGeneBounds.hg19.bed"
    suffixed = read_genes(path, duplicates="suffix")
    assert len(suffixed) == 20629 and suffixed["gene_id"].is_unique
    assert (suffixed["gene_id"] == "ENSG00000187980_2").sum() == 1
    with pytest.raises(InputError, match="unique gene ids"):
        read_genes(path, duplicates="error")


def test_gtf_and_gff3():
    gtf = genes_from_text(GTF, "gtf", "a.gtf")
    assert gtf[["gene_id", "symbol", "start", "end", "tss"]].values.tolist() == [
        ["G1", "ONE", 100, 200, 100], ["G2", "TWO", 300, 400, 399]]
    assert gtf["gene_type"].tolist() == ["pc", "lnc"]
    exons_only = genes_from_text(GTF.replace("\tgene\t", "\texon\t"), "gtf", "b.gtf")
    assert exons_only.set_index("gene_id").loc["G1", "end"] == 200
    gff = genes_from_text(GFF3, "gff3", "a.gff3")
    assert gff["gene_id"].tolist() == ["YAL069W", "YAL068C"]
    assert gff.set_index("symbol").loc["PAU8", "tss"] == 2168


def test_sgd_features(data_dir):
    genes = read_genes(data_dir / "yeast/genes/SGD_features.tab")
    assert genes["gene_id"].is_unique and len(genes) > 6000
    pau8 = genes.set_index("gene_id").loc["YAL068C"]
    assert (pau8["chrom"], pau8["symbol"], pau8["strand"], pau8["tss"]) == ("chrI", "PAU8",
                                                                             "-", 2168)
    assert set(genes["chrom"]) >= {"chrI", "chrXVI", "chrM"}


def test_step_csv(data_dir):
    genes = read_genes(data_dir / "step/interaction_mirna.csv")
    assert genes["gene_id"].is_unique
    stum = genes.set_index("gene_id").loc["STUM"]
    assert stum["chrom"] == "chr1" and stum["tss"] == 180259952 and stum["strand"] == "."


def test_bad_bed_lines_name_the_line(tmp_path):
    bad = tmp_path / "bad.bed"
    bad.write_text("chr1\t10\t20\tA\t0\t+\nchr1\tten\t30\tB\t0\t+\n")
    with pytest.raises(InputError, match=r"bad.bed: line 2: expected an integer start"):
        read_genes(bad)
    bad.write_text("chr1\t10\n")
    with pytest.raises(InputError, match="line 1"):
        read_genes(bad)
    bad.write_text("chr1\t50\t20\tA\t0\t+\n")
    with pytest.raises(InputError, match="start <= end"):
        read_genes(bad)
    with pytest.raises(InputError, match="no such file"):
        read_genes(tmp_path / "missing.bed")
    with pytest.raises(InputError, match="one of"):
        read_genes(bad, fmt="xlsx")


def test_bed12_names_are_the_ids_not_thickstart():
    text = ("chr1\t1000\t5000\tENSG01\t0\t+\t1200\t4800\t0\t2\t100,200,\t0,3800,\n"
            "chr1\t9000\t12000\tENSG02\t0\t-\t9000\t12000\t0\t1\t3000,\t0,\n")
    genes = genes_from_text(text, "bed")
    assert genes["gene_id"].tolist() == ["ENSG01", "ENSG02"]
    assert genes["tss"].tolist() == [1000, 11999]
    assert "gene_type" not in genes


def test_bed_with_a_column_name_line():
    text = "chrom\tstart\tend\tname\tscore\tstrand\nchr1\t100\t200\tG1\t0\t+\n"
    assert genes_from_text(text, "bed")["gene_id"].tolist() == ["G1"]


def test_integer_ids_in_column_7_are_not_thickstart():
    text = "chr17\t7565096\t7590856\tTP53\t0\t-\t7157\t1\tx\t3\ty\tz\n"
    assert genes_from_text(text, "bed")["gene_id"].tolist() == ["7157"]


def test_csv_that_is_not_step_says_what_a_csv_must_be(tmp_path):
    for text, got in (("", "an empty file"), ("gene,chrom,start\n", "gene,chrom,start")):
        table = tmp_path / "genes.csv"
        table.write_text(text)
        with pytest.raises(InputError, match="genes.csv: line 1: expected a STEP interaction "
                           rf"CSV header .*, got '{got}'"):
            read_genes(table)


def test_unknown_duplicates_policy_is_refused(tmp_path):
    with pytest.raises(InputError, match="duplicates: expected first, suffix or error, got 'xyz'"):
        read_genes(tmp_path / "genes.bed", duplicates="xyz")

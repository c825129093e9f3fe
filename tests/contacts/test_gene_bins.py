"""Gene -> bin mapping, coverage flags and chromosome harmonisation on real maps."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hicexpr.contacts import gene_bins
from hicexpr.io.contacts import open_contacts
from hicexpr.io.genes import read_genes
from hicexpr.lib.errors import InputError


def test_chr22_genes_map_to_tss_bins(chr22, hg19_genes):
    out = gene_bins(chr22, hg19_genes)
    inside = out[out["in_coverage"]]
    assert set(inside["chrom"]) == {"chr22"}
    assert len(inside) > 400
    assert (out.loc[out["chrom"] != "chr22", "coverage_note"] == "chromosome not in map").all()
    assert (inside["bin_id"] == inside["tss"] // 50_000).all()  # chr22 is the only chromosome
    minus = inside[inside["strand"] == "-"].iloc[0]
    assert minus["tss"] == minus["end"] - 1


def test_yeast_roman_names_harmonised(data_dir):
    clr = open_contacts(data_dir / "yeast/hic/yeast.10kb.cool")
    genes = read_genes(data_dir / "yeast/genes/SGD_features.tab")
    out = gene_bins(clr, genes)
    assert out["in_coverage"].mean() > 0.95
    pau8 = out.set_index("gene_id").loc["YAL068C"]
    assert pau8["chrom"] == "chrI" and pau8["bin_id"] == clr.offset("chrI") + 2168 // 10_000


def test_w303_arabic_names_take_roman_genes(data_dir):
    clr = open_contacts(data_dir / "yeast/hic/scer_w303_g1_2kb_SRR8769554.cool")
    genes = read_genes(data_dir / "yeast/genes/SGD_features.tab")
    out = gene_bins(clr, genes)
    assert "chr16" in set(out.loc[out["in_coverage"], "chrom"])


def test_step_genes_beyond_map_flagged_not_snapped(data_dir):
    clr = open_contacts(data_dir / "step/hic_mESC_HindIII_1mb", assembly="mm9")
    genes = read_genes(data_dir / "step/interaction_mirna.csv")
    out = gene_bins(clr, genes).set_index("gene_id")
    stum = out.loc["STUM"]  # chr1:180 Mb; the map stops at 99 Mb
    assert not stum["in_coverage"]
    assert stum["bin_id"] == clr.offset("chr1") + 180  # its own bin, not the last one
    assert (out.loc[out["in_coverage"], "tss"] < 99_000_000).all() | (out["chrom"] != "chr1").all()


def test_all_genes_outside_is_an_error(chr22):
    genes = pd.DataFrame({"chrom": ["chr22"], "start": [100], "end": [200], "gene_id": ["g"],
                          "symbol": ["g"], "strand": ["+"], "tss": [100]})
    with pytest.raises(InputError, match="outside"):
        gene_bins(chr22, genes)


def test_assembly_mismatch_names_both(chr22):
    genes = pd.DataFrame({"chrom": ["22", "22"], "start": [20_000_000, 60_000_000],
                          "end": [20_001_000, 60_001_000], "gene_id": ["a", "b"],
                          "symbol": ["a", "b"], "strand": ["+", "+"],
                          "tss": [20_000_000, 60_000_000]})
    with pytest.raises(InputError) as err:
        gene_bins(chr22, genes, source="genes_hg38.bed")
    msg = str(err.value)
    assert "genes_hg38.bed" in msg and "hg19" in msg and "51,304,566" in msg
    assert "\n" not in msg


def test_body_bins_cover_gene(chr22, hg19_genes):
    out = gene_bins(chr22, hg19_genes[hg19_genes["chrom"] == "chr22"], body=True)
    ok = out["in_coverage"]
    assert (out.loc[ok, "body_bin_end"] > out.loc[ok, "body_bin_start"]).all()
    assert np.all((out.loc[ok, "bin_id"] >= out.loc[ok, "body_bin_start"])
                  & (out.loc[ok, "bin_id"] < out.loc[ok, "body_bin_end"]))

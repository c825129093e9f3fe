"""Chromosome-name harmonisation: genes from another assembly are named in a clear warning."""

from __future__ import annotations

import logging

import pandas as pd
import pytest

from hicexpr.io.chroms import harmonise_chroms, size_mismatches
from hicexpr.lib.errors import InputError

SIZES = pd.Series({"chr1": 230_000, "chr4": 1_500_000})


def _genes() -> pd.DataFrame:
    return pd.DataFrame({"gene_id": ["a", "b"], "chrom": ["chrI", "chrIV"],
                         "start": [1_000, 1_520_000], "end": [2_000, 1_530_000]})


def test_roman_chromosome_too_long_for_its_arabic_twin_is_reported(caplog) -> None:
    with caplog.at_level(logging.WARNING, logger="hicexpr.io.chroms"):
        out = harmonise_chroms(_genes(), SIZES, source="genes.tsv")
    assert out["chrom"].tolist() == ["chr1", "chrIV"]
    text = caplog.text
    assert "genes on chrIV end at 1,530,000 bp but the map's chr4 is 1,500,000 bp long" in text
    assert "different assemblies" in text


def test_size_mismatches_lists_only_name_matches() -> None:
    assert size_mismatches(["chrIV", "scaffold_9"], SIZES,
                           {"chrIV": 1_530_000, "scaffold_9": 10}) == {"chrIV": "chr4"}


def test_human_chrx_is_not_renamed_to_chr10_when_the_map_lacks_it() -> None:
    genes = pd.DataFrame({"gene_id": ["a", "b"], "chrom": ["chr1", "chrX"],
                          "start": [1_000, 5_000], "end": [2_000, 6_000]})
    autosomes = pd.Series({"chr1": 249_000_000, "chr10": 135_000_000})
    assert harmonise_chroms(genes, autosomes)["chrom"].tolist() == ["chr1", "chrX"]


def test_yeast_genes_are_refused_on_a_human_map() -> None:
    yeast = pd.DataFrame({"gene_id": ["a", "b", "c"], "chrom": ["chrI", "chrX", "chrM"],
                          "start": [1_000, 5_000, 100], "end": [2_000, 6_000, 900]})
    human = pd.Series({"1": 249_250_621, "X": 155_270_560, "MT": 16_571})
    with pytest.raises(InputError, match="chromosome names: expected names matching the map"):
        harmonise_chroms(yeast, human)


def test_worm_x_and_arabidopsis_chr_names() -> None:
    from hicexpr.io.chroms import chrom_mapping
    from hicexpr.io.tracks import harmonise_chrom

    worm = ["chrI", "chrII", "chrIII", "chrIV", "chrV", "chrX"]
    assert chrom_mapping(["chrX"], worm) == {"chrX": "chrX"}  # a lone X is worm's X here
    assert chrom_mapping(["X"], worm) == {"X": "chrX"}
    assert harmonise_chrom(pd.Series(["Chr1", "1"])).tolist() == ["Chr1", "chr1"]
    assert chrom_mapping(["Chr1", "ChrC"], ["1", "2"]) == {"Chr1": "1"}


def test_natural_sorted_reads_roman_numerals_only_in_a_roman_set() -> None:
    from hicexpr.io.chroms import natural_sorted

    assert natural_sorted(["chrX", "chr10", "chr2", "chrM", "chr1", "chrY"]) == \
        ["chr1", "chr2", "chr10", "chrX", "chrY", "chrM"]
    assert natural_sorted(["chrIX", "chrV", "chrmt", "chrXVI", "chrI", "chrX"]) == \
        ["chrI", "chrV", "chrIX", "chrX", "chrXVI", "chrmt"]  # yeast chrX is chromosome 10
    assert natural_sorted(["10", "X", "2"]) == ["2", "10", "X"]

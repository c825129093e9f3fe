"""Every text reader opens files the same way: gzip by content, byte-order mark dropped."""

from __future__ import annotations

import gzip
from pathlib import Path

import pandas as pd
import pytest

from hicexpr.io.expression import read_gene_matrix
from hicexpr.io.genes import read_genes
from hicexpr.io.links import read_loops
from hicexpr.io.text import compression, open_text, unversioned
from hicexpr.io.tracks import read_peaks
from hicexpr.spex.data import read_expression_table, read_gene_table

BOM = "\ufeff"
PEAKS = "chr1\t100\t200\tp1\t5\n"
GENES = "".join(f"chr1\t{i * 1000}\t{i * 1000 + 500}\tENSG{i:011d}.3\t0\t+\n"
                for i in range(1, 13))
MATRIX = "gene\ts1\ts2\n" + "".join(f"ENSG{i:011d}.3\t{i}\t{i + 1}\n" for i in range(1, 13))
LOOPS = "chr1\tx1\ty1\tchr2\tx2\ty2\nchr1\t0\t10000\tchr1\t50000\t60000\n"


def _write(path: Path, text: str, gzipped: bool) -> Path:
    data = text.encode()
    path.write_bytes(gzip.compress(data) if gzipped else data)
    return path


@pytest.mark.parametrize("name, gzipped", [("a.txt", True), ("a.txt.gz", False),
                                           ("a.txt.gz", True), ("a.txt", False)])
def test_open_text_decides_gzip_by_content(tmp_path: Path, name: str, gzipped: bool) -> None:
    file = _write(tmp_path / name, BOM + "first line\nsecond\n", gzipped)
    assert compression(file) == ("gzip" if gzipped else None)
    with open_text(file) as fh:
        assert fh.read().splitlines() == ["first line", "second"]


@pytest.mark.parametrize("name, gzipped", [("peaks.bed", True), ("peaks.bed.gz", False)])
def test_peaks_gzip_whatever_the_name(tmp_path: Path, name: str, gzipped: bool) -> None:
    peaks = read_peaks(_write(tmp_path / name, BOM + PEAKS, gzipped))
    assert peaks[["chrom", "start", "end"]].iloc[0].tolist() == ["chr1", 100, 200]


@pytest.mark.parametrize("name, gzipped", [("genes.bed", True), ("genes.bed.gz", False)])
def test_genes_gzip_and_bom(tmp_path: Path, name: str, gzipped: bool) -> None:
    genes = read_genes(_write(tmp_path / name, BOM + GENES, gzipped))
    assert genes["chrom"].unique().tolist() == ["chr1"]
    assert len(genes) == 12


def test_expression_gzip_without_suffix(tmp_path: Path) -> None:
    frame = read_gene_matrix(_write(tmp_path / "expr.tsv", MATRIX, gzipped=True))
    assert frame.shape == (12, 2)
    assert frame.loc["ENSG00000000001.3"].tolist() == [1.0, 2.0]


def test_loops_gzip_without_suffix(tmp_path: Path) -> None:
    loops = read_loops(_write(tmp_path / "loops.txt", LOOPS, gzipped=True))
    assert loops[["chrom1", "start2"]].iloc[0].tolist() == ["chr1", 50000]


def test_unversioned_strips_accession_versions_only() -> None:
    ids = pd.Index(["ENSG0001.5", "ENSMUSG0002.12", "NM_0001.2", "RP11-34P13.7", "YAL001C",
                    "AT1G01010.1", "ENSG0003"])
    assert unversioned(ids).tolist() == ["ENSG0001", "ENSMUSG0002", "NM_0001", "RP11-34P13.7",
                                         "YAL001C", "AT1G01010.1", "ENSG0003"]


def test_spex_ids_match_across_expression_and_genes(tmp_path: Path) -> None:
    """SpEx strips versions with the same rule on both tables, and only from accessions."""
    genes = GENES + "chr1\t90000\t90500\tRP11-34P13.7\t0\t+\n"
    matrix = MATRIX + "RP11-34P13.7\t3\t4\nRP11-34P13.8\t5\t6\n"
    table = read_gene_table(_write(tmp_path / "genes.bed", genes, gzipped=False))
    expression = read_expression_table(_write(tmp_path / "expr.tsv", matrix, gzipped=False))
    assert "RP11-34P13.7" in set(table["gene_id"])
    assert {"ENSG00000000001", "RP11-34P13.7", "RP11-34P13.8"} <= set(expression.var_names)
    assert set(table["gene_id"]) <= set(expression.var_names)

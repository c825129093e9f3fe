"""SpEx inputs: expression tables with other columns next to the samples."""

from __future__ import annotations

from pathlib import Path

import pytest

from hicexpr.lib.errors import InputError
from hicexpr.spex.data import read_expression_table

# RSEM genes.results layout: transcript list and lengths next to the values (GEUVADIS)
RSEM = ("gene_id\ttranscript_id(s)\tlength\tTPM\tFPKM\n"
        "ENSG01.14\tENST01.8,ENST02.1\t1749.40\t3.5\t2.0\n"
        "ENSG02.5\tENST03.4\t940.50\t0.00\t0.00\n")


def test_only_the_requested_samples_are_parsed(tmp_path: Path) -> None:
    file = tmp_path / "ERR1.genes.results"
    file.write_text(RSEM)
    adata = read_expression_table(file, ["TPM"])
    assert adata.obs_names.tolist() == ["TPM"]
    assert adata.var_names.tolist() == ["ENSG01", "ENSG02"]
    assert adata.X[0].tolist() == [3.5, 0.0]


def test_a_bad_value_in_a_requested_sample_names_its_column(tmp_path: Path) -> None:
    file = tmp_path / "rsem.tsv"
    file.write_text(RSEM.replace("\t3.5\t", "\tx\t"))
    with pytest.raises(InputError, match=r"line 2, column 4: expected a number, got 'x'"):
        read_expression_table(file, ["TPM"])


def test_without_samples_every_column_must_be_numeric(tmp_path: Path) -> None:
    file = tmp_path / "rsem.tsv"
    file.write_text(RSEM)
    with pytest.raises(InputError, match="line 2, column 2: expected a number"):
        read_expression_table(file)


def test_symbols_against_ensembl_ids_get_a_hint(tmp_path: Path) -> None:
    from hicexpr.spex.data import align_genes, read_gene_table

    genes = tmp_path / "genes.bed"  # CollapsedGeneBounds layout: symbol, then Ensembl id
    genes.write_text("".join(f"chr1\t{i * 1000}\t{i * 1000 + 500}\tSYM{i}\t0\t+\tENSG{i:011d}\n"
                             for i in range(12)))
    expression = tmp_path / "expr.tsv"
    expression.write_text("gene\tE116\n" + "".join(f"SYM{i}\t{i}.5\n" for i in range(12)))
    with pytest.raises(InputError, match="the expression names 12 genes by their symbol"):
        align_genes(read_gene_table(genes), read_expression_table(expression))

"""read_expression: replicate averaging, time parsing, gene join and one-line input errors."""

from __future__ import annotations

from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd
import pytest

from hicexpr.io.expression import read_expression
from hicexpr.io.timelabels import parse_time_label
from hicexpr.lib.errors import InputError


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_numeric_header_replicates_are_averaged_and_sorted(tmp_path: Path) -> None:
    f = _write(tmp_path / "e.tsv", "gene\t2\t0\t2\t1\nA\t4\t1\t6\t2\nB\t0\t5\t2\t\n")
    adata = read_expression(f)
    assert adata.shape == (3, 2)
    assert adata.obs["time"].tolist() == [0.0, 1.0, 2.0]
    assert adata.obs["n_replicates"].tolist() == [1, 1, 2]
    np.testing.assert_allclose(adata[:, "A"].X.ravel(), [1.0, 2.0, 5.0])
    # a missing value is ignored in the mean, a time with no value stays NaN
    b = adata[:, "B"].X.ravel()
    assert b[0] == 5.0 and np.isnan(b[1]) and b[2] == 1.0


def test_sample_names_with_trailing_time_and_csv(tmp_path: Path) -> None:
    f = _write(tmp_path / "e.csv", "orf,alpha_0,alpha_7,alpha_14\nY1,0.1,0.2,0.3\n")
    adata = read_expression(f)
    assert adata.obs["time"].tolist() == [0.0, 7.0, 14.0]
    assert parse_time_label("cdc15_290").value == 290.0
    assert parse_time_label("wt") is None


def test_sample_time_table(tmp_path: Path) -> None:
    f = _write(tmp_path / "e.tsv", "gene\tr1\tr2\tr3\nA\t1\t3\t10\n")
    times = _write(tmp_path / "t.tsv", "sample\ttime\nr1\t5\nr2\t5\nr3\t6\n")
    adata = read_expression(f, sample_times=times)
    assert adata.obs["time"].tolist() == [5.0, 6.0]
    assert adata.X[:, 0].tolist() == [2.0, 10.0]
    assert adata.obs["samples"].iloc[0] == "r1,r2"


def test_h5ad_input(tmp_path: Path) -> None:
    X = np.arange(6, dtype=float).reshape(3, 2)
    obs = pd.DataFrame({"time": [1.0, 0.0, 1.0]}, index=["s1", "s2", "s3"])
    src = ad.AnnData(X=X, obs=obs, var=pd.DataFrame(index=["g1", "g2"]))
    src.write_h5ad(tmp_path / "x.h5ad")
    adata = read_expression(tmp_path / "x.h5ad")
    assert adata.obs["time"].tolist() == [0.0, 1.0]
    np.testing.assert_allclose(adata.X, [[2.0, 3.0], [2.0, 3.0]])


def test_gene_table_join(tmp_path: Path) -> None:
    f = _write(tmp_path / "e.tsv", "gene\t0\t1\nG1\t1\t2\nG2\t3\t4\nG3\t5\t6\n")
    genes = pd.DataFrame({
        "chrom": ["chr1", "chr2"], "start": [100, 500], "end": [200, 900],
        "gene_id": ["G1", "ENSG2"], "symbol": ["S1", "g2"], "strand": ["+", "-"],
    })
    adata = read_expression(f, genes=genes)
    var = adata.var
    assert var.loc["G1", "chrom"] == "chr1" and var.loc["G1", "tss"] == 100
    assert var.loc["G2", "chrom"] == "chr2" and var.loc["G2", "tss"] == 899  # by symbol, - strand
    assert var["placed"].tolist() == [True, True, False]


@pytest.mark.parametrize(
    ("text", "where", "expected"),
    [
        ("gene\t0\t1\nA\t1\tx\n", "line 2, column 3", "a number"),
        ("gene\t0\t1\nA\t1\t2\nA\t3\t4\n", "line 3", "unique gene ids"),
        ("gene\t0\twt\nA\t1\t2\n", "line 1, column 3", "a sample time such as"),
        # samples x genes: the times are in the first column, the genes in the header
        ("time\tYAL001C\tYAL002W\tYAL003W\n0\t1\t2\t5\n7\t3\t4\t6\n", "line 1, column 2",
         "genes as rows and samples as columns (the first column holds sample times"),
    ],
)
def test_bad_input_names_file_and_place(
    tmp_path: Path, text: str, where: str, expected: str
) -> None:
    f = _write(tmp_path / "bad.tsv", text)
    with pytest.raises(InputError) as err:
        read_expression(f)
    msg = str(err.value)
    assert msg.startswith(str(f)) and where in msg and expected in msg


def test_missing_file_and_missing_sample_time(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        read_expression(tmp_path / "nope.tsv")
    f = _write(tmp_path / "e.tsv", "gene\tr1\tr2\nA\t1\t2\n")
    with pytest.raises(InputError, match="sample 'r2'"):
        read_expression(f, sample_times={"r1": 0.0})


def test_real_spellman_alpha(data_dir: Path) -> None:
    f = data_dir / "yeast" / "expression" / "spellman1998_alpha_log2ratio.tsv.gz"
    adata = read_expression(f)
    assert adata.n_obs == 18 and adata.n_vars > 6000
    assert np.allclose(np.diff(adata.obs["time"]), 7.0)


def test_gene_join_ignores_accession_versions(tmp_path: Path) -> None:
    genes = pd.DataFrame({"gene_id": ["ENSG01", "ENSG02.3", "YAL001C"], "chrom": ["chr1"] * 3,
                          "start": [100, 200, 300], "end": [150, 250, 350],
                          "strand": ["+", "-", "+"], "symbol": ["TP53", "MYC", "TFC3"]})
    f = _write(tmp_path / "e.tsv", "gene\t0\t1\nENSG01.16\t1\t2\nENSG02\t1\t2\nENSG02.9\t1\t2\n"
               "myc\t1\t2\nYAL001C\t1\t2\nENSG03.1\t1\t2\n")
    adata = read_expression(f, genes=genes)
    # ENSG02.9 and myc name the gene ENSG02 already has: one gene is one node, not three
    assert adata.var["placed"].tolist() == [True, True, False, False, True, False]
    assert adata.var["start"].tolist()[:2] + adata.var["start"].tolist()[4:5] == [100, 200, 300]


def test_gene_ids_match_case_insensitively_and_shared_symbols_are_reported(
    tmp_path: Path, caplog
) -> None:
    genes = pd.DataFrame({"gene_id": ["YAL002W", "G1", "G2"], "chrom": ["chr1"] * 3,
                          "start": [100, 200, 300], "end": [150, 250, 350],
                          "strand": ["+"] * 3, "symbol": ["VPS8", "ABC1", "ABC1"]})
    f = _write(tmp_path / "e.tsv", "gene\t0\t1\nyal002w\t1\t2\nABC1\t1\t2\n")
    with caplog.at_level("WARNING", logger="hicexpr.io.expression"):
        adata = read_expression(f, genes=genes)
    assert adata.var["start"].tolist() == [100, 200]
    assert "1 genes matched by a symbol that several genes of the table share" in caplog.text


def test_header_one_cell_short_is_read_as_r_writes_it(tmp_path: Path) -> None:
    # R's write.table(row.names = TRUE): quoted header without a cell for the gene ids
    f = _write(tmp_path / "r.tsv", '"0"\t"7"\n"A"\t1\t2\n"B"\t3\t4\n')
    adata = read_expression(f)
    assert adata.var_names.tolist() == ["A", "B"]
    np.testing.assert_allclose(adata[:, "B"].X.ravel(), [3.0, 4.0])
    # a tab at the end of every gene row (Roadmap's RPKM tables) is not that layout
    g = _write(tmp_path / "t.tsv", "gene\t0\t7\nA\t1\t2\t\nB\t3\t4\t\n")
    np.testing.assert_allclose(read_expression(g)[:, "B"].X.ravel(), [3.0, 4.0])
    with pytest.raises(InputError, match="line 1: expected one sample name per value column"):
        read_expression(_write(tmp_path / "e.tsv", "\ng0\t0.0\n"))


def test_spreadsheet_missing_tokens_and_infinite_h5ad_values(tmp_path: Path) -> None:
    f = _write(tmp_path / "e.tsv", "gene\t0\t1\t2\nA\t#N/A\t2\tN/A\n")
    assert np.isnan(read_expression(f).X[[0, 2], 0]).all()
    X = np.array([[1.0, np.inf], [2.0, 3.0]])
    src = ad.AnnData(X=X, obs=pd.DataFrame({"time": [0.0, 1.0]}, index=["s1", "s2"]),
                     var=pd.DataFrame(index=["g1", "g2"]))
    src.write_h5ad(tmp_path / "inf.h5ad")
    with pytest.raises(InputError, match=r"X\[s1, g2\]: expected a finite number"):
        read_expression(tmp_path / "inf.h5ad")


def test_layouts_that_look_alike_are_told_apart(tmp_path: Path) -> None:
    # numeric Entrez ids with accession sample names: no "transpose" hint (more rows than columns)
    f = _write(tmp_path / "e.tsv", "gene\tGSM100\tGSM101\n7157\t1\t2\n672\t1\t2\n1\t1\t2\n")
    with pytest.raises(InputError, match="expected a sample time such as"):
        read_expression(f)
    # R's header (no id cell) with the last sample empty in every gene: kept, not dropped
    g = _write(tmp_path / "r.tsv", "\ufeff0h\t1h\t2h\ng1\t1\t2\t\ng2\t4\t5\t\n")
    adata = read_expression(g)
    assert adata.obs["time"].tolist() == [0.0, 1.0, 2.0]
    np.testing.assert_allclose(adata[:, "g2"].X.ravel(), [4.0, 5.0, np.nan])


def test_transposed_table_whose_gene_ids_read_as_times_is_named(tmp_path: Path) -> None:
    """``simg0001`` parses as a time label, so the header check cannot tell; the gene table can."""
    genes = pd.DataFrame({"gene_id": ["simg0001", "simg0002", "simg0003"], "chrom": "chr1",
                          "start": [0, 100, 200], "end": [50, 150, 250], "strand": "+"})
    f = _write(tmp_path / "t.tsv", "sample\tsimg0001\tsimg0002\tsimg0003\n"
               "t0\t1\t2\t3\nt10\t2\t3\t4\n")
    with pytest.raises(InputError, match=r"t.tsv: line 1: expected genes as rows and samples as "
                       r"columns \(the header names genes of the gene table: transpose"):
        read_expression(f, genes=genes)
    long = _write(tmp_path / "long.tsv", "gene\t0h\t1h\nA\t1\t2\nB\t1\t2\t3\n")
    with pytest.raises(InputError, match=r"long\.tsv: line 3: expected 3 cells as on line 2, "
                                         r"got '4'"):
        read_expression(long)
    ok = _write(tmp_path / "ok.tsv", "gene\tt0\tt10\nsimg0001\t1\t2\nother\t1\t2\n")
    assert read_expression(ok, genes=genes).var["placed"].tolist() == [True, False]


def test_ids_mostly_absent_from_the_gene_table_warn_with_an_example(tmp_path, caplog) -> None:
    import logging

    expr = _write(tmp_path / "e.tsv", "gene\tt1\tt2\nGA\t1\t2\nX1\t1\t2\nX2\t3\t4\n")
    genes = pd.DataFrame({"gene_id": ["GA"], "chrom": ["chr1"], "start": [0], "end": [10],
                          "strand": ["+"]})
    with caplog.at_level(logging.INFO, logger="hicexpr.io.expression"):
        adata = read_expression(expr, genes=genes)
    assert adata.var["placed"].tolist() == [True, False, False]
    warned = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert [r.getMessage() for r in warned] == [
        "2 of 3 genes are not in the gene table (e.g. X1)"]


def test_h5ad_with_a_repeated_gene_id_is_refused_as_a_table_is(tmp_path: Path) -> None:
    import warnings

    src = ad.AnnData(np.ones((3, 3)), obs=pd.DataFrame(index=["0h", "1h", "2h"]),
                     var=pd.DataFrame(index=["GA", "GB", "GA"]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # anndata warns about the repeated name
        src.write_h5ad(tmp_path / "dup.h5ad")
    with pytest.raises(InputError, match=r"dup\.h5ad: var_names\[2\]: expected unique gene "
                                         r"ids, got 'GA'"):
        read_expression(tmp_path / "dup.h5ad")


def test_a_row_without_a_gene_id_is_refused_naming_its_line(tmp_path: Path) -> None:
    f = _write(tmp_path / "e.tsv", "gene\t0h\t1h\nA\t1\t2\n\t3\t4\n")
    with pytest.raises(InputError, match=r"e\.tsv: line 3, column 1: expected a gene id, got "
                                         r"'an empty cell'"):
        read_expression(f)


def test_a_row_cut_short_is_refused_not_read_as_missing_values(tmp_path: Path) -> None:
    f = _write(tmp_path / "e.tsv", "gene\t0h\t1h\t2h\nA\t1\t2\t3\nB\t1\t2\nC\t1\t\t3\n")
    with pytest.raises(InputError, match=r"e\.tsv: line 3: expected 4 cells as on line 2, "
                                         r"got '3'"):
        read_expression(f)
    long = _write(tmp_path / "long.tsv", "gene\t0h\t1h\nA\t1\t2\nB\t1\t2\t3\n")
    with pytest.raises(InputError, match=r"long\.tsv: line 3: expected 3 cells as on line 2, "
                                         r"got '4'"):
        read_expression(long)
    ok = _write(tmp_path / "ok.tsv", "gene\t0h\t1h\t2h\nA\t1\t2\t3\nC\t1\t\t3\n")
    assert np.isnan(read_expression(ok).X[1, 1])  # an empty cell is a missing value


def test_comment_line_other_delimiter_and_non_utf8_text_are_named(tmp_path: Path) -> None:
    comment = _write(tmp_path / "c.tsv", "# exported by tool\ngene\t0h\t1h\nA\t1\t2\n")
    with pytest.raises(InputError, match=r"c\.tsv: line 1: expected the header .*comment lines "
                                         r"are not read"):
        read_expression(comment)
    hashed = _write(tmp_path / "h.tsv", "#gene\t0h\t1h\nA\t1\t2\n")
    assert read_expression(hashed).var_names.tolist() == ["A"]  # a '#' header is read
    semi = _write(tmp_path / "s.csv", "gene;0h;1h\nA;0,5;1,5\n")
    with pytest.raises(InputError, match=r"s\.csv: line 1: expected comma-separated cells, as the "
                                         r"file name says \(\.csv\), got "
                                         r"'cells separated by semicolons'"):
        read_expression(semi)
    latin1 = tmp_path / "l.tsv"
    latin1.write_bytes("gene\t0h\t1h\nA\t1\t2\nB\u00e9\t3\t4\n".encode("latin-1"))
    with pytest.raises(InputError, match=r"l\.tsv: line 3: expected UTF-8 text .*got "
                                         r"'byte 0xe9'"):
        read_expression(latin1)
    times = tmp_path / "times.tsv"
    times.write_bytes("S1\t0\nS\u00e92\t1\n".encode("latin-1"))
    from hicexpr.io.expression import read_sample_times

    with pytest.raises(InputError, match=r"times\.tsv: line 2: expected UTF-8 text"):
        read_sample_times(times)

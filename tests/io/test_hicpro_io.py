"""HiC-Pro sparse matrices (+ _abs.bed bins) read as coolers: round trips and bad inputs."""

from __future__ import annotations

from pathlib import Path

import cooler
import numpy as np
import pandas as pd
import pytest
import yaml

from hicexpr.io import contacts, hicpro
from hicexpr.io.contacts import contact_format, convert_contacts, open_contacts, require_balanced
from hicexpr.lib.errors import InputError

pytestmark = pytest.mark.usefixtures("isolated_cache")


def _source(tmp_path: Path, chr1: int = 9_500) -> cooler.Cooler:
    """Two chromosomes, chr1 ending in a short bin; some bins without contacts."""
    bins = cooler.binnify(pd.Series({"chr1": chr1, "chr2": 6_000}), 1000)
    i, j = np.triu_indices(len(bins))
    pixels = pd.DataFrame({"bin1_id": i, "bin2_id": j, "count": 100 // (j - i + 1)})
    pixels = pixels[(pixels["count"] > 4) & (pixels["bin1_id"] != 3) & (pixels["bin2_id"] != 3)]
    cooler.create_cooler(str(tmp_path / "src.cool"), bins, pixels)
    return cooler.Cooler(str(tmp_path / "src.cool"))


def _write_bed(clr: cooler.Cooler, path: Path) -> Path:
    bins = clr.bins()[:][["chrom", "start", "end"]].assign(id=np.arange(1, clr.info["nbins"] + 1))
    path.parent.mkdir(parents=True, exist_ok=True)
    bins.to_csv(path, sep="\t", header=False, index=False)
    return path


def _write_matrix(pixels: pd.DataFrame, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    table = pd.DataFrame({"i": pixels["bin1_id"] + 1, "j": pixels["bin2_id"] + 1,
                          "v": pixels["count"]})
    table.to_csv(path, sep="\t", header=False, index=False,
                 compression="gzip" if path.name.endswith(".gz") else None)
    return path


def _hicpro_raw(tmp_path: Path) -> tuple[cooler.Cooler, Path]:
    src = _source(tmp_path)
    _write_bed(src, tmp_path / "s_1000_abs.bed")
    return src, _write_matrix(src.pixels()[:], tmp_path / "s_1000.matrix")


def _same_pixels(clr: cooler.Cooler, want: pd.DataFrame) -> None:
    got = clr.pixels()[:]
    np.testing.assert_array_equal(got[["bin1_id", "bin2_id"]], want[["bin1_id", "bin2_id"]])
    np.testing.assert_allclose(got["count"], want["count"])


def test_raw_matrix_round_trip_keeps_bins_and_integer_counts(tmp_path):
    src, matrix = _hicpro_raw(tmp_path)
    assert contact_format(matrix) == "hicpro"
    clr = open_contacts(matrix)
    pd.testing.assert_frame_equal(clr.bins()[:], src.bins()[:])
    assert clr.chromsizes.to_dict() == {"chr1": 9_500, "chr2": 6_000}
    _same_pixels(clr, src.pixels()[:])
    assert np.issubdtype(clr.pixels()[:]["count"].dtype, np.integer)
    assert clr.info["metadata"]["format"] == "hicpro"
    with pytest.raises(InputError, match="hicexpr contacts balance"):
        require_balanced(clr)  # raw counts: the user balances


def test_iced_matrix_in_hicpro_layout_is_normalised_with_unit_weights(tmp_path):
    src = _source(tmp_path)
    _write_bed(src, tmp_path / "matrix/s/raw/1000/s_1000_abs.bed")
    iced = src.pixels()[:].assign(count=lambda d: d["count"] / 7.0)
    matrix = _write_matrix(iced, tmp_path / "matrix/s/iced/1000/s_1000_iced.matrix")
    clr = open_contacts(matrix)  # bins found in HiC-Pro's raw/<res>/ folder
    _same_pixels(clr, iced)
    weight = clr.bins()[:]["weight"].to_numpy()
    assert np.isnan(weight[3]) and (weight[np.arange(len(weight)) != 3] == 1).all()
    require_balanced(clr)
    balanced = clr.matrix(balance=True, as_pixels=True)[:, :]
    np.testing.assert_allclose(balanced["balanced"], iced["count"])


def test_a_raw_named_matrix_with_fractions_is_taken_as_normalised(tmp_path):
    src = _source(tmp_path)
    _write_bed(src, tmp_path / "s_1000_abs.bed")
    values = src.pixels()[:].assign(count=lambda d: d["count"] + 0.25)
    clr = open_contacts(_write_matrix(values, tmp_path / "s_1000.matrix"))
    _same_pixels(clr, values)  # not truncated to integers
    assert "weight" in clr.bins().columns


def test_explicit_bins_file_for_a_matrix_named_otherwise(tmp_path):
    src = _source(tmp_path)
    bed = _write_bed(src, tmp_path / "bins" / "any.bed")
    matrix = _write_matrix(src.pixels()[:], tmp_path / "contacts.matrix.gz")
    _same_pixels(open_contacts(matrix, bins=bed), src.pixels()[:])
    out = convert_contacts(matrix, tmp_path / "out.cool", bins=bed)
    _same_pixels(cooler.Cooler(str(out)), src.pixels()[:])


def test_missing_bins_file_is_named(tmp_path):
    src = _source(tmp_path)
    matrix = _write_matrix(src.pixels()[:], tmp_path / "s_1000.matrix")
    with pytest.raises(InputError) as err:
        open_contacts(matrix)
    assert str(err.value) == (f"{matrix}: bins file: expected s_1000_abs.bed next to the HiC-Pro "
                              "matrix, or --bins BED, got 'none'")
    with pytest.raises(InputError, match="expected an existing HiC-Pro bins file"):
        open_contacts(matrix, bins=tmp_path / "nope.bed")


def test_bins_file_refused_for_a_cooler(tmp_path):
    src = _source(tmp_path)
    bed = _write_bed(src, tmp_path / "s_abs.bed")
    with pytest.raises(InputError, match="bins: expected a HiC-Pro sparse matrix"):
        open_contacts(tmp_path / "src.cool", bins=bed)


def test_dense_matrix_file_is_still_dense(tmp_path):
    labels = [f"chr1:{i * 100}-{(i + 1) * 100}" for i in range(3)]
    mat = np.arange(9.0).reshape(3, 3)
    mat = mat + mat.T
    path = tmp_path / "m.matrix"
    pd.DataFrame(mat, index=labels, columns=labels).to_csv(path, sep="\t")
    assert contact_format(path) == "dense"
    np.testing.assert_allclose(open_contacts(path).matrix(balance=False)[:, :], mat)


def test_unsorted_and_chunked_matrices_give_the_same_pixels(tmp_path, monkeypatch):
    src, _ = _hicpro_raw(tmp_path)
    want = src.pixels()[:]
    monkeypatch.setattr(hicpro, "HICPRO_CHUNK_ROWS", 7)  # pixels cross chunk boundaries
    monkeypatch.setattr(contacts, "STEP_MERGE_ROWS", 20)  # several on-disk merge blocks
    bed = tmp_path / "s_1000_abs.bed"
    shuffled = want.sample(frac=1, random_state=3)
    _same_pixels(open_contacts(_write_matrix(shuffled, tmp_path / "u.matrix"), bins=bed), want)
    repeated = pd.concat([want.iloc[:7], want.iloc[6:]])  # line 7 repeated in the next chunk
    doubled = want.copy()
    doubled.loc[doubled.index[6], "count"] *= 2
    _same_pixels(open_contacts(_write_matrix(repeated, tmp_path / "r.matrix"), bins=bed), doubled)


def test_conversion_is_cached_and_follows_the_bins_file(tmp_path, monkeypatch):
    src, matrix = _hicpro_raw(tmp_path)
    first = open_contacts(matrix).filename
    assert open_contacts(matrix).filename == first
    bed = tmp_path / "other.bed"
    bed.write_text((tmp_path / "s_1000_abs.bed").read_text())
    assert open_contacts(matrix, bins=bed).filename != first


def test_resolution_must_be_the_bin_size(tmp_path):
    _, matrix = _hicpro_raw(tmp_path)
    with pytest.raises(InputError, match="resolution: expected the bin size of its bins file "
                       "1000, got 5000"):
        open_contacts(matrix, resolution=5000)
    assert open_contacts(matrix, resolution=1000).binsize == 1000


def test_mcool_from_a_hicpro_matrix(tmp_path):
    src, matrix = _hicpro_raw(tmp_path)
    out = convert_contacts(matrix, tmp_path / "s.mcool")
    _same_pixels(cooler.Cooler(f"{out}::resolutions/1000"), src.pixels()[:])


def _bad_matrix(tmp_path: Path, text: str) -> str:
    _write_bed(_source(tmp_path), tmp_path / "s_1000_abs.bed")
    (tmp_path / "s_1000.matrix").write_text(text)
    with pytest.raises(InputError) as err:
        open_contacts(tmp_path / "s_1000.matrix")
    return str(err.value).replace(f"{tmp_path}/", "")


def test_matrix_errors_name_the_line(tmp_path):
    assert _bad_matrix(tmp_path, "1\t1\t5\n1\t17\t3\n") == (
        "s_1000.matrix: line 2: expected a bin_j of s_1000_abs.bed (1..16), got 17")
    assert _bad_matrix(tmp_path, "1\t1\t5\n1\t2\tmany\n") == (
        "s_1000.matrix: line 2: expected a finite number in column count, got 'many'")
    assert _bad_matrix(tmp_path, "1\t1\t5\n3\t2\t1\n") == (
        "s_1000.matrix: line 2: expected bin_i <= bin_j (HiC-Pro's upper triangle), got '3 > 2'")
    assert _bad_matrix(tmp_path, "1\t1\t5\n1.5\t2\t1\n") == (
        "s_1000.matrix: line 2: expected a whole number in column bin_i, got '1.5'")
    assert _bad_matrix(tmp_path, "1\t1\t5\t0\n") == (
        "s_1000.matrix: line 1: expected 3 columns: bin_i bin_j count (HiC-Pro sparse matrix), "
        "got '4 columns'")


def _bad_bed(tmp_path: Path, lines: list[str]) -> str:
    (tmp_path / "s_1000_abs.bed").write_text("".join(f"{line}\n" for line in lines))
    (tmp_path / "s_1000.matrix").write_text("1\t1\t5\n")
    with pytest.raises(InputError) as err:
        open_contacts(tmp_path / "s_1000.matrix")
    return str(err.value).replace(f"{tmp_path}/", "")


def test_bins_file_errors_name_the_line(tmp_path):
    assert _bad_bed(tmp_path, ["chr1\t0\t1000\t1", "chr1\t500\t2000\t2"]) == (
        "s_1000_abs.bed: line 2: expected bins tiling chr1 from 0 in order (start = previous "
        "end 1000, end > start; no overlap or gap), got '500-2000'")
    assert _bad_bed(tmp_path, ["chr1\t0\t1000\t1", "chr2\t0\t1000\t2", "chr1\t1000\t2000\t3"]) \
        == ("s_1000_abs.bed: line 3: expected the bins of chr1 in one block of lines (sorted "
            "bins), got 'chr1 again'")
    assert _bad_bed(tmp_path, ["chr1\t0\t1000\t1", "chr1\t1000\t2000\t3"]) == (
        "s_1000_abs.bed: line 2: expected bin id 2 (ids 1, 2, 3... in line order), got 3")
    assert _bad_bed(tmp_path, ["chr1\t0\t1000", "chr1\t1000\t2000"]) == (
        "s_1000_abs.bed: line 1: expected 4 columns: chrom start end bin_id (HiC-Pro _abs.bed), "
        "got '3 columns'")
    assert _bad_bed(tmp_path, ["chr1\t0\t1000\t1", "chr1\t1000\tend\t2"]) == (
        "s_1000_abs.bed: line 2: expected a whole number in column end, got 'end'")


def test_cli_convert_and_pairs_take_a_bins_file(tmp_path):
    from typer.testing import CliRunner

    from hicexpr.cli import app

    src = _source(tmp_path)
    bed = _write_bed(src, tmp_path / "bins.bed")
    matrix = _write_matrix(src.pixels()[:], tmp_path / "contacts.matrix")
    result = CliRunner().invoke(app, ["contacts", "convert", str(matrix), str(tmp_path / "o.cool"),
                                      "--bins", str(bed)])
    assert result.exit_code == 0, result.output
    _same_pixels(cooler.Cooler(str(tmp_path / "o.cool")), src.pixels()[:])
    genes = tmp_path / "genes.bed"
    genes.write_text("chr1\t100\t200\tg1\t0\t+\nchr1\t2100\t2200\tg2\t0\t+\n")
    result = CliRunner().invoke(app, ["contacts", "pairs", "--hic", str(matrix), "--genes",
                                      str(genes), "--out", str(tmp_path / "p.tsv"),
                                      "--balance", "raw", "--bins", str(bed)])
    assert result.exit_code == 0, result.output
    pairs = pd.read_csv(tmp_path / "p.tsv", sep="\t")
    assert pairs[["gene1", "gene2", "count"]].values.tolist() == [["g1", "g2", 33]]


def test_forecast_maps_open_a_hicpro_matrix(tmp_path):
    from hicexpr.datasets.forecasting import _open_map

    src, matrix = _hicpro_raw(tmp_path)
    _same_pixels(_open_map(matrix, None), src.pixels()[:])


def test_cli_features_take_a_bins_file(tmp_path):
    from typer.testing import CliRunner

    from hicexpr.cli import app

    src = _source(tmp_path, chr1=40_500)
    bed = _write_bed(src, tmp_path / "bins.bed")
    matrix = _write_matrix(src.pixels()[:], tmp_path / "contacts.matrix")
    genes = tmp_path / "genes.bed"
    starts = range(500, 40_000, 4000)
    genes.write_text("".join(f"chr1\t{s}\t{s + 100}\tg{s}\t0\t+\n" for s in starts))
    result = CliRunner().invoke(app, ["contacts", "features", "--hic", str(matrix), "--genes",
                                      str(genes), "--out", str(tmp_path / "run"), "--bins",
                                      str(bed)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "run" / "COMPLETE").exists()
    assert yaml.safe_load((tmp_path / "run" / "config.yaml").read_text())["bins"] == str(bed)

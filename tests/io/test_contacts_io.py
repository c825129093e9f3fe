"""Contact-map readers (.cool, .mcool, .hic, STEP text, dense TSV), balancing, chromosome names."""

from __future__ import annotations

from pathlib import Path

import cooler
import numpy as np
import pandas as pd
import pytest

from hicexpr.io.chroms import chrom_mapping, harmonise_chroms
from hicexpr.io.contacts import (
    balance_contacts,
    convert_contacts,
    multiplicative_weights,
    open_contacts,
    require_balanced,
)
from hicexpr.lib.errors import InputError

pytestmark = pytest.mark.usefixtures("isolated_cache")


def _tiny_cool(path, binsize=1000, n=10):
    bins = cooler.binnify(pd.Series({"chr1": n * binsize}), binsize)
    i, j = np.triu_indices(n)
    rng = np.random.default_rng(1)
    pixels = pd.DataFrame({"bin1_id": i, "bin2_id": j,
                           "count": 100 // (j - i + 1) + rng.integers(0, 5, len(i))})
    cooler.create_cooler(str(path), bins, pixels, assembly="hg19")
    return path


def test_cool_resolution_checked(data_dir):
    path = data_dir / "yeast/hic/yeast.10kb.cool"  # an old (v2) cooler
    clr = open_contacts(path)
    assert clr.binsize == 10_000 and "chrI" in clr.chromnames
    with pytest.raises(InputError, match="resolution: expected the map's bin size 10000"):
        open_contacts(path, resolution=5000)


def test_mcool_needs_a_resolution(tmp_path):
    base = _tiny_cool(tmp_path / "a.cool")
    mcool = tmp_path / "a.mcool"
    cooler.zoomify_cooler(str(base), str(mcool), [1000, 2000], chunksize=10_000)
    with pytest.raises(InputError, match=r"available: 1000, 2000"):
        open_contacts(mcool)
    assert open_contacts(mcool, resolution=2000).binsize == 2000
    assert open_contacts(f"{mcool}::resolutions/1000").binsize == 1000
    with pytest.raises(InputError, match="one of 1000, 2000"):
        open_contacts(mcool, resolution=5000)


def test_mcool_unknown_group_is_named_not_cooler_s_message(tmp_path):
    mcool = tmp_path / "a.mcool"
    cooler.zoomify_cooler(str(_tiny_cool(tmp_path / "a.cool")), str(mcool), [1000, 2000],
                          chunksize=10_000)
    with pytest.raises(InputError) as err:
        open_contacts(f"{mcool}::resolutions/5000")
    assert str(err.value).endswith("(one of /resolutions/1000, /resolutions/2000), got "
                                   "'no such group'")


def test_chromosome_names_error_names_the_users_map_not_the_cache(tmp_path):
    labels = [f"chr2:{i * 100}-{(i + 1) * 100}" for i in range(4)]
    path = tmp_path / "m.tsv"
    pd.DataFrame(np.eye(4) + 1, index=labels, columns=labels).to_csv(path, sep="\t")
    genes = pd.DataFrame({"gene_id": ["a"], "chrom": ["chrZ"], "start": [10], "end": [20]})
    with pytest.raises(InputError, match=rf"the map {path} \(assembly unknown\)"):
        harmonise_chroms(genes, open_contacts(path))


def test_hic_converted_with_counts_and_norms(data_dir):
    import hictkpy

    path = data_dir / "formats/hg19_2.5Mb_test.hic"
    clr = open_contacts(path)
    assert clr.binsize == 2_500_000 and clr.info["genome-assembly"] == "hg19"
    hic = hictkpy.File(str(path), 2_500_000)
    want = hic.fetch("2").to_df()["count"].sum()
    assert clr.matrix(balance=False, as_pixels=True).fetch("2")["count"].sum() == want
    assert {"KR", "VC"} <= set(clr.bins().columns)
    with pytest.raises(InputError, match="one of 2500000"):
        open_contacts(path, resolution=1_000_000)


def test_step_text_values_and_assembly(data_dir):
    folder = data_dir / "step/hic_mESC_HindIII_1mb"
    clr = open_contacts(folder)
    assert clr.binsize == 1_000_000 and len(clr.chromnames) == 20
    mat = clr.matrix(balance=True).fetch("chr17")
    assert mat[24, 34] == pytest.approx(116.5836) and mat[34, 24] == mat[24, 34]
    assert clr.chromsizes["chr1"] == 99_000_000  # data extent without an assembly
    mm9 = open_contacts(folder, assembly="mm9")
    assert mm9.chromsizes["chr1"] == 197_195_432 and mm9.info["genome-assembly"] == "mm9"
    one = open_contacts(folder / "HindIII_mESC.nor.chr19_1mb_contact_map.txt")
    assert one.chromnames == ["chr19"]


def _step_lines(rng):
    """Upper-band 1 kb lines of one chromosome, some pixels listed 2-3 times, in sorted order."""
    i, j = np.nonzero(np.triu(np.ones((40, 40), bool)) & ~np.triu(np.ones((40, 40), bool), 6))
    reps = rng.integers(1, 4, len(i))
    lines = pd.DataFrame({"pos1": np.repeat(i, reps) * 1000, "pos2": np.repeat(j, reps) * 1000,
                          "value": rng.integers(1, 500, reps.sum()) / 4})
    return lines.sort_values(["pos1", "pos2"], kind="stable", ignore_index=True)


def _converted_pixels(lines, path, resolution, monkeypatch):
    calls = []
    create = cooler.create_cooler
    monkeypatch.setattr(cooler, "create_cooler", lambda *a, **k: calls.append(k["ordered"])
                        or create(*a, **k))
    lines.to_csv(path, sep=" ", header=False, index=False)
    clr = cooler.Cooler(str(convert_contacts(path, path.with_suffix(".cool"), resolution)))
    return clr.pixels()[:][["bin1_id", "bin2_id", "count"]], calls[0]


@pytest.mark.parametrize("resolution", [None, 500])
def test_step_sorted_text_streams_in_order_like_the_merge(tmp_path, monkeypatch, resolution):
    import hicexpr.io.contacts as contacts

    # tiny chunks and merge blocks: repeated pixels straddle chunk boundaries on both paths
    monkeypatch.setattr(contacts, "STEP_CHUNK_ROWS", 7)
    monkeypatch.setattr(contacts, "STEP_MERGE_ROWS", 20)
    lines = _step_lines(np.random.default_rng(3))
    b1, b2 = lines["pos1"] // (resolution or 1000), lines["pos2"] // (resolution or 1000)
    want = lines.groupby([b1, b2])["value"].mean()  # every pixel: the mean of its lines
    got, ordered = _converted_pixels(lines, tmp_path / "chr2_sorted.txt", resolution,
                                     monkeypatch)
    assert ordered and got["bin2_id"].ge(got["bin1_id"]).all()
    assert list(zip(got["bin1_id"], got["bin2_id"], strict=True)) == list(want.index)
    np.testing.assert_allclose(got["count"], want.to_numpy(), rtol=1e-12)
    # the same lines shuffled, half of them as the lower triangle: cooler's sort and merge
    mixed = lines.sample(frac=1, random_state=4, ignore_index=True)
    flip = np.arange(len(mixed)) % 2 == 1
    mixed.loc[flip, ["pos1", "pos2"]] = mixed.loc[flip, ["pos2", "pos1"]].to_numpy()
    merged, ordered = _converted_pixels(mixed, tmp_path / "chr2_mixed.txt", resolution,
                                        monkeypatch)
    assert not ordered
    pd.testing.assert_frame_equal(merged[["bin1_id", "bin2_id"]], got[["bin1_id", "bin2_id"]])
    np.testing.assert_allclose(merged["count"], got["count"], rtol=1e-12)


def test_step_stream_refuses_pixels_out_of_order(tmp_path):
    from hicexpr.io.contacts import _in_order, _pairs_sorted

    assert _pairs_sorted(np.array([1, 1, 2]), np.array([3, 3, 0]), (0, 9))
    assert not _pairs_sorted(np.array([1, 1]), np.array([3, 4]), (1, 5))
    chunks = [pd.DataFrame({"bin1_id": [0, 1], "bin2_id": [2, 3], "count": [1.0, 2.0], "n": 1}),
              pd.DataFrame({"bin1_id": [1, 2], "bin2_id": [3, 2], "count": [4.0, 8.0], "n": 1}),
              pd.DataFrame({"bin1_id": [0], "bin2_id": [5], "count": [1.0], "n": 1})]
    out = _in_order(iter(chunks), tmp_path / "chr1.txt")
    assert next(out)["count"].tolist() == [1.0]
    joined = next(out)  # pixel (1, 3) from both chunks: summed once
    assert joined["count"].tolist() == [6.0] and joined["n"].tolist() == [2]
    with pytest.raises(InputError, match=r"sorted by \(bin1, bin2\).*\(0, 5\) after \(2, 2\)"):
        next(out)


def test_dense_tsv_round_trip(tmp_path):
    labels = [f"chr2:{i * 100}-{(i + 1) * 100}" for i in range(4)]
    mat = np.array([[5, 2, 1, 0], [2, 6, 3, 1], [1, 3, 7, 2], [0, 1, 2, 8]], float)
    path = tmp_path / "m.tsv"
    pd.DataFrame(mat, index=labels, columns=labels).to_csv(path, sep="\t")
    out = convert_contacts(path, tmp_path / "m.cool")
    clr = cooler.Cooler(str(out))
    np.testing.assert_array_equal(clr.matrix(balance=False)[:, :], mat)
    bad = tmp_path / "bad.tsv"
    bad.write_text("x\t1\t2\ny\t2\t1\n")
    with pytest.raises(InputError, match="line 1: expected a first column label"):
        open_contacts(bad)


def test_convert_refuses_an_output_that_is_not_a_cooler_before_reading(tmp_path):
    src = _tiny_cool(tmp_path / "map.cool")
    with pytest.raises(InputError, match=r"map.txt: expected an output name ending in .cool or "
                       r".mcool, got 'map.txt'"):  # read back, .txt would be STEP text
        convert_contacts(tmp_path / "missing.hic", tmp_path / "map.txt")
    assert not (tmp_path / "map.txt").exists()
    assert cooler.Cooler(str(convert_contacts(src, tmp_path / "copy.COOL"))).binsize == 1000


def test_require_balanced_names_the_fix(data_dir):
    src = data_dir / "human_gm12878_hg19/hic/GM12878_Rao2014_rep_chr22_50kb.cool"
    with pytest.raises(InputError, match="run `hicexpr contacts balance MAP`"):
        require_balanced(open_contacts(src), src)
    hic = open_contacts(data_dir / "formats/hg19_2.5Mb_test.hic")
    with pytest.raises(InputError, match="pass --weight NAME"):
        require_balanced(hic)
    kr, column = multiplicative_weights(hic, "KR")  # Juicer's KR, made multiplicative
    require_balanced(kr, weight=column)


def test_hic_uri_names_its_resolution(data_dir):
    hic = data_dir / "formats/hg19_2.5Mb_test.hic"
    assert open_contacts(f"{hic}::resolutions/2500000").binsize == 2_500_000
    with pytest.raises(InputError, match="resolution: expected 2500000 .the path's resolution"):
        open_contacts(f"{hic}::resolutions/2500000", resolution=1_000_000)


def test_read_only_map_is_not_balanced_in_place(tmp_path):
    src = _tiny_cool(tmp_path / "shared.cool", n=60)
    Path(src).chmod(0o444)  # refused by its mode even for root, who may write any file
    before = Path(src).read_bytes()
    with pytest.raises(InputError, match=r"shared.cool: expected a writable map to balance in "
                       r"place \(or --out COPY.cool\), got 'a read-only file'"):
        balance_contacts(src)
    assert Path(src).read_bytes() == before
    require_balanced(cooler.Cooler(str(balance_contacts(src, tmp_path / "copy.cool"))))


def test_balance_copy_leaves_original(tmp_path):
    src = _tiny_cool(tmp_path / "raw.cool", n=60)
    out = balance_contacts(src, tmp_path / "bal.cool")
    bal = cooler.Cooler(str(out))
    require_balanced(bal)
    assert "weight" not in open_contacts(src).bins().columns  # original untouched
    m = bal.matrix(balance=True)[:, :]
    for k in (-1, 0, 1):  # ICE ignores the first two diagonals
        idx = np.arange(max(0, -k), len(m) - max(0, k))
        m[idx, idx + k] = 0
    rows = np.nansum(m, axis=0)
    good = rows > 0
    assert np.allclose(rows[good], np.median(rows[good]), rtol=1e-2)  # ICE: equal row sums


def test_unknown_format_and_missing_file(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        open_contacts(tmp_path / "x.cool")
    odd = tmp_path / "x.xyz"
    odd.write_text("")
    with pytest.raises(InputError, match=".hic"):
        open_contacts(odd)


def test_chromosome_name_harmonisation():
    sizes = pd.Series({"chr1": 1000, "chrM": 100, "chrX": 900})
    assert chrom_mapping(["1", "MT", "X", "chrUn"], list(sizes.index)) == {
        "1": "chr1", "MT": "chrM", "X": "chrX"}
    yeast = pd.Series({"chr1": 230_000, "chr16": 948_000})
    genes = pd.DataFrame({"chrom": ["chrI", "chrXVI"], "start": [10, 20], "end": [900, 940_000]})
    assert harmonise_chroms(genes, yeast)["chrom"].tolist() == ["chr1", "chr16"]
    with pytest.raises(InputError, match="expected names matching the map"):
        harmonise_chroms(genes.assign(chrom=["scaffold_1", "scaffold_2"]), yeast)
    with pytest.raises(InputError, match="a gene ending at 2,000"):
        harmonise_chroms(pd.DataFrame({"chrom": ["1"], "start": [0], "end": [2000]}), sizes)

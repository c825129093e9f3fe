"""Contact-map readers (.cool, .mcool, .hic, STEP text, dense TSV), balancing, chromosome names."""

from __future__ import annotations

import cooler
import numpy as np
import pandas as pd
import pytest

from hicexpr.io.chroms import chrom_mapping, harmonise_chroms
from hicexpr.io.contacts import (
    balance_contacts,
    convert_contacts,
    open_contacts,
    require_balanced,
)
from hicexpr.lib.errors import InputError


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("HICEXPR_CACHE", str(tmp_path / "cache"))


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


def test_require_balanced_names_the_fix(data_dir):
    src = data_dir / "human_gm12878_hg19/hic/GM12878_Rao2014_rep_chr22_50kb.cool"
    with pytest.raises(InputError, match="run `hicexpr contacts balance MAP`"):
        require_balanced(open_contacts(src), src)
    hic = open_contacts(data_dir / "formats/hg19_2.5Mb_test.hic")
    with pytest.raises(InputError, match="pass --weight NAME"):
        require_balanced(hic)
    require_balanced(hic, weight="KR")


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

"""Audit fixes: .mcool output of `contacts convert`, divisive (Juicer KR) weights, all-zero maps,
resolutions cooler does not list, and the `contacts pairs` option checks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import cooler
import h5py
import numpy as np
import pandas as pd
import pytest

from hicexpr.contacts import gene_pair_contacts, insulation
from hicexpr.contacts.features import compartments
from hicexpr.contacts.pairs import check_pair_options
from hicexpr.io.contacts import (
    balance_contacts,
    convert_contacts,
    open_contacts,
    require_balanced,
)
from hicexpr.lib.errors import InputError

HICEXPR = Path(sys.executable).with_name("hicexpr")


def _genes_bed(path: Path, chrom: str = "chr1", n: int = 12, step: int = 150_000) -> Path:
    lines = [f"{chrom}\t{i * step + 5_000}\t{i * step + 9_000}\tg{i}\t0\t+" for i in range(n)]
    path.write_text("\n".join(lines) + "\n")
    return path


def _balanced(synthetic_cool) -> cooler.Cooler:
    path = synthetic_cool({"chr1": 2_000_000, "chr2": 1_500_000}, 50_000)
    balance_contacts(path)
    return cooler.Cooler(str(path))


def test_convert_to_mcool_round_trips_into_features(synthetic_cool, tmp_path: Path) -> None:
    from hicexpr.workflows.contacts import run_contact_features

    src = synthetic_cool({"chr1": 3_000_000, "chr2": 2_000_000}, 50_000)
    out = convert_contacts(src, tmp_path / "map.mcool")
    groups = cooler.fileops.list_coolers(str(out))
    assert groups[0] == "/resolutions/50000" and len(groups) > 1  # a real multi-resolution file
    assert open_contacts(out, 50_000).pixels()[:].equals(cooler.Cooler(str(src)).pixels()[:])
    genes = _genes_bed(tmp_path / "genes.bed")
    run = run_contact_features(out, genes, tmp_path / "run", resolution=50_000)
    assert (run / "COMPLETE").exists()
    # the converted map gives the features of the map it came from
    ref = run_contact_features(src, genes, tmp_path / "ref")
    got = pd.read_csv(run / "gene_features.tsv", sep="\t")
    want = pd.read_csv(ref / "gene_features.tsv", sep="\t")
    assert len(got) == 12 and got["insulation"].notna().sum() >= 10
    pd.testing.assert_frame_equal(got, want)


def test_legacy_mcool_with_a_root_cooler_opens(synthetic_cool, tmp_path: Path) -> None:
    src = synthetic_cool({"chr1": 1_000_000}, 50_000)
    legacy = tmp_path / "old.mcool"
    cooler.fileops.cp(str(src), str(legacy))  # what `contacts convert x.mcool` used to write
    assert open_contacts(legacy).binsize == 50_000


def test_resolution_group_that_cooler_does_not_list(synthetic_cool, tmp_path: Path) -> None:
    src = synthetic_cool({"chr1": 2_000_000}, 50_000)
    out = convert_contacts(src, tmp_path / "map.mcool")
    with h5py.File(out, "r+") as h5:  # as `cooler zoomify` copies an old format-2 cooler
        del h5["resolutions/100000"].attrs["format"]
    assert "/resolutions/100000" not in cooler.fileops.list_coolers(str(out))
    assert open_contacts(out, 100_000).binsize == 100_000
    with pytest.raises(InputError, match="expected one of 50000"):
        open_contacts(out, 300_000)


def _with_divisive_kr(clr: cooler.Cooler) -> cooler.Cooler:
    """The map plus a Juicer-style divisive ``KR`` column equal to 1 / ICE weight."""
    weight = clr.bins()["weight"][:].to_numpy()
    cooler.create.append(clr.uri, "bins", {"KR": 1.0 / weight})
    return cooler.Cooler(clr.uri)


def test_divisive_kr_weights_give_the_ice_results(synthetic_cool) -> None:
    clr = _with_divisive_kr(_balanced(synthetic_cool))
    ins_w, ins_kr = insulation(clr, weight="weight"), insulation(clr, weight="KR")
    np.testing.assert_allclose(ins_kr["insulation"], ins_w["insulation"], equal_nan=True)
    comp_w, comp_kr = compartments(clr, weight="weight"), compartments(clr, weight="KR")
    np.testing.assert_allclose(comp_kr["E1"], comp_w["E1"], atol=1e-12, equal_nan=True)
    genes = pd.DataFrame({"chrom": "chr1", "start": np.arange(10) * 150_000, "gene_id":
                          [f"g{i}" for i in range(10)], "strand": "+"})
    genes = genes.assign(end=genes["start"] + 1_000, tss=genes["start"])
    p_w = gene_pair_contacts(clr, genes, weight="weight")
    p_kr = gene_pair_contacts(clr, genes, weight="KR")
    np.testing.assert_allclose(p_kr["balanced"], p_w["balanced"], equal_nan=True)
    assert "weight_KR" not in cooler.Cooler(clr.uri).bins().columns  # the input is unchanged
    with pytest.raises(InputError, match="balance: expected True or False"):
        gene_pair_contacts(clr, genes, balance="KR")  # a truthy string would mean `weight`
    with pytest.raises(InputError, match="max_distance: expected a distance in bp >= 0"):
        gene_pair_contacts(clr, genes, max_distance=-5)


def test_divisive_weights_refused_where_no_copy_is_made(synthetic_cool) -> None:
    clr = _with_divisive_kr(_balanced(synthetic_cool))
    with pytest.raises(InputError, match="weight column 'KR': expected multiplicative"):
        require_balanced(clr, weight="KR")


def test_weights_mode_gives_every_engine_a_multiplicative_column(synthetic_cool) -> None:
    from hicexpr.workflows.contacts import resolve_weights

    src = _with_divisive_kr(_balanced(synthetic_cool))
    clr, column, how = resolve_weights(src, "weights", "KR", "map.cool")
    assert column == "weight_KR" and how == "map weights 'KR'"
    require_balanced(clr, weight=column)  # what the --workers engine checks
    ice = src.bins()["weight"][:].to_numpy()
    assert np.isnan(ice).any() and np.isfinite(ice).sum() > 30  # masked bins stay masked
    np.testing.assert_allclose(clr.bins()[column][:].to_numpy(), ice, rtol=1e-12,
                               equal_nan=True)  # 1 / KR: the ICE weight again


def test_all_zero_map_is_not_balanced(tmp_path: Path) -> None:
    path = tmp_path / "zero.cool"
    bins = cooler.binnify(pd.Series({"chr1": 500_000}), 50_000)
    pixels = pd.DataFrame({"bin1_id": [], "bin2_id": [], "count": []}).astype(int)
    cooler.create_cooler(str(path), bins, pixels)
    with pytest.raises(InputError, match="zero.cool: pixels: expected a map with contacts"):
        balance_contacts(path)
    assert "weight" not in cooler.Cooler(str(path)).bins().columns


def test_map_with_every_bin_masked_leaves_no_output(synthetic_cool, tmp_path: Path) -> None:
    path = synthetic_cool({"chr1": 500_000}, 50_000)
    with pytest.raises(InputError, match="every bin masked"):
        balance_contacts(path, tmp_path / "out.cool", min_nnz=1_000)
    assert not (tmp_path / "out.cool").exists()
    assert "weight" not in cooler.Cooler(str(path)).bins().columns


@pytest.mark.parametrize(("kw", "message"), [
    ({"out": "pp.csv"}, "pp.csv: --out: expected a file ending in .tsv, .tsv.gz, .parquet, "
     ".bedpe, got 'pp.csv'"),
    ({"out": "pp.tsv", "max_distance": -5}, "--max-distance: expected a positive value"),
    ({"out": "pp.tsv", "top_k": 0}, "--top-k: expected a positive value, got 0"),
])
def test_pair_options_checked(kw: dict, message: str) -> None:
    with pytest.raises(InputError) as info:
        check_pair_options(**kw)
    assert message in str(info.value)


def test_cli_pairs_refuses_csv_before_any_work(synthetic_cool, tmp_path: Path) -> None:
    src = synthetic_cool({"chr1": 1_000_000}, 50_000)
    genes = _genes_bed(tmp_path / "genes.bed", n=5)
    proc = subprocess.run([str(HICEXPR), "-q", "contacts", "pairs", "--hic", str(src), "--genes",
                           str(genes), "--out", str(tmp_path / "pp.csv")],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        f"error: {tmp_path / 'pp.csv'}: --out: expected a file ending in .tsv, .tsv.gz, "
        ".parquet, .bedpe, got 'pp.csv'"]
    assert not (tmp_path / "pp.csv").exists()


@pytest.mark.parametrize(("kw", "message"), [
    ({"max_distance": 0}, "contacts features: max_distance: expected a positive value (bp), "
     "got 0"),
    ({"window_bp": -1}, "contacts features: window_bp: expected a positive value (bp), got -1"),
])
def test_features_refuse_zero_or_negative_sizes_before_any_output(
        synthetic_cool, tmp_path: Path, kw: dict, message: str) -> None:
    from hicexpr.workflows.contacts import run_contact_features

    src = synthetic_cool({"chr1": 1_000_000}, 50_000)
    genes = _genes_bed(tmp_path / "genes.bed", n=5)
    with pytest.raises(InputError) as info:
        run_contact_features(src, genes, tmp_path / "run", **kw)
    assert str(info.value) == message  # 0 used to mean the 2 Mb default
    assert not (tmp_path / "run").exists()


def test_python_gene_pairs_refuse_zero_max_distance(synthetic_cool, tmp_path: Path) -> None:
    from hicexpr.workflows.contacts import run_gene_pairs

    src = synthetic_cool({"chr1": 1_000_000}, 50_000)
    genes = _genes_bed(tmp_path / "genes.bed", n=5)
    with pytest.raises(InputError, match="--max-distance: expected a positive value, got 0"):
        run_gene_pairs(src, genes, tmp_path / "pp.tsv", max_distance=0)


def test_mcool_conversion_killed_leaves_scratch_the_next_one_removes(synthetic_cool,
                                                                     tmp_path: Path) -> None:
    """``kill -9`` while zoomifying skips every clean-up; the next conversion to the same
    ``.mcool`` deletes the killed run's scratch folder (its base ``.cool``)."""
    src = synthetic_cool({"chr1": 2_000_000}, 50_000)
    out = tmp_path / "out" / "map.mcool"
    code = ("import os, sys, cooler; cooler.zoomify_cooler = lambda *a, **k: os._exit(9); "
            "from hicexpr.io.contacts import convert_contacts; "
            "convert_contacts(sys.argv[1], sys.argv[2])")
    run = subprocess.run([sys.executable, "-c", code, str(src), str(out)], capture_output=True)
    assert run.returncode == 9, run.stderr.decode()[-500:]
    left = list(out.parent.iterdir())  # the scratch folder, and the .mcool being written
    assert all(p.name.startswith(".map.mcool.") for p in left)
    assert [p.name for p in left if p.is_dir() and (p / "base.cool").is_file()]
    convert_contacts(src, out)
    assert [p.name for p in out.parent.iterdir()] == ["map.mcool"]
    assert open_contacts(out, 50_000).pixels()[:].equals(cooler.Cooler(str(src)).pixels()[:])


def test_cis_only_balancing_of_several_chromosomes(synthetic_cool, tmp_path: Path) -> None:
    """cooler reports convergence per chromosome with ``cis_only``: an array, which the
    convergence check once took for a bool (ValueError on any multi-chromosome map)."""
    src = synthetic_cool({"chr1": 2_000_000, "chr2": 1_500_000}, 50_000)
    out = balance_contacts(src, tmp_path / "cis.cool", cis_only=True)
    assert np.isfinite(cooler.Cooler(str(out)).bins()["weight"][:]).any()


def test_balancing_that_does_not_converge_names_chromosomes_without_python_warnings(
        synthetic_cool) -> None:
    import warnings

    from hicexpr.io.contacts import balance_quietly

    clr = cooler.Cooler(str(synthetic_cool({"chr1": 2_000_000, "chr2": 1_500_000}, 50_000)))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _, _, cis = balance_quietly(clr, cis_only=True, max_iters=1, store=False)
        _, _, genome = balance_quietly(clr, max_iters=1, store=False)
    assert not [w for w in caught if "convergence" in str(w.message)]
    assert cis == ["chr1", "chr2"] and genome == ["genome-wide"]

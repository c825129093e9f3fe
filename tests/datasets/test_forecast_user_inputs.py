"""User inputs of forecast datasets: multi-resolution maps, empty time points, missing values."""

from __future__ import annotations

import logging
from pathlib import Path

import anndata as ad
import cooler
import numpy as np
import pandas as pd
import pytest

from hicexpr.datasets.forecasting import build_forecast_dataset
from hicexpr.lib.errors import InputError

RESOLUTIONS = [10_000, 20_000]


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    from hicexpr.datasets.simulate import simulate_dataset

    folder = tmp_path_factory.mktemp("sim_inputs")
    return simulate_dataset(folder, seed=1, n_genes=30, n_times=12, n_chroms=2,
                            genome_size=3_000_000)


@pytest.fixture(scope="module")
def mcool(sim) -> Path:
    """The simulated 10 kb map zoomed to 10 and 20 kb (cooler.zoomify_cooler)."""
    path = sim.folder / "multi.mcool"
    cooler.zoomify_cooler(str(sim.cool), str(path), RESOLUTIONS, chunksize=10_000_000)
    return path


@pytest.fixture(scope="module")
def hic(sim) -> Path:
    """The simulated map as a 10 + 20 kb .hic (hictkpy)."""
    hictkpy = pytest.importorskip("hictkpy")
    clr = cooler.Cooler(str(sim.cool))
    path = sim.folder / "multi.hic"
    writer = hictkpy.hic.FileWriter(str(path), clr.chromsizes.to_dict(), RESOLUTIONS,
                                    tmpdir=str(sim.folder))
    writer.add_pixels(clr.pixels()[:][["bin1_id", "bin2_id", "count"]])
    writer.finalize()
    return path


def _bins(ds) -> int:
    return int(ds.gene_features["bin"].nunique())


@pytest.mark.parametrize("kind", ["mcool", "hic"])
def test_multi_resolution_maps_need_and_take_a_resolution(sim, mcool, hic, kind,
                                                          monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("HICEXPR_CACHE", str(tmp_path / "cache"))
    path = mcool if kind == "mcool" else hic
    with pytest.raises(InputError, match=r"resolution: expected --resolution N.*10000, 20000"):
        build_forecast_dataset(sim.expression, path, sim.genes)
    fine = build_forecast_dataset(sim.expression, path, sim.genes, resolution=10_000)
    coarse = build_forecast_dataset(sim.expression, path, sim.genes, resolution=20_000)
    assert fine.expression.n_vars == coarse.expression.n_vars == 30
    assert _bins(coarse) < _bins(fine)  # genes share 20 kb bins more often
    uri = build_forecast_dataset(sim.expression, f"{path}::resolutions/20000", sim.genes)
    pd.testing.assert_frame_equal(uri.pairs, coarse.pairs)
    same = build_forecast_dataset(sim.expression, f"{path}::resolutions/20000", sim.genes,
                                  resolution=20_000)
    pd.testing.assert_frame_equal(same.pairs, coarse.pairs)


def test_a_hic_uri_resolution_must_agree_with_the_option(sim, hic, monkeypatch,
                                                         tmp_path) -> None:
    monkeypatch.setenv("HICEXPR_CACHE", str(tmp_path / "cache"))
    with pytest.raises(InputError, match=r"resolution: expected 20000 \(the path's"):
        build_forecast_dataset(sim.expression, f"{hic}::resolutions/20000", sim.genes,
                               resolution=10_000)
    with pytest.raises(InputError, match=r"group 'bins/5': expected file::resolutions/N"):
        build_forecast_dataset(sim.expression, f"{hic}::bins/5", sim.genes)


def _table(sim) -> pd.DataFrame:
    return pd.read_csv(sim.expression, sep="\t", index_col=0)


def test_an_empty_sample_column_is_dropped_with_a_warning(sim, tmp_path, caplog) -> None:
    table = _table(sim)
    empty = table.columns[4]
    table[empty] = np.nan
    path = tmp_path / "emptycol.tsv"
    table.to_csv(path, sep="\t")
    with caplog.at_level(logging.WARNING, logger="hicexpr.datasets.forecasting"):
        ds = build_forecast_dataset(path, sim.cool, sim.genes)
    assert ds.expression.n_obs == 11 and ds.expression.n_vars == 30
    assert f"dropped 1 time point(s) without any value: {empty}" in caplog.text
    full = build_forecast_dataset(sim.expression, sim.cool, sim.genes)
    keep = [i for i in range(12) if i != 4]
    np.testing.assert_array_equal(ds.values(), full.values()[keep])


def test_an_h5ad_sample_without_a_time_is_dropped(sim, tmp_path, caplog) -> None:
    table = _table(sim)
    adata = ad.AnnData(table.T.to_numpy(dtype=float),
                       obs=pd.DataFrame({"time": np.arange(12, dtype=float)},
                                        index=[f"c{i}" for i in range(12)]),
                       var=pd.DataFrame(index=table.index.astype(str)))
    adata.obs.loc["c2", "time"] = np.nan
    path = tmp_path / "timenan.h5ad"
    adata.write_h5ad(path)
    with caplog.at_level(logging.WARNING, logger="hicexpr.datasets.forecasting"):
        ds = build_forecast_dataset(path, sim.cool, sim.genes)
    assert ds.expression.n_obs == 11 and ds.expression.n_vars == 30
    assert "(no time)" in caplog.text
    assert np.isfinite(ds.expression.obs["time"].to_numpy(dtype=float)).all()


def test_no_complete_gene_is_a_clear_error(sim, tmp_path) -> None:
    table = _table(sim)
    for i in range(len(table)):  # one hole per gene, most of them at column 7
        table.iat[i, 7 if i % 3 else i % 12] = np.nan
    path = tmp_path / "holes.tsv"
    table.to_csv(path, sep="\t")
    with pytest.raises(InputError) as err:
        build_forecast_dataset(path, sim.cool, sim.genes)
    message = str(err.value)
    assert message.startswith(f"{path}: missing values: expected a gene on the map with a "
                              "value at every time point (none of 30 has one")
    assert f"most missing: time point {table.columns[7]}" in message
    assert "chromosome" not in message


def test_a_mostly_incomplete_table_warns_how_many_genes_it_loses(sim, tmp_path,
                                                                 caplog) -> None:
    table = _table(sim)
    for i in range(20):  # 20 of 30 genes miss one value
        table.iat[i, i % 12] = np.nan
    path = tmp_path / "sparse.tsv"
    table.to_csv(path, sep="\t")
    with caplog.at_level(logging.WARNING, logger="hicexpr.datasets.forecasting"):
        ds = build_forecast_dataset(path, sim.cool, sim.genes)
    assert ds.expression.n_vars == 10
    assert f"{path}: 20 of 30 genes on the map miss a value at some time point" in caplog.text


def test_a_missing_cool_file_is_named_as_missing(sim, tmp_path) -> None:
    with pytest.raises(InputError, match=r"nothere\.cool: expected an existing contact map, "
                                         r"got 'no such file or folder'"):
        build_forecast_dataset(sim.expression, tmp_path / "nothere.cool", sim.genes)



def test_genes_outside_the_map_coverage_are_warned_once(data_dir, tmp_path, caplog) -> None:
    # W303 2 kb map (chr1..): the bin at chrI:201,786 holds no contacts
    genes = pd.DataFrame({"chrom": "chrI", "start": [20_000, 60_000, 100_000, 150_000, 201_786],
                          "end": [21_000, 61_000, 101_000, 151_000, 202_500],
                          "name": [f"G{i}" for i in range(5)], "score": 0, "strand": "+"})
    genes.to_csv(tmp_path / "genes.bed", sep="\t", header=False, index=False)
    values = np.random.default_rng(0).normal(size=(5, 8))
    pd.DataFrame(values, index=genes["name"], columns=[f"{t}min" for t in range(8)]).to_csv(
        tmp_path / "expr.tsv", sep="\t")
    with caplog.at_level(logging.WARNING, logger="hicexpr.contacts.mapping"):
        ds = build_forecast_dataset(tmp_path / "expr.tsv",
                                    data_dir / "yeast/hic/scer_w303_g1_2kb_SRR8769554.cool",
                                    tmp_path / "genes.bed")
    assert ds.expression.n_vars == 5
    assert caplog.text.count("1 of 5 genes outside the map's coverage (e.g. G4") == 1


def test_chromosome_errors_name_the_gene_table_not_the_expression(sim, tmp_path) -> None:
    genes = pd.read_csv(sim.genes, sep="\t", header=None)
    genes[0] = "scaffold_" + genes[0].astype(str)
    path = tmp_path / "scaffolds.bed"
    genes.to_csv(path, sep="\t", header=False, index=False)
    with pytest.raises(InputError) as err:
        build_forecast_dataset(sim.expression, sim.cool, path)
    assert str(err.value).startswith(f"{path}: chromosome names: expected names matching the "
                                     f"map {sim.cool}")

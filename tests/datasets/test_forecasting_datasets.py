"""Forecasting datasets: STEP (rebuilt mRNA, miRNA per day), yeast and simulated folders."""

from __future__ import annotations

import json
import re
from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd
import pytest

from hicexpr.datasets import forecasting
from hicexpr.datasets.forecasting import (
    PAIR_COLUMNS,
    build_forecast_dataset,
    load_forecast_dataset,
    normalised_contact,
    select_genes,
    step_pair_features,
)
from hicexpr.datasets.registry import fetch_dataset
from hicexpr.lib.errors import InputError


def _check_pairs(pairs: pd.DataFrame, genes: pd.Index) -> None:
    assert list(pairs.columns[: len(PAIR_COLUMNS)]) == PAIR_COLUMNS
    assert (pairs["gene1"] < pairs["gene2"]).all()
    assert not pairs.duplicated(["gene1", "gene2"]).any()
    assert pairs["gene1"].isin(genes).all() and pairs["gene2"].isin(genes).all()
    assert pairs["contact"].between(0, 1).all() and pairs["contact"].max() == pytest.approx(1.0)


def test_normalised_contact_is_monotone_in_unit_interval() -> None:
    out = normalised_contact(np.array([0.0, 1.0, 10.0, np.nan, -3.0]))
    assert out[2] == 1.0 and out[0] == 0.0 and out[3] == 0.0 and out[4] == 0.0
    assert 0 < out[1] < out[2]


def test_step_pair_features_same_tad_rule() -> None:
    rows = pd.DataFrame({
        "gene1": ["b", "a", "a"], "gene2": ["a", "c", "d"],
        "chrom1": ["chr1"] * 3, "chrom2": ["chr1", "chr1", "chr2"],
        "start1": [5_500_000, 1_000_000, 1_000_000], "start2": [1_000_000, 2_200_000, 50],
        "bin1": [5_000_000, 1_000_000, 1_000_000], "bin2": [1_000_000, 2_000_000, 0],
        "hic": [10.0, 100.0, 5.0],
        "compartment1": ["A", "A", "A"], "compartment2": ["A", "B", "A"],
        "insulation1": [0.0, 1.0, 0.0], "insulation2": [1.0, 0.0, 0.0],
        "tad_distance1": [2.0, 3.0, 9.0], "tad_distance2": [1.0, 0.0, 9.0],
    })
    out = step_pair_features(rows, pd.Index(list("abcd"))).set_index(["gene1", "gene2"])
    assert not out.loc[("a", "b"), "same_tad"]  # 4 bins apart, nearest boundary <= 2 bins
    assert out.loc[("a", "c"), "same_tad"]  # 1 bin apart, a's boundary 3 bins away
    assert not out.loc[("a", "d"), "same_tad"] and not out.loc[("a", "d"), "same_chrom"]
    assert not out.loc[("a", "c"), "same_compartment"]
    assert out.loc[("a", "b"), "distance_bp"] == 4_500_000


def test_unknown_name_suggests_the_closest() -> None:
    with pytest.raises(InputError, match="did you mean 'step_mrna'"):
        load_forecast_dataset("step_mrn")


def test_step_mrna(data_dir: Path) -> None:
    ds = load_forecast_dataset("step_mrna", data_dir)
    X = ds.values()
    assert X.shape == (43, 49) and not np.isnan(X).any()
    assert ds.expression.obs["time"].is_monotonic_increasing
    assert ds.expression.obs["time"].iloc[0] == -4.5 and ds.expression.obs["time"].iloc[-1] == 28
    assert (ds.time_unit, ds.value_description) == ("dpn", "mRNAnorm.txt values")  # figure axes
    _check_pairs(ds.pairs, ds.genes)
    assert len(ds.pairs) == 69 and ds.pairs["same_chrom"].all()
    assert set(ds.gene_features.index) == set(ds.genes)
    assert ds.gene_features["degree"].sum() == 2 * len(ds.pairs)
    conflicts = ds.expression.uns["conflicts"]
    assert conflicts["gene"].nunique() == 26
    # a constant per-gene level explains most pooled variance (why pooled r is not a headline)
    between = X.mean(axis=0).var() / X.var()
    assert between > 0.8


def test_step_random_persistence_depends_on_the_split(data_dir: Path) -> None:
    """docs/step_data.md: persistence r 0.556 on STEP's own split, ~0.47 over random splits."""
    from hicexpr.evaluate.metrics import _pearson_columns
    from hicexpr.evaluate.protocols import step_random_split

    X = load_forecast_dataset("step_mrna", data_dir).values()
    text = (data_dir / "step" / "reported" / "STEPmr_split_indices.txt").read_text()
    val = [int(v) for v in re.findall(r"tensor\((\d+)\)", text.split("Validation")[1])]
    assert sorted(val) == [1, 5, 20, 26, 28, 30, 31, 36]

    def persistence_r(origins: np.ndarray) -> float:
        return float(np.nanmean(_pearson_columns(X[origins + 1], X[origins])))

    assert persistence_r(np.array(val) + 2) == pytest.approx(0.556, abs=0.001)
    ours = [persistence_r(step_random_split(43, 3, 0.2, seed).test) for seed in range(5)]
    assert np.mean(ours) == pytest.approx(0.489, abs=0.001)


def test_step_mirna(data_dir: Path) -> None:
    ds = load_forecast_dataset("step_mirna", data_dir)
    assert ds.values().shape == (43, 162)
    counts = ds.expression.layers["counts"]
    np.testing.assert_allclose(ds.values(), np.log2(1 + counts))
    assert (ds.time_unit, ds.value_description) == ("dpn", "log2(1 + count)")
    assert ds.expression.obs["n_replicates"].sum() == 159
    _check_pairs(ds.pairs, ds.genes)
    assert len(ds.pairs) > 900


@pytest.mark.slow
def test_yeast_alpha(data_dir: Path) -> None:
    ds = load_forecast_dataset("yeast_alpha", data_dir, max_genes=200)
    X = ds.values()
    assert X.shape == (18, 200) and not np.isnan(X).any()
    _check_pairs(ds.pairs, ds.genes)
    assert ds.pairs["same_chrom"].all() and len(ds.pairs) > 1000
    # contacts decay with genomic distance
    near = ds.pairs["distance_bp"] < 50_000
    assert ds.pairs.loc[near, "contact"].mean() > 2 * ds.pairs.loc[~near, "contact"].mean()
    # genes evenly spaced along the genome (label-free); log ratios are not centred
    assert "evenly spaced in genome order" in ds.expression.uns["gene_selection"]
    assert ds.scaling == "none"
    assert (ds.time_unit, ds.value_description) == ("min", "log2 ratio to reference")
    assert load_forecast_dataset("step_mrna", data_dir).scaling == "standard"


def _toy_expression(n_times: int = 10, n_genes: int = 12, seed: int = 0) -> ad.AnnData:
    rng = np.random.default_rng(seed)
    var = pd.DataFrame({"chrom": ["chr2"] * 6 + ["chr1"] * 6,
                        "start": list(range(6000, 0, -1000)) * 2},
                       index=[f"g{i}" for i in range(n_genes)])
    return ad.AnnData(rng.normal(size=(n_times, n_genes)), var=var)


def test_spread_selection_is_label_free_and_evenly_spaced() -> None:
    expr = _toy_expression()
    idx, how = select_genes(expr, 4, "spread")
    assert "4 genes evenly spaced in genome order (of 12)" == how
    var = expr.var.iloc[idx].sort_values(["chrom", "start"])
    # genome order: chr1 (starts 1000..6000), then chr2; ranks 0, 4, 7, 11 of 12
    assert list(zip(var["chrom"], var["start"], strict=True)) == [
        ("chr1", 1000), ("chr1", 5000), ("chr2", 2000), ("chr2", 6000)]
    other = expr.copy()
    other.X = np.random.default_rng(9).normal(size=other.shape) * 100
    assert np.array_equal(select_genes(other, 4, "spread")[0], idx)


def test_variance_selection_reads_only_the_first_half() -> None:
    expr = _toy_expression()
    expr.X[:5, 3] *= 50  # large early variance
    idx, how = select_genes(expr, 2, "variance")
    assert 3 in idx and "first 5 time points" in how
    later = expr.copy()
    later.X[5:] = np.random.default_rng(3).normal(size=(5, 12)) * 1000
    assert np.array_equal(select_genes(later, 2, "variance")[0], idx)


def test_bad_gene_selection_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="gene_selection: expected spread or variance"):
        build_forecast_dataset(tmp_path / "e.tsv", tmp_path / "m.cool", tmp_path / "g.bed",
                               gene_selection="top")


@pytest.mark.slow
def test_simulated_folder(tmp_path: Path) -> None:
    from hicexpr.datasets.simulate import simulate_dataset

    paths = simulate_dataset(tmp_path / "sim", seed=1, n_genes=60, n_times=15, n_chroms=2,
                             genome_size=5_000_000)
    ds = load_forecast_dataset("simulated", tmp_path / "sim")
    assert ds.values().shape == (15, 60)
    assert ds.value_description is None  # what the values are is not known: never guessed
    _check_pairs(ds.pairs, ds.genes)
    # pairs inside one planted domain have stronger contacts than pairs across domains
    truth = json.loads(paths.truth.read_text())
    assert truth["tad_borders"]
    tad = ds.pairs["same_tad"]
    assert tad.any() and (~tad).any()
    assert ds.pairs.loc[tad, "contact"].mean() > ds.pairs.loc[~tad, "contact"].mean()
    # a user table whose genes are not in the gene table fails with a one-line message
    bad = tmp_path / "bad.tsv"
    bad.write_text("gene\t0\t1\t2\nnot_a_gene\t1\t2\t3\n")
    with pytest.raises(InputError, match="bad.tsv: gene ids: expected genes found"):
        build_forecast_dataset(bad, paths.cool, paths.genes)
    with pytest.raises(InputError, match="expression.tsv"):
        (tmp_path / "sim" / "expression.tsv").unlink()
        load_forecast_dataset("simulated", tmp_path / "sim")


def test_builtin_dataset_read_from_the_fetch_cache(data_dir: Path, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Without a shared data folder, `datasets fetch step` + `step_raw` are enough."""
    monkeypatch.setattr(forecasting, "shared_data_dir", lambda required=True: None)
    monkeypatch.setenv("HICEXPR_CACHE", str(tmp_path / "cache"))
    with pytest.raises(InputError, match=r"dataset step_mrna: expected its files in .*run "
                       r"`hicexpr datasets fetch step` and `hicexpr datasets fetch step_raw`"):
        load_forecast_dataset("step_mrna")
    for source in ("step", "step_raw"):
        fetch_dataset(source, source_dir=data_dir)
    cached = load_forecast_dataset("step_mrna")
    shared = load_forecast_dataset("step_mrna", data_dir=data_dir)
    np.testing.assert_array_equal(cached.values(), shared.values())

"""Forecasting datasets: STEP (rebuilt mRNA, miRNA per day), yeast and simulated folders."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hicexpr.datasets.forecasting import (
    PAIR_COLUMNS,
    build_forecast_dataset,
    load_forecast_dataset,
    normalised_contact,
    step_pair_features,
)
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
    _check_pairs(ds.pairs, ds.genes)
    assert len(ds.pairs) == 69 and ds.pairs["same_chrom"].all()
    assert set(ds.gene_features.index) == set(ds.genes)
    assert ds.gene_features["degree"].sum() == 2 * len(ds.pairs)
    conflicts = ds.expression.uns["conflicts"]
    assert conflicts["gene"].nunique() == 26
    # a constant per-gene level explains most pooled variance (why pooled r is not a headline)
    between = X.mean(axis=0).var() / X.var()
    assert between > 0.8


def test_step_mirna(data_dir: Path) -> None:
    ds = load_forecast_dataset("step_mirna", data_dir)
    assert ds.values().shape == (43, 162)
    counts = ds.expression.layers["counts"]
    np.testing.assert_allclose(ds.values(), np.log2(1 + counts))
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
    # genes were chosen on the first half of the time points only
    assert "first 9 time points" in ds.expression.uns["gene_selection"]


@pytest.mark.slow
def test_simulated_folder(tmp_path: Path) -> None:
    from hicexpr.datasets.simulate import simulate_dataset

    paths = simulate_dataset(tmp_path / "sim", seed=1, n_genes=60, n_times=15, n_chroms=2,
                             genome_size=5_000_000)
    ds = load_forecast_dataset("simulated", tmp_path / "sim")
    assert ds.values().shape == (15, 60)
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

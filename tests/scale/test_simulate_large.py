"""Genome-scale simulation: layout, pixels written in chunks, cis ICE equal to cooler's."""

from __future__ import annotations

import shutil
import warnings

import cooler
import numpy as np
import pandas as pd

from hicexpr.datasets.simulate import simulate_dataset
from hicexpr.workflows.scale import cis_ice, simulate_large


def test_cis_ice_equals_cooler_balance(tmp_path) -> None:
    paths = simulate_dataset(tmp_path / "s", seed=1, n_genes=50, n_times=10, n_chroms=2,
                             genome_size=6_000_000, max_distance=1_000_000)
    ref = cooler.Cooler(str(paths.cool)).bins()["weight"][:].to_numpy()  # cooler.balance_cooler
    copy = tmp_path / "copy.cool"
    shutil.copy(paths.cool, copy)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        weights = cis_ice(copy)
    np.testing.assert_array_equal(np.isnan(weights), np.isnan(ref))
    np.testing.assert_allclose(weights, ref, rtol=1e-9)
    stored = cooler.Cooler(str(copy))
    np.testing.assert_array_equal(stored.bins()["weight"][:].to_numpy(), weights)
    assert int(stored._load_attrs("bins/weight")["ignore_diags"]) == 2


def test_simulate_large_layout(tmp_path) -> None:
    paths = simulate_large(tmp_path / "big", n_genes=400, n_times=30, chrom_size=5_000_000,
                           n_chroms=3, max_distance=500_000, seed=2)
    clr = cooler.Cooler(str(paths.cool))
    assert clr.chromnames == ["chr1", "chr2", "chr3"]
    assert int(clr.info["nbins"]) == 1_500
    pixels = clr.pixels()[:]
    assert (pixels["bin2_id"] - pixels["bin1_id"]).max() <= 50  # band of max_distance
    assert clr.info["nnz"] > 40_000
    w = clr.bins()["weight"][:].to_numpy()
    assert np.isfinite(w).mean() > 0.95
    expr = pd.read_csv(paths.expression, sep="\t")
    assert expr.shape == (400, 31)
    genes = pd.read_csv(paths.genes, sep="\t", header=None)
    assert len(genes) == 400 and set(genes[0]) <= set(clr.chromnames)

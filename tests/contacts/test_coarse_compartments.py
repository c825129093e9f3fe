"""Compartments of long chromosomes: streamed into blocks, never a dense fine matrix."""

from __future__ import annotations

import cooler
import numpy as np
import pytest

from hicexpr.contacts import compartments, gene_bins
from hicexpr.contacts.features import coarse_cis_matrix
from hicexpr.datasets import forecasting
from hicexpr.datasets.simulate import simulate_dataset
from hicexpr.io.genes import read_genes
from hicexpr.workflows.scale import contact_features_parallel


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory):
    # 2 chromosomes of 2 Mb at 10 kb (200 bins each), balanced
    paths = simulate_dataset(tmp_path_factory.mktemp("e1"), seed=2, n_genes=120, n_times=10,
                             n_chroms=2, genome_size=4_000_000, max_distance=2_000_000)
    clr = cooler.Cooler(str(paths.cool))
    return clr, gene_bins(clr, read_genes(paths.genes)), paths


def _no_dense(*args, **kwargs):
    raise AssertionError("a chromosome was fetched as a dense matrix")


def test_coarse_matrix_is_the_block_sum_of_the_dense_one(sim) -> None:
    clr, _, _ = sim
    lo, hi = clr.extent("chr1")
    dense = clr.matrix(balance="weight")[lo:hi, lo:hi]
    dense[~np.isfinite(dense)] = 0
    idx = np.arange(hi - lo)
    dense[np.abs(idx[:, None] - idx[None, :]) < 2] = 0  # ignored diagonals
    factor = 7
    n = -(-(hi - lo) // factor)
    padded = np.zeros((n * factor, n * factor))
    padded[: hi - lo, : hi - lo] = dense
    expected = padded.reshape(n, factor, n, factor).sum(axis=(1, 3))
    got = coarse_cis_matrix(clr, lo, hi, factor, "weight", 2)
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12)


def test_long_chromosomes_are_streamed_not_densified(sim, monkeypatch) -> None:
    clr, mapped, _ = sim
    fine = compartments(clr, genes=mapped)["E1"].to_numpy()
    monkeypatch.setattr(cooler.Cooler, "matrix", _no_dense)
    coarse = compartments(clr, genes=mapped, max_bins=50)  # 200-bin chromosomes: 4 x coarser
    e1 = coarse["E1"].to_numpy()
    ok = np.isfinite(fine) & np.isfinite(e1)
    assert ok.sum() > 300
    assert np.corrcoef(fine[ok], e1[ok])[0, 1] > 0.8  # same compartments, coarser
    weights = clr.bins()["weight"][:].to_numpy()
    assert np.isnan(e1[~np.isfinite(weights)]).all()
    assert set(coarse["compartment"][np.isfinite(e1)]) == {"A", "B"}


def test_parallel_features_coarsen_like_compartments(sim) -> None:
    clr, mapped, paths = sim
    serial = compartments(clr, genes=mapped, max_bins=50)
    parallel = contact_features_parallel(paths.cool, read_genes(paths.genes), workers=1,
                                         max_bins=50).compartments
    np.testing.assert_allclose(parallel["E1"], serial["E1"], atol=1e-10, equal_nan=True)


def test_forecast_pair_features_use_the_streamed_compartments(sim, monkeypatch) -> None:
    clr, mapped, paths = sim
    monkeypatch.setattr(forecasting, "MAX_DENSE_E1_BINS", 50)
    expected = compartments(clr, genes=mapped, max_bins=50)["E1"].to_numpy()
    genes = read_genes(paths.genes).set_index("gene_id")
    _, feats = forecasting.cooler_pair_features(clr, genes)
    want = expected[feats["bin"].to_numpy()]
    assert np.isfinite(want).sum() > 50
    np.testing.assert_allclose(feats["compartment_e1"], want, atol=1e-10, equal_nan=True)


def test_repeated_compartments_agree_within_the_documented_tolerance(sim) -> None:
    """ARPACK starts from a random vector (docs/contacts.md): E1 agrees to 1e-12, labels
    and NaNs exactly."""
    clr, mapped, _ = sim
    first, second = (compartments(clr, genes=mapped) for _ in range(2))
    assert np.isfinite(first["E1"]).sum() > 300
    np.testing.assert_allclose(second["E1"], first["E1"], rtol=0, atol=1e-12, equal_nan=True)
    assert second["compartment"].equals(first["compartment"])

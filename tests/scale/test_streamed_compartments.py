"""cooler_pair_features at genome scale: compartments never densify a long chromosome."""

from __future__ import annotations

import cooler
import numpy as np
import pytest

from hicexpr.contacts import compartments, gene_bins
from hicexpr.datasets import forecasting
from hicexpr.datasets.simulate import simulate_dataset
from hicexpr.io.genes import read_genes


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory):
    # 2 chromosomes of 2 Mb at 10 kb (200 bins each), balanced
    paths = simulate_dataset(tmp_path_factory.mktemp("e1"), seed=2, n_genes=120, n_times=10,
                             n_chroms=2, genome_size=4_000_000, max_distance=2_000_000)
    clr = cooler.Cooler(str(paths.cool))
    return clr, gene_bins(clr, read_genes(paths.genes))


def test_short_chromosomes_match_compartments(sim) -> None:
    clr, mapped = sim
    ours = forecasting._streamed_compartments(clr, mapped, "weight")
    ref = compartments(clr, genes=mapped)
    assert np.isfinite(ref["E1"]).sum() > 300
    np.testing.assert_allclose(ours["E1"], ref["E1"], atol=1e-8, equal_nan=True)
    assert (ours["compartment"] == ref["compartment"]).all()


def test_coarse_matrix_is_the_block_sum_of_the_dense_one(sim) -> None:
    clr, _ = sim
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
    got = forecasting._coarse_cis_matrix(clr, lo, hi, factor, "weight", 2)
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12)


def test_long_chromosomes_are_streamed_not_densified(sim, monkeypatch) -> None:
    clr, mapped = sim
    fine = compartments(clr, genes=mapped)["E1"].to_numpy()
    monkeypatch.setattr(forecasting, "MAX_DENSE_E1_BINS", 50)  # 200-bin chromosomes: 4 x coarser

    def no_dense(*args, **kwargs):
        raise AssertionError("a chromosome was fetched as a dense matrix")

    monkeypatch.setattr(cooler.Cooler, "matrix", no_dense)
    coarse = forecasting._streamed_compartments(clr, mapped, "weight")["E1"].to_numpy()
    ok = np.isfinite(fine) & np.isfinite(coarse)
    assert ok.sum() > 300
    assert np.corrcoef(fine[ok], coarse[ok])[0, 1] > 0.8  # same compartments, coarser
    weights = clr.bins()["weight"][:].to_numpy()
    assert np.isnan(coarse[~np.isfinite(weights)]).all()

"""Windows and scalers: targets masked outside allowed times; scaler fitted on training only."""

from __future__ import annotations

import numpy as np
import pytest

from hicexpr.evaluate.protocols import make_splits
from hicexpr.evaluate.runner import evaluate_forecasters, fit_on_split
from hicexpr.evaluate.scaling import SCALINGS, GeneScaler
from hicexpr.evaluate.windows import fill_missing, make_windows
from hicexpr.lib.errors import InputError


def test_windows_hold_the_right_values_and_mask_targets() -> None:
    values = np.arange(20, dtype=float).reshape(10, 2)  # value = 2 * t + gene
    w = make_windows(values, values, origins=[2, 8], input_length=3, horizon=2,
                     target_times=np.arange(0, 9))
    assert w.X.shape == (2, 3, 2) and w.y.shape == (2, 2, 2)
    assert np.array_equal(w.X[0, :, 0], [0.0, 2.0, 4.0])
    assert np.array_equal(w.y[0, :, 1], [7.0, 9.0])
    assert np.isnan(w.y[1, 0]).all()  # t = 9 is not an allowed target time
    assert np.isnan(w.y[1, 1]).all()  # t = 10 is past the end
    assert np.array_equal(w.last, values[[2, 8]])


def test_scaler_statistics_come_from_training_times_only() -> None:
    rng = np.random.default_rng(0)
    values = rng.normal(size=(30, 4))
    train = np.arange(0, 18)
    scaler = GeneScaler().fit(values, train)
    assert np.allclose(scaler.mean_, values[:18].mean(0))
    assert np.allclose(scaler.scale_, values[:18].std(0))
    changed = values.copy()
    changed[18:] += 100.0  # later (validation/test) values do not move the statistics
    other = GeneScaler().fit(changed, train)
    assert np.array_equal(other.mean_, scaler.mean_)
    back = scaler.inverse_transform(scaler.transform(values))
    assert np.allclose(back, values)


def test_fill_missing_only_carries_past_values_forward() -> None:
    values = np.array([[np.nan, 1.0], [2.0, np.nan], [np.nan, 5.0], [7.0, np.nan]])
    filled = fill_missing(values)
    # a gene's leading gap takes the scaled centre (0), never its later (future) value
    assert np.array_equal(filled[:, 0], [0.0, 2.0, 2.0, 7.0])
    assert np.array_equal(filled[:, 1], [1.0, 1.0, 5.0, 5.0])
    assert np.array_equal(fill_missing(np.full((3, 1), np.nan), lead=-1.0)[:, 0], [-1.0] * 3)


def test_scaling_modes_centre_scale_or_keep_values() -> None:
    rng = np.random.default_rng(1)
    values = rng.normal(2.0, 3.0, size=(20, 3))
    values[0, 1] = np.nan
    train = np.arange(12)
    scale = GeneScaler("scale").fit(values, train)
    assert np.array_equal(scale.mean_, np.zeros(3))
    assert np.allclose(scale.scale_, np.sqrt(np.nanmean(values[:12] ** 2, axis=0)))
    none = GeneScaler("none").fit(values, train)
    assert np.array_equal(none.transform(values), values, equal_nan=True)
    for mode in SCALINGS:
        s = GeneScaler(mode).fit(values, train)
        assert np.allclose(s.inverse_transform(s.transform(values)), values, equal_nan=True)
    with pytest.raises(InputError, match="scaling: expected one of standard, scale, none"):
        GeneScaler("minmax")


def _log_ratio_series(n_genes: int = 300, n_times: int = 18, seed: int = 0) -> np.ndarray:
    """Damped oscillations around 0 (like log ratios vs a reference) with a short record."""
    rng = np.random.default_rng(seed)
    t = np.arange(n_times)[:, None]
    phase = rng.uniform(0, 2 * np.pi, n_genes)
    amp = rng.uniform(0.2, 1.0, n_genes)
    return amp * np.sin(2 * np.pi * t / 9.0 + phase) + rng.normal(0, 0.15, (n_times, n_genes))


def test_uncentred_scaling_helps_pooled_ridge_on_log_ratios() -> None:
    """Centring on a partial cycle's mean biases the level a mean-reverting AR pulls towards."""
    values = _log_ratio_series()
    models = ["pooled_ridge_ar"]
    standard = evaluate_forecasters(values, models, seeds=[0], scaling="standard")
    none = evaluate_forecasters(values, models, seeds=[0], scaling="none")
    assert none.metric("pooled_ridge_ar") > standard.metric("pooled_ridge_ar") + 0.03
    # persistence does not depend on the scaling
    p1 = evaluate_forecasters(values, ["persistence"], seeds=[0], scaling="standard")
    p2 = evaluate_forecasters(values, ["persistence"], seeds=[0], scaling="none")
    assert p1.metric("persistence", "rmse") == pytest.approx(p2.metric("persistence", "rmse"))
    with pytest.raises(InputError, match="scaling"):
        evaluate_forecasters(values, models, seeds=[0], scaling="robust")


@pytest.mark.parametrize("scaling", SCALINGS)
def test_no_scaling_mode_lets_test_values_in(scaling: str) -> None:
    values = _log_ratio_series(n_genes=40, seed=2)
    split = make_splits(values.shape[0], "chronological")[0]
    values[: split.test[0] + 1, 0] = np.nan  # first observed at the first test target
    changed = values.copy()
    changed[split.test[0] + 1:] += 50.0
    a, test_a, scaler_a = fit_on_split("pooled_ridge_ar", {}, values, split, scaling=scaling)
    b, test_b, scaler_b = fit_on_split("pooled_ridge_ar", {}, changed, split, scaling=scaling)
    assert np.array_equal(scaler_a.scale_, scaler_b.scale_)
    assert a.alpha_ == b.alpha_
    assert all(np.array_equal(x, y) for x, y in zip(a.coef_, b.coef_, strict=True))
    assert np.array_equal(test_a.X[0], test_b.X[0])  # the first test window's inputs are past


def test_gene_scaler_refuses_other_genes_and_bad_times() -> None:
    values = np.random.default_rng(0).normal(size=(20, 6))
    scaler = GeneScaler().fit(values, np.arange(10))
    assert scaler.transform(values).shape == (20, 6)
    assert scaler.inverse_transform(values[None]).shape == (1, 20, 6)
    with pytest.raises(InputError, match=r"values: shape: expected \[..., N=6\]"):
        scaler.transform(values[:, :1])
    with pytest.raises(InputError, match="times: expected indices of the 20 time points"):
        GeneScaler().fit(values, [0, 50])
    with pytest.raises(InputError, match=r"values: shape: expected \[T time points, N genes\]"):
        GeneScaler().fit(values[0], [0])


def test_make_windows_refuses_origins_outside_the_series_and_other_shapes() -> None:
    values = np.arange(40.0).reshape(10, 4)
    assert make_windows(values, values, [2, 9], 3).X.shape == (2, 3, 4)
    for origin in (1, 10, -1):
        with pytest.raises(InputError, match=f"origins: expected time indices from L - 1 = 2 to "
                           f"T - 1 = 9, got {origin}$"):
            make_windows(values, values, [origin], 3)
    with pytest.raises(InputError, match=r"targets: shape: expected \[T, N\] like the inputs"):
        make_windows(values, values[:, :3], [5], 3)

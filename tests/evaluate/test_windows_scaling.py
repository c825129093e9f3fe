"""Windows and scalers: targets masked outside allowed times; scaler fitted on training only."""

from __future__ import annotations

import numpy as np

from hicexpr.evaluate.scaling import GeneScaler
from hicexpr.evaluate.windows import fill_missing, make_windows


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
    assert np.array_equal(filled[:, 0], [2.0, 2.0, 2.0, 7.0])
    assert np.array_equal(filled[:, 1], [1.0, 1.0, 5.0, 5.0])

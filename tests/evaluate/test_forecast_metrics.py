"""Metrics on hand-computed examples."""

from __future__ import annotations

import numpy as np
import pytest

from hicexpr.evaluate.metrics import SUMMARY_METRICS, forecast_metrics, per_gene_metrics
from hicexpr.lib.errors import InputError


def test_metrics_by_hand() -> None:
    observed = np.array([[1.0, 10.0], [2.0, 12.0], [3.0, 11.0], [4.0, 13.0]])
    last = np.array([[0.0, 11.0], [1.0, 10.0], [2.0, 12.0], [3.0, 11.0]])
    predicted = observed + np.array([[0.5, -0.5], [0.5, -0.5], [0.5, -0.5], [0.5, -0.5]])
    m = forecast_metrics(observed, predicted, last, train_mean=np.array([2.0, 11.0]))
    assert list(m) == list(SUMMARY_METRICS)
    assert np.isclose(m["gene_pearson_mean"], 1.0)  # a constant offset keeps r = 1
    assert np.isclose(m["rmse"], 0.5) and np.isclose(m["mae"], 0.5)
    mse_persistence = np.mean((last - observed) ** 2)  # = 2.5
    assert np.isclose(m["skill"], 1 - 0.25 / mse_persistence)
    # directions: gene 1 always up (pred up too); gene 2: -1, +2, -1, +2 vs pred -1.5, 1.5, ...
    assert np.isclose(m["direction_accuracy"], 1.0)
    table = per_gene_metrics(observed, predicted, last, np.array([2.0, 11.0]))
    assert np.allclose(table["rmse"], [0.5, 0.5])
    assert np.isclose(table["skill"][0], 1 - 0.25 / 1.0)


def test_pooled_pearson_is_dominated_by_levels_but_deviation_is_not() -> None:
    rng = np.random.default_rng(1)
    levels = np.array([0.0, 10.0, 20.0, 30.0])
    observed = levels + rng.normal(size=(6, 4))
    constant = np.broadcast_to(levels, observed.shape).copy()  # per-gene mean forecast
    m = forecast_metrics(observed, constant, constant, train_mean=levels)
    assert m["pooled_pearson"] > 0.95
    assert np.isnan(m["deviation_pearson"]) or abs(m["deviation_pearson"]) < 1e-9
    assert np.isnan(m["gene_pearson_mean"])  # constant forecasts have no correlation


def test_forecaster_output_of_all_horizons_is_refused_with_the_slice_to_use() -> None:
    rng = np.random.default_rng(1)
    observed = rng.normal(size=(5, 2, 3))  # [W, H, N]
    with pytest.raises(InputError, match=r"predict\(X\)\[:, h - 1\]"):
        forecast_metrics(observed, observed, observed, np.zeros(3))
    flat = observed[:, 0]
    with pytest.raises(InputError, match="predicted: expected the shape of observed"):
        per_gene_metrics(flat, flat[:, :2], flat, np.zeros(3))
    with pytest.raises(InputError, match="train_mean: expected one value per gene"):
        forecast_metrics(flat, flat, flat, np.zeros(4))
    per_window = forecast_metrics(flat, flat, np.zeros_like(flat), np.zeros_like(flat))
    assert per_window["rmse"] == 0.0 and per_window["skill"] == 1.0

"""predictions.tsv rows for horizons > 1: only targets inside the series."""

from __future__ import annotations

import numpy as np
import pytest

from hicexpr.evaluate.compare import paired_skill_delta
from hicexpr.evaluate.protocols import make_splits
from hicexpr.evaluate.runner import evaluate_forecasters


def test_targets_past_the_end_of_the_series_get_no_prediction_rows() -> None:
    rng = np.random.default_rng(3)
    n_times, n_genes, horizon = 24, 6, 3
    t = np.arange(n_times)[:, None]
    values = np.sin(t / 3.0 + rng.uniform(0, 6, size=n_genes)) + 0.2 * rng.normal(
        size=(n_times, n_genes))
    times = 5.0 * np.arange(n_times)
    result = evaluate_forecasters(values, ["persistence", "window_mean"], horizon=horizon,
                                  seeds=[0], genes=[f"g{i}" for i in range(n_genes)],
                                  times=times)
    preds = result.predictions
    assert preds["time"].notna().all() and preds["observed"].notna().all()
    origins = make_splits(n_times)[0].test
    for h in range(1, horizon + 1):
        rows = preds[(preds.model == "persistence") & (preds.horizon == h)]
        inside = origins[origins + h < n_times]
        assert len(inside) < len(origins) or h == 1
        assert len(rows) == len(inside) * n_genes
        assert set(rows.time) == set(times[inside + h])
        # the table gives the same skill as the summary (metrics unchanged)
        delta = paired_skill_delta(preds, "window_mean", "persistence", horizon=h, n_boot=10)
        suffix = "" if h == 1 else f"_h{h}"
        assert delta["delta_skill"] == pytest.approx(
            result.metric("window_mean", "skill" + suffix), abs=1e-10)

"""No fold of any protocol fits on values after its own test origins.

Rolling-origin folds tile the test period: the values after fold k's test block are the later
folds' test targets. Fold k's forecasts from its first test origin may not depend on them
(nor on its own test targets), whatever the horizon.
"""

from __future__ import annotations

import numpy as np
import pytest

from hicexpr.evaluate.protocols import make_splits
from hicexpr.evaluate.runner import evaluate_forecasters, fit_on_split

N_TIMES, N_GENES = 30, 8
MODELS = ["gene_ridge_ar", "pooled_ridge_ar", "graph_ar"]


def _series(seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.cumsum(rng.normal(size=(N_TIMES, N_GENES)), axis=0)


def _after(values: np.ndarray, origin: int) -> np.ndarray:
    """``values`` with every time point after ``origin`` replaced by noise."""
    out = values.copy()
    rng = np.random.default_rng(1)
    out[origin + 1:] = rng.normal(20.0, 5.0, size=out[origin + 1:].shape)
    return out


@pytest.mark.parametrize("protocol", ["chronological", "rolling-origin"])
@pytest.mark.parametrize("horizon", [1, 2, 4])
def test_forecasts_from_each_folds_first_test_origin_ignore_later_values(protocol,
                                                                       horizon) -> None:
    values = _series()
    clean = evaluate_forecasters(values, MODELS, protocol=protocol, horizon=horizon,
                                 seeds=[0]).predictions
    for fold, split in enumerate(make_splits(N_TIMES, protocol, input_length=3)):
        origin = int(split.test.min())
        noisy = evaluate_forecasters(_after(values, origin), MODELS, protocol=protocol,
                                     horizon=horizon, seeds=[0]).predictions
        rows = (clean.time - clean.horizon).to_numpy() == origin
        assert rows.sum() == len(MODELS) * N_GENES * min(horizon, N_TIMES - 1 - origin)
        for model in MODELS:
            mine = rows & (clean.model == model).to_numpy()
            np.testing.assert_allclose(noisy.predicted[mine], clean.predicted[mine], rtol=0,
                                       atol=1e-9, err_msg=f"{model}, fold {fold}")


def test_a_rolling_origin_fold_is_fitted_on_times_before_its_test_block_only() -> None:
    values = _series()
    split = make_splits(N_TIMES, "rolling-origin", input_length=3)[0]
    cut = int(split.test.min())
    alphas = []
    for series in (values, _after(values, cut)):
        model, _, _ = fit_on_split("gene_ridge_ar", {}, series, split, horizon=4)
        alphas.append((model.alpha_, np.concatenate(model.coef_).ravel()))
    assert alphas[0][0] == alphas[1][0]  # alpha, chosen on validation
    np.testing.assert_allclose(alphas[0][1], alphas[1][1], rtol=0, atol=1e-12)

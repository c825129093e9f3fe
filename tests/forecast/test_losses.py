"""Loss maths on hand-computed examples."""

from __future__ import annotations

import math

import torch

from hicexpr.forecast.losses import TemporalLoss, mse


def test_mse_ignores_nan_targets() -> None:
    pred = torch.tensor([[[1.0, 2.0]], [[3.0, 4.0]]])
    target = torch.tensor([[[0.0, float("nan")]], [[3.0, 6.0]]])
    assert torch.isclose(mse(pred, target), torch.tensor((1.0 + 0.0 + 4.0) / 3))


def test_temporal_loss_terms_by_hand() -> None:
    # 2 windows, 1 horizon, 2 genes
    last = torch.tensor([[0.0, 0.0], [1.0, 1.0]])
    target = torch.tensor([[[1.0, 0.0]], [[2.0, 2.0]]])
    pred = torch.tensor([[[1.0, 1.0]], [[1.0, 3.0]]])
    terms = TemporalLoss().components(pred, target, last)
    assert torch.isclose(terms["mse"], torch.tensor((0 + 1 + 1 + 1) / 4))
    # changes: window 0 pred (1,1) vs true (1,0): cos = 1/sqrt(2); window 1 (0,2) vs (1,1)
    cos = (1 / math.sqrt(2) + 2 / (2 * math.sqrt(2))) / 2
    assert torch.isclose(terms["direction"], torch.tensor(1 - cos), atol=1e-6)
    # per-gene series over 2 windows: gene 0 pred (1,1) is constant -> r = 0; gene 1 r = 1
    assert torch.isclose(terms["trend"], torch.tensor(1 - 0.5), atol=1e-6)
    assert torch.isclose(terms["smooth"], torch.tensor((0.0 + 4.0) / 2))
    assert torch.isclose(terms["consistency"], torch.tensor((1 + 1 + 0 + 4) / 4))
    loss = TemporalLoss(1.0, 0.5, 0.25, 0.1, 0.2)(pred, target, last)
    expected = (terms["mse"] + 0.5 * terms["direction"] + 0.25 * terms["trend"]
                + 0.1 * terms["smooth"] + 0.2 * terms["consistency"])
    assert torch.isclose(loss, expected)


def test_perfect_forecast_has_zero_mse_direction_and_trend_terms() -> None:
    last = torch.zeros(4, 3)
    target = torch.randn(4, 1, 3, generator=torch.Generator().manual_seed(0))
    terms = TemporalLoss().components(target.clone(), target, last)
    for name in ("mse", "direction", "trend"):
        assert abs(float(terms[name])) < 1e-5

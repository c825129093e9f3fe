"""Training losses: plain MSE and the temporal loss (level + direction + trend + smoothness +
consistency). Targets may hold NaN (masked: no contribution, no gradient)."""

from __future__ import annotations

import torch
from torch import Tensor, nn


def _fill(pred: Tensor, target: Tensor) -> tuple[Tensor, Tensor]:
    """Mask: replace NaN targets by the (detached) prediction so they add neither error nor
    gradient."""
    ok = torch.isfinite(target)
    return torch.where(ok, target, pred.detach()), ok


def mse(pred: Tensor, target: Tensor, last: Tensor | None = None) -> Tensor:
    """Mean squared error over non-NaN targets. Shapes: ``[B, H, N]`` each."""
    ok = torch.isfinite(target)
    if not ok.any():
        return pred.sum() * 0.0
    return ((pred - torch.where(ok, target, pred)) ** 2)[ok].mean()


def _cosine_rows(a: Tensor, b: Tensor, eps: float = 1e-8) -> Tensor:
    return (a * b).sum(-1) / (a.norm(dim=-1) * b.norm(dim=-1) + eps)


def _pearson_rows(a: Tensor, b: Tensor, eps: float = 1e-8) -> Tensor:
    return _cosine_rows(a - a.mean(-1, keepdim=True), b - b.mean(-1, keepdim=True), eps)


class TemporalLoss(nn.Module):
    r"""Temporal loss for forecasts ``pred``, ``target`` ``[B, H, N]`` from inputs ending at
    ``last`` ``[B, N]`` (windows in chronological order along B):

    .. math::
        \mathcal L = w_{mse}\,\mathrm{MSE}
        + w_{dir}\,(1 - \overline{\cos}(\hat y - y_{last},\; y - y_{last}))
        + w_{trend}\,(1 - \overline{r}_{gene}(\hat y, y))
        + w_{smooth}\,\overline{(\hat y_{b+1} - \hat y_b)^2}
        + w_{cons}\,\overline{(\hat y - y_{last})^2}

    - direction: cosine over genes between predicted and true change, averaged over (B, H);
    - trend: Pearson r over windows of each gene's predicted vs true series (B >= 2), averaged
      over genes and horizons;
    - smoothness: mean squared change of the prediction between consecutive windows;
    - consistency: mean squared distance of the prediction from the last observed value.
    """

    def __init__(
        self,
        w_mse: float = 1.0,
        w_dir: float = 0.1,
        w_trend: float = 0.1,
        w_smooth: float = 0.0,
        w_cons: float = 0.0,
    ) -> None:
        super().__init__()
        self.w_mse, self.w_dir, self.w_trend = w_mse, w_dir, w_trend
        self.w_smooth, self.w_cons = w_smooth, w_cons

    def components(self, pred: Tensor, target: Tensor, last: Tensor) -> dict[str, Tensor]:
        """Each term of the loss (unweighted)."""
        filled, _ = _fill(pred, target)
        base = last[:, None, :]
        terms = {"mse": mse(pred, target)}
        terms["direction"] = 1.0 - _cosine_rows(pred - base, filled - base).mean()
        if pred.shape[0] >= 2:
            series_p = pred.permute(1, 2, 0)  # H, N, B
            series_t = filled.permute(1, 2, 0)
            terms["trend"] = 1.0 - _pearson_rows(series_p, series_t).mean()
            terms["smooth"] = ((pred[1:] - pred[:-1]) ** 2).mean()
        else:
            terms["trend"] = pred.sum() * 0.0
            terms["smooth"] = pred.sum() * 0.0
        terms["consistency"] = ((pred - base) ** 2).mean()
        return terms

    def forward(self, pred: Tensor, target: Tensor, last: Tensor) -> Tensor:
        t = self.components(pred, target, last)
        return (
            self.w_mse * t["mse"]
            + self.w_dir * t["direction"]
            + self.w_trend * t["trend"]
            + self.w_smooth * t["smooth"]
            + self.w_cons * t["consistency"]
        )

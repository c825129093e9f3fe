"""Multi-head attention over time steps, queried by the last step."""

from __future__ import annotations

from torch import Tensor, nn


class TemporalAttention(nn.Module):
    r"""Multi-head attention (Vaswani et al. 2017) over the T steps of each node's sequence.

    The query is the last step, keys/values are all steps:
    :math:`o = \mathrm{MHA}(h_T, h_{1..T}, h_{1..T})`.

    Shapes: x ``[B, T, N, C]`` -> (``[B, N, C]``, weights ``[B, N, T]`` averaged over heads).
    """

    def __init__(self, channels: int, heads: int = 2, dropout: float = 0.0) -> None:
        super().__init__()
        self.attn = nn.MultiheadAttention(channels, heads, dropout=dropout, batch_first=True)

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        B, T, N, C = x.shape
        seq = x.permute(0, 2, 1, 3).reshape(B * N, T, C)
        out, weights = self.attn(seq[:, -1:, :], seq, seq, need_weights=True)
        return out.reshape(B, N, C), weights.reshape(B, N, T)

"""Spatio-temporal block: gated temporal conv -> Chebyshev graph conv -> temporal conv -> norm."""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn

from hicexpr.forecast.cheb_conv import cheb_graph_conv


class TemporalConv(nn.Module):
    """Causal 1-D convolution over time shared by all nodes, optionally gated (GLU).

    Shapes: ``[B, T, N, C_in]`` -> ``[B, T, N, C_out]`` (left padding keeps T; no look-ahead).
    """

    def __init__(self, in_channels: int, out_channels: int, kernel: int = 2,
                 gated: bool = True) -> None:
        super().__init__()
        self.kernel = kernel
        self.gated = gated
        width = 2 * out_channels if gated else out_channels
        self.conv = nn.Conv2d(in_channels, width, kernel_size=(kernel, 1))

    def forward(self, x: Tensor) -> Tensor:
        h = x.permute(0, 3, 1, 2)  # B, C, T, N
        h = F.pad(h, (0, 0, self.kernel - 1, 0))
        h = self.conv(h)
        h = F.glu(h, dim=1) if self.gated else F.relu(h)
        return h.permute(0, 2, 3, 1)


class STBlock(nn.Module):
    """ST-GCN "sandwich" (Yu et al. 2018): gated temporal conv, Chebyshev graph conv + ReLU,
    temporal conv, layer norm over channels, dropout; a linear residual keeps the input path.
    ``sparse``: the graph conv as sparse x dense products (False: PyG's gather / scatter).

    Shapes: x ``[B, T, N, C_in]`` -> ``[B, T, N, C_out]``.
    """

    def __init__(
        self,
        in_channels: int,
        hidden: int,
        out_channels: int,
        K: int = 2,
        kernel: int = 2,
        dropout: float = 0.1,
        sparse: bool = True,
    ) -> None:
        super().__init__()
        self.temporal_in = TemporalConv(in_channels, hidden, kernel, gated=True)
        self.graph_conv = cheb_graph_conv(hidden, hidden, K, sparse)
        self.temporal_out = TemporalConv(hidden, out_channels, kernel, gated=False)
        self.residual = nn.Linear(in_channels, out_channels)
        self.norm = nn.LayerNorm(out_channels)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: Tensor, edge_index: Tensor, edge_weight: Tensor | None = None) -> Tensor:
        h = self.temporal_in(x)
        h = F.relu(self.graph_conv(h, edge_index, edge_weight))
        h = self.temporal_out(h)
        return self.dropout(self.norm(h + self.residual(x)))

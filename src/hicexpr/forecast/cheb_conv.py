"""Chebyshev spectral graph convolution applied to every (batch, time) slice."""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch_geometric.nn import ChebConv


class ChebGraphConv(nn.Module):
    r"""Chebyshev graph convolution (Defferrard et al. 2016) over node features of a sequence.

    .. math::
        X' = \sum_{k=0}^{K-1} T_k(\tilde L) X \Theta_k,\quad
        \tilde L = 2L/\lambda_{max} - I,\quad L = I - D^{-1/2} A D^{-1/2}

    Wraps :class:`torch_geometric.nn.ChebConv` (which needs no torch-scatter/torch-sparse for an
    ``edge_index`` input); the node dimension is ``-2`` so any leading batch/time dims broadcast.

    Shapes:
        x ``[..., N, C_in]``, edge_index ``[2, E]``, edge_weight ``[E]`` -> ``[..., N, C_out]``.
    """

    def __init__(self, in_channels: int, out_channels: int, K: int = 2) -> None:
        super().__init__()
        self.conv = ChebConv(in_channels, out_channels, K=K, normalization="sym")

    def reset_parameters(self) -> None:
        self.conv.reset_parameters()

    def forward(self, x: Tensor, edge_index: Tensor, edge_weight: Tensor | None = None) -> Tensor:
        if edge_index.numel() == 0:
            # no edges: L = I, so T_k(L~) = T_k(0); apply the conv's k=0 term on node features.
            return self.conv.lins[0](x) + (self.conv.bias if self.conv.bias is not None else 0.0)
        return self.conv(x, edge_index, edge_weight, lambda_max=torch.tensor(2.0))

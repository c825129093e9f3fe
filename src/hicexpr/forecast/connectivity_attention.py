"""Attention over genes from their connectivity (degree, contact strength)."""

from __future__ import annotations

import torch
from torch import Tensor, nn


class ConnectivityAttention(nn.Module):
    r"""Re-weight node features by attention scores computed from node connectivity.

    .. math::
        s_{bi} = w_2^\top \tanh(W_1 [c_i \,\|\, h_{bi}]),\quad
        a_{bi} = N \cdot \mathrm{softmax}_i(s_{b\cdot}),\quad h'_{bi} = a_{bi} h_{bi}

    where :math:`c_i` are connectivity statistics of gene *i* (log weighted degree, log number
    of neighbours, mean contact strength) and :math:`h_{bi}` its features in window *b*. Each
    window is weighted from its own features only, so a forecast never depends on the other
    windows of a batch (e.g. later test windows). Weights average 1 over nodes, so the layer
    starts near identity and learns to amplify well-connected (or isolated) genes.

    Shapes: h ``[B, N, C]``, stats ``[N, S]`` -> (``[B, N, C]``, weights ``[B, N]``).
    """

    def __init__(self, channels: int, n_stats: int = 3, hidden: int = 8) -> None:
        super().__init__()
        self.proj = nn.Linear(n_stats + channels, hidden)
        self.score = nn.Linear(hidden, 1)

    def forward(self, h: Tensor, stats: Tensor) -> tuple[Tensor, Tensor]:
        per_window = stats[None].expand(h.shape[0], -1, -1)
        s = self.score(torch.tanh(self.proj(torch.cat([per_window, h], dim=-1)))).squeeze(-1)
        weights = torch.softmax(s, dim=-1) * h.shape[-2]
        return h * weights[..., None], weights


def connectivity_stats(edge_index: Tensor, edge_weight: Tensor | None, n_nodes: int) -> Tensor:
    """``[N, 3]``: log1p weighted degree, log1p neighbour count, mean |edge weight|."""
    w = torch.ones(edge_index.shape[1]) if edge_weight is None else edge_weight.abs().float()
    deg = torch.zeros(n_nodes).index_add_(0, edge_index[0], w)
    count = torch.zeros(n_nodes).index_add_(0, edge_index[0], torch.ones_like(w))
    mean = deg / count.clamp(min=1.0)
    stats = torch.stack([torch.log1p(deg), torch.log1p(count), mean], dim=1)
    return (stats - stats.mean(0)) / stats.std(0).clamp(min=1e-6) if n_nodes > 1 else stats

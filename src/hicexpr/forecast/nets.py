"""Network bodies of the neural forecasters (compositions of the layer modules).

Every net maps windows ``x`` ``[B, L, N]`` (scaled expression) to forecasts ``[B, H, N]`` as
``last + AR(x - last) + head(features)``: a persistence skip plus a shared linear AR term
(both start at persistence: AR and head weights are zero-initialised), so the deep part only
learns a correction. Input channels per time step and gene: value, first difference and static
node features (e.g. Node2vec) ``[N, F]``.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from hicexpr.forecast.connectivity_attention import ConnectivityAttention
from hicexpr.forecast.st_block import STBlock
from hicexpr.forecast.temporal_attention import TemporalAttention


def input_channels(x: Tensor, node_features: Tensor | None) -> Tensor:
    """``[B, L, N]`` -> ``[B, L, N, 2 + F]`` (value, first difference, static node features)."""
    diff = torch.diff(x, dim=1, prepend=x[:, :1])
    parts = [x[..., None], diff[..., None]]
    if node_features is not None and node_features.shape[-1] > 0:
        B, L, N = x.shape
        parts.append(node_features[None, None].expand(B, L, N, node_features.shape[-1]))
    return torch.cat(parts, dim=-1)


class ResidualHead(nn.Module):
    """``last + AR(x - last) + AR_gene(x) + Linear(h)``: shapes x ``[B, L, N]``,
    h ``[B, N, C]`` -> ``[B, H, N]``.

    ``AR`` is shared by all genes; ``AR_gene`` (when ``n_nodes`` is given) adds per-gene lag
    coefficients and intercepts, so the net contains a per-gene AR model plus the graph term.
    """

    def __init__(self, channels: int, input_length: int, horizon: int,
                 n_nodes: int | None = None) -> None:
        super().__init__()
        self.ar = nn.Linear(input_length, horizon)
        self.out = nn.Linear(channels, horizon)
        for lin in (self.ar, self.out):
            nn.init.zeros_(lin.weight)
            nn.init.zeros_(lin.bias)
        self.gene_ar = None
        if n_nodes is not None:
            self.gene_ar = nn.Parameter(torch.zeros(n_nodes, input_length, horizon))
            self.gene_bias = nn.Parameter(torch.zeros(n_nodes, horizon))

    def forward(self, x: Tensor, h: Tensor) -> Tensor:
        last = x[:, -1, :]
        delta = (x - last[:, None, :]).permute(0, 2, 1)  # B, N, L
        out = last[..., None] + self.ar(delta) + self.out(h)
        if self.gene_ar is not None:
            out = out + torch.einsum("bnl,nlh->bnh", x.permute(0, 2, 1), self.gene_ar)
            out = out + self.gene_bias
        return out.permute(0, 2, 1)


class STEPmrNet(nn.Module):
    """Two ST blocks, connectivity attention over the last step, residual head."""

    def __init__(self, in_channels: int, hidden: int, input_length: int, horizon: int,
                 K: int = 2, dropout: float = 0.1, n_stats: int = 3,
                 n_nodes: int | None = None, sparse: bool = True) -> None:
        super().__init__()
        self.blocks = nn.ModuleList(
            [STBlock(in_channels, hidden, hidden, K, dropout=dropout, sparse=sparse),
             STBlock(hidden, hidden, hidden, K, dropout=dropout, sparse=sparse)]
        )
        self.attention = ConnectivityAttention(hidden, n_stats)
        self.head = ResidualHead(hidden, input_length, horizon, n_nodes)

    def forward(self, x: Tensor, edge_index: Tensor, edge_weight: Tensor,
                node_features: Tensor | None, stats: Tensor) -> Tensor:
        h = input_channels(x, node_features)
        for block in self.blocks:
            h = block(h, edge_index, edge_weight)
        h, _ = self.attention(h[:, -1], stats)
        return self.head(x, h)


class STEPmiNet(nn.Module):
    """Three ST blocks, a bidirectional LSTM per gene over time, multi-head temporal attention."""

    def __init__(self, in_channels: int, hidden: int, input_length: int, horizon: int,
                 K: int = 2, dropout: float = 0.1, heads: int = 2,
                 n_nodes: int | None = None, sparse: bool = True) -> None:
        super().__init__()
        self.blocks = nn.ModuleList(
            [STBlock(in_channels if i == 0 else hidden, hidden, hidden, K, dropout=dropout,
                     sparse=sparse)
             for i in range(3)]
        )
        self.lstm = nn.LSTM(hidden, hidden // 2, batch_first=True, bidirectional=True)
        self.attention = TemporalAttention(2 * (hidden // 2), heads)
        self.head = ResidualHead(2 * (hidden // 2), input_length, horizon, n_nodes)

    def forward(self, x: Tensor, edge_index: Tensor, edge_weight: Tensor,
                node_features: Tensor | None, stats: Tensor) -> Tensor:
        h = input_channels(x, node_features)
        for block in self.blocks:
            h = block(h, edge_index, edge_weight)
        B, T, N, C = h.shape
        seq, _ = self.lstm(h.permute(0, 2, 1, 3).reshape(B * N, T, C))
        seq = seq.reshape(B, N, T, -1).permute(0, 2, 1, 3)
        h, _ = self.attention(seq)
        return self.head(x, h)


class GRUNet(nn.Module):
    """A GRU per gene over time (shared weights, no graph) and the residual head."""

    def __init__(self, in_channels: int, hidden: int, input_length: int, horizon: int,
                 dropout: float = 0.1, n_nodes: int | None = None) -> None:
        super().__init__()
        self.gru = nn.GRU(in_channels, hidden, batch_first=True)
        self.dropout = nn.Dropout(dropout)
        self.head = ResidualHead(hidden, input_length, horizon, n_nodes)

    def forward(self, x: Tensor, edge_index: Tensor, edge_weight: Tensor,
                node_features: Tensor | None, stats: Tensor) -> Tensor:
        h = input_channels(x, node_features)
        B, T, N, C = h.shape
        _, last = self.gru(h.permute(0, 2, 1, 3).reshape(B * N, T, C))
        return self.head(x, self.dropout(last[-1].reshape(B, N, -1)))


def neighbour_mean(h: Tensor, edge_index: Tensor, edge_weight: Tensor) -> Tensor:
    """Contact-weighted mean over each node's neighbours along dim -2 (nodes): ``[..., N, C]``
    -> ``[..., N, C]`` (isolated nodes get 0). Edges ``j -> i`` (source, target)."""
    n = h.shape[-2]
    if edge_index.numel() == 0:
        return torch.zeros_like(h)
    src, dst = edge_index
    deg = torch.zeros(n, dtype=h.dtype).index_add_(0, dst, edge_weight.to(h.dtype))
    norm = edge_weight.to(h.dtype) / deg[dst].clamp(min=1e-12)
    msg = h.index_select(-2, src) * norm[:, None]
    return torch.zeros_like(h).index_add_(-2, dst, msg)


class GraphGRUNet(nn.Module):
    """GRU per gene over its own history *and* its Hi-C neighbours' mean history, then one
    gated message-passing step over the Hi-C graph on the final hidden states, residual head.

    Inputs per time step and gene: value, first difference, neighbours' mean value and mean
    difference (+ static node features). The message step ``h_i + tanh(g) W mean_j h_j`` starts
    at zero (``g = 0``), so an untrained graph term is a plain GRU with neighbour inputs.
    """

    def __init__(self, in_channels: int, hidden: int, input_length: int, horizon: int,
                 dropout: float = 0.1, n_nodes: int | None = None) -> None:
        super().__init__()
        self.gru = nn.GRU(in_channels + 2, hidden, batch_first=True)
        self.message = nn.Linear(hidden, hidden)
        self.gate = nn.Parameter(torch.zeros(1))
        self.dropout = nn.Dropout(dropout)
        self.head = ResidualHead(hidden, input_length, horizon, n_nodes)

    def forward(self, x: Tensor, edge_index: Tensor, edge_weight: Tensor,
                node_features: Tensor | None, stats: Tensor) -> Tensor:
        h = input_channels(x, node_features)
        nb = neighbour_mean(x[..., None], edge_index, edge_weight)[..., 0]  # B, L, N
        nb_diff = torch.diff(nb, dim=1, prepend=nb[:, :1])
        h = torch.cat([h, nb[..., None], nb_diff[..., None]], dim=-1)
        B, T, N, C = h.shape
        _, last = self.gru(h.permute(0, 2, 1, 3).reshape(B * N, T, C))
        hid = last[-1].reshape(B, N, -1)
        hid = hid + torch.tanh(self.gate) * self.message(neighbour_mean(hid, edge_index,
                                                                        edge_weight))
        return self.head(x, self.dropout(hid))

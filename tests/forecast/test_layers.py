"""Each block does what its name says: graph conv mixes neighbours only, temporal convs are
causal, attentions change the output."""

from __future__ import annotations

import torch

from hicexpr.forecast import ChebGraphConv, ConnectivityAttention, STBlock, TemporalAttention
from hicexpr.forecast.connectivity_attention import connectivity_stats

torch.manual_seed(0)
PATH = torch.tensor([[0, 1, 1, 2, 2, 3], [1, 0, 2, 1, 3, 2]])  # path 0-1-2-3, node 4 isolated


def test_cheb_conv_mixes_k_hop_neighbours_only() -> None:
    conv = ChebGraphConv(3, 5, K=2)
    x = torch.randn(2, 4, 5, 3)  # B, T, N, C
    out = conv(x, PATH, torch.ones(6))
    assert out.shape == (2, 4, 5, 5)
    x2 = x.clone()
    x2[..., 0, :] += 1.0  # perturb node 0
    diff = (conv(x2, PATH, torch.ones(6)) - out).abs().sum(dim=(0, 1, 3))
    assert diff[1] > 1e-4  # its neighbour changes
    assert diff[2] < 1e-6 and diff[3] < 1e-6 and diff[4] < 1e-6  # 2+ hops away: unchanged


def test_st_block_is_causal_in_time() -> None:
    block = STBlock(2, 8, 6, K=2, dropout=0.0).eval()
    x = torch.randn(3, 5, 5, 2)
    out = block(x, PATH, torch.ones(6))
    assert out.shape == (3, 5, 5, 6)
    x2 = x.clone()
    x2[:, -1] += 5.0
    out2 = block(x2, PATH, torch.ones(6))
    assert torch.allclose(out[:, :-1], out2[:, :-1], atol=1e-6)  # the past ignores the future
    assert not torch.allclose(out[:, -1], out2[:, -1])


def test_connectivity_attention_weights_depend_on_degree_and_modulate_features() -> None:
    att = ConnectivityAttention(channels=4, n_stats=3)
    for p in att.parameters():
        torch.nn.init.normal_(p, std=1.0)
    stats = connectivity_stats(PATH, torch.ones(6), 5)
    assert stats[4, 0] < stats[1, 0]  # the isolated node has the lowest degree
    h = torch.ones(2, 5, 4)
    out, w = att(h, stats)
    assert w.shape == (2, 5)
    assert torch.allclose(w.mean(dim=1), torch.ones(2))
    assert w[0].std() > 1e-3  # not uniform: degree matters
    assert torch.allclose(out, h * w[..., None])
    other = connectivity_stats(torch.tensor([[0, 4], [4, 0]]), torch.ones(2), 5)
    _, w2 = att(h, other)
    assert not torch.allclose(w, w2)


def test_connectivity_attention_weighs_each_window_from_its_own_features() -> None:
    """A window's output must not depend on the other windows of the batch (later test
    windows would otherwise leak into earlier forecasts)."""
    att = ConnectivityAttention(channels=4, n_stats=3)
    stats = connectivity_stats(PATH, torch.ones(6), 5)
    h = torch.randn(3, 5, 4)
    out, w = att(h, stats)
    alone, w_alone = att(h[:1], stats)
    assert torch.allclose(out[:1], alone) and torch.allclose(w[:1], w_alone)
    h2 = h.clone()
    h2[1:] += 10.0  # other windows change
    assert torch.allclose(att(h2, stats)[0][0], out[0])
    assert not torch.allclose(att(h2, stats)[1][1], w[1])  # its own features do matter


def test_temporal_attention_reads_every_time_step() -> None:
    att = TemporalAttention(channels=8, heads=2).eval()
    x = torch.randn(2, 6, 3, 8)
    out, w = att(x)
    assert out.shape == (2, 3, 8) and w.shape == (2, 3, 6)
    assert torch.allclose(w.sum(-1), torch.ones(2, 3))
    x2 = x.clone()
    x2[:, 0] += 3.0  # change the first (oldest) step only
    out2, _ = att(x2)
    assert not torch.allclose(out, out2)


def test_st_block_sparse_and_pyg_convolutions_are_the_same_layer() -> None:
    """Same parameters for a seed (so saved models load either way) and the same output."""
    torch.manual_seed(0)
    pyg = STBlock(3, 8, 8, K=3, sparse=False)
    torch.manual_seed(0)
    sparse = STBlock(3, 8, 8, K=3, sparse=True)
    assert type(pyg.graph_conv).__name__ == "ChebGraphConv"
    assert type(sparse.graph_conv).__name__ == "SparseChebGraphConv"
    a, b = pyg.state_dict(), sparse.state_dict()
    assert list(a) == list(b) and all(torch.equal(a[k], b[k]) for k in a)
    pyg.eval(), sparse.eval()
    x = torch.randn(2, 4, 6, 3)
    edge_index = torch.tensor([[0, 1, 1, 2, 3, 4], [1, 0, 2, 1, 4, 3]])
    weight = torch.rand(6)
    assert torch.allclose(pyg(x, edge_index, weight), sparse(x, edge_index, weight), atol=1e-6)

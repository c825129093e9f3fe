"""A planted coupled time course on a chain of genes, for the mini-batch and GPU tests."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch_geometric.data import Data

from hicexpr.evaluate.windows import make_windows

N, T, L = 60, 48, 3


def chain_graph(n: int) -> Data:
    """Genes 0 - 1 - ... - n-1, unit weights, both directions."""
    src = np.arange(n - 1)
    ei = np.stack([np.concatenate([src, src + 1]), np.concatenate([src + 1, src])])
    return Data(edge_index=torch.as_tensor(ei), edge_weight=torch.ones(ei.shape[1]), num_nodes=n)


def chain_windows() -> tuple[Any, Any, Any, Data]:
    """Each gene follows 0.5 x itself + 0.4 x its neighbours' mean + noise: train /
    validation / test windows (input length ``L``, one step) and the chain graph."""
    rng = np.random.default_rng(0)
    x = np.zeros((T, N))
    x[0] = rng.normal(size=N)
    for t in range(1, T):
        nb = (np.roll(x[t - 1], 1) + np.roll(x[t - 1], -1)) / 2
        x[t] = 0.5 * x[t - 1] + 0.4 * nb + rng.normal(0, 0.3, N)
    train = make_windows(x, x, np.arange(L - 1, 34), L, 1)
    val = make_windows(x, x, np.arange(34, 40), L, 1)
    test = make_windows(x, x, np.arange(40, T - 1), L, 1)
    return train, val, test, chain_graph(N)

"""Small planted systems shared by the forecast tests."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch_geometric.data import Data


def swap_system(n_pairs: int = 10, n_times: int = 40, seed: int = 0) -> tuple[np.ndarray, Data]:
    """Genes in contact pairs; each gene's next value is 0.9 x its partner's current value.

    Persistence is poor (values alternate); the Hi-C partner predicts the next step exactly.
    """
    rng = np.random.default_rng(seed)
    n = 2 * n_pairs
    partner = np.arange(n) ^ 1
    x = np.zeros((n_times, n))
    x[0] = rng.normal(size=n)
    for t in range(1, n_times):
        x[t] = 0.9 * x[t - 1, partner] + 0.3 * rng.normal(size=n)
    ei = torch.tensor(np.stack([np.arange(n), partner]), dtype=torch.long)
    return x, Data(edge_index=ei, edge_weight=torch.ones(n), num_nodes=n)


@pytest.fixture(scope="session")
def swap() -> tuple[np.ndarray, Data]:
    return swap_system()

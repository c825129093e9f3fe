"""CUDA paths (run only where a CUDA GPU is present; ``benchmarks/bench_gpu.py`` measures them).

On a machine without CUDA every test here is skipped; ``test_gpu_model_file.py`` checks on
any machine that a model fitted on a GPU loads and predicts on the CPU.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch_geometric.data import Data

from hicexpr.evaluate.windows import make_windows
from hicexpr.forecast.base import Forecaster
from hicexpr.forecast.minibatch import MiniBatchSTEPmr, resolve_device

pytestmark = [pytest.mark.gpu,
              pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU here")]

N, T, L = 60, 48, 3


@pytest.fixture(scope="module")
def data():
    """Genes on a chain; each follows 0.5 x itself + 0.4 x its neighbours' mean + noise."""
    rng = np.random.default_rng(0)
    x = np.zeros((T, N))
    x[0] = rng.normal(size=N)
    for t in range(1, T):
        x[t] = 0.5 * x[t - 1] + 0.4 * (np.roll(x[t - 1], 1) + np.roll(x[t - 1], -1)) / 2 \
            + rng.normal(0, 0.3, N)
    src = np.arange(N - 1)
    ei = torch.as_tensor(np.stack([np.r_[src, src + 1], np.r_[src + 1, src]]))
    graph = Data(edge_index=ei, edge_weight=torch.ones(ei.shape[1]), num_nodes=N)
    train = make_windows(x, x, np.arange(L - 1, 34), L, 1)
    val = make_windows(x, x, np.arange(34, 40), L, 1)
    test = make_windows(x, x, np.arange(40, T - 1), L, 1)
    return train, val, test, graph


def _fit(device: str, data) -> MiniBatchSTEPmr:
    train, val, _, graph = data
    return MiniBatchSTEPmr(hidden=8, max_epochs=25, patience=25, seed=0, batch_windows=16,
                           gene_blocks=3, lr=0.02, device=device).fit(train, graph=graph,
                                                                      validation=val)


def test_cuda_fit_learns_and_agrees_with_cpu(data) -> None:
    test = data[2]
    gpu, cpu = _fit("cuda", data), _fit("cpu", data)
    assert next(gpu.nets_[0].parameters()).device.type == "cuda"
    pred = gpu.predict(test.X)[:, 0]
    mse_gpu = np.mean((pred - test.y[:, 0]) ** 2)
    assert mse_gpu < np.mean((test.X[:, -1] - test.y[:, 0]) ** 2)  # beats persistence
    mse_cpu = np.mean((cpu.predict(test.X)[:, 0] - test.y[:, 0]) ** 2)
    assert abs(mse_gpu - mse_cpu) < 0.02 * mse_cpu  # same fit up to float rounding
    assert gpu.train_results_[0].best_epoch == cpu.train_results_[0].best_epoch


def test_device_names() -> None:
    from hicexpr.lib.errors import InputError

    assert resolve_device("auto").type == "cuda"
    assert resolve_device("cuda:0").index == 0
    with pytest.raises(InputError, match="the GPUs on this machine"):
        resolve_device(f"cuda:{torch.cuda.device_count()}")


def test_cuda_model_saves_and_predicts_on_cpu(data, tmp_path) -> None:
    test = data[2]
    gpu = _fit("cuda", data)
    expected = gpu.predict(test.X)
    loaded = Forecaster.load(gpu.save(tmp_path / "model.pt"))
    assert loaded.edge_index_.device.type == "cpu"  # read onto the CPU ...
    np.testing.assert_allclose(loaded.predict(test.X), expected, rtol=1e-5, atol=1e-5)
    assert loaded.edge_index_.device.type == "cuda"  # ... and moved back to its device
    loaded.device = "cpu"
    np.testing.assert_allclose(loaded.predict(test.X), expected, rtol=1e-4, atol=1e-4)


def test_beluga_profiles_on_cuda_match_cpu(tmp_path) -> None:
    from hicexpr.spex.beluga import Beluga, BelugaProfiles

    rng = np.random.default_rng(0)
    fasta = tmp_path / "g.fa"
    fasta.write_text(">chr1\n" + "".join(rng.choice(list("ACGT"), 5_000)) + "\n")
    torch.manual_seed(0)
    model = Beluga(channels=(8, 8, 8), seq_len=400, hidden=16, n_outputs=5)
    centres = np.arange(300, 4_700, 250)
    cpu = BelugaProfiles(model, fasta, device="cpu").windows("chr1", centres)
    gpu_profiles = BelugaProfiles(model, fasta)  # CUDA by default when present
    assert gpu_profiles.device.type == "cuda"
    np.testing.assert_allclose(gpu_profiles.windows("chr1", centres), cpu, atol=1e-3)

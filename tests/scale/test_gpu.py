"""CUDA paths (run only where a CUDA GPU is present; ``benchmarks/bench_gpu.py`` measures them).

On a machine without CUDA every test here is skipped; ``test_gpu_model_file.py`` checks on
any machine that a model fitted on a GPU loads and predicts on the CPU.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from hicexpr.forecast.base import Forecaster
from hicexpr.forecast.minibatch import MiniBatchSTEPmr
from hicexpr.lib.devices import resolve_device

pytestmark = [pytest.mark.gpu,
              pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU here")]


def _fit(device: str, chain_data: tuple) -> MiniBatchSTEPmr:
    train, val, _, graph = chain_data
    return MiniBatchSTEPmr(hidden=8, max_epochs=25, patience=25, seed=0, batch_windows=16,
                           gene_blocks=3, lr=0.02, device=device).fit(train, graph=graph,
                                                                      validation=val)


def test_cuda_fit_learns_and_agrees_with_cpu(chain_data) -> None:
    test = chain_data[2]
    gpu, cpu = _fit("cuda", chain_data), _fit("cpu", chain_data)
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


def test_cuda_model_saves_and_predicts_on_cpu(chain_data, tmp_path) -> None:
    test = chain_data[2]
    gpu = _fit("cuda", chain_data)
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

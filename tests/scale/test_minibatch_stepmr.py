"""STEPmr at scale: mini-batches of windows x gene blocks, sparse graph, selectable device."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from hicexpr.cli import app
from hicexpr.datasets.simulate import simulate_dataset
from hicexpr.forecast import (
    ChebGraphConv,
    Forecaster,
    MiniBatchSTEPmr,
    SparseChebGraphConv,
    STEPmr,
    gene_blocks,
    make_model,
    resolve_device,
    window_batches,
)
from hicexpr.lib.errors import InputError
from hicexpr.workflows import scale

from .chain import chain_graph


def test_one_batch_is_exactly_stepmr(chain_data) -> None:
    train, val, test, graph = chain_data
    params = dict(hidden=8, max_epochs=15, patience=5, seed=3)
    ref = STEPmr(**params).fit(train, graph=graph, validation=val)
    mb = MiniBatchSTEPmr(**params).fit(train, graph=graph, validation=val)
    np.testing.assert_array_equal(mb.predict(test.X), ref.predict(test.X))
    assert mb.train_results_[0].best_epoch == ref.train_results_[0].best_epoch
    assert isinstance(ref.nets_[0].blocks[0].graph_conv, SparseChebGraphConv)
    # PyG's gather / scatter Chebyshev convolution: the same model up to float rounding
    pyg = MiniBatchSTEPmr(**params, sparse_matmul=False).fit(train, graph=graph, validation=val)
    assert isinstance(pyg.nets_[0].blocks[0].graph_conv, ChebGraphConv)
    np.testing.assert_allclose(pyg.predict(test.X), ref.predict(test.X), atol=1e-4)


def test_sparse_cheb_conv_equals_pyg() -> None:
    torch.manual_seed(0)
    graph = chain_graph(30)
    w = torch.rand(graph.edge_index.shape[1])
    ref = ChebGraphConv(4, 5, K=3)
    fast = SparseChebGraphConv(ref.conv)
    x = torch.randn(2, 3, 30, 4, requires_grad=True)
    a = ref(x, graph.edge_index, w)
    b = fast(x, graph.edge_index, w)
    torch.testing.assert_close(b, a, rtol=1e-5, atol=1e-6)
    (ga,) = torch.autograd.grad(a.square().sum(), x)
    (gb,) = torch.autograd.grad(b.square().sum(), x)
    torch.testing.assert_close(gb, ga, rtol=1e-5, atol=1e-6)


def test_minibatches_learn_the_dynamics(chain_data) -> None:
    train, val, test, graph = chain_data
    model = MiniBatchSTEPmr(hidden=8, max_epochs=25, patience=25, seed=0, batch_windows=16,
                            gene_blocks=3, lr=0.02, device="cpu")
    model.fit(train, graph=graph, validation=val)
    hist = np.array(model.train_results_[0].history)
    assert len(model.blocks_) == 3
    assert hist[-5:, 0].mean() < hist[:5, 0].mean()  # training loss falls
    pred = model.predict(test.X)[:, 0]
    target = test.y[:, 0]
    mse_model = np.mean((pred - target) ** 2)
    mse_persist = np.mean((test.X[:, -1] - target) ** 2)
    assert mse_model < mse_persist  # beats persistence on mean-reverting coupled series


def test_blocks_and_batches_partition() -> None:
    blocks = gene_blocks(10, 3)
    assert [len(b) for b in blocks] == [4, 3, 3]
    np.testing.assert_array_equal(np.concatenate(blocks), np.arange(10))
    assert [len(b) for b in window_batches(10, 4)] == [4, 4, 2]
    assert len(window_batches(10, None)) == 1
    with pytest.raises(InputError, match="gene_blocks: expected a positive number of gene "
                       "blocks, got 0"):
        gene_blocks(10, 0)


def test_device_selection() -> None:
    assert resolve_device("cpu").type == "cpu"
    assert resolve_device("auto").type in ("cpu", "cuda")
    with pytest.raises(InputError, match="device"):
        resolve_device("tpu-9")
    if not torch.cuda.is_available():
        with pytest.raises(InputError, match="CUDA"):
            resolve_device("cuda")


def test_keeps_every_stepmr_hyper_parameter() -> None:
    assert set(STEPmr().get_params()) <= set(MiniBatchSTEPmr().get_params())
    assert MiniBatchSTEPmr(hidden=4, gene_blocks=2).get_params()["hidden"] == 4


def test_registered_saved_and_reexported(chain_data, tmp_path) -> None:
    assert scale.MiniBatchSTEPmr is MiniBatchSTEPmr  # the workflow re-exports the model
    train, val, test, graph = chain_data
    model = make_model("stepmr_minibatch", hidden=4, max_epochs=3, batch_windows=8,
                       gene_blocks=2)
    assert isinstance(model, MiniBatchSTEPmr)
    model.fit(train, graph=graph, validation=val)
    loaded = Forecaster.load(model.save(tmp_path / "mb.pt"))
    assert type(loaded) is MiniBatchSTEPmr
    np.testing.assert_array_equal(loaded.predict(test.X), model.predict(test.X))


def test_sparse_backward_uses_the_cached_transpose() -> None:
    """A directed, weighted graph: the custom backward (lap^T @ grad) equals autograd's."""
    torch.manual_seed(1)
    ei = torch.tensor([[0, 1, 2, 3, 0], [1, 2, 3, 0, 2]])
    w = torch.rand(5)
    conv = SparseChebGraphConv(ChebGraphConv(3, 2, K=3).conv)
    lap, lap_t = conv.laplacian(ei, w, 4, torch.float32)
    assert conv.laplacian(ei, w, 4, torch.float32)[0] is lap  # cached
    x = torch.randn(2, 4, 3, requires_grad=True)
    (ga,) = torch.autograd.grad(scale.sparse_matmul(lap, x).square().sum(), x)
    (gb,) = torch.autograd.grad(scale.sparse_matmul(lap, x, lap_t).square().sum(), x)
    torch.testing.assert_close(gb, ga)


@pytest.mark.slow
def test_forecast_cli_runs_the_minibatch_model(tmp_path) -> None:
    sim = simulate_dataset(tmp_path / "sim", seed=1, n_genes=30, n_times=24)
    config = tmp_path / "cfg.yaml"
    config.write_text("model_params:\n  stepmr_minibatch: {hidden: 4, max_epochs: 5, "
                      "batch_windows: 4, gene_blocks: 2}\n")
    res = CliRunner().invoke(app, [
        "-q", "forecast", "--expression", str(sim.expression), "--contacts", str(sim.cool),
        "--genes", str(sim.genes), "--out", str(tmp_path / "run"), "--models",
        "persistence,stepmr_minibatch", "--seeds", "1", "--no-report", "--config", str(config)])
    assert res.exit_code == 0, res.output
    metrics = (tmp_path / "run" / "metrics.json").read_text()
    assert "stepmr_minibatch" in metrics

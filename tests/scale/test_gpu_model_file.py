"""A model saved on a CUDA GPU loads and predicts on a machine without one.

``torch.save`` tags every tensor with the device it was on (``cuda:0`` after a GPU fit), and a
plain ``torch.load`` of such a file fails on a CPU-only machine. The file here is written with
that tag (``torch.serialization.location_tag`` patched), so the test runs without a GPU.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from hicexpr.evaluate.windows import make_windows
from hicexpr.forecast.base import Forecaster
from hicexpr.forecast.minibatch import MiniBatchSTEPmr

from .chain import chain_graph


def _fitted() -> tuple[MiniBatchSTEPmr, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(30, 12)).cumsum(axis=0)
    graph = chain_graph(12)
    train = make_windows(x, x, np.arange(2, 22), 3, 1)
    val = make_windows(x, x, np.arange(22, 26), 3, 1)
    test = make_windows(x, x, np.arange(26, 29), 3, 1)
    model = MiniBatchSTEPmr(hidden=4, max_epochs=3, patience=3, gene_blocks=2, batch_windows=8)
    return model.fit(train, graph=graph, validation=val), test.X


def test_cuda_tagged_model_file_loads_on_cpu(tmp_path, monkeypatch) -> None:
    model, X = _fitted()
    expected = model.predict(X)
    model.device = "cuda"  # as fitted on a GPU
    path = tmp_path / "model.pt"
    with monkeypatch.context() as m:
        m.setattr(torch.serialization, "location_tag", lambda storage: "cuda:0")
        model.save(path)
    if not torch.cuda.is_available():  # what a plain torch.load does with such a file
        with pytest.raises(RuntimeError, match="CUDA"):
            torch.load(path, weights_only=False)
    loaded = Forecaster.load(path)
    assert loaded.edge_index_.device.type == "cpu"
    assert loaded.device == "cuda"
    loaded.device = "cpu"
    np.testing.assert_allclose(loaded.predict(X), expected, rtol=1e-6, atol=1e-6)


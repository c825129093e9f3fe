"""Device names are checked against the machine with one-line errors (no GPU needed: CUDA's
presence is simulated)."""

from __future__ import annotations

import pytest
import torch

from hicexpr.lib.devices import resolve_device
from hicexpr.lib.errors import InputError


def test_names_and_auto() -> None:
    assert resolve_device("cpu").type == "cpu"
    assert resolve_device(None).type == "cpu"
    assert resolve_device(" CPU ").type == "cpu"
    assert resolve_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    with pytest.raises(InputError, match="expected cpu, cuda, cuda:N, mps or auto"):
        resolve_device("tpu-9")


def test_cuda_absent_or_out_of_range(monkeypatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(InputError, match="no CUDA GPU here: use device='cpu'"):
        resolve_device("cuda")
    assert resolve_device("auto").type == "cpu"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    assert resolve_device("cuda:1").index == 1
    assert resolve_device("auto").type == "cuda"
    with pytest.raises(InputError, match=r"cuda:0 \.\. cuda:1 \(the GPUs on this machine\)"):
        resolve_device("cuda:2")

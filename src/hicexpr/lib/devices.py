"""Torch devices by name, checked against the machine (one-line errors, not CUDA tracebacks)."""

from __future__ import annotations

import torch

from hicexpr.lib.errors import InputError


def resolve_device(device: str | None) -> torch.device:
    """``torch.device`` for ``cpu``, ``cuda``, ``cuda:N``, ``mps`` or ``auto`` (GPU if any)."""
    name = (device or "cpu").strip().lower()
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    try:
        dev = torch.device(name)
    except RuntimeError:
        raise InputError("device", "", "cpu, cuda, cuda:N, mps or auto", device) from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise InputError("device", "", "a device present on this machine (no CUDA GPU here: "
                         "use device='cpu')", device)
    if dev.type == "cuda" and (dev.index or 0) >= torch.cuda.device_count():
        raise InputError("device", "", f"cuda:0 .. cuda:{torch.cuda.device_count() - 1} "
                         "(the GPUs on this machine)", device)
    if dev.type == "mps" and not torch.backends.mps.is_available():
        raise InputError("device", "", "a device present on this machine (no MPS here)", device)
    return dev


__all__ = ["resolve_device"]

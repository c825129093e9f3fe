"""Forecast windows: input length L, horizons 1..H, targets outside a split masked as NaN."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hicexpr.lib.errors import InputError


@dataclass
class WindowSet:
    """Windows cut from a time x gene matrix.

    Attributes:
        X: inputs ``[W, L, N]`` (no NaN).
        y: targets ``[W, H, N]``; NaN where the target is missing or outside the allowed times.
        origins: ``[W]`` index of the last input time point of each window.
    """

    X: np.ndarray
    y: np.ndarray
    origins: np.ndarray

    def __len__(self) -> int:
        return int(self.X.shape[0])

    @property
    def last(self) -> np.ndarray:
        """``[W, N]`` last observed input value (the persistence forecast)."""
        return self.X[:, -1, :]


def make_windows(
    inputs: np.ndarray,
    targets: np.ndarray,
    origins: np.ndarray,
    input_length: int,
    horizon: int = 1,
    target_times: np.ndarray | None = None,
) -> WindowSet:
    """Cut windows ending at ``origins``.

    Args:
        inputs: ``[T, N]`` filled (no NaN) input matrix.
        targets: ``[T, N]`` target matrix (NaN = missing).
        origins: last input time index of each window (``>= input_length - 1``).
        input_length: L, number of input time points.
        horizon: H, targets ``o + 1 ... o + H``.
        target_times: when given, targets at other time indices are masked (NaN).
    """
    origins = np.asarray(origins, dtype=int)
    inputs, targets = np.asarray(inputs), np.asarray(targets)
    if inputs.ndim != 2 or targets.shape != inputs.shape:
        raise InputError("targets", "shape", f"[T, N] like the inputs {inputs.shape}",
                         targets.shape)
    n_times, n_genes = inputs.shape
    bad = origins[(origins < input_length - 1) | (origins >= n_times)]
    if bad.size:
        raise InputError("origins", "", f"time indices from L - 1 = {input_length - 1} to "
                         f"T - 1 = {n_times - 1}", int(bad[0]))
    X = np.empty((len(origins), input_length, n_genes), dtype=np.float64)
    y = np.full((len(origins), horizon, n_genes), np.nan, dtype=np.float64)
    allowed = np.ones(n_times, bool)
    if target_times is not None:
        allowed[:] = False
        allowed[np.asarray(target_times, dtype=int)] = True
    for w, o in enumerate(origins):
        X[w] = inputs[o - input_length + 1 : o + 1]
        for h in range(1, horizon + 1):
            t = o + h
            if t < n_times and allowed[t]:
                y[w, h - 1] = targets[t]
    return WindowSet(X, y, origins)


def fill_missing(values: np.ndarray, lead: float = 0.0) -> np.ndarray:
    """Fill NaN in a ``[T, N]`` matrix by carrying the last observed value forward in time.

    NaN before a gene's first observation (and all-NaN genes) become ``lead`` (0: the centre
    of scaled values), never a later value: only past values fill gaps, so no future
    information enters the inputs.
    """
    out = np.array(values, dtype=np.float64, copy=True)
    for t in range(1, out.shape[0]):
        gap = np.isnan(out[t])
        out[t, gap] = out[t - 1, gap]
    return np.nan_to_num(out, nan=lead)

"""Evaluation protocols: which time points train, validate and test a forecaster.

A forecast window has an *origin* ``o`` (the last observed time index of its input) and targets
``o + 1 ... o + H``. A split assigns windows by their first target ``o + 1``.

- ``chronological`` (default): train on early time points, validate on the next block, test on
  the last ``test_fraction`` of the time points. Scalers and embeddings see training times only.
- ``rolling-origin``: several chronological folds whose test block moves forward over the last
  ``test_fraction`` of the time points; each fold trains on everything before its validation block.
- ``step-random``: STEP's protocol, a random 80/20 split of overlapping windows. It interpolates
  between training windows and its scaler sees every time point: it is **leaky** and is kept only
  for comparison (every output carries ``leaky: true``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from hicexpr.lib.errors import InputError

PROTOCOLS = ("chronological", "rolling-origin", "step-random")


@dataclass(frozen=True)
class Split:
    """Window origins of one train / validation / test split.

    Attributes:
        train, val, test: origin indices (last input time index) of the windows in each part.
        scaler_times: time indices the scaler (and any fitted feature) may see.
        train_times: time indices whose values may be used as training *targets*.
        leaky: True when the protocol lets test information into training (step-random).
        fold: fold number (rolling-origin), else 0.
    """

    train: np.ndarray
    val: np.ndarray
    test: np.ndarray
    scaler_times: np.ndarray
    train_times: np.ndarray
    leaky: bool = False
    fold: int = 0
    name: str = field(default="chronological")


def make_splits(
    n_times: int,
    protocol: str = "chronological",
    input_length: int = 3,
    test_fraction: float = 0.2,
    val_fraction: float = 0.15,
    n_folds: int = 3,
    seed: int = 0,
) -> list[Split]:
    """Splits of ``n_times`` time points under ``protocol`` (one split, or one per fold).

    Raises:
        InputError: unknown protocol, or too few time points for input + train + val + test.
    """
    if protocol not in PROTOCOLS:
        raise InputError("protocol", "", f"one of {', '.join(PROTOCOLS)}", protocol)
    for name, fraction in (("test_fraction", test_fraction), ("val_fraction", val_fraction)):
        if not 0 < fraction < 1:
            raise InputError(name, "", "a fraction between 0 and 1", fraction)
    if protocol == "chronological":
        return [chronological_split(n_times, input_length, test_fraction, val_fraction)]
    if protocol == "rolling-origin":
        return rolling_origin_splits(n_times, input_length, test_fraction, val_fraction, n_folds)
    return [step_random_split(n_times, input_length, test_fraction, seed)]


def _block_sizes(n_times: int, input_length: int, test_fraction: float,
                 val_fraction: float) -> tuple[int, int]:
    n_test = max(1, int(round(test_fraction * n_times)))
    n_val = max(1, int(round(val_fraction * n_times)))
    n_train = n_times - n_test - n_val - input_length
    if n_train < 2:
        raise InputError(
            "expression",
            "time points",
            f"at least {input_length + n_val + n_test + 2} time points for input length "
            f"{input_length}, validation {n_val} and test {n_test}",
            n_times,
        )
    return n_test, n_val


def chronological_split(
    n_times: int, input_length: int = 3, test_fraction: float = 0.2, val_fraction: float = 0.15
) -> Split:
    """Train on early times, validate on the next block, test on the last ``test_fraction``."""
    n_test, n_val = _block_sizes(n_times, input_length, test_fraction, val_fraction)
    test_start = n_times - n_test
    val_start = test_start - n_val
    return _chrono(input_length, val_start, test_start, n_times, fold=0)


def _chrono(input_length: int, val_start: int, test_start: int, test_end: int, fold: int) -> Split:
    first = input_length - 1
    train = np.arange(first, val_start - 1)
    val = np.arange(val_start - 1, test_start - 1)
    test = np.arange(test_start - 1, test_end - 1)
    times = np.arange(0, val_start)
    return Split(train, val, test, times, times, leaky=False, fold=fold, name="chronological")


def rolling_origin_splits(
    n_times: int,
    input_length: int = 3,
    test_fraction: float = 0.2,
    val_fraction: float = 0.15,
    n_folds: int = 3,
) -> list[Split]:
    """Chronological folds whose test blocks tile the last ``test_fraction`` of the times."""
    n_test, n_val = _block_sizes(n_times, input_length, test_fraction, val_fraction)
    n_folds = max(1, min(n_folds, n_test))
    edges = np.linspace(n_times - n_test, n_times, n_folds + 1).round().astype(int)
    splits = []
    for fold, (start, end) in enumerate(zip(edges[:-1], edges[1:], strict=True)):
        split = _chrono(input_length, start - n_val, start, end, fold)
        splits.append(
            Split(split.train, split.val, split.test, split.scaler_times, split.train_times,
                  leaky=False, fold=fold, name="rolling-origin")
        )
    return splits


def step_random_split(
    n_times: int, input_length: int = 3, test_fraction: float = 0.2, seed: int = 0
) -> Split:
    """STEP's random 80/20 split of overlapping windows (LEAKY: for comparison only).

    A tenth of the training windows validates (so validation never equals test); the scaler sees
    every time point, as in STEP.
    """
    origins = np.arange(input_length - 1, n_times - 1)
    if len(origins) < 5:
        raise InputError("expression", "time points", f"at least {input_length + 5}", n_times)
    rng = np.random.default_rng(seed)
    perm = rng.permutation(origins)
    n_test = max(1, int(round(test_fraction * len(origins))))
    test = np.sort(perm[:n_test])
    rest = perm[n_test:]
    n_val = max(1, int(round(0.1 * len(rest))))
    val = np.sort(rest[:n_val])
    train = np.sort(rest[n_val:])
    every = np.arange(n_times)
    return Split(train, val, test, every, every, leaky=True, fold=0, name="step-random")

"""Windows, split and test scoring shared by the scale benchmark and its GPU counterpart.

Only ``hicexpr.evaluate`` is imported, so ``bench_gpu.py`` runs on a machine that has torch
but none of the contact-map libraries.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from hicexpr.evaluate.metrics import forecast_metrics
from hicexpr.evaluate.protocols import make_splits
from hicexpr.evaluate.scaling import GeneScaler
from hicexpr.evaluate.windows import fill_missing, make_windows

INPUT_LENGTH = 3
#: MiniBatchSTEPmr settings at every size (``gene_blocks`` = one per 5,000 genes). One torch
#: thread: on a shared 2-core machine two threads wait on each other (5k genes, load ~7:
#: 146 s with 2 threads, 40 s with 1, same fit). 8-window chunks, chosen on the validation
#: block only (``scale_dev.py``, 5k genes, 10 epochs): validation MSE 0.672 / 0.677 / 0.670 /
#: 0.667 / 0.670 for 1 / 2 / 4 / 8 / 16-window chunks (16 windows x 20 epochs: 0.664 at 2.3x
#: the time; pooled ridge AR 0.684, persistence 0.850).
STEPMR = {"hidden": 16, "max_epochs": 10, "patience": 3, "batch_windows": 8, "n_threads": 1,
          "seed": 0}


def forecast_windows(values: np.ndarray) -> tuple[Any, GeneScaler, Any, Any, Any]:
    """Chronological split of ``values`` [T, N], its scaler (training times) and the scaled
    train / validation / test windows (one-step targets; validation targets never at test
    times)."""
    split = make_splits(values.shape[0], "chronological", INPUT_LENGTH)[0]
    scaler = GeneScaler().fit(values, split.scaler_times)
    inputs = scaler.transform(fill_missing(values))
    targets = scaler.transform(values)
    val_times = np.setdiff1d(np.arange(values.shape[0]), np.unique(split.test + 1))
    train = make_windows(inputs, targets, split.train, INPUT_LENGTH, 1, split.train_times)
    val = make_windows(inputs, targets, split.val, INPUT_LENGTH, 1, val_times)
    test = make_windows(inputs, targets, split.test, INPUT_LENGTH, 1)
    return split, scaler, train, val, test


def score_on_test(model: Any, values: np.ndarray, split: Any, scaler: GeneScaler,
                  test: Any) -> dict[str, float]:
    """Forecast metrics of a fitted model on the test windows, on the original scale."""
    pred = scaler.inverse_transform(model.predict(test.X)[:, 0])
    obs, last = values[split.test + 1], values[split.test]
    return forecast_metrics(obs, pred, last, np.broadcast_to(scaler.mean_, obs.shape))

"""Local-only versus local + 3D on the same genes and folds, with controls and bootstrap CIs."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from hicexpr.lib.progress import track
from hicexpr.spex import evaluate as ev

log = logging.getLogger(__name__)
LOCAL = "local"


@dataclass
class ExperimentResult:
    """Scores per (model, setting), out-of-fold predictions and fit times."""

    table: pd.DataFrame
    predictions: dict[tuple[str, str], np.ndarray]
    test_mask: np.ndarray
    fit_seconds: dict[tuple[str, str], float] = field(default_factory=dict)
    val_spearman: dict[tuple[str, str], float] = field(default_factory=dict)


def fit_oof(head: BaseEstimator, X: np.ndarray, y: np.ndarray, splits: Sequence[np.ndarray]
            ) -> tuple[np.ndarray, float]:
    """Predictions for the test genes of every split (NaN for genes never tested), and the
    mean Spearman on the validation genes of the splits (NaN without validation genes)."""
    pred = np.full(y.shape, np.nan)
    val_rho = []
    for split in splits:
        p, _ = ev.fit_predict(head, X, y, split)
        test, val = split == "test", split == "val"
        pred[test] = p[test]
        if val.sum() > 2:
            val_rho.append(ev.scores(y[val], p[val])["spearman"])
    return pred, float(np.mean(val_rho)) if val_rho else float("nan")


def compare(
    local: pd.DataFrame,
    blocks: dict[str, pd.DataFrame],
    y: np.ndarray,
    splits: Sequence[np.ndarray],
    heads: dict[str, BaseEstimator],
    n_boot: int = 1000,
    seed: int = 0,
    skip: set[tuple[str, str]] | None = None,
) -> ExperimentResult:
    """Fit every head on ``local`` and on ``local + block`` for each 3D block.

    Args:
        local: local features (genes x features), same gene order as ``y``.
        blocks: setting name -> 3D feature block (genes x features, same order).
        y: target per gene (log expression).
        splits: one or more train/val/test label arrays (chromosome hold-out or k folds).
        heads: model name -> unfitted estimator.
        skip: (model, setting) pairs not to fit (e.g. controls for slow heads).
    """
    skip = skip or set()
    base = local.to_numpy(np.float32)
    settings = [LOCAL, *blocks]
    preds: dict[tuple[str, str], np.ndarray] = {}
    times: dict[tuple[str, str], float] = {}
    val_rho: dict[tuple[str, str], float] = {}
    jobs = [(m, s) for s in settings for m in heads if (m, s) not in skip]
    cached: tuple[str, np.ndarray] = (LOCAL, base)
    for model, setting in track(jobs, "fitting heads"):
        if cached[0] != setting:  # build one design matrix at a time (memory)
            cached = (setting, np.hstack([base, blocks[setting].to_numpy(np.float32)]))
        t0 = time.perf_counter()
        preds[(model, setting)], val_rho[(model, setting)] = fit_oof(heads[model], cached[1],
                                                                     y, splits)
        times[(model, setting)] = time.perf_counter() - t0
        log.info("%s / %s: %.1f s", model, setting, times[(model, setting)])
    test = np.zeros(y.shape, bool)
    for split in splits:
        test |= split == "test"
    rows: list[dict[str, Any]] = []
    for model in heads:
        mine = {s: preds[(model, s)] for s in settings if (model, s) in preds}
        if LOCAL not in mine:
            continue
        for row in ev.summary(y, mine, np.where(test, "test", "train"), LOCAL, n_boot, seed):
            key = (model, row["setting"])
            rows.append({"model": model, **row, "val_spearman": val_rho[key],
                         "fit_s": times[key]})
    return ExperimentResult(pd.DataFrame(rows), preds, test, times, val_rho)


def versus(y: np.ndarray, result: ExperimentResult, model: str, setting: str, other: str,
           n_boot: int = 1000, seed: int = 0) -> dict[str, float]:
    """Spearman(setting) - Spearman(other) on the same test genes with its paired bootstrap CI
    (e.g. a 3D setting against one of its controls)."""
    test = result.test_mask
    a, b = result.predictions[(model, other)], result.predictions[(model, setting)]
    return ev.bootstrap_delta(y[test], a[test], b[test], n_boot, seed)


def gain_table(genes: pd.DataFrame, y: np.ndarray, result: ExperimentResult) -> pd.DataFrame:
    """Per test gene: absolute error local-only vs local + 3D for every 3D setting and model."""
    test = result.test_mask
    frames = []
    for (model, setting), pred in result.predictions.items():
        if setting == LOCAL or (model, LOCAL) not in result.predictions:
            continue
        err_local = np.abs(result.predictions[(model, LOCAL)][test] - y[test])
        err_3d = np.abs(pred[test] - y[test])
        frames.append(pd.DataFrame({
            "gene": genes["gene_id"].to_numpy()[test], "chrom": genes["chrom"].to_numpy()[test],
            "setting": setting, "abs_error_local": err_local, "abs_error_3d": err_3d,
            "gain": err_local - err_3d, "model": model,
        }))
    cols = ["gene", "chrom", "setting", "abs_error_local", "abs_error_3d", "gain", "model"]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=cols)


def prediction_table(genes: pd.DataFrame, y: np.ndarray, splits: Sequence[np.ndarray],
                     result: ExperimentResult) -> pd.DataFrame:
    """``gene, chrom, split, setting, model, observed, predicted`` for the tested genes."""
    test = result.test_mask
    frames = [pd.DataFrame({
        "gene": genes["gene_id"].to_numpy()[test], "chrom": genes["chrom"].to_numpy()[test],
        "split": "test", "setting": setting, "model": model, "observed": y[test],
        "predicted": pred[test]}) for (model, setting), pred in result.predictions.items()]
    return pd.concat(frames, ignore_index=True)

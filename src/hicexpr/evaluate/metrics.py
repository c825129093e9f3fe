"""Forecast metrics over test predictions (original expression scale).

All functions take ``observed``, ``predicted`` and ``last`` (the persistence forecast) as
``[W, N]`` arrays (windows x genes, one horizon) and ``train_mean`` ``[N]`` (or ``[W, N]`` when
rolling origins have their own training means); NaN in ``observed`` marks missing targets.

- per-gene Pearson / Spearman over test time points (mean and median over genes);
- ``deviation_pearson``: pooled Pearson of deviations from each gene's training mean (removes the
  between-gene level that dominates pooled Pearson);
- RMSE, MAE; ``direction_accuracy``: sign of predicted vs observed change from the last value
  (targets with no observed change left out; a forecast of no change counts as wrong);
- ``skill`` = 1 - MSE / MSE(persistence);
- ``pooled_pearson`` over genes x times: listed last, never a headline (a constant per-gene mean
  already scores high).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import stats

from hicexpr.lib.errors import InputError

SUMMARY_METRICS = (
    "gene_pearson_mean",
    "gene_pearson_median",
    "gene_spearman_mean",
    "gene_spearman_median",
    "deviation_pearson",
    "rmse",
    "mae",
    "direction_accuracy",
    "skill",
    "pooled_pearson",
)


def _pearson_columns(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pearson r per column with NaN pairs dropped (NaN when < 3 pairs or constant)."""
    out = np.full(a.shape[1], np.nan)
    for j in range(a.shape[1]):
        ok = np.isfinite(a[:, j]) & np.isfinite(b[:, j])
        if ok.sum() < 3:
            continue
        x, y = a[ok, j], b[ok, j]
        if np.std(x) < 1e-12 or np.std(y) < 1e-12:
            continue
        out[j] = float(np.corrcoef(x, y)[0, 1])
    return out


def _spearman_columns(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    ranks_a = np.full(a.shape, np.nan)
    ranks_b = np.full(b.shape, np.nan)
    for j in range(a.shape[1]):
        ok = np.isfinite(a[:, j]) & np.isfinite(b[:, j])
        ranks_a[ok, j] = stats.rankdata(a[ok, j])
        ranks_b[ok, j] = stats.rankdata(b[ok, j])
    return _pearson_columns(ranks_a, ranks_b)


def _pooled_pearson(a: np.ndarray, b: np.ndarray) -> float:
    ok = np.isfinite(a) & np.isfinite(b)
    if ok.sum() < 3 or np.std(a[ok]) < 1e-12 or np.std(b[ok]) < 1e-12:
        return float("nan")
    return float(np.corrcoef(a[ok], b[ok])[0, 1])


def check_metric_inputs(observed: np.ndarray, predicted: np.ndarray, last: np.ndarray,
                        train_mean: np.ndarray) -> None:
    """Refuse inputs that are not ``[W, N]`` arrays of one shape and a ``[N]`` or ``[W, N]``
    training mean (a forecaster's ``[W, H, N]`` output is sliced to one horizon first)."""
    arrays = {"observed": observed, "predicted": predicted, "last": last}
    for name, values in arrays.items():
        if np.ndim(values) != 2:
            raise InputError("metrics", name, "a [windows, genes] array (for horizon h pass "
                             "predict(X)[:, h - 1])", f"shape {np.shape(values)}")
        if np.shape(values) != np.shape(observed):
            raise InputError("metrics", name, f"the shape of observed {np.shape(observed)}",
                             np.shape(values))
    n_windows, n_genes = np.shape(observed)
    if np.shape(train_mean) not in ((n_genes,), (1, n_genes), (n_windows, n_genes)):
        raise InputError("metrics", "train_mean", f"one value per gene ({n_genes}), or per "
                         "window and gene", f"shape {np.shape(train_mean)}")


def per_gene_metrics(
    observed: np.ndarray, predicted: np.ndarray, last: np.ndarray, train_mean: np.ndarray
) -> pd.DataFrame:
    """One row per gene: pearson, spearman, deviation_pearson, rmse, mae, direction_accuracy,
    skill. ``deviation_pearson`` per gene is the uncentred correlation (cosine) of deviations from
    the gene's training mean, so a forecast on the wrong side of the mean scores negative.
    ``direction_accuracy`` leaves out targets with no observed change (as
    :func:`forecast_metrics` does; NaN for a gene whose test values never change)."""
    check_metric_inputs(observed, predicted, last, train_mean)
    ok = np.isfinite(observed)
    err = np.where(ok, predicted - observed, np.nan)
    per_err = np.where(ok, last - observed, np.nan)
    d_obs = np.where(ok, observed - train_mean, 0.0)
    d_pred = np.where(ok, predicted - train_mean, 0.0)
    with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        cos = (d_obs * d_pred).sum(0) / np.sqrt((d_obs**2).sum(0) * (d_pred**2).sum(0))
        same = np.sign(predicted - last) == np.sign(observed - last)
        direction = np.where(ok & (observed != last), same, np.nan)  # no change: left out
        mse = np.nanmean(err**2, axis=0)
        mse_p = np.nanmean(per_err**2, axis=0)
        table = pd.DataFrame(
            {
                "pearson": _pearson_columns(observed, predicted),
                "spearman": _spearman_columns(observed, predicted),
                "deviation_pearson": cos,
                "rmse": np.sqrt(mse),
                "mae": np.nanmean(np.abs(err), axis=0),
                "direction_accuracy": np.nanmean(direction, axis=0),
                "skill": np.where(mse_p > 1e-12, 1.0 - mse / mse_p, np.nan),
            }
        )
    return table


def forecast_metrics(
    observed: np.ndarray, predicted: np.ndarray, last: np.ndarray, train_mean: np.ndarray
) -> dict[str, float]:
    """Summary metrics (see module docstring), in :data:`SUMMARY_METRICS` order."""
    check_metric_inputs(observed, predicted, last, train_mean)
    ok = np.isfinite(observed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        r = _pearson_columns(observed, predicted)
        rho = _spearman_columns(observed, predicted)
        err = (predicted - observed)[ok]
        mse = float(np.mean(err**2))
        mse_p = float(np.mean((last - observed)[ok] ** 2))
        change_ok = ok & (observed != last)
        same = np.sign(predicted - last) == np.sign(observed - last)
        return {
            "gene_pearson_mean": float(np.nanmean(r)),
            "gene_pearson_median": float(np.nanmedian(r)),
            "gene_spearman_mean": float(np.nanmean(rho)),
            "gene_spearman_median": float(np.nanmedian(rho)),
            "deviation_pearson": _pooled_pearson(observed - train_mean, predicted - train_mean),
            "rmse": float(np.sqrt(mse)),
            "mae": float(np.mean(np.abs(err))),
            "direction_accuracy": float(np.mean(same[change_ok])) if change_ok.any() else np.nan,
            "skill": 1.0 - mse / mse_p if mse_p > 1e-12 else float("nan"),
            "pooled_pearson": _pooled_pearson(observed, predicted),
        }

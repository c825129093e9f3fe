"""``hicexpr demo``: simulate a small data set and run the pipeline on it, end to end.

:func:`run_demo` calls the steps in order; each step is one small function so later stages
(contact features, forecasting models, the report) plug in at one place each.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from hicexpr.config import DemoConfig
from hicexpr.datasets.simulate import SimulatedPaths, simulate_dataset
from hicexpr.lib.progress import is_quiet, set_quiet
from hicexpr.lib.runs import RunFolder

log = logging.getLogger(__name__)

PER_GENE_COLUMNS = [
    "gene", "model", "seed", "pearson", "spearman", "deviation_pearson", "rmse", "mae",
    "direction_accuracy", "skill",
]


@dataclass(frozen=True)
class DemoResult:
    """Where a demo run put its outputs."""

    run: Path
    data: SimulatedPaths
    metrics: Path


def run_demo(
    out: str | os.PathLike[str],
    seed: int = 0,
    quiet: bool = False,
    n_genes: int = 300,
    n_times: int = 40,
    n_chroms: int = 3,
    genome_size: int = 24_000_000,
    test_fraction: float = 0.2,
) -> DemoResult:
    """Simulate into ``OUT/data`` and run the forecasting pipeline into run folder ``OUT``.

    Steps: simulate -> load expression -> forecast (baselines for now) -> metrics -> report.

    Returns:
        The run folder, the simulated files and the ``metrics.json`` path.
    """
    config = DemoConfig(
        seed=seed, n_genes=n_genes, n_times=n_times, n_chroms=n_chroms, genome_size=genome_size,
        test_fraction=test_fraction,
    )
    was_quiet = is_quiet()
    set_quiet(quiet or was_quiet)
    run = RunFolder(out)
    try:
        run.write_config(config)
        run.write_versions({"seeds": [config.seed]})
        data = simulate_step(run, config)
        expr = pd.read_csv(data.expression, sep="\t", index_col=0)
        predictions = forecast_step(expr, config)
        per_gene = per_gene_metrics(predictions)
        run.write_table("predictions.tsv", predictions)
        run.write_table("per_gene_metrics.tsv", per_gene)
        metrics = run.write_metrics(summarise(per_gene, expr, config, data))
        report_step(run)
        run.complete()
    finally:
        run.close()
        set_quiet(was_quiet)
    log.info("demo finished: %s", metrics)
    return DemoResult(run=run.path, data=data, metrics=metrics)


def simulate_step(run: RunFolder, config: DemoConfig) -> SimulatedPaths:
    """Simulated Hi-C map, genes, expression and truth in ``OUT/data``."""
    return simulate_dataset(
        run.file("data"), seed=config.seed, n_genes=config.n_genes, n_times=config.n_times,
        n_chroms=config.n_chroms, genome_size=config.genome_size,
    )


def split_times(n_times: int, test_fraction: float) -> int:
    """Index of the first test time point (the last ``test_fraction`` are held out)."""
    n_test = max(1, int(round(n_times * test_fraction)))
    if n_test >= n_times - 1:
        n_test = n_times - 2
    return n_times - n_test


def forecast_step(expr: pd.DataFrame, config: DemoConfig) -> pd.DataFrame:
    """One-step-ahead forecasts of the test time points (plug ``run_forecast`` in here).

    Baselines (numpy): ``persistence`` (x_t = x_{t-1}), ``train_mean`` (training mean per gene)
    and ``ar1`` (per-gene AR(1) ``x_t = a + b x_{t-1}`` fitted by least squares on training).

    Returns:
        Predictions table ``gene, time, split, horizon, model, seed, observed, predicted``.
    """
    X = expr.to_numpy(dtype=float)
    times = np.array([float(t) for t in expr.columns])
    first = split_times(X.shape[1], config.test_fraction)
    train = X[:, :first]
    prev = X[:, first - 1 : -1]
    mean = train.mean(axis=1, keepdims=True)
    b, a = _ar1(train)
    preds = {
        "persistence": prev,
        "train_mean": np.repeat(mean, X.shape[1] - first, axis=1),
        "ar1": a[:, None] + b[:, None] * prev,
    }
    frames = []
    genes = expr.index.to_numpy()
    obs = X[:, first:]
    for model, pred in preds.items():
        frames.append(pd.DataFrame({
            "gene": np.repeat(genes, obs.shape[1]),
            "time": np.tile(times[first:], len(genes)),
            "split": "test",
            "horizon": 1,
            "model": model,
            "seed": config.seed,
            "observed": obs.ravel(),
            "predicted": pred.ravel(),
        }))
    return pd.concat(frames, ignore_index=True)


def _ar1(train: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-row least-squares slope and intercept of ``x_t`` on ``x_{t-1}``."""
    x, y = train[:, :-1], train[:, 1:]
    xc = x - x.mean(axis=1, keepdims=True)
    yc = y - y.mean(axis=1, keepdims=True)
    var = (xc**2).sum(axis=1)
    b = np.divide((xc * yc).sum(axis=1), var, out=np.zeros(len(x)), where=var > 0)
    a = y.mean(axis=1) - b * x.mean(axis=1)
    return b, a


def per_gene_metrics(predictions: pd.DataFrame) -> pd.DataFrame:
    """Per gene x model x seed metrics over the test time points.

    ``deviation_pearson`` correlates observed and predicted changes from the previous observed
    value; ``skill`` is ``1 - MSE / MSE(persistence)``.
    """
    df = predictions.sort_values(["model", "seed", "gene", "time"], kind="stable")
    pers = df[df["model"] == "persistence"].set_index(["gene", "time"])["predicted"]
    rows = []
    for (model, seed, gene), g in df.groupby(["model", "seed", "gene"], sort=True):
        obs, pred = g["observed"].to_numpy(), g["predicted"].to_numpy()
        last = pers.loc[gene].reindex(g["time"]).to_numpy()
        mse = float(np.mean((obs - pred) ** 2))
        mse_p = float(np.mean((obs - last) ** 2))
        rows.append({
            "gene": gene, "model": model, "seed": seed,
            "pearson": _corr(obs, pred),
            "spearman": _corr(obs, pred, rank=True),
            "deviation_pearson": _corr(obs - last, pred - last),
            "rmse": float(np.sqrt(mse)),
            "mae": float(np.mean(np.abs(obs - pred))),
            "direction_accuracy": float(np.mean(np.sign(obs - last) == np.sign(pred - last))),
            "skill": 1.0 - mse / mse_p if mse_p > 0 else float("nan"),
        })
    return pd.DataFrame(rows, columns=PER_GENE_COLUMNS)


def _corr(x: np.ndarray, y: np.ndarray, rank: bool = False) -> float:
    """Pearson (or Spearman) correlation; NaN when either side is constant."""
    if len(x) < 2 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return float("nan")
    if rank:
        return float(stats.spearmanr(x, y).statistic)
    return float(np.corrcoef(x, y)[0, 1])


def summarise(
    per_gene: pd.DataFrame, expr: pd.DataFrame, config: DemoConfig, data: SimulatedPaths
) -> dict[str, object]:
    """``metrics.json`` content (docs/run_folder.md schema)."""
    summary = []
    metric_cols = [c for c in PER_GENE_COLUMNS if c not in ("gene", "model", "seed")]
    for model, g in per_gene.groupby("model", sort=False):
        per_seed = g.groupby("seed")[metric_cols].mean()  # nan-mean over genes per seed
        for col in metric_cols:
            values = per_seed[col].to_numpy()
            name = f"gene_{col}_mean"
            summary.append({
                "model": model, "metric": name, "mean": float(np.nanmean(values))
                if np.isfinite(values).any() else None,
                "sd": float(np.nanstd(values)) if np.isfinite(values).any() else None,
                "n": int(len(values)),
            })
    first = split_times(expr.shape[1], config.test_fraction)
    return {
        "task": "forecast",
        "dataset": "simulated",
        "protocol": "chronological",
        "leaky": False,
        "n_genes": int(expr.shape[0]),
        "seeds": [config.seed],
        "summary": summary,
        "extra": {
            "n_times": int(expr.shape[1]),
            "n_test_times": int(expr.shape[1] - first),
            "data": {k: str(getattr(data, k)) for k in ("cool", "genes", "expression", "truth")},
        },
    }


def report_step(run: RunFolder) -> None:
    """Render the run's report (plug ``hicexpr.report`` in here); nothing yet."""
    log.info("no report stage installed yet; outputs in %s", run.path)


__all__ = [
    "DemoResult", "run_demo", "simulate_step", "forecast_step", "per_gene_metrics", "summarise",
    "split_times", "report_step",
]

"""Every reported forecast metric, recomputed independently from the predictions table.

``evaluate_forecasters`` (what ``hicexpr forecast`` writes to metrics.json and
per_gene_metrics.tsv) is run on a small generated series whose values are rounded, so that some
observed changes are exactly 0 (ties). Each metric is then recomputed with plain numpy / scipy
from ``result.predictions`` alone (the persistence rows give each target's last observed value)
plus each gene's mean over the fold's training times, as docs/forecasting.md ("Metrics")
defines it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from hicexpr.evaluate.protocols import make_splits
from hicexpr.evaluate.runner import evaluate_forecasters

N_TIMES, N_GENES, HORIZON = 30, 6, 2
MODELS = {"persistence": {}, "window_mean": {}, "pooled_ridge_ar": {}, "gene_ridge_ar": {},
          "gru": {"max_epochs": 30, "hidden": 8}}  # gru: seeds differ, so sd > 0
SEEDS = [0, 1]


def _series() -> np.ndarray:
    rng = np.random.default_rng(5)
    t = np.arange(N_TIMES)[:, None]
    cycle = np.sin(2 * np.pi * t / 8 + np.linspace(0, 3, N_GENES))  # learnable: nets train
    noisy = cycle + rng.normal(scale=0.2, size=cycle.shape) + np.linspace(0, 5, N_GENES)
    return np.round(noisy, 1)  # rounding: some observed changes are exactly 0


def _with_last_and_train_mean(preds: pd.DataFrame, values: np.ndarray,
                              protocol: str) -> pd.DataFrame:
    """Each row's last observed value (persistence's forecast of that target) and its gene's
    mean over the training times of the fold that owns the row's origin."""
    keys = ["gene", "time", "horizon", "seed"]
    last = preds[preds.model == "persistence"].set_index(keys)["predicted"].rename("last")
    out = preds.join(last, on=keys)
    out["origin"] = (out["time"] - out["horizon"]).astype(int)
    gene = out["gene"].str[1:].astype(int).to_numpy()
    mean = np.empty(len(out))
    for split in make_splits(N_TIMES, protocol):
        rows = np.isin(out["origin"], split.test)
        mean[rows] = values[split.train_times].mean(axis=0)[gene[rows]]
    out["train_mean"] = mean
    return out


def _summary(d: pd.DataFrame) -> dict[str, float]:
    o, p, last, m = (d[c].to_numpy() for c in ("observed", "predicted", "last", "train_mean"))
    r = [stats.pearsonr(g.observed, g.predicted)[0] for _, g in d.groupby("gene")]
    rho = [stats.spearmanr(g.observed, g.predicted)[0] for _, g in d.groupby("gene")]
    moved = o != last  # ties (no observed change) are excluded from direction accuracy
    return {
        "gene_pearson_mean": np.mean(r), "gene_pearson_median": np.median(r),
        "gene_spearman_mean": np.mean(rho), "gene_spearman_median": np.median(rho),
        "deviation_pearson": stats.pearsonr(o - m, p - m)[0],
        "rmse": np.sqrt(np.mean((p - o) ** 2)), "mae": np.mean(np.abs(p - o)),
        "direction_accuracy": np.mean(np.sign(p - last)[moved] == np.sign(o - last)[moved]),
        "skill": 1 - np.mean((p - o) ** 2) / np.mean((last - o) ** 2),
        "pooled_pearson": stats.pearsonr(o, p)[0],
    }


def _per_gene(d: pd.DataFrame) -> dict[str, float]:
    o, p, last, m = (d[c].to_numpy() for c in ("observed", "predicted", "last", "train_mean"))
    moved = o != last
    do, dp = o - m, p - m
    return {
        "pearson": stats.pearsonr(o, p)[0], "spearman": stats.spearmanr(o, p)[0],
        "deviation_pearson": do @ dp / np.sqrt((do @ do) * (dp @ dp)),  # cosine
        "rmse": np.sqrt(np.mean((p - o) ** 2)), "mae": np.mean(np.abs(p - o)),
        "direction_accuracy": np.mean(np.sign(p - last)[moved] == np.sign(o - last)[moved]),
        "skill": 1 - np.mean((p - o) ** 2) / np.mean((last - o) ** 2),
    }


@pytest.fixture(scope="module", params=["chronological", "rolling-origin"])
def run(request):
    values = _series()
    result = evaluate_forecasters(values, MODELS, protocol=request.param, horizon=HORIZON,
                                  seeds=SEEDS, scaling="standard")
    rows = _with_last_and_train_mean(result.predictions, values, request.param)
    assert (rows["observed"] == rows["last"]).any()  # ties are exercised
    return result, rows


def test_summary_metrics_per_horizon_and_their_mean_and_sd_over_seeds(run) -> None:
    result, rows = run
    mine = []
    for (model, seed, h), d in rows.groupby(["model", "seed", "horizon"]):
        for metric, value in _summary(d).items():
            mine.append({"model": model, "seed": seed, "value": value,
                         "metric": metric if h == 1 else f"{metric}_h{h}"})
    stats_ = pd.DataFrame(mine).groupby(["model", "metric"])["value"].agg(["mean", "std"])
    reported = result.summary.set_index(["model", "metric"])
    assert set(stats_.index) == set(reported.index)
    joined = reported.join(stats_, rsuffix="_mine")
    assert (joined["n"] == len(SEEDS)).all()
    np.testing.assert_allclose(joined["mean"], joined["mean_mine"], rtol=0, atol=1e-12)
    np.testing.assert_allclose(joined["sd"], joined["std"], rtol=0, atol=1e-12)
    assert joined.loc["gru", "sd"].max() > 0  # the sd over seeds is really compared


def test_per_gene_metrics_at_horizon_1(run) -> None:
    result, rows = run
    mine = pd.DataFrame([{"gene": g, "model": model, "seed": seed, **_per_gene(d)}
                         for (g, model, seed), d in rows[rows.horizon == 1].groupby(
                             ["gene", "model", "seed"])])
    reported = result.per_gene.set_index(["gene", "model", "seed"]).sort_index()
    mine = mine.set_index(["gene", "model", "seed"]).loc[reported.index]
    for column in reported.columns:
        np.testing.assert_allclose(reported[column], mine[column], rtol=0, atol=1e-12,
                                   err_msg=column)


@pytest.mark.parametrize("scaling", ["none", "scale"])
def test_deviation_pearson_is_taken_from_the_training_mean_under_every_scaling(scaling) -> None:
    values = _series()
    result = evaluate_forecasters(values, ["persistence", "pooled_ridge_ar"], seeds=[0],
                                  scaling=scaling)
    rows = _with_last_and_train_mean(result.predictions, values, "chronological")
    reported = result.summary.set_index(["model", "metric"])["mean"]
    for model, d in rows.groupby("model"):
        assert reported[model, "deviation_pearson"] == pytest.approx(
            _summary(d)["deviation_pearson"], abs=1e-12)

"""The demo run: simulated data -> baselines -> run folder with the documented tables."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from hicexpr.lib.runs import is_complete
from hicexpr.workflows.demo import PER_GENE_COLUMNS, run_demo, split_times

SMALL = dict(n_genes=60, n_times=30, n_chroms=2, genome_size=5_000_000)
PRED_COLUMNS = ["gene", "time", "split", "horizon", "model", "seed", "observed", "predicted"]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("demo")
    return run_demo(out, seed=2, quiet=True, **SMALL)


def test_run_folder_complete(demo) -> None:
    run = demo.run
    assert is_complete(run)
    for name in ("config.yaml", "versions.json", "metrics.json", "predictions.tsv",
                 "per_gene_metrics.tsv", "run.log"):
        assert (run / name).is_file(), name
    assert yaml.safe_load((run / "config.yaml").read_text())["seed"] == 2
    assert json.loads((run / "versions.json").read_text())["seeds"] == [2]
    assert demo.data.cool.is_file() and demo.data.cool.parent == run / "data"
    assert not [p for p in run.iterdir() if p.name.endswith(".tmp")]


def test_predictions_follow_contract(demo) -> None:
    pred = pd.read_csv(demo.run / "predictions.tsv", sep="\t")
    assert list(pred.columns) == PRED_COLUMNS
    n_test = 30 - split_times(30, 0.2)
    assert n_test == 6
    assert len(pred) == 3 * 60 * n_test
    assert set(pred["model"]) == {"persistence", "train_mean", "ar1"}
    expr = pd.read_csv(demo.data.expression, sep="\t", index_col=0)
    pers = pred[pred["model"] == "persistence"].set_index(["gene", "time"])
    g = expr.index[5]
    # persistence predicts time t with the observation at t - 1
    assert pers.loc[(g, 25.0), "predicted"] == pytest.approx(expr.loc[g, "24"])
    assert pers.loc[(g, 25.0), "observed"] == pytest.approx(expr.loc[g, "25"])


def test_metrics_are_consistent_with_predictions(demo) -> None:
    metrics = json.loads(demo.metrics.read_text())
    assert metrics["task"] == "forecast" and metrics["leaky"] is False
    assert metrics["n_genes"] == 60 and metrics["seeds"] == [2]
    summary = {(s["model"], s["metric"]): s["mean"] for s in metrics["summary"]}
    pred = pd.read_csv(demo.run / "predictions.tsv", sep="\t")
    pers = pred[pred["model"] == "persistence"]
    rmse = pers.groupby("gene").apply(
        lambda g: np.sqrt(np.mean((g["observed"] - g["predicted"]) ** 2)), include_groups=False
    )
    assert summary[("persistence", "gene_rmse_mean")] == pytest.approx(rmse.mean())
    assert summary[("persistence", "gene_skill_mean")] == pytest.approx(0.0)
    assert summary[("train_mean", "gene_pearson_mean")] is None  # constant forecast
    per_gene = pd.read_csv(demo.run / "per_gene_metrics.tsv", sep="\t")
    assert list(per_gene.columns) == PER_GENE_COLUMNS
    assert len(per_gene) == 3 * 60


def test_rerun_overwrites_and_completes(demo, tmp_path: Path) -> None:
    again = run_demo(tmp_path, seed=2, quiet=True, **SMALL)
    assert again.data.expression.read_bytes() == demo.data.expression.read_bytes()
    name = "predictions.tsv"
    assert (tmp_path / name).read_bytes() == (demo.run / name).read_bytes()

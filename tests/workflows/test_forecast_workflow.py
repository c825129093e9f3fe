"""End-to-end forecast runs on a small simulated data set: run folder per docs/run_folder.md."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pandas as pd
import pytest
import yaml

from hicexpr.config import ForecastConfig, load_config
from hicexpr.datasets.simulate import simulate_dataset
from hicexpr.lib.errors import InputError
from hicexpr.lib.runs import is_complete
from hicexpr.workflows.forecast import run_forecast

FAST = {"stepmr": {"max_epochs": 40, "hidden": 8}}


@pytest.fixture(scope="module")
def simulated(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sim")
    return simulate_dataset(folder, seed=1, n_genes=40, n_times=30)


def _config(paths, out, **kw) -> ForecastConfig:
    return ForecastConfig(expression=str(paths.expression), contacts=str(paths.cool),
                          genes=str(paths.genes), out=str(out),
                          models=["persistence", "pooled_ridge_ar", "stepmr"],
                          model_params=FAST, seeds=2, **kw)


@pytest.mark.slow
def test_run_folder_contract(simulated, tmp_path) -> None:
    run = run_forecast(_config(simulated, tmp_path / "run"))
    assert is_complete(run)
    for name in ("config.yaml", "versions.json", "metrics.json", "predictions.tsv",
                 "per_gene_metrics.tsv", "run.log"):
        assert (run / name).is_file(), name
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["task"] == "forecast" and metrics["protocol"] == "chronological"
    assert metrics["leaky"] is False and metrics["seeds"] == [0, 1]
    rows = pd.DataFrame(metrics["summary"])
    skill = rows[(rows.metric == "skill")].set_index("model")
    assert skill.loc["persistence", "mean"] == 0.0 and (skill["n"] == 2).all()
    assert rows.metric.iloc[-1] == "pooled_pearson"  # pooled Pearson listed last
    preds = pd.read_csv(run / "predictions.tsv", sep="\t")
    assert list(preds.columns[:8]) == ["gene", "time", "split", "horizon", "model", "seed",
                                       "observed", "predicted"]
    assert set(preds["split"]) == {"test"} and preds["gene"].nunique() == metrics["n_genes"]
    per_gene = pd.read_csv(run / "per_gene_metrics.tsv", sep="\t")
    assert {"gene", "model", "seed", "pearson", "skill"} <= set(per_gene.columns)
    assert yaml.safe_load((run / "config.yaml").read_text())["protocol"] == "chronological"


@pytest.mark.slow
def test_step_random_is_flagged_leaky(simulated, tmp_path) -> None:
    cfg = _config(simulated, tmp_path / "leaky", protocol="step-random")
    cfg.models = ["persistence", "pooled_ridge_ar"]
    run = run_forecast(cfg)
    assert json.loads((run / "metrics.json").read_text())["leaky"] is True
    assert pd.read_csv(run / "predictions.tsv", sep="\t")["leaky"].all()


def test_bad_configs_are_input_errors(tmp_path) -> None:
    simulated = SimpleNamespace(expression="expr.tsv", cool="map.cool", genes="genes.bed")
    with pytest.raises(InputError, match="did you mean 'stepmr'"):
        run_forecast(_config(simulated, tmp_path / "a").model_copy(update={"models": ["stepmrr"]}))
    with pytest.raises(InputError, match="protocol"):
        run_forecast(_config(simulated, tmp_path / "b", protocol="random"))
    with pytest.raises(InputError, match="either dataset"):
        run_forecast(_config(simulated, tmp_path / "c", dataset="step_mrna"))
    with pytest.raises(InputError, match="unknown key"):
        load_config(ForecastConfig, None, {"modles": ["gru"]})

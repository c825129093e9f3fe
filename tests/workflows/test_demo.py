"""The demo run: simulated data -> 3D features -> forecasts -> report, in one run folder."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml

from hicexpr.io.genes import read_genes
from hicexpr.lib.runs import is_complete
from hicexpr.workflows.demo import run_demo

SMALL = dict(n_genes=60, n_times=30, n_chroms=2, genome_size=5_000_000, seeds=1,
             models=["persistence", "pooled_ridge_ar", "stepmr"])
PRED_COLUMNS = ["gene", "time", "split", "horizon", "model", "seed", "observed", "predicted"]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("demo")
    return run_demo(out, seed=2, quiet=True, **SMALL)


def test_run_folders_complete(demo) -> None:
    run = demo.run
    assert is_complete(run) and is_complete(demo.contacts)
    for name in ("config.yaml", "versions.json", "metrics.json", "predictions.tsv",
                 "per_gene_metrics.tsv", "run.log", "gene_sets.gmt"):
        assert (run / name).is_file(), name
    config = yaml.safe_load((run / "config.yaml").read_text())
    assert config["models"] == SMALL["models"]
    assert config["expression"] == str(demo.data.expression)
    assert demo.data.cool.parent == run / "data"
    assert (demo.contacts / "gene_features.tsv").is_file()
    assert "genes in coverage" in (demo.contacts / "run.log").read_text()  # not empty
    assert not [p for p in run.rglob("*.tmp")]


def test_predictions_follow_contract(demo) -> None:
    pred = pd.read_csv(demo.run / "predictions.tsv", sep="\t")
    assert list(pred.columns)[: len(PRED_COLUMNS)] == PRED_COLUMNS
    assert set(pred["model"]) == set(SMALL["models"])
    assert set(pred["split"]) == {"test"}
    expr = pd.read_csv(demo.data.expression, sep="\t", index_col=0)
    times = [float(t) for t in expr.columns]
    assert pred["time"].min() >= times[int(0.8 * len(times)) - 1]  # last 20% only
    pers = pred[pred["model"] == "persistence"].set_index(["gene", "time"])
    gene, t = pers.index[0]
    previous = expr.columns[times.index(t) - 1]
    assert pers.loc[(gene, t), "predicted"] == pytest.approx(expr.loc[gene, previous], rel=1e-5)
    assert pers.loc[(gene, t), "observed"] == pytest.approx(
        expr.loc[gene, expr.columns[times.index(t)]], rel=1e-5)


def test_metrics_name_every_model(demo) -> None:
    metrics = json.loads(demo.metrics.read_text())
    assert metrics["task"] == "forecast" and metrics["leaky"] is False
    assert metrics["n_genes"] == 60 and metrics["seeds"] == [0]
    skill = {s["model"]: s["mean"] for s in metrics["summary"] if s["metric"] == "skill"}
    assert set(skill) == set(SMALL["models"])
    assert skill["persistence"] == pytest.approx(0.0)


def test_gene_sets_follow_planted_structure(demo) -> None:
    genes = set(read_genes(demo.data.genes)["gene_id"])
    sets = {}
    for line in (demo.run / "gene_sets.gmt").read_text().splitlines():
        name, _, *members = line.split("\t")
        sets[name] = set(members)
    assert any(name.startswith("planted_TAD_") for name in sets)
    assert sets["compartment_A"] and sets["compartment_A"].isdisjoint(sets["compartment_B"])
    assert sets["compartment_A"] | sets["compartment_B"] == genes
    truth = json.loads(demo.data.truth.read_text())
    assert len(sets["compartment_A"]) == truth["genes_in_A"]


def test_rerun_is_identical(demo, tmp_path: Path) -> None:
    again = run_demo(tmp_path, seed=2, quiet=True, **SMALL)
    assert again.data.expression.read_bytes() == demo.data.expression.read_bytes()
    name = "predictions.tsv"
    assert (tmp_path / name).read_bytes() == (demo.run / name).read_bytes()


@pytest.mark.parametrize(("bad", "message"), [
    (dict(n_genes=0), "simulate: n_genes: expected a positive value, got 0"),
    (dict(seed=-1), "simulate: seed: expected a non-negative integer, got -1"),
    (dict(genome_size=100), "simulate: genome_size: expected at least"),
    (dict(n_times=5), "demo: n_times: expected at least 7 time points for input length 3, "
     "validation 1 and test 1, got 5"),  # was refused only after simulation and contacts
])
def test_bad_simulation_settings_write_nothing(tmp_path: Path, bad: dict, message: str) -> None:
    from hicexpr.lib.errors import InputError

    with pytest.raises(InputError, match=f"^{message}"):
        run_demo(tmp_path / "demo", quiet=True, **bad)
    assert not (tmp_path / "demo").exists()  # was created (empty run folder) before the check

import importlib.util
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from hicexpr.cli import app
from hicexpr.config import SpexConfig
from hicexpr.lib.errors import InputError
from hicexpr.lib.runs import is_complete
from hicexpr.workflows.spex import run_spex

_spec = importlib.util.spec_from_file_location(
    "spex_world", Path(__file__).resolve().parents[1] / "spex" / "world.py")
_world = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_world)
make_world, write_world = _world.make_world, _world.write_world


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("spexworld")
    world = make_world(seed=2)
    paths = write_world(world, folder)
    g = world["genes"]
    # loops from every gene to a locus 60 kb downstream (one per gene)
    off = np.where(g["strand"] == "+", 60_000, -60_000)
    loops = pd.DataFrame({"chr1": g["chrom"], "x1": g["tss"] - 2500, "x2": g["tss"] + 2500,
                          "chr2": g["chrom"], "y1": g["tss"] + off - 2500,
                          "y2": g["tss"] + off + 2500, "color": "0,0,0", "o": 10})
    loops.to_csv(folder / "loops.txt", sep="\t", index=False)
    paths["loops"] = folder / "loops.txt"
    return paths


def test_run_spex_writes_run_folder(files, tmp_path):
    cfg = SpexConfig(samples=["S1"], heads=["ridge"], test_chroms=["chrA"], val_chroms=["chrB"],
                     aggregations=["sides", "activity"], n_boot=100)
    out = run_spex(files["genes"], files["expression"], tmp_path / "run",
                   tracks=[files["peaks"], files["noise"]], loops=[f"loops={files['loops']}"],
                   config=cfg)
    assert is_complete(out)
    scores = pd.read_csv(out / "scores.tsv", sep="\t").set_index("setting")
    assert scores.loc["local", "spearman"] > 0.8  # promoter peak width sets expression
    assert {"loops:sides", "loops:sides:random", "loops:sides:shuffled",
            "loops:activity"} <= set(scores.index)
    pred = pd.read_csv(out / "predictions.tsv", sep="\t")
    assert list(pred.columns) == ["gene", "chrom", "split", "setting", "model", "observed",
                                  "predicted"]
    assert set(pred["chrom"]) == {"chrA"} and pred["gene"].str.endswith(".1").sum() == 0
    gain = pd.read_csv(out / "per_gene_gain.tsv", sep="\t")
    np.testing.assert_allclose(gain["gain"], gain["abs_error_local"] - gain["abs_error_3d"])
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["task"] == "spex" and metrics["leaky"] is False
    assert metrics["extra"]["genes_with_partners"]["loops"] == 240


def test_cli_spex_many_samples_and_folds(files, tmp_path):
    result = CliRunner().invoke(app, [
        "spex", "--genes", str(files["genes"]), "--expression", str(files["expression"]),
        "--tracks", str(files["peaks"]), "--out", str(tmp_path / "cli"), "--head", "ridge",
        "--sample", "S1", "--sample", "S2", "--folds", "2", "--no-controls"])
    assert result.exit_code == 0, result.output
    scores = pd.read_csv(tmp_path / "cli" / "scores.tsv", sep="\t")
    assert sorted(scores["sample"]) == ["S1", "S2"] and (scores["n_test"] == 240).all()
    pred = pd.read_csv(tmp_path / "cli" / "predictions.tsv", sep="\t")
    assert "sample" in pred.columns and pred["gene"].nunique() == 240


def test_unknown_sample_is_an_input_error(files, tmp_path):
    with pytest.raises(InputError, match="samples"):
        run_spex(files["genes"], files["expression"], tmp_path / "x", tracks=[files["peaks"]],
                 config=SpexConfig(samples=["E999"], heads=["ridge"]))

"""`hicexpr forecast` / `hicexpr graph` on users' inputs: multi-resolution maps, short series,
resolved config.yaml, Ctrl-C."""

from __future__ import annotations

import sys
from pathlib import Path

import cooler
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from hicexpr.cli import app, main
from hicexpr.config import ForecastConfig, load_config
from hicexpr.lib.errors import InputError
from hicexpr.lib.runs import is_complete
from hicexpr.workflows.forecast import contacts_path, load_dataset, run_forecast


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    from hicexpr.datasets.simulate import simulate_dataset

    folder = tmp_path_factory.mktemp("sim_cli")
    paths = simulate_dataset(folder, seed=2, n_genes=30, n_times=16, n_chroms=2,
                             genome_size=3_000_000)
    cooler.zoomify_cooler(str(paths.cool), str(folder / "multi.mcool"), [10_000, 20_000],
                          chunksize=10_000_000)
    return paths


def _inputs(sim, contacts: str | None = None) -> list[str]:
    return ["--expression", str(sim.expression), "--contacts", contacts or str(sim.cool),
            "--genes", str(sim.genes)]


def test_resolution_is_a_config_key_and_a_cli_option(sim, tmp_path) -> None:
    mcool = str(sim.folder / "multi.mcool")
    cfg_file = tmp_path / "res.yaml"
    cfg_file.write_text("resolution: 20000\n")
    cfg = load_config(ForecastConfig, cfg_file, {"expression": str(sim.expression),
                                                 "contacts": mcool, "genes": str(sim.genes)})
    assert cfg.resolution == 20_000
    assert load_dataset(cfg).expression.n_vars == 30
    assert contacts_path(cfg) == f"{mcool}::resolutions/20000"  # the report can open it
    with pytest.raises(InputError, match="resolution: expected --resolution N"):
        load_dataset(cfg.model_copy(update={"resolution": None}))
    with pytest.raises(InputError, match="resolution: expected no resolution with a named"):
        load_dataset(ForecastConfig(dataset="yeast_alpha", resolution=10_000))
    out = tmp_path / "graph"
    result = CliRunner().invoke(app, ["graph", *_inputs(sim, mcool), "--resolution", "20000",
                                      "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert is_complete(out)
    assert yaml.safe_load((out / "config.yaml").read_text())["resolution"] == 20_000
    bad = CliRunner().invoke(app, ["forecast", *_inputs(sim, mcool), "--resolution", "0",
                                   "--out", str(tmp_path / "bad")])
    assert bad.exit_code == 2 and "--resolution" in bad.output


def test_graph_of_a_short_series_skips_the_coexpression_diagnostic(sim, tmp_path) -> None:
    table = pd.read_csv(sim.expression, sep="\t", index_col=0)
    short = tmp_path / "few6.tsv"
    table.iloc[:, :6].to_csv(short, sep="\t")
    out = tmp_path / "graph6"
    result = CliRunner().invoke(app, ["graph", "--expression", str(short), "--contacts",
                                      str(sim.cool), "--genes", str(sim.genes), "--out",
                                      str(out)])
    assert result.exit_code == 0, result.output
    assert is_complete(out) and (out / "edges.tsv").is_file()
    assert not (out / "contact_coexpression.tsv").exists()
    log = (out / "run.log").read_text()
    assert "contact vs co-expression not computed" in log
    assert f"{short}: time points: expected at least" in log  # names the user's file


def test_config_yaml_holds_the_resolved_scaling_and_node2vec(sim, tmp_path) -> None:
    cfg = ForecastConfig(expression=str(sim.expression), contacts=str(sim.cool),
                         genes=str(sim.genes), out=str(tmp_path / "a"), models=["persistence",
                         "pooled_ridge_ar"], seeds=1, n_boot=0, n_perm=0, report=False)
    run = run_forecast(cfg)
    written = yaml.safe_load((run / "config.yaml").read_text())
    assert written["scaling"] == "standard" and written["node2vec"] == "none"
    assert written["node2vec_dim"] == 0
    again = load_config(ForecastConfig, run / "config.yaml", {"out": str(tmp_path / "b")})
    rerun = run_forecast(again)
    first = pd.read_csv(run / "predictions.tsv", sep="\t")
    pd.testing.assert_frame_equal(first, pd.read_csv(rerun / "predictions.tsv", sep="\t"))


def _run_main(monkeypatch, argv: list[str]) -> int:
    monkeypatch.setattr(sys, "argv", ["hicexpr", *argv])
    with pytest.raises(SystemExit) as exit_info:
        main()
    return int(exit_info.value.code)


def _interrupt(*_args, **_kwargs):
    raise KeyboardInterrupt


def test_ctrl_c_during_a_run_prints_one_line_and_exits_130(sim, tmp_path, monkeypatch,
                                                           capsys) -> None:
    import hicexpr.workflows.forecast as workflow

    monkeypatch.setattr(workflow, "run_forecast", _interrupt)
    out = tmp_path / "int"
    code = _run_main(monkeypatch, ["--quiet", "forecast", *_inputs(sim), "--out", str(out)])
    assert code == 130
    assert capsys.readouterr().err == f"interrupted: {out} left without COMPLETE\n"
    monkeypatch.setattr(workflow, "run_graph", _interrupt)
    assert _run_main(monkeypatch, ["graph", *_inputs(sim), "--out", str(out)]) == 130
    assert capsys.readouterr().err.startswith("interrupted: ")


def test_ctrl_c_outside_a_run_still_prints_interrupted(sim, tmp_path, monkeypatch,
                                                       capsys) -> None:
    import hicexpr.config as config

    monkeypatch.setattr(config, "load_config", _interrupt)  # typer turns it into Exit(130)
    code = _run_main(monkeypatch, ["forecast", *_inputs(sim), "--out", str(tmp_path / "x")])
    assert code == 130 and capsys.readouterr().err == "interrupted\n"


def test_too_short_a_series_names_the_file_and_the_times_read(sim, tmp_path) -> None:
    frame = pd.read_csv(sim.expression, sep="\t", index_col=0)
    short = tmp_path / "short.tsv"
    frame.iloc[:, :6].to_csv(short, sep="\t")
    cfg = ForecastConfig(expression=str(short), contacts=str(sim.cool), genes=str(sim.genes),
                         models=["persistence"], seeds=1, report=False)
    with pytest.raises(InputError, match=r"short.tsv: time points: expected at least 7 .*, "
                       r"got '6 \(times read: 0, 1, 2, 3, 4, 5\)'"):
        run_forecast(cfg, tmp_path / "run")


def test_a_graph_without_edges_is_warned(sim, caplog) -> None:
    import dataclasses
    import logging

    from hicexpr.workflows.forecast import gene_graph

    cfg = ForecastConfig(expression=str(sim.expression), contacts=str(sim.cool),
                         genes=str(sim.genes))
    dataset = load_dataset(cfg)
    with caplog.at_level(logging.WARNING, logger="hicexpr.workflows.forecast"):
        assert gene_graph(dataset).edge_index.shape[1] > 0
        assert "no edges" not in caplog.text
        lonely = dataclasses.replace(dataset, pairs=dataset.pairs.iloc[:0])
        assert gene_graph(lonely).edge_index.shape[1] == 0
    assert "the gene graph has no edges (no two of the 30 genes" in caplog.text


def test_graph_takes_sample_times_and_max_genes_as_forecast_does(sim, tmp_path) -> None:
    import json

    table = pd.read_csv(sim.expression, sep="\t", index_col=0)
    times = pd.DataFrame({"sample": [f"GSM{100 + i}" for i in range(table.shape[1])],
                          "time": table.columns})
    table.columns = times["sample"]
    expr, times_file = tmp_path / "gsm.tsv", tmp_path / "times.tsv"
    table.to_csv(expr, sep="\t")
    times.to_csv(times_file, sep="\t", index=False)
    out = tmp_path / "graph_gsm"
    result = CliRunner().invoke(app, ["graph", "--expression", str(expr), "--sample-times",
                                      str(times_file), "--max-genes", "12", "--contacts",
                                      str(sim.cool), "--genes", str(sim.genes), "--out",
                                      str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads((out / "graph.json").read_text())["n_genes"] == 12
    assert (out / "contact_coexpression.tsv").is_file()


def test_config_yaml_with_relative_inputs_reruns_from_another_folder(sim, tmp_path,
                                                                     monkeypatch) -> None:
    monkeypatch.chdir(sim.folder)
    cfg = ForecastConfig(expression=sim.expression.name, contacts=sim.cool.name,
                         genes=sim.genes.name, out=str(tmp_path / "rel"),
                         models=["persistence"], seeds=1, n_boot=0, n_perm=0, report=False)
    run = run_forecast(cfg)
    written = yaml.safe_load((run / "config.yaml").read_text())
    assert Path(written["expression"]).is_absolute()
    assert Path(written["expression"]).resolve() == sim.expression.resolve()
    metrics = yaml.safe_load((run / "metrics.json").read_text())
    assert Path(metrics["extra"]["contacts"]).resolve() == sim.cool.resolve()
    monkeypatch.chdir(tmp_path)
    again = load_config(ForecastConfig, run / "config.yaml", {"out": str(tmp_path / "again")})
    assert is_complete(run_forecast(again))


@pytest.mark.parametrize("command", ["forecast", "graph"])
def test_missing_inputs_fail_before_a_run_folder_is_written(sim, tmp_path, command) -> None:
    out = tmp_path / "never"
    no_genes = CliRunner().invoke(app, [command, "--expression", str(sim.expression),
                                        "--contacts", str(sim.cool), "--out", str(out)])
    assert isinstance(no_genes.exception, InputError)
    assert "genes: expected --dataset NAME or all of" in str(no_genes.exception)
    gone = tmp_path / "gone.tsv"
    absent = CliRunner().invoke(app, [command, *_inputs(sim), "--sample-times", str(gone),
                                      "--out", str(out)])
    assert str(absent.exception) == (f"{gone}: expected an existing sample_times table, "
                                     "got 'no such file or folder'")
    assert not out.exists()


@pytest.mark.parametrize("command", ["forecast", "graph"])
def test_help_names_the_input_formats_and_options(command) -> None:
    result = CliRunner().invoke(app, [command, "--help"], env={"COLUMNS": "300"},
                                terminal_width=300)
    text = " ".join(result.output.split())
    for phrase in (".h5ad", "dense TSV", "GTF/GFF3, SGD_features.tab", "--sample-times",
                   "--max-genes", "yeast_alpha | yeast_cdc15"):
        assert phrase in text, phrase


def test_too_short_a_series_fails_before_the_map_is_read(sim, tmp_path, monkeypatch) -> None:
    import hicexpr.datasets.forecasting as forecasting

    def never(*_args, **_kwargs):
        raise AssertionError("the map was read")

    monkeypatch.setattr(forecasting, "build_forecast_dataset", never)
    frame = pd.read_csv(sim.expression, sep="\t", index_col=0)
    short = tmp_path / "short.tsv"
    frame.iloc[:, :5].to_csv(short, sep="\t")
    cfg = ForecastConfig(expression=str(short), contacts=str(sim.cool), genes=str(sim.genes),
                         models=["persistence"], seeds=1, report=False)
    with pytest.raises(InputError, match=r"short.tsv: time points: expected at least 7"):
        run_forecast(cfg, tmp_path / "run")
    assert not (tmp_path / "run").exists()


def test_config_yaml_of_a_failed_run_holds_absolute_inputs(sim, tmp_path, monkeypatch) -> None:
    genes = pd.read_csv(sim.genes, sep="\t", header=None)
    genes[0] = "scaffold_" + genes[0].astype(str)  # fails after the run folder is written
    genes.to_csv(tmp_path / "scaffolds.bed", sep="\t", header=False, index=False)
    monkeypatch.chdir(tmp_path)
    cfg = ForecastConfig(expression=str(sim.expression), contacts=str(sim.cool),
                         genes=f"../{tmp_path.name}/scaffolds.bed", out="failed",
                         models=["persistence"], seeds=1,
                         report=False)
    with pytest.raises(InputError, match="chromosome names"):
        run_forecast(cfg)
    written = yaml.safe_load((tmp_path / "failed" / "config.yaml").read_text())
    assert ".." not in written["genes"] and Path(written["genes"]).is_absolute()
    assert Path(written["genes"]).resolve() == (tmp_path / "scaffolds.bed").resolve()


def test_max_genes_given_for_a_step_dataset_is_said_to_be_ignored(data_dir, caplog) -> None:
    with caplog.at_level("WARNING", logger="hicexpr.workflows.forecast"):
        load_dataset(ForecastConfig(dataset="step_mrna"))
        assert "ignored" not in caplog.text  # the default is no request
        load_dataset(ForecastConfig(dataset="step_mrna", max_genes=10))
    assert "max_genes (--max-genes) is ignored for step_mrna" in caplog.text

"""End-to-end forecast runs on a small simulated data set: run folder per docs/run_folder.md."""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import yaml

from hicexpr.config import ForecastConfig, load_config
from hicexpr.datasets.simulate import simulate_dataset
from hicexpr.lib.cache import Cache
from hicexpr.lib.errors import InputError
from hicexpr.lib.runs import is_complete
from hicexpr.workflows.forecast import TemporalNode2vecGraph, gene_graph, run_forecast

FAST = {"stepmr": {"max_epochs": 40, "hidden": 8}}


@pytest.fixture(scope="module")
def simulated(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sim")
    return simulate_dataset(folder, seed=1, n_genes=40, n_times=30)


def _config(paths, out, **kw) -> ForecastConfig:
    kw.setdefault("report", False)  # report.html is tested once, below
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
    paired = pd.read_csv(run / "comparisons.tsv", sep="\t")
    assert list(zip(paired.model, paired.baseline, strict=True)) == [
        ("stepmr", "persistence"), ("stepmr", "pooled_ridge_ar")]
    own = paired.set_index("baseline").loc["persistence"]
    assert own.delta_skill == pytest.approx(skill.loc["stepmr", "mean"], abs=1e-9)
    assert own.ci_low <= own.delta_skill <= own.ci_high and own.n_seeds == 2


@pytest.mark.slow
def test_step_random_is_flagged_leaky(simulated, tmp_path) -> None:
    cfg = _config(simulated, tmp_path / "leaky", protocol="step-random")
    cfg.models = ["persistence", "pooled_ridge_ar"]
    run = run_forecast(cfg)
    assert json.loads((run / "metrics.json").read_text())["leaky"] is True
    assert pd.read_csv(run / "predictions.tsv", sep="\t")["leaky"].all()
    assert pd.read_csv(run / "per_gene_metrics.tsv", sep="\t")["leaky"].all()


def test_comparisons_cover_every_horizon(simulated, tmp_path) -> None:
    cfg = _config(simulated, tmp_path / "h2", horizon=2, n_boot=200)
    cfg.models, cfg.seeds = ["persistence", "pooled_ridge_ar", "graph_ar"], 1
    run = run_forecast(cfg)
    paired = pd.read_csv(run / "comparisons.tsv", sep="\t")
    assert sorted(zip(paired.horizon, paired.baseline, strict=True)) == [
        (1, "persistence"), (1, "pooled_ridge_ar"), (2, "persistence"), (2, "pooled_ridge_ar")]
    rows = pd.DataFrame(json.loads((run / "metrics.json").read_text())["summary"])
    skill_h2 = rows[(rows.model == "graph_ar") & (rows.metric == "skill_h2")]["mean"].iloc[0]
    own_h2 = paired[(paired.horizon == 2) & (paired.baseline == "persistence")]
    assert own_h2.delta_skill.iloc[0] == pytest.approx(skill_h2, abs=1e-9)


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


def test_a_dataset_with_an_unknown_scaling_is_refused(simulated, tmp_path, monkeypatch) -> None:
    """Loaders only record a dataset's scaling; the run checks it before evaluating."""
    import hicexpr.workflows.forecast as workflow

    real = workflow.load_dataset

    def minmax(config):
        dataset = real(config)
        dataset.scaling = "minmax"
        return dataset

    monkeypatch.setattr(workflow, "load_dataset", minmax)
    cfg = _config(simulated, tmp_path / "s").model_copy(update={"models": ["persistence"]})
    with pytest.raises(InputError, match="scaling: expected one of standard, scale, none"):
        run_forecast(cfg)


def _toy_dataset(n_genes: int = 16, n_times: int = 24, seed: int = 0) -> SimpleNamespace:
    rng = np.random.default_rng(seed)
    genes = pd.Index([f"g{i}" for i in range(n_genes)])
    a = np.arange(n_genes)
    pairs = pd.DataFrame({"gene1": genes[a], "gene2": genes[(a + 1) % n_genes],
                          "contact": rng.uniform(0.2, 1.0, n_genes)})
    pairs = pd.concat([pairs, pd.DataFrame({"gene1": genes[a], "gene2": genes[(a + 3) % n_genes],
                                            "contact": rng.uniform(0.2, 1.0, n_genes)})])
    values = rng.normal(size=(n_times, n_genes)).cumsum(axis=0)
    return SimpleNamespace(genes=genes, pairs=pairs, values=lambda: values.copy(), raw=values)


def test_temporal_node2vec_features_depend_on_training_times_only() -> None:
    data = _toy_dataset()
    graph = gene_graph(data, top_k=None, node2vec="temporal", node2vec_dim=4)
    assert isinstance(graph, TemporalNode2vecGraph) and not hasattr(graph, "edge_index")
    train = np.arange(14)
    emb = graph.embeddings(train)
    assert emb.shape == (24, 16, 4) and np.isfinite(emb).all()
    assert np.allclose(emb[20], emb[13])  # later time points reuse the last training embedding
    assert not np.allclose(emb[5], emb[13])  # fitted per time point: expression shapes weights
    changed = data.raw.copy()
    changed[14:] = 100.0 * np.random.default_rng(9).normal(size=changed[14:].shape)
    other = SimpleNamespace(genes=data.genes, pairs=data.pairs, values=lambda: changed.copy())
    emb2 = TemporalNode2vecGraph(other, graph.base, None, 4).embeddings(train)
    assert np.array_equal(emb, emb2)  # test-time values change nothing
    features = graph(train).x.numpy()
    assert np.allclose(features, emb[13], atol=1e-6) and features.shape == (16, 4)
    moved = graph(np.arange(18)).x.numpy()
    assert not np.allclose(moved, features)  # a longer training period gives other features


def test_temporal_node2vec_embeddings_come_from_the_cache_on_a_rerun(tmp_path) -> None:
    data, train = _toy_dataset(), np.arange(14)
    fresh = gene_graph(data, top_k=None, node2vec="temporal", node2vec_dim=4).embeddings(train)
    cache = Cache(tmp_path / "cache")
    graph = gene_graph(data, top_k=None, node2vec="temporal", node2vec_dim=4)
    graph.cache = cache
    assert np.array_equal(graph.embeddings(train), fresh) and cache.stats()["misses"] == 1
    assert graph.__getstate__()["cache"] is None  # the run caches the graph, not its cache
    again = gene_graph(data, top_k=None, node2vec="temporal", node2vec_dim=4)
    again.cache = cache
    assert np.array_equal(again.embeddings(train), fresh) and cache.stats()["hits"] == 1
    again.embeddings(np.arange(16))
    assert cache.stats()["misses"] == 2  # another training period is another entry


@pytest.mark.slow
def test_run_writes_report_inputs_and_report(simulated, tmp_path) -> None:
    cfg = _config(simulated, tmp_path / "rep", report=True)
    cfg.models = ["persistence", "pooled_ridge_ar", "gru"]
    cfg.model_params = {"gru": {"max_epochs": 5, "hidden": 4}}
    cfg.seeds = 1
    run = run_forecast(cfg)
    assert is_complete(run) and (run / "report.html").stat().st_size > 1000
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["extra"]["baselines"] == ["persistence", "pooled_ridge_ar"]
    assert metrics["extra"]["contacts"] == str(simulated.cool)
    assert metrics["extra"]["scaling"] == "standard"  # the resolved scaling, not None
    # the simulated header holds plain numbers: no time unit, nor what the values are, guessed
    assert metrics["extra"]["time_unit"] is None and metrics["extra"]["values"] is None
    genes = pd.read_csv(run / "genes.tsv", sep="\t")
    assert list(genes.columns[:1]) == ["gene_id"] and len(genes) == metrics["n_genes"]
    assert {"chrom", "start", "end", "tss"} <= set(genes.columns)
    assert (run / "gene_features.tsv").is_file()
    edges = pd.read_csv(run / "graph_edges.tsv", sep="\t")
    assert list(edges.columns) == ["gene1", "gene2", "weight"]
    assert len(edges) == metrics["extra"]["n_edges"] // 2 and set(edges.gene1) <= set(genes.gene_id)
    page = (run / "report.html").read_text()
    assert "Paired comparisons with the baselines" in page and "gru</td>" in page
    assert "last step, just before it was marked COMPLETE" in page  # not "not marked COMPLETE"
    assert "not marked COMPLETE" not in page
    assert "Do the contacts join genes that change together?" in page
    measures = pd.read_csv(run / "contact_coexpression.tsv", sep="\t").measure
    assert all(f"<td>{m}</td>" in page for m in measures)


@pytest.mark.parametrize(("flag", "n_genes"), [("10", 10), ("0", 40)])
def test_cli_max_genes_keeps_that_many_genes_or_all(simulated, tmp_path, flag, n_genes) -> None:
    from typer.testing import CliRunner

    from hicexpr.cli import app

    out = tmp_path / f"g{flag}"
    result = CliRunner().invoke(app, [
        "forecast", "--expression", str(simulated.expression), "--contacts", str(simulated.cool),
        "--genes", str(simulated.genes), "--models", "persistence", "--seeds", "1",
        "--no-report", "--max-genes", flag, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads((out / "metrics.json").read_text())["n_genes"] == n_genes
    assert yaml.safe_load((out / "config.yaml").read_text())["max_genes"] == int(flag)


def test_max_genes_zero_keeps_every_gene(simulated, tmp_path) -> None:
    """40 simulated genes, so the CLI test above cannot tell 0 from the default 500."""
    from hicexpr.workflows.forecast import load_dataset

    cfg = _config(simulated, tmp_path / "all")
    assert load_dataset(cfg.model_copy(update={"max_genes": 0})).expression.n_vars == 40
    assert load_dataset(cfg.model_copy(update={"max_genes": 7})).expression.n_vars == 7


@pytest.mark.slow
def test_contact_coexpression_uses_training_times_and_the_run_graph(simulated, tmp_path) -> None:
    from hicexpr.evaluate.protocols import make_splits
    from hicexpr.graph import contact_coexpression
    from hicexpr.workflows.forecast import load_dataset

    cfg = _config(simulated, tmp_path / "coexpr", n_perm=19)
    run = run_forecast(cfg.model_copy(update={"models": ["persistence"]}))
    table = pd.read_csv(run / "contact_coexpression.tsv", sep="\t")
    dataset = load_dataset(cfg)
    split = make_splits(dataset.expression.n_obs)[0]
    graph = gene_graph(dataset, cfg.top_k)
    assert list(table.columns[:2]) == ["lag", "measure"] and set(table.lag) == {0, 1}
    for lag in (0, 1):
        direct = contact_coexpression(dataset.values(), dataset.genes, dataset.pairs,
                                      split.train_times, graph=graph, n_perm=19, lag=lag)
        mine = table[table.lag == lag].drop(columns=["lag", "fit_times"])
        pd.testing.assert_frame_equal(mine.reset_index(drop=True), direct, check_dtype=False)
    assert (table.fit_times == len(split.train_times)).all()
    assert {"contact", "same_tad", "proximity", "in_graph"} <= set(table.measure)
    p = table.p_value.dropna()
    assert len(p) and ((p * 20).round(9) % 1 == 0).all() and (p > 0).all()  # k / (1 + 19)


def test_cli_graph_writes_edges_embedding_and_contact_coexpression(simulated, tmp_path) -> None:
    from typer.testing import CliRunner

    from hicexpr.cli import app
    from hicexpr.workflows.forecast import load_dataset

    out = tmp_path / "graph"
    result = CliRunner().invoke(app, [
        "graph", "--expression", str(simulated.expression), "--contacts", str(simulated.cool),
        "--genes", str(simulated.genes), "--top-k", "3", "--node2vec-dim", "4", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert is_complete(out)
    edges = pd.read_csv(out / "edges.tsv", sep="\t")
    info = json.loads((out / "graph.json").read_text())
    assert info["n_edges"] == len(edges) and info["n_genes"] == 40
    dataset = load_dataset(_config(simulated, tmp_path / "unused"))
    graph = gene_graph(dataset, 3)
    ei = graph.edge_index.numpy()
    assert len(edges) == int((ei[0] < ei[1]).sum())  # the same top-3 graph
    emb = pd.read_csv(out / "node2vec.tsv", sep="\t")
    assert list(emb.columns) == ["gene", "dim0", "dim1", "dim2", "dim3"] and len(emb) == 40
    table = pd.read_csv(out / "contact_coexpression.tsv", sep="\t")
    assert "in_graph" in set(table.measure) and (table.n_pairs > 0).all()
    bad = CliRunner().invoke(app, [
        "graph", "--expression", str(simulated.expression), "--contacts", str(simulated.cool),
        "--genes", str(simulated.genes), "--top-k", "0", "--out", str(tmp_path / "bad")])
    assert isinstance(bad.exception, InputError) and "top_k" in str(bad.exception)
    assert not (tmp_path / "bad").exists()  # refused before the run folder is made


def test_cli_input_length_and_help_defaults(simulated, tmp_path) -> None:
    from typer.testing import CliRunner

    from hicexpr.cli import app

    out = tmp_path / "l4"
    result = CliRunner().invoke(app, [
        "forecast", "--expression", str(simulated.expression), "--contacts", str(simulated.cool),
        "--genes", str(simulated.genes), "--models", "persistence,window_mean", "--seeds", "1",
        "--no-report", "--input-length", "4", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert yaml.safe_load((out / "config.yaml").read_text())["input_length"] == 4
    preds = pd.read_csv(out / "predictions.tsv", sep="\t")
    from hicexpr.workflows.forecast import load_dataset

    dataset = load_dataset(_config(simulated, tmp_path / "unused"))
    values, times = dataset.values(), dataset.expression.obs["time"].to_numpy(dtype=float)
    first = preds.time.min()  # the window mean of the first test target: its 4 inputs
    k = int(np.flatnonzero(times == first)[0])
    mean4 = pd.Series(values[k - 4:k].mean(axis=0), index=dataset.genes)
    got = preds[(preds.model == "window_mean") & (preds.time == first)].set_index("gene")
    assert np.allclose(got.predicted, mean4.reindex(got.index), atol=1e-6)
    usage = CliRunner().invoke(app, ["forecast", "--help"]).output
    usage = " ".join(usage.replace("│", " ").split())  # undo the help panel's wrapping
    assert "[default: 5]" in usage and "[default: 3]" in usage  # not eaten as markup
    from hicexpr.cli import DEFAULT_MODELS
    from hicexpr.config import ForecastConfig

    assert DEFAULT_MODELS == ", ".join(ForecastConfig().models)
    assert f"[default: {DEFAULT_MODELS}]" in usage


def test_cli_graph_temporal_node2vec_writes_what_the_models_see(simulated, tmp_path) -> None:
    from typer.testing import CliRunner

    from hicexpr.cli import app
    from hicexpr.workflows.forecast import first_split, load_dataset

    out = tmp_path / "temporal"
    result = CliRunner().invoke(app, [
        "graph", "--expression", str(simulated.expression), "--contacts", str(simulated.cool),
        "--genes", str(simulated.genes), "--top-k", "3", "--node2vec-dim", "4",
        "--node2vec", "temporal", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert yaml.safe_load((out / "config.yaml").read_text())["node2vec"] == "temporal"
    config = _config(simulated, tmp_path / "unused").model_copy(
        update={"top_k": 3, "node2vec_dim": 4, "node2vec": "temporal"})
    dataset = load_dataset(config)
    temporal = gene_graph(dataset, 3, 4, node2vec="temporal")
    train = first_split(dataset, config).train_times
    expected = temporal(train).x.numpy()  # the latest training time point's embedding
    emb = pd.read_csv(out / "node2vec.tsv", sep="\t").set_index("gene")
    assert np.allclose(emb.to_numpy(), expected, atol=1e-5)
    static = gene_graph(dataset, 3, 4, node2vec="static").x.numpy()
    assert not np.allclose(emb.to_numpy(), static, atol=1e-3)  # not the static embedding


def test_a_rerun_on_other_expression_embeds_that_expression_not_the_cached_one(
        simulated, tmp_path) -> None:
    """The gene graph is cached by genes and contacts only; a temporal Node2vec graph must
    still embed the expression of the run, not that of an earlier run in the same folder."""
    from hicexpr.workflows.forecast import _cached_graph, _checked_dataset

    table = pd.read_csv(simulated.expression, sep="\t", index_col=0)
    other = tmp_path / "other.tsv"
    table.iloc[:, :] = np.random.default_rng(5).normal(10.0, 3.0, size=table.shape)
    table.to_csv(other, sep="\t")
    cache, train = Cache.for_run(tmp_path / "run"), np.arange(12)
    features = []
    for expression in (simulated.expression, other):
        config = _config(simulated, tmp_path / "run", node2vec="temporal", node2vec_dim=4)
        config = config.model_copy(update={"expression": str(expression)})
        dataset = _checked_dataset(config, cache)
        features.append(_cached_graph(dataset, config, cache)(train).x.numpy())
    fresh = gene_graph(dataset, config.top_k, 4, node2vec="temporal")(train).x.numpy()
    np.testing.assert_allclose(features[1], fresh, rtol=0, atol=1e-6)
    assert not np.allclose(features[0], features[1])

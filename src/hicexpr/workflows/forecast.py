"""Forecast runs: dataset -> gene graph -> every model x seed under a protocol -> run folder.

Writes (docs/run_folder.md): ``config.yaml``, ``versions.json``, ``metrics.json``,
``predictions.tsv``, ``per_gene_metrics.tsv``, ``comparisons.tsv``,
``contact_coexpression.tsv``, ``run.log`` and ``COMPLETE`` (last).
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import torch

from hicexpr.config import ForecastConfig, check_at_least
from hicexpr.evaluate.compare import compare_to_baselines
from hicexpr.evaluate.protocols import PROTOCOLS, make_splits
from hicexpr.evaluate.runner import ForecastResult, evaluate_forecasters
from hicexpr.evaluate.scaling import check_scaling
from hicexpr.forecast.registry import MODELS
from hicexpr.graph.diagnostics import contact_coexpression
from hicexpr.lib.cache import Cache
from hicexpr.lib.errors import InputError, closest
from hicexpr.lib.logs import only_errors
from hicexpr.lib.runs import RunFolder
from hicexpr.workflows.runs import finish_run

if TYPE_CHECKING:
    from torch_geometric.data import Data

log = logging.getLogger(__name__)


def load_dataset(config: ForecastConfig) -> Any:
    """The :class:`~hicexpr.datasets.forecasting.ForecastDataset` a config names."""
    from hicexpr.datasets.forecasting import build_forecast_dataset, load_forecast_dataset

    check_inputs(config)
    if config.dataset is not None:
        yeast = config.dataset.startswith("yeast")
        if not yeast and "max_genes" in config.model_fields_set:
            log.warning("max_genes (--max-genes) is ignored for %s: STEP data sets keep every "
                        "gene of their tables", config.dataset)
        options = {"max_genes": config.max_genes or None} if yeast else {}
        return load_forecast_dataset(config.dataset, **options)
    return build_forecast_dataset(config.expression, config.contacts, config.genes,
                                  sample_times=config.sample_times,
                                  max_genes=config.max_genes or None,
                                  resolution=config.resolution)


INPUT_FILES = {"expression": "expression file", "contacts": "contact map",
               "genes": "gene annotation file", "sample_times": "sample_times table"}


def check_inputs(config: ForecastConfig) -> None:
    """Raise :class:`InputError` unless the config names a dataset or all three input files,
    and every input file it names exists (before a run folder is written)."""
    inputs = (config.expression, config.contacts, config.genes)
    if config.dataset is not None:
        if any(inputs):
            raise InputError("config", "dataset", "either dataset or expression+contacts+genes")
        if config.resolution is not None:
            raise InputError("config", "resolution", "no resolution with a named dataset (it "
                             "fixes its own map)", config.resolution)
        return
    if not all(inputs):
        missing = [n for n, v in zip(("expression", "contacts", "genes"), inputs, strict=True)
                   if not v]
        raise InputError("config", ", ".join(missing), "--dataset NAME or all of --expression "
                         "TSV --contacts MAP --genes GENES")
    for key, what in INPUT_FILES.items():
        value = getattr(config, key)
        path = Path(str(value).partition("::")[0]) if value else None
        if path is not None and not path.exists():
            raise InputError(path, "", f"an existing {what}", "no such file or folder")


NODE2VEC = ("none", "static", "temporal")
NODE2VEC_DIM = 16  # embedding size when Node2vec is asked for without node2vec_dim


def gene_graph(dataset: Any, top_k: int | None = 10, node2vec_dim: int = 0, seed: int = 0,
               node2vec: str | None = None) -> Data | TemporalNode2vecGraph:
    """Hi-C gene graph of a dataset, with optional Node2vec node features.

    Args:
        node2vec: ``"none"``, ``"static"`` (Node2vec of the static Hi-C graph: a PyG ``Data``
            with ``x``) or ``"temporal"`` (a :class:`TemporalNode2vecGraph`: called with a
            split's training time points, it returns the graph with the temporal Node2vec
            embedding fitted on those time points only). ``None``: ``"static"`` when
            ``node2vec_dim > 0``, else ``"none"``.
        node2vec_dim: embedding size (16 when 0 and Node2vec is asked for).
    """
    from hicexpr.graph import EdgeWeights, build_gene_graph

    mode = node2vec_mode(node2vec, node2vec_dim)
    if mode not in NODE2VEC:
        raise InputError("config", "node2vec", " | ".join(NODE2VEC), mode)
    dim = node2vec_dim or NODE2VEC_DIM
    graph = build_gene_graph(dataset.genes, dataset.pairs, EdgeWeights(top_k=top_k))
    if graph.edge_index.shape[1] == 0:
        log.warning("the gene graph has no edges (no two of the %d genes share a chromosome "
                    "with a contact between them): Hi-C and graph models see no neighbours",
                    len(dataset.genes))
    if mode == "temporal":
        return TemporalNode2vecGraph(dataset, graph, top_k, dim, seed)
    if mode == "static" and graph.edge_index.shape[1] > 0:
        from hicexpr.graph.node2vec import node2vec_embedding

        emb = node2vec_embedding(graph, dim=dim, seed=seed)
        graph.x = torch.as_tensor(emb, dtype=torch.float32)
    return graph


class TemporalNode2vecGraph:
    """Per-split gene graph whose node features come from temporal Node2vec.

    ``temporal_graphs`` (Hi-C weights modulated by expression at each time point, standardised
    on training times) -> ``temporal_node2vec(fit_index=train_times)`` -> ``[T, N, dim]``; the
    node features are the embedding of the latest training time point, i.e. what every
    validation / test window sees (later time points are never embedded). Expression enters
    only the edge weights and inputs, never the target of the embedding.
    """

    def __init__(self, dataset: Any, base: Any, top_k: int | None, dim: int = 16,
                 seed: int = 0, cache: Cache | None = None) -> None:
        self.dataset, self.base, self.top_k, self.dim, self.seed = dataset, base, top_k, dim, seed
        self.edge_count = int(base.edge_index.shape[1])
        self.cache = cache  # embeddings per training period (a resumed run reuses them)

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "cache": None}  # the graph is cached; its cache is not

    def embeddings(self, train_times: np.ndarray) -> np.ndarray:
        """``[T, N, dim]`` temporal Node2vec fitted on ``train_times`` only."""
        values = np.asarray(self.dataset.values(), dtype=float)
        train = np.asarray(train_times, dtype=int)
        if self.cache is None:
            return self._embed(values, train)
        key = {"genes": list(self.dataset.genes), "pairs": self.dataset.pairs,
               "train_values": values[train], "train": train, "top_k": self.top_k,
               "n_times": len(values), "dim": self.dim, "seed": self.seed}
        return self.cache.get_or_compute(f"node2vec/train{len(train)}", key,
                                         lambda: self._embed(values, train))

    def _embed(self, values: np.ndarray, train: np.ndarray) -> np.ndarray:
        from hicexpr.graph import EdgeWeights, temporal_graphs
        from hicexpr.graph.node2vec import temporal_node2vec

        fill = np.nan_to_num(np.nanmean(values[train], axis=0))
        values = np.where(np.isfinite(values), values, fill)
        graphs = temporal_graphs(self.dataset.genes, self.dataset.pairs, values, train,
                                 EdgeWeights(top_k=self.top_k))
        return temporal_node2vec(graphs, dim=self.dim, seed=self.seed, fit_index=train)

    def __call__(self, train_times: np.ndarray) -> Any:
        emb = self.embeddings(train_times)
        graph = self.base.clone()
        if graph.edge_index.shape[1] > 0:
            graph.x = torch.as_tensor(emb[int(np.max(train_times))], dtype=torch.float32)
        return graph


def node2vec_mode(node2vec: str | None, node2vec_dim: int) -> str:
    """The Node2vec mode that runs: ``node2vec``, else static when ``node2vec_dim > 0``."""
    return node2vec or ("static" if node2vec_dim > 0 else "none")


def resolved_config(config: ForecastConfig, scaling: str) -> ForecastConfig:
    """``config`` with the defaults a run resolved (scaling, Node2vec mode) written out, so
    config.yaml says what ran; re-running it gives the same results."""
    mode = node2vec_mode(config.node2vec, config.node2vec_dim)
    dim = config.node2vec_dim or (NODE2VEC_DIM if mode != "none" else 0)
    return config.model_copy(update={"scaling": scaling, "node2vec": mode, "node2vec_dim": dim,
                                     **absolute_inputs(config)})


def absolute_inputs(config: ForecastConfig) -> dict[str, str]:
    """The config's input files as absolute paths (a ``::group`` suffix kept), so that the
    written config.yaml re-runs from any folder."""
    out = {}
    for key in INPUT_FILES:
        value = getattr(config, key)
        if value:
            path, sep, group = str(value).partition("::")
            out[key] = os.path.abspath(path) + sep + group
    return out


def check_models(models: list[str], params: dict[str, dict[str, Any]]) -> None:
    for name in list(models) + list(params):
        if name not in MODELS:
            hint = closest(name, MODELS)
            hint_text = f" (did you mean '{hint}'?)" if hint else ""
            raise InputError("models", "", f"one of {', '.join(MODELS)}{hint_text}", name)


_AT_LEAST = {"seeds": 1, "input_length": 1, "horizon": 1, "n_folds": 1, "node2vec_dim": 0,
             "max_genes": 0, "top_k": 1, "n_boot": 0, "resolution": 1}


def check_ranges(config: ForecastConfig) -> None:
    """Raise :class:`InputError` for out-of-range hyper-parameters (before any work)."""
    check_at_least(config, _AT_LEAST)
    for name in ("test_fraction", "val_fraction"):
        value = getattr(config, name)
        if not 0 < value < 1:
            raise InputError("config", name, "a fraction between 0 and 1 (exclusive)", value)


def run_inputs(config: ForecastConfig) -> list[str | None]:
    """The input files of a run (never removed from its output folder)."""
    return [getattr(config, key) for key in INPUT_FILES]


def check_genes(dataset: Any, source: str | None = None) -> None:
    """A forecast needs at least 2 usable genes (a gene graph with at least 2 nodes)."""
    n = int(dataset.expression.n_vars)
    if n < 2:
        raise InputError(source or dataset.name, "genes", "at least 2 genes with a complete "
                         "time course on the map (the gene graph needs 2 nodes)", n)


def check_time_points(dataset: Any, config: ForecastConfig) -> list[Any]:
    """The protocol's splits of the dataset's time points; when there are too few, an error
    naming the file and the times read from it (replicate numbers read as times show up)."""
    try:
        return make_splits(dataset.expression.n_obs, config.protocol, config.input_length,
                           config.test_fraction, config.val_fraction, config.n_folds)
    except InputError as exc:
        times = [format(t, "g") for t in dataset.expression.obs["time"]]
        shown = ", ".join(times[:8]) + (", ..." if len(times) > 8 else "")
        raise InputError(config.expression or dataset.name, exc.where, exc.expected,
                         f"{exc.got} (times read: {shown})") from None


def check_series_length(config: ForecastConfig) -> None:
    """Fail at once, before any output or map work, when a custom expression table has too
    few time points for the protocol (time points can only be dropped later, so a table that
    passes here is checked again on the dataset). Its messages are logged by the dataset."""
    if config.expression is None:
        return
    from hicexpr.io.expression import read_expression

    with only_errors("hicexpr.io.expression"):
        adata = read_expression(config.expression, sample_times=config.sample_times)
    check_time_points(SimpleNamespace(expression=adata, name=config.expression), config)


def dataset_key(config: ForecastConfig) -> dict[str, Any]:
    """What the dataset of a run depends on: input files (path, size, mtime) and options."""
    from hicexpr.datasets.forecasting import SOURCES, data_root

    def file(value: str | None) -> Any:
        if value is None:
            return None
        path, _, group = value.partition("::")  # file.mcool::resolutions/N
        return {"file": Path(path), "group": group}

    return {"dataset": config.dataset, "max_genes": config.max_genes,
            "resolution": config.resolution,
            "data_dir": str(data_root(config.dataset)) if config.dataset in SOURCES else None,
            **{name: file(getattr(config, name))
               for name in ("expression", "contacts", "genes", "sample_times")}}


def run_forecast(config: ForecastConfig, out: str | os.PathLike[str] | None = None) -> Path:
    """Run every configured model x seed under the protocol; returns the run folder."""
    target = out or config.out
    if target is None:
        raise InputError("config", "out", "an output folder (--out DIR)")
    _check_config(config)
    check_series_length(config)
    run = RunFolder(target, keep=run_inputs(config))
    run.write_config(config.model_copy(update=absolute_inputs(config)))
    seeds = list(range(config.seeds))
    run.write_versions({"seeds": seeds})
    start = time.perf_counter()
    cache = Cache.for_run(run.path)  # a re-run after a kill resumes from here
    dataset = _checked_dataset(config, cache)
    graph = _cached_graph(dataset, config, cache)
    static = getattr(graph, "base", graph)
    scaling = check_scaling(config.scaling or getattr(dataset, "scaling", "standard"))
    run.write_config(resolved_config(config, scaling))
    log.info("%s: %d time points x %d genes, %d graph edges", dataset.name,
             dataset.expression.n_obs, dataset.expression.n_vars, static.edge_index.shape[1])
    result = _evaluate(dataset, graph, config, seeds, scaling, cache)
    log.info("cache: %(hits)d hits, %(misses)d misses", cache.stats())
    extra = {"contacts": contacts_path(config), "baselines": list_baselines(config.models),
             "scaling": scaling, "time_unit": getattr(dataset, "time_unit", None),
             "values": getattr(dataset, "value_description", None)}
    write_result(run, result, dataset, static, time.perf_counter() - start, extra)
    write_comparisons(run, result, config.models, config.n_boot)
    write_contact_coexpression(run, dataset, static, config, cache)
    write_report_inputs(run, dataset, static)
    finish_run(run, config.report)
    return run.path


def _check_config(config: ForecastConfig) -> None:
    """Raise :class:`InputError` for unknown models, protocol or scaling and out-of-range
    options (before any output)."""
    check_models(config.models, config.model_params)
    check_ranges(config)
    if config.protocol not in PROTOCOLS:
        raise InputError("config", "protocol", f"one of {', '.join(PROTOCOLS)}", config.protocol)
    if config.scaling is not None:
        check_scaling(config.scaling)
    check_inputs(config)  # the options first: they need no file


def _checked_dataset(config: ForecastConfig, cache: Cache) -> Any:
    """The config's dataset (through ``cache``), checked for genes and time points."""
    dataset = cache.get_or_compute("dataset", dataset_key(config), lambda: load_dataset(config))
    check_genes(dataset, config.expression)
    check_time_points(dataset, config)
    return dataset


def _cached_graph(dataset: Any, config: ForecastConfig,
                  cache: Cache) -> Data | TemporalNode2vecGraph:
    """The dataset's gene graph (through ``cache``; a temporal Node2vec graph caches its
    embeddings there too, keyed by the training values of ``dataset``)."""
    graph = cache.get_or_compute(
        "graph", {"genes": list(dataset.genes), "pairs": dataset.pairs, "top_k": config.top_k,
                  "node2vec_dim": config.node2vec_dim, "node2vec": config.node2vec},
        lambda: gene_graph(dataset, config.top_k, config.node2vec_dim,
                           node2vec=config.node2vec))
    if isinstance(graph, TemporalNode2vecGraph):
        # the key holds genes and contacts only: embed this run's expression, not that of
        # the run that cached the graph (a rerun in the same folder on another file)
        graph.dataset = dataset
        graph.cache = cache
    return graph


def _evaluate(dataset: Any, graph: Data | TemporalNode2vecGraph, config: ForecastConfig,
              seeds: list[int], scaling: str, cache: Cache) -> ForecastResult:
    """:func:`evaluate_forecasters` with the config's models and protocol on ``dataset``."""
    return evaluate_forecasters(
        dataset.values(),
        {m: config.model_params.get(m, {}) for m in config.models},
        graph=graph,
        protocol=config.protocol,
        input_length=config.input_length,
        horizon=config.horizon,
        seeds=seeds,
        test_fraction=config.test_fraction,
        val_fraction=config.val_fraction,
        n_folds=config.n_folds,
        genes=list(dataset.genes),
        times=dataset.expression.obs["time"].to_numpy(dtype=float),
        refit=config.refit,
        cache=cache,
        scaling=scaling,
    )


def write_comparisons(run: RunFolder, result: ForecastResult, models: list[str],
                      n_boot: int) -> None:
    """``comparisons.tsv``: each non-baseline model's skill minus each baseline's on the same
    test windows (every horizon), with a 95% bootstrap CI over genes; needs persistence."""
    baselines = list_baselines(models)
    others = [m for m in models if m not in baselines]
    if n_boot <= 0 or "persistence" not in baselines or not others:
        return
    horizons = sorted(int(h) for h in result.predictions.horizon.unique())
    table = pd.concat([compare_to_baselines(result.predictions, others, baselines, horizon=h,
                                            n_boot=n_boot) for h in horizons],
                      ignore_index=True)
    if result.leaky:
        table["leaky"] = True
    run.write_table("comparisons.tsv", table)
    for row in table[table.baseline != "persistence"].itertuples():
        log.info("%s vs %s, h = %d: skill %+.3f [%+.3f, %+.3f] (%s)", row.model, row.baseline,
                 row.horizon, row.delta_skill, row.ci_low, row.ci_high, row.verdict)


#: co-expression of simultaneous changes (0) and of a change with the partner's previous one (1)
COEXPRESSION_LAGS = (0, 1)


def first_split(dataset: Any, config: ForecastConfig) -> Any:
    """The protocol's first split of the dataset's time points (its training times fit
    everything a graph run writes); errors as :func:`check_time_points`."""
    return check_time_points(dataset, config)[0]


def write_contact_coexpression(run: RunFolder, dataset: Any, graph: Any,
                               config: ForecastConfig, cache: Cache | None = None,
                               split: Any = None) -> None:
    """``contact_coexpression.tsv``: does each contact measure (and the graph) join genes that
    change together? Co-expression from the first split's training times only (``split``, when
    the caller has it already, is that split)."""
    if dataset.pairs is None or not len(dataset.pairs):
        return
    if split is None:
        try:
            split = first_split(dataset, config)
        except InputError as exc:  # too short a series for the protocol's splits
            log.warning("contact vs co-expression not computed (no %s training split): %s",
                        config.protocol, exc)
            return

    def compute() -> pd.DataFrame:
        values, tables = dataset.values(), []
        for lag in COEXPRESSION_LAGS:
            table = contact_coexpression(values, dataset.genes, dataset.pairs,
                                         split.train_times, graph=graph, n_perm=config.n_perm,
                                         lag=lag)
            table.insert(0, "lag", lag)
            tables.append(table)
        return pd.concat(tables, ignore_index=True)

    try:
        table = (compute() if cache is None else cache.get_or_compute(
            "contact_coexpression", _coexpression_key(dataset, graph, config, split), compute))
    except InputError as exc:  # e.g. too few training times for 3 changes
        log.warning("contact vs co-expression not computed: %s", exc)
        return
    table["fit_times"] = len(split.train_times)
    if split.leaky:
        table["leaky"] = True
    run.write_table("contact_coexpression.tsv", table)
    for row in table.dropna(subset=["spearman_same_distance"]).itertuples():
        log.info("contacts vs co-expression (training times, lag %d): %s rho %+.3f at equal "
                 "distance (p = %.2f); mean |r| %.3f top vs %.3f rest", row.lag, row.measure,
                 row.spearman_same_distance, row.p_value, row.coexpr_high, row.coexpr_low)


def _coexpression_key(dataset: Any, graph: Any, config: ForecastConfig,
                      split: Any) -> dict[str, Any]:
    """Cache key of ``contact_coexpression.tsv`` (built only when a cache is used)."""
    return {"genes": list(dataset.genes), "pairs": dataset.pairs, "fit": split.train_times,
            "edges": graph.edge_index.numpy(), "n_perm": config.n_perm,
            "lags": COEXPRESSION_LAGS}


def list_baselines(models: list[str]) -> list[str]:
    """The configured models that are baselines (greyed in the report)."""
    from hicexpr.forecast.registry import BASELINES

    return [m for m in models if m in BASELINES]


def contacts_path(config: ForecastConfig) -> str | None:
    """The contact map of a run: ``config.contacts``, or a named yeast dataset's shared map."""
    if config.contacts:
        path = absolute_inputs(config)["contacts"]  # the report may run from elsewhere
        if config.resolution is not None and "::" not in path and path.endswith(".mcool"):
            return f"{path}::resolutions/{config.resolution}"  # a URI the report can open
        return path
    if config.dataset and config.dataset.startswith("yeast"):
        from hicexpr.datasets.forecasting import data_root

        path = data_root(config.dataset) / "yeast" / "hic" / "yeast.10kb.cool"
        return str(path) if path.exists() else None
    return None


def write_report_inputs(run: RunFolder, dataset: Any, graph: Any) -> None:
    """``genes.tsv``, ``gene_features.tsv`` and ``graph_edges.tsv`` (docs/report.md)."""
    var = dataset.expression.var
    genes = pd.DataFrame({"gene_id": list(dataset.genes)})
    for col in ("chrom", "start", "end", "strand", "tss", "symbol"):
        if col in var.columns:
            genes[col] = var[col].to_numpy()
    run.write_table("genes.tsv", genes)
    feats = dataset.gene_features
    if feats is not None and len(feats):  # a `degree` here is the map's; the report's comes
        # from graph_edges.tsv (analysis.gene_factors prefers the graph's)
        run.write_table("gene_features.tsv", feats.rename_axis("gene_id").reset_index())
    run.write_table("graph_edges.tsv", edge_table(graph, np.asarray(dataset.genes)))


def edge_table(graph: Any, genes: np.ndarray) -> pd.DataFrame:
    """``gene1, gene2, weight`` of each undirected edge once (``gene1`` the lower node id;
    weight 1 for an unweighted graph)."""
    ei = graph.edge_index.numpy()
    keep = ei[0] < ei[1]
    weight = (graph.edge_weight.numpy()[keep] if graph.edge_weight is not None
              else np.ones(int(keep.sum())))
    return pd.DataFrame({"gene1": genes[ei[0, keep]], "gene2": genes[ei[1, keep]],
                         "weight": weight})


def metrics_document(result: ForecastResult, dataset: Any, graph: Any,
                     wall_s: float, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """The metrics.json content (schema in docs/run_folder.md)."""
    timings = result.timings.groupby("model", sort=False)["wall_s"].agg(["mean", "std"])
    return {
        "task": "forecast",
        "dataset": dataset.name,
        "protocol": result.protocol,
        "leaky": bool(result.leaky),
        "n_genes": int(dataset.expression.n_vars),
        "seeds": result.seeds,
        "summary": result.summary.to_dict(orient="records"),
        "extra": {
            "n_times": int(dataset.expression.n_obs),
            "n_edges": int(graph.edge_index.shape[1]),
            "wall_s": round(wall_s, 2),
            "fit_seconds": {m: round(float(r["mean"]), 3) for m, r in timings.iterrows()},
            "headline": "gene_pearson_mean and skill (pooled_pearson is dominated by levels)",
            "description": getattr(dataset, "description", ""),
            **(extra or {}),
        },
    }


def write_result(run: RunFolder, result: ForecastResult, dataset: Any, graph: Any,
                 wall_s: float, extra: dict[str, Any] | None = None) -> None:
    """Write metrics.json, predictions.tsv and per_gene_metrics.tsv into ``run``."""
    run.write_metrics(metrics_document(result, dataset, graph, wall_s, extra))
    for name, table in (("predictions.tsv", result.predictions),
                        ("per_gene_metrics.tsv", result.per_gene)):
        run.write_table(name, table.assign(leaky=True) if result.leaky else table)
    best = _best_model(result.summary)
    log.info("done in %.1f s; best model by skill: %s", wall_s, best)


def _best_model(summary: pd.DataFrame) -> str:
    skill = summary[summary.metric == "skill"]
    return str(skill.loc[skill["mean"].idxmax(), "model"]) if len(skill) else ""


def run_graph(config: ForecastConfig, out: str | os.PathLike[str]) -> Path:
    """Write the gene graph of a dataset as ``edges.tsv`` (gene1, gene2, weight), with Node2vec
    ``node2vec.tsv`` (temporal: the embedding the models see, fitted on the first split's
    training times), and ``contact_coexpression.tsv`` (do the edges join genes that change
    together on the protocol's training times?) into run folder ``out``."""
    check_ranges(config)
    check_inputs(config)
    run = RunFolder(out, keep=run_inputs(config))
    run.write_config(config.model_copy(update={
        "node2vec": node2vec_mode(config.node2vec, config.node2vec_dim),
        **absolute_inputs(config)}))
    run.write_versions()
    dataset = load_dataset(config)
    graph = gene_graph(dataset, config.top_k, config.node2vec_dim, node2vec=config.node2vec)
    split = None
    if isinstance(graph, TemporalNode2vecGraph):
        split = first_split(dataset, config)
        graph = graph(split.train_times)
    genes = np.asarray(dataset.genes)
    edges = edge_table(graph, genes)
    run.write_table("edges.tsv", edges)
    if getattr(graph, "x", None) is not None:
        emb = pd.DataFrame(graph.x.numpy(), index=genes)
        emb.columns = [f"dim{i}" for i in range(emb.shape[1])]
        run.write_table("node2vec.tsv", emb.rename_axis("gene").reset_index())
    run.write_json("graph.json", {"n_genes": len(genes), "n_edges": len(edges),
                                  "dataset": dataset.name})
    write_contact_coexpression(run, dataset, graph, config, split=split)
    run.complete()
    return run.path

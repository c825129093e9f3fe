"""Forecast runs: dataset -> gene graph -> every model x seed under a protocol -> run folder.

Writes (docs/run_folder.md): ``config.yaml``, ``versions.json``, ``metrics.json``,
``predictions.tsv``, ``per_gene_metrics.tsv``, ``run.log`` and ``COMPLETE`` (last).
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from hicexpr.config import ForecastConfig
from hicexpr.evaluate.protocols import PROTOCOLS
from hicexpr.evaluate.runner import ForecastResult, evaluate_forecasters
from hicexpr.forecast.registry import MODELS
from hicexpr.lib.errors import InputError, closest
from hicexpr.lib.runs import RunFolder

log = logging.getLogger(__name__)


def load_dataset(config: ForecastConfig) -> Any:
    """The :class:`~hicexpr.datasets.forecasting.ForecastDataset` a config names."""
    from hicexpr.datasets.forecasting import build_forecast_dataset, load_forecast_dataset

    inputs = (config.expression, config.contacts, config.genes)
    if config.dataset is not None:
        if any(inputs):
            raise InputError("config", "dataset", "either dataset or expression+contacts+genes")
        options = {"max_genes": config.max_genes} if config.dataset.startswith("yeast") else {}
        return load_forecast_dataset(config.dataset, **options)
    if not all(inputs):
        missing = [n for n, v in zip(("expression", "contacts", "genes"), inputs, strict=True)
                   if not v]
        raise InputError("config", ", ".join(missing), "--dataset NAME or all of --expression "
                         "TSV --contacts MAP --genes GENES")
    return build_forecast_dataset(config.expression, config.contacts, config.genes,
                                  sample_times=config.sample_times, max_genes=config.max_genes)


NODE2VEC = ("none", "static", "temporal")


def gene_graph(dataset: Any, top_k: int | None = 10, node2vec_dim: int = 0, seed: int = 0,
               node2vec: str | None = None):
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

    mode = node2vec or ("static" if node2vec_dim > 0 else "none")
    if mode not in NODE2VEC:
        raise InputError("config", "node2vec", " | ".join(NODE2VEC), mode)
    dim = node2vec_dim or 16
    graph = build_gene_graph(dataset.genes, dataset.pairs, EdgeWeights(top_k=top_k))
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
                 seed: int = 0) -> None:
        self.dataset, self.base, self.top_k, self.dim, self.seed = dataset, base, top_k, dim, seed
        self.edge_count = int(base.edge_index.shape[1])

    def embeddings(self, train_times: np.ndarray) -> np.ndarray:
        """``[T, N, dim]`` temporal Node2vec fitted on ``train_times`` only."""
        from hicexpr.graph import EdgeWeights, temporal_graphs
        from hicexpr.graph.node2vec import temporal_node2vec

        values = np.asarray(self.dataset.values(), dtype=float)
        train = np.asarray(train_times, dtype=int)
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


def check_models(models: list[str], params: dict[str, dict[str, Any]]) -> None:
    for name in list(models) + list(params):
        if name not in MODELS:
            hint = closest(name, MODELS)
            hint_text = f" (did you mean '{hint}'?)" if hint else ""
            raise InputError("models", "", f"one of {', '.join(MODELS)}{hint_text}", name)


def run_forecast(config: ForecastConfig, out: str | os.PathLike[str] | None = None) -> Path:
    """Run every configured model x seed under the protocol; returns the run folder."""
    target = out or config.out
    if target is None:
        raise InputError("config", "out", "an output folder (--out DIR)")
    check_models(config.models, config.model_params)
    if config.protocol not in PROTOCOLS:
        raise InputError("config", "protocol", f"one of {', '.join(PROTOCOLS)}", config.protocol)
    run = RunFolder(target)
    run.write_config(config)
    seeds = list(range(config.seeds))
    run.write_versions({"seeds": seeds})
    start = time.perf_counter()
    dataset = load_dataset(config)
    graph = gene_graph(dataset, config.top_k, config.node2vec_dim, node2vec=config.node2vec)
    static = getattr(graph, "base", graph)
    log.info("%s: %d time points x %d genes, %d graph edges", dataset.name,
             dataset.expression.n_obs, dataset.expression.n_vars, static.edge_index.shape[1])
    result = evaluate_forecasters(
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
    )
    write_result(run, result, dataset, static, time.perf_counter() - start)
    run.complete()
    return run.path


def metrics_document(result: ForecastResult, dataset: Any, graph: Any,
                     wall_s: float) -> dict[str, Any]:
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
        },
    }


def write_result(run: RunFolder, result: ForecastResult, dataset: Any, graph: Any,
                 wall_s: float) -> None:
    """Write metrics.json, predictions.tsv and per_gene_metrics.tsv into ``run``."""
    run.write_metrics(metrics_document(result, dataset, graph, wall_s))
    predictions = result.predictions.copy()
    if result.leaky:
        predictions["leaky"] = True
    run.write_table("predictions.tsv", predictions)
    run.write_table("per_gene_metrics.tsv", result.per_gene)
    best = _best_model(result.summary)
    log.info("done in %.1f s; best model by skill: %s", wall_s, best)


def _best_model(summary: pd.DataFrame) -> str:
    skill = summary[summary.metric == "skill"]
    return str(skill.loc[skill["mean"].idxmax(), "model"]) if len(skill) else ""


def run_graph(config: ForecastConfig, out: str | os.PathLike[str]) -> Path:
    """Write the gene graph of a dataset as ``edges.tsv`` (gene1, gene2, weight) and, with
    ``node2vec_dim > 0``, ``node2vec.tsv`` into run folder ``out``."""
    run = RunFolder(out)
    run.write_config(config)
    run.write_versions()
    dataset = load_dataset(config)
    graph = gene_graph(dataset, config.top_k, config.node2vec_dim)
    genes = np.asarray(dataset.genes)
    ei = graph.edge_index.numpy()
    keep = ei[0] < ei[1]
    run.write_table("edges.tsv", pd.DataFrame({
        "gene1": genes[ei[0, keep]], "gene2": genes[ei[1, keep]],
        "weight": graph.edge_weight.numpy()[keep],
    }))
    if getattr(graph, "x", None) is not None:
        emb = pd.DataFrame(graph.x.numpy(), index=genes)
        emb.columns = [f"dim{i}" for i in range(emb.shape[1])]
        run.write_table("node2vec.tsv", emb.rename_axis("gene").reset_index())
    run.write_json("graph.json", {"n_genes": len(genes), "n_edges": int(keep.sum()),
                                  "dataset": dataset.name})
    run.complete()
    return run.path

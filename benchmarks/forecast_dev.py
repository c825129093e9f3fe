"""Compare forecasting designs on the development region only (the test block is cut off).

Design choices (new models, ensemble members, edge types) are judged here, never on the
benchmark's test block: each dataset is truncated before the chronological test targets (the
last 20% of its time points), and the remaining time points are evaluated with the
``rolling-origin`` protocol (3 folds tile their last 20%). Skill vs persistence, one seed.

    python benchmarks/forecast_dev.py graph_ar,pooled_ridge_ar
    python benchmarks/forecast_dev.py graph_ensemble --param "graph_ensemble:members=graph_ar,gru"
    python benchmarks/forecast_dev.py graph_ar --graph similarity --similarity-on levels
    python benchmarks/forecast_dev.py graph_ar --max-genes 0     # yeast: all complete genes
    python benchmarks/forecast_dev.py graph_ar --param graph_ar:lags=5 --input-length 5

``--graph``: ``hic`` (the benchmark's Hi-C graph), ``similarity`` (k-nearest co-expression
neighbours fitted on each fold's training time points only) or ``both``.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

import numpy as np

from hicexpr.config import ForecastConfig
from hicexpr.datasets.forecasting import load_forecast_dataset
from hicexpr.evaluate.protocols import chronological_split
from hicexpr.evaluate.runner import evaluate_forecasters
from hicexpr.evaluate.windows import fill_missing
from hicexpr.graph import EdgeWeights, build_gene_graph, expression_similarity_edges
from hicexpr.lib.progress import set_quiet
from hicexpr.workflows.forecast import gene_graph

DATASETS = ("step_mrna", "step_mirna", "yeast_alpha", "yeast_cdc15")


def parse_param(text: str) -> tuple[str, str, Any]:
    """``model:name=value`` (value: number, or comma-separated names -> tuple)."""
    model, assignment = text.split(":", 1)
    name, raw = assignment.split("=", 1)
    try:
        value: Any = float(raw) if "." in raw else int(raw)
    except ValueError:
        value = tuple(raw.split(",")) if "," in raw else {"true": True, "false": False}.get(
            raw.lower(), raw)
    return model, name, value


def similarity_graph(dataset: Any, values: np.ndarray, mode: str, k: int, on: str,
                     top_k: int) -> Callable[[np.ndarray], Any]:
    """Per-fold graph: co-expression edges fitted on the fold's training time points."""
    pairs = dataset.pairs if mode == "both" else dataset.pairs.iloc[:0]

    def build(train_times: np.ndarray) -> Any:
        sim = expression_similarity_edges(fill_missing(values[train_times]), k=k, on=on)
        return build_gene_graph(dataset.genes, pairs, EdgeWeights(top_k=top_k, similarity=1.0),
                                sim)

    return build


def development_skill(name: str, models: dict[str, dict[str, Any]], args: argparse.Namespace
                      ) -> dict[str, float]:
    defaults = ForecastConfig()
    options = {}
    if name.startswith("yeast"):
        chosen = defaults.max_genes if args.max_genes is None else args.max_genes
        options["max_genes"] = chosen or None
    dataset = load_forecast_dataset(name, **options)
    values = dataset.values()
    dev = values[: int(chronological_split(len(values)).test.min()) + 1]
    graph: Any = gene_graph(dataset, defaults.top_k)
    if args.graph != "hic":
        graph = similarity_graph(dataset, dev, args.graph, args.similarity_k,
                                 args.similarity_on, defaults.top_k)
    result = evaluate_forecasters(dev, models, graph=graph, protocol="rolling-origin",
                                  seeds=[args.seed], scaling=dataset.scaling,
                                  input_length=args.input_length)
    return {m: round(result.metric(m), 4) for m in models}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", help="comma-separated model names")
    parser.add_argument("--param", action="append", default=[], help="model:name=value")
    parser.add_argument("--datasets", default=",".join(DATASETS))
    parser.add_argument("--graph", choices=("hic", "similarity", "both"), default="hic")
    parser.add_argument("--similarity-k", type=int, default=5)
    parser.add_argument("--similarity-on", choices=("changes", "levels"), default="changes")
    parser.add_argument("--max-genes", type=int, default=None, help="yeast; 0 = all complete")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--input-length", type=int, default=3, help="L input time points")
    args = parser.parse_args()
    set_quiet(True)
    models: dict[str, dict[str, Any]] = {m: {} for m in args.models.split(",")}
    for text in args.param:
        model, key, value = parse_param(text)
        models.setdefault(model, {})[key] = value
    for name in args.datasets.split(","):
        print(name, development_skill(name, models, args), flush=True)


if __name__ == "__main__":
    main()

"""Mini-batch STEPmr settings at genome scale, judged on the validation block only.

Simulates ``HICEXPR_SCALE_SIZES`` genes (default 5,000) as ``bench_scale.py`` does, builds the
same graph and Node2vec features, then fits ``MiniBatchSTEPmr`` once per window-chunk size
(``HICEXPR_SCALE_CHUNKS``, default 1,2,4,8,16; ``HICEXPR_SCALE_EPOCHS``: at most this many
epochs, default STEPMR's) and prints each fit's best validation MSE, epochs and seconds, after
the validation MSE of persistence, the window mean and the pooled ridge AR on the same
windows. ``HICEXPR_SCALE_GRAPHS`` (default ``hic``; ``hic,empty`` adds a control) fits each
chunk size on the simulated Hi-C graph and/or on the same genes with no edges (same Node2vec
features), to see whether the contacts help. The test block is never scored here.

    python benchmarks/scale_dev.py
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _scale_windows import STEPMR, forecast_windows  # noqa: E402
from bench_scale import BASELINES, WORKERS, graph_pairs  # noqa: E402
from hicexpr.forecast.baselines import Persistence  # noqa: E402
from hicexpr.forecast.minibatch import MiniBatchSTEPmr  # noqa: E402
from hicexpr.graph.build import build_gene_graph  # noqa: E402
from hicexpr.graph.node2vec import node2vec_embedding  # noqa: E402
from hicexpr.io.genes import read_genes  # noqa: E402
from hicexpr.lib.parallel import dask_client  # noqa: E402
from hicexpr.lib.progress import set_quiet  # noqa: E402
from hicexpr.workflows.scale import contact_features_parallel, simulate_large  # noqa: E402


def prepare(n: int) -> tuple[Any, Any, Any]:
    """Simulate ``n`` genes; return the Hi-C gene graph (Node2vec features in ``x``) and the
    scaled training and validation windows."""
    with tempfile.TemporaryDirectory(prefix="hicexpr_scale_dev_") as tmp:
        folder = Path(tmp)
        simulate_large(folder, n_genes=n, n_times=100, seed=0)
        genes = read_genes(folder / "genes.bed")
        expr = pd.read_csv(folder / "expression.tsv", sep="\t", index_col=0)
        with dask_client(workers=WORKERS) as client:
            cf = contact_features_parallel(folder / "contacts.cool", genes, client=client,
                                           max_bins=2_000)
    graph = build_gene_graph(expr.index, graph_pairs(cf.pairs, cf.features))
    graph.x = node2vec_embedding(graph, dim=16, walk_length=20, walks_per_node=5, window=5,
                                 epochs=2, backend="gensim", seed=0)
    _, _, train, val, _ = forecast_windows(expr.to_numpy(dtype=float).T)
    return graph, train, val


def without_edges(graph: Any) -> Any:
    """The same nodes and node features, no edges."""
    empty = graph.clone()
    empty.edge_index = graph.edge_index[:, :0]
    empty.edge_weight = graph.edge_weight[:0]
    return empty


def main() -> None:
    set_quiet(True)
    n = int(os.environ.get("HICEXPR_SCALE_SIZES", "5000").split(",")[0])
    chunks = [int(c) for c in os.environ.get("HICEXPR_SCALE_CHUNKS", "1,2,4,8,16").split(",")]
    epochs = int(os.environ.get("HICEXPR_SCALE_EPOCHS", STEPMR["max_epochs"]))
    kinds = os.environ.get("HICEXPR_SCALE_GRAPHS", "hic").split(",")
    graph, train, val = prepare(n)
    graphs = {"hic": graph, "empty": without_edges(graph)}
    for name, kind in {"persistence": Persistence, **BASELINES}.items():
        fitted = kind().fit(train, validation=val)
        mse = float(np.nanmean((fitted.predict(val.X) - val.y) ** 2))
        print(f"{name}: validation MSE {mse:.4f}")
    print("| graph | chunk (windows) | best validation MSE | best epoch / epochs | fit s |")
    print("|---|---|---|---|---|")
    for kind in kinds:
        for chunk in chunks:
            model = MiniBatchSTEPmr(**{**STEPMR, "batch_windows": chunk, "max_epochs": epochs},
                                    gene_blocks=max(1, n // 5_000))
            start = time.perf_counter()
            model.fit(train, graph=graphs[kind], validation=val)
            r = model.train_results_[0]
            print(f"| {kind} | {chunk} | {r.best_val:.4f} | {r.best_epoch} / {r.epochs} | "
                  f"{time.perf_counter() - start:.1f} |", flush=True)


if __name__ == "__main__":
    main()

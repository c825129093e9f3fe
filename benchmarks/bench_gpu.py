"""GPU check: mini-batch STEPmr and Beluga profiles on CUDA vs CPU (speed and agreement).

Not part of ``make bench`` (CI and the development machine have no GPU). Two steps:

    # on any machine with the full environment: the scale benchmark's simulated inputs
    python benchmarks/bench_gpu.py prepare /tmp/gpu_inputs --sizes 5000,20000
    # on a CUDA machine (needs torch, torch-geometric, pandas, scikit-learn, pyfaidx)
    python benchmarks/bench_gpu.py run /tmp/gpu_inputs --out gpu_results.json

``prepare`` runs the scale benchmark's pipeline up to the Node2vec features (simulation,
contact features, gene graph, 16-d Node2vec) and saves one ``sim{n}.npz`` per size. ``run``
fits :class:`~hicexpr.forecast.MiniBatchSTEPmr` with the scale benchmark's settings on CUDA
(twice: run-to-run agreement) and on the CPU (one torch thread, as in ``bench_scale.py``),
scores both on the chronological test block, reloads the CUDA-fitted model on the CPU, and
times :class:`~hicexpr.spex.beluga.BelugaProfiles` (random weights, random genome) on both.
``tests/scale/test_gpu.py`` checks the same paths for correctness (``pytest -m gpu``).

Written in session 14, when no GPU was lent: ``prepare`` and the CPU half of ``run`` were run
on the development machine; the CUDA half has not been run yet.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _scale_windows import STEPMR, forecast_windows, score_on_test  # noqa: E402

BELUGA_GPU_SEQS = 8_192
BELUGA_CPU_SEQS = 128
BELUGA_BATCHES = (256, 1024)


def prepare(folder: Path, sizes: list[int]) -> None:
    """Simulated expression, gene graph and Node2vec features per size -> ``sim{n}.npz``."""
    import pandas as pd

    from bench_scale import graph_pairs
    from hicexpr.graph.build import build_gene_graph
    from hicexpr.graph.node2vec import node2vec_embedding
    from hicexpr.io.genes import read_genes
    from hicexpr.lib.parallel import dask_client
    from hicexpr.lib.progress import set_quiet
    from hicexpr.workflows.scale import contact_features_parallel, simulate_large

    logging.getLogger("gensim").setLevel(logging.WARNING)
    set_quiet(True)
    folder.mkdir(parents=True, exist_ok=True)
    for n in sizes:
        with tempfile.TemporaryDirectory(prefix="hicexpr_gpu_") as tmp:
            sim = Path(tmp)
            simulate_large(sim, n_genes=n, n_times=100, seed=0)
            genes = read_genes(sim / "genes.bed")
            expr = pd.read_csv(sim / "expression.tsv", sep="\t", index_col=0)
            with dask_client(workers=2) as client:
                cf = contact_features_parallel(sim / "contacts.cool", genes, client=client,
                                               max_bins=2_000)
            graph = build_gene_graph(expr.index, graph_pairs(cf.pairs, cf.features))
            x = node2vec_embedding(graph, dim=16, walk_length=20, walks_per_node=5, window=5,
                                   epochs=2, backend="gensim", seed=0)
            np.savez(folder / f"sim{n}.npz", values=expr.to_numpy(dtype=float).T,
                     edge_index=graph.edge_index.numpy(), edge_weight=graph.edge_weight.numpy(),
                     x=np.asarray(x, dtype=np.float32))
            print(f"sim{n}: {n} genes, {graph.edge_index.shape[1]} edges", flush=True)


def _graph(z: Any) -> Any:
    from torch_geometric.data import Data

    n = z["values"].shape[1]
    return Data(edge_index=torch.as_tensor(z["edge_index"]),
                edge_weight=torch.as_tensor(z["edge_weight"]),
                x=torch.as_tensor(z["x"]), num_nodes=n)


def _timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    start = time.perf_counter()
    out = fn()
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    return out, round(time.perf_counter() - start, 3)


def _fit(device: str, graph: Any, windows: tuple[Any, ...], values: np.ndarray) -> dict:
    """One MiniBatchSTEPmr fit + test scoring; the record and the fitted model."""
    from hicexpr.forecast.minibatch import MiniBatchSTEPmr

    split, scaler, train, val, test = windows
    n = values.shape[1]
    model = MiniBatchSTEPmr(**STEPMR, gene_blocks=max(1, n // 5_000), device=device)
    _, fit_s = _timed(lambda: model.fit(train, graph=graph, validation=val))
    pred, predict_s = _timed(lambda: model.predict(test.X))
    scores = score_on_test(model, values, split, scaler, test)
    result = model.train_results_[0]
    return {"model": model, "pred": pred, "record": {
        "device": device, "fit_s": fit_s, "predict_s": predict_s, "epochs": result.epochs,
        "best_epoch": result.best_epoch, "best_val_mse": round(result.best_val, 6),
        "skill": round(scores["skill"], 4),
        "gene_pearson_mean": round(scores["gene_pearson_mean"], 4)}}


def run_stepmr(folder: Path) -> list[dict]:
    """CUDA (twice) and CPU fits per size, their agreement and a CUDA -> CPU reload."""
    records = []
    for path in sorted(folder.glob("sim*.npz"), key=lambda p: int(p.stem[3:])):
        with np.load(path) as z:
            values, graph = z["values"], _graph(z)
        windows = forecast_windows(values)
        gpu = _fit("cuda", graph, windows, values)
        gpu2 = _fit("cuda", graph, windows, values)
        cpu = _fit("cpu", graph, windows, values)
        with tempfile.TemporaryDirectory() as tmp:
            gpu["model"].save(Path(tmp) / "m.pt")
            reloaded = type(gpu["model"]).load(Path(tmp) / "m.pt")
        reloaded.device = "cpu"
        on_cpu = reloaded.predict(windows[4].X)
        record = {"n_genes": values.shape[1], "n_edges": int(graph.edge_index.shape[1]),
                  "cuda": gpu["record"], "cuda_again": gpu2["record"], "cpu": cpu["record"],
                  "max_abs_diff_cuda_vs_cuda": float(np.abs(gpu["pred"] - gpu2["pred"]).max()),
                  "max_abs_diff_cuda_vs_cpu": float(np.abs(gpu["pred"] - cpu["pred"]).max()),
                  "max_abs_diff_cuda_model_on_cpu": float(np.abs(gpu["pred"] - on_cpu).max())}
        print(json.dumps(record), flush=True)
        records.append(record)
    return records


def _random_fasta(path: Path, length: int, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    seq = np.array(list("ACGT"))[rng.integers(0, 4, length)]
    lines = ["".join(seq[i: i + 80]) for i in range(0, length, 80)]
    path.write_text(">chr1\n" + "\n".join(lines) + "\n")


def run_beluga(threads: int) -> dict:
    """Sequences per second on CUDA and CPU; agreement with and without TF32 convolutions."""
    from hicexpr.spex.beluga import Beluga, BelugaProfiles

    torch.manual_seed(0)
    model = Beluga().eval()
    record: dict[str, Any] = {"cpu_threads": threads}
    with tempfile.TemporaryDirectory() as tmp:
        fasta = Path(tmp) / "genome.fa"
        _random_fasta(fasta, 2_000_000)
        centres = np.linspace(2_000, 1_990_000, BELUGA_GPU_SEQS).astype(np.int64)
        for batch in BELUGA_BATCHES:
            warm = BelugaProfiles(model, fasta, batch_size=batch, device="cuda")
            warm.windows("chr1", centres[:batch])  # warm-up (cuDNN algorithm choice)
            prof = BelugaProfiles(model, fasta, batch_size=batch, device="cuda")  # empty cache
            _, wall = _timed(lambda p=prof: p.windows("chr1", centres))
            record[f"cuda_batch{batch}_seqs_per_s"] = round(len(centres) / wall, 1)
        few = centres[:BELUGA_CPU_SEQS]
        torch.set_num_threads(threads)
        cpu = BelugaProfiles(model, fasta, batch_size=64, device="cpu")
        ref, wall = _timed(lambda: cpu.windows("chr1", few))
        record["cpu_seqs_per_s"] = round(len(few) / wall, 1)
        for tf32 in (True, False):
            torch.backends.cudnn.allow_tf32 = tf32
            torch.backends.cuda.matmul.allow_tf32 = tf32
            gpu = BelugaProfiles(model, fasta, batch_size=64, device="cuda").windows("chr1", few)
            record[f"max_abs_diff_cuda_vs_cpu_tf32_{tf32}"] = float(np.abs(gpu - ref).max())
        torch.backends.cudnn.allow_tf32 = True
    print(json.dumps(record), flush=True)
    return record


def environment() -> dict[str, Any]:
    props = torch.cuda.get_device_properties(0)
    return {"torch": torch.__version__, "gpu": props.name,
            "gpu_memory_gib": round(props.total_memory / 2**30, 1),
            "cpu_count": os.cpu_count(), "python": platform.python_version()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="step", required=True)
    prep = sub.add_parser("prepare", help="simulate the inputs (no GPU needed)")
    prep.add_argument("folder", type=Path)
    prep.add_argument("--sizes", default="5000,20000")
    run = sub.add_parser("run", help="fit and time on CUDA and CPU")
    run.add_argument("folder", type=Path)
    run.add_argument("--out", type=Path, required=True)
    run.add_argument("--cpu-threads", type=int, default=8, help="torch threads for Beluga on CPU")
    args = parser.parse_args()
    if args.step == "prepare":
        prepare(args.folder, [int(s) for s in args.sizes.split(",") if s])
        return
    if not torch.cuda.is_available():
        parser.error("run needs a CUDA GPU (torch.cuda.is_available() is False)")
    out: dict[str, Any] = {"environment": environment()}
    print(json.dumps(out["environment"]), flush=True)
    out["beluga"] = run_beluga(args.cpu_threads)
    out["stepmr"] = run_stepmr(args.folder)
    args.out.write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()

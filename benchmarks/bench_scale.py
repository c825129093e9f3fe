"""Genome-scale benchmark: every pipeline step at 1k, 5k and 20k simulated genes.

For each size ``n``: a genome-scale simulation (:func:`hicexpr.workflows.scale.simulate_large`:
one 150 Mb chromosome per 1,000 genes, 10 kb bins, 100 time points), then the forecast pipeline
step by step - contact features on Dask (2 local workers, one chromosome per task), gene graph,
static Node2vec embedding (gensim), mini-batch STEPmr training, evaluation on the
chronological test block - and SpEx-family features from peak tracks (local ExPecto features +
3D partner features). Each step records wall seconds and peak RSS (this process + its Dask
workers); ``forecast_end_to_end`` sums features .. evaluation. ``load1`` is the 1-minute load
average at the end of the step (contention from other processes inflates wall time).

    python benchmarks/bench_scale.py                   # prints the records as JSON
    HICEXPR_SCALE_SIZES=1000,5000 python benchmarks/bench_scale.py
    HICEXPR_SCALE_PROFILE=/tmp/scale.prof ...          # cProfile of the largest size's pipeline
"""

from __future__ import annotations

import cProfile
import json
import logging
import os
import sys
import tempfile
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _measure import measure  # noqa: E402
from _scale_windows import STEPMR, forecast_windows, score_on_test  # noqa: E402
from hicexpr.contacts import pair_flags  # noqa: E402
from hicexpr.datasets.forecasting import normalised_contact  # noqa: E402
from hicexpr.forecast.baselines import PooledRidgeAR, WindowMean  # noqa: E402
from hicexpr.forecast.minibatch import MiniBatchSTEPmr  # noqa: E402
from hicexpr.graph.build import build_gene_graph  # noqa: E402
from hicexpr.graph.node2vec import node2vec_embedding  # noqa: E402
from hicexpr.io.genes import read_genes  # noqa: E402
from hicexpr.lib.parallel import dask_client  # noqa: E402
from hicexpr.lib.progress import set_quiet  # noqa: E402
from hicexpr.workflows.scale import contact_features_parallel, simulate_large  # noqa: E402

SIZES = (1_000, 5_000, 20_000)
WORKERS = 2
FORECAST_STEPS = ("features", "graph", "embeddings", "stepmr_training", "evaluation")
TARGETS = {"forecast_end_to_end": (600.0, 4096.0), "spex_features": (300.0, None)}
#: Baselines scored on the same windows and test block as STEPmr (skill 0 = persistence).
BASELINES = {"pooled_ridge_ar": PooledRidgeAR, "window_mean": WindowMean}


def _sizes() -> list[int]:
    value = os.environ.get("HICEXPR_SCALE_SIZES")
    return [int(v) for v in value.split(",") if v] if value else list(SIZES)


def _record(records: list, n: int, step: str, model: str, m: Any,
            metrics: dict[str, Any] | None = None) -> None:
    metrics = dict(metrics or {})
    metrics["load1"] = round(os.getloadavg()[0], 1)
    records.append({"dataset": f"simulated_{n // 1000}k", "protocol": "chronological",
                    "step": step, "model": model, "n_genes": n, "metrics": metrics,
                    "wall_s": m.wall_s, "peak_rss_mb": m.peak_rss_mb})


def graph_pairs(pairs: pd.DataFrame, feats: pd.DataFrame) -> pd.DataFrame:
    """Contact pairs -> the graph's pair table (contact in [0, 1], TAD / compartment flags)."""
    flagged = pair_flags(pairs, feats)
    value = flagged["balanced"].to_numpy(dtype=float)
    scale = np.nanmedian(value[value > 0]) if (value > 0).any() else 1.0
    ins = feats.drop_duplicates("gene_id").set_index("gene_id")["insulation"]
    return pd.DataFrame({
        "gene1": flagged["gene1"], "gene2": flagged["gene2"],
        "contact": normalised_contact(value / scale),
        "same_tad": flagged["same_tad"], "same_compartment": flagged["same_compartment"],
        "insulation_mean": (flagged["gene1"].map(ins).to_numpy()
                            + flagged["gene2"].map(ins).to_numpy()) / 2,
    })


def forecast_pipeline(records: list, n: int, folder: Path, client: Any) -> None:
    """Features -> graph -> embeddings -> STEPmr -> evaluation, one record per step."""
    genes = read_genes(folder / "genes.bed")
    expr = pd.read_csv(folder / "expression.tsv", sep="\t", index_col=0)
    steps = []
    with measure() as m:
        # compartments need a coarse map: 10 kb chromosomes (> 2,000 bins) are skipped
        cf = contact_features_parallel(folder / "contacts.cool", genes, client=client,
                                       max_bins=2_000)
    steps.append(m)
    _record(records, n, "features", "contacts", m, {"n_pairs": len(cf.pairs),
                                                    "n_boundaries": int(cf.insulation[
                                                        "is_boundary"].sum())})
    with measure() as m:
        graph = build_gene_graph(expr.index, graph_pairs(cf.pairs, cf.features))
    steps.append(m)
    _record(records, n, "graph", "contacts", m, {"n_edges": int(graph.edge_index.shape[1])})
    with measure() as m:
        graph.x = node2vec_embedding(graph, dim=16, walk_length=20, walks_per_node=5,
                                     window=5, epochs=2, backend="gensim", seed=0)
    steps.append(m)
    _record(records, n, "embeddings", "node2vec_gensim", m, {"dim": 16})
    values = expr.to_numpy(dtype=float).T  # [T, N]
    split, scaler, train, val, test = forecast_windows(values)
    model = MiniBatchSTEPmr(**STEPMR, gene_blocks=max(1, n // 5_000))
    with measure() as m:
        model.fit(train, graph=graph, validation=val)
    steps.append(m)
    result = model.train_results_[0]
    _record(records, n, "stepmr_training", "stepmr_minibatch", m,
            {"epochs": result.epochs, "best_epoch": result.best_epoch,
             "best_val_mse": round(result.best_val, 4), "gene_blocks": model.gene_blocks,
             "batch_windows": model.batch_windows, "threads": model.n_threads})
    with measure() as m:
        scores = score_on_test(model, values, split, scaler, test)
    steps.append(m)
    _record(records, n, "evaluation", "stepmr_minibatch", m,
            {"skill": round(scores["skill"], 4),
             "gene_pearson_mean": round(scores["gene_pearson_mean"], 4)})
    total = type(m)(round(sum(s.wall_s for s in steps), 3), max(s.peak_rss_mb for s in steps))
    _record(records, n, "forecast_end_to_end", "stepmr_minibatch", total,
            {"skill": round(scores["skill"], 4)})
    for name, baseline in BASELINES.items():  # same windows, same test block
        with measure() as m:
            fitted = baseline().fit(train, validation=val)
            scores = score_on_test(fitted, values, split, scaler, test)
        _record(records, n, f"baseline_{name}", name, m,
                {"skill": round(scores["skill"], 4),
                 "gene_pearson_mean": round(scores["gene_pearson_mean"], 4)})


def write_peaks(folder: Path, genes: pd.DataFrame, chromsizes: pd.Series, seed: int = 0
                ) -> list[Path]:
    """Three simulated peak tracks (BED): two near TSSs (active marks), one genome-wide."""
    rng = np.random.default_rng(seed)
    paths = []
    for name, near_tss in (("H3K4me3", True), ("H3K27ac", True), ("CTCF", False)):
        if near_tss:
            pick = genes.sample(frac=0.6, random_state=int(rng.integers(1 << 30)))
            chrom = pick["chrom"].to_numpy()
            centre = pick["tss"].to_numpy() + rng.integers(-5_000, 5_000, len(pick))
        else:
            k = int(chromsizes.sum() // 50_000)
            chrom = rng.choice(chromsizes.index.to_numpy(), k, p=chromsizes / chromsizes.sum())
            centre = (rng.random(k) * chromsizes.reindex(chrom).to_numpy()).astype(np.int64)
        start = np.clip(centre - 500, 0, None)
        bed = pd.DataFrame({"chrom": chrom, "start": start, "end": start + 1_000})
        bed = bed.sort_values(["chrom", "start"])
        path = folder / f"{name}_peaks.bed"
        bed.to_csv(path, sep="\t", header=False, index=False)
        paths.append(path)
    return paths


def spex_pipeline(records: list, n: int, folder: Path) -> None:
    """SpEx-family features for every gene from measured (peak) tracks + 3D partners."""
    import cooler

    from hicexpr.spex.partners import partner_features, partners_from_cooler
    from hicexpr.spex.profiles import from_tracks
    from hicexpr.spex.spatial import local_features

    clr = cooler.Cooler(str(folder / "contacts.cool"))
    genes = read_genes(folder / "genes.bed")
    peaks = write_peaks(folder, genes, clr.chromsizes)
    with measure() as m:
        profiles = from_tracks(peaks=peaks)
        local = local_features(genes, profiles)
        partners = partners_from_cooler(genes, clr, balance=True, min_oe=2.0)
        spatial = partner_features(genes, partners, profiles, how="sides")
    _record(records, n, "spex_features", "local+partners", m,
            {"n_features": int(local.shape[1] + spatial.shape[1]),
             "n_partners": int(len(partners))})


def run(out_records: list) -> None:
    """Append one record per size x step (see the module docstring)."""
    set_quiet(True)
    logging.getLogger("distributed").setLevel(logging.ERROR)
    warnings.simplefilter("ignore")
    sizes = _sizes()
    profile_path = os.environ.get("HICEXPR_SCALE_PROFILE")
    with tempfile.TemporaryDirectory(prefix="hicexpr_scale_") as tmp:
        for n in sizes:
            folder = Path(tmp) / f"sim{n}"
            with measure() as m:
                simulate_large(folder, n_genes=n, n_times=100, seed=0)
            import cooler

            info = cooler.Cooler(str(folder / "contacts.cool")).info
            _record(out_records, n, "simulate", "simulate_large", m,
                    {"n_bins": int(info["nbins"]), "n_pixels": int(info["nnz"])})
            profiler = cProfile.Profile() if profile_path and n == max(sizes) else None
            with dask_client(workers=WORKERS) as client:
                if profiler:
                    profiler.enable()
                forecast_pipeline(out_records, n, folder, client)
                if profiler:
                    profiler.disable()
                    profiler.dump_stats(profile_path)
            spex_pipeline(out_records, n, folder)
            for f in folder.iterdir():  # free disk before the next size
                f.unlink()


def _exponent(rows: list[dict[str, Any]]) -> float | None:
    ns = np.array([r["n_genes"] for r in rows], dtype=float)
    walls = np.array([r["wall_s"] for r in rows], dtype=float)
    if len(np.unique(ns)) < 2 or (walls <= 0).any():
        return None
    return float(np.polyfit(np.log(ns), np.log(walls), 1)[0])


def summarise(records: list[dict[str, Any]]) -> str:
    """Growth exponent per step (slope of log wall vs log genes) and the 20k targets."""
    lines = ["Growth of wall time with the number of genes (fitted exponent b in wall ~ n^b, "
             "over the sizes run):", "", "| step | sizes | wall_s per size | exponent b |",
             "|---|---|---|---|"]
    steps = list(dict.fromkeys(r["step"] for r in records))
    for step in steps:
        rows = sorted((r for r in records if r["step"] == step), key=lambda r: r["n_genes"])
        b = _exponent(rows)
        sizes = ", ".join(str(r["n_genes"]) for r in rows)
        walls = ", ".join(f"{r['wall_s']:.1f}" for r in rows)
        exponent = "n/a" if b is None else f"{b:.2f}"
        lines.append(f"| {step} | {sizes} | {walls} | {exponent} |")
    lines += ["", "Targets at 20,000 genes x 100 time points (2 cores):", ""]
    for step, (wall_max, rss_max) in TARGETS.items():
        rows = [r for r in records if r["step"] == step and r["n_genes"] == 20_000]
        if not rows:
            lines.append(f"- {step}: not run at 20,000 genes")
            continue
        r = rows[0]
        ok = r["wall_s"] < wall_max and (rss_max is None or r["peak_rss_mb"] < rss_max)
        rss = f", peak RSS {r['peak_rss_mb']:.0f} MB (target < {rss_max:.0f})" if rss_max else ""
        lines.append(f"- {step}: {r['wall_s']:.0f} s (target < {wall_max:.0f}){rss}: "
                     f"**{'met' if ok else 'NOT met'}** (load average {r['metrics']['load1']})")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    recs: list[dict[str, Any]] = []
    run(recs)
    print(json.dumps(recs, indent=1, default=str))
    print(summarise(recs))

"""SpEx benchmark on GM12878 (hg19): does 3D partner information add to local chromatin?

Profiles: 99 GM12878 ENCODE uniform peak files + E116 ChromHMM (25 states), or (SpEx's situation,
profiles that are not cell-specific) 136 K562 ENCODE peak files. Expression: Roadmap E116 log
RPKM. Genes: CollapsedGeneBounds.hg19 (Ensembl ids). Test chr8, validation chr9 (penalty choice
and early stopping), training on the other chromosomes. 3D: HiCCUPS loops, BENGI RNAPII / CTCF
ChIA-PET and Hi-C links, the genome-wide 2.5 Mb GM12878 Hi-C map.

Grid: the ridge head on every source x aggregation of the grid with both controls (random loci,
same count; partners shuffled between genes), in both profile settings; the SpEx gbtree on
HiCCUPS / RNAPII x sides / activity; elastic-net and gblinear on local features only. For each
profile setting and head, the 3D aggregation with the best validation (chr9) Spearman is
compared on the test genes with local-only and with both of its controls (paired bootstrap CIs).

    python benchmarks/bench_spex.py     # prints the records as JSON
"""

from __future__ import annotations

import json
import os
import sys

# Idle OpenMP threads sleep instead of spinning (xgboost on shared cores); before libgomp loads.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _measure import measure  # noqa: E402
from hicexpr.io.contacts import open_contacts  # noqa: E402
from hicexpr.io.links import read_bengi, read_loops  # noqa: E402
from hicexpr.lib.paths import shared_data_dir  # noqa: E402
from hicexpr.spex import data, experiment, heads, partners, profiles, spatial  # noqa: E402
from hicexpr.spex import evaluate as ev  # noqa: E402

DATASET = "gm12878_roadmap_E116"
PROTOCOL = "chromosome-holdout (test chr8, val chr9)"
AGGREGATIONS = partners.AGGREGATIONS
# 3D settings fitted with the gbtree head (then both controls of the one best on chr9).
TREE_CANDIDATES = ("HiCCUPS:sides", "HiCCUPS:activity", "RNAPII-ChIAPET:sides",
                   "RNAPII-ChIAPET:activity")
CONTROLS = (":random", ":shuffled")
LOCAL_ONLY_HEADS = ("elasticnet", "gblinear")


def _inputs(root: Path) -> dict[str, Any]:
    gm = root / "human_gm12878_hg19"
    genes, expr = data.align_genes(
        data.read_gene_table(gm / "genes/CollapsedGeneBounds.hg19.bed"),
        data.read_expression_table(gm / "expression/roadmap/57epigenomes.RPKM.pc.gz"))
    return {"gm": gm, "k562": root / "human_k562_hg19", "genes": genes, "expr": expr}


def _sources(inp: dict[str, Any]) -> dict[str, Any]:
    gm, genes = inp["gm"], inp["genes"]
    loops = read_loops(gm / "contacts/GSE63525_GM12878_primary+replicate_HiCCUPS_looplist.txt.gz")
    out = {"HiCCUPS": partners.partners_from_loops(genes, loops, slop=5_000)}
    for name in ("RNAPII-ChIAPET", "CTCF-ChIAPET", "HiC"):
        links = read_bengi(gm / f"contacts/GM12878.{name}.bengi.tsv.gz")
        out[name if name != "HiC" else "HiC-links"] = partners.partners_from_links(genes, links)
    clr = open_contacts(gm / "hic/GM12878_Rao2014_primary_genomewide_2.5Mb.cool")
    out["HiC-2.5Mb-map"] = partners.partners_from_cooler(genes, clr, min_oe=2.0)
    return out


def _profiles(inp: dict[str, Any], which: str) -> profiles.IntervalProfiles:
    chroms = sorted(inp["genes"]["chrom"].unique())
    if which == "GM12878":
        peaks = sorted((inp["gm"] / "epigenome/encode_uniform_peaks").glob("*Peak*"))
        seg = [inp["gm"] / "epigenome/E116_25_imputed12marks_mnemonics.bed.gz"]
        return profiles.from_tracks(peaks, seg, chroms=chroms)
    peaks = sorted((inp["k562"] / "epigenome/encode_uniform_peaks").glob("*Peak*"))
    return profiles.from_tracks(peaks, chroms=chroms)


def _blocks(genes, sources, src, wanted: list[str], seed: int = 0) -> dict[str, Any]:
    blocks = {}
    for label, table in sources.items():
        variants = {"": table, ":random": partners.random_partners(table, genes, seed=seed),
                    ":shuffled": partners.shuffle_partners(table, genes, seed=seed)}
        for how in AGGREGATIONS:
            for suffix, tab in variants.items():
                name = f"{label}:{how}{suffix}"
                if name in wanted:
                    blocks[name] = partners.partner_features(genes, tab, src, how)
    return blocks


def _record(setting: str, row: dict[str, Any], peak_mb: float) -> dict[str, Any]:
    metrics = {k: round(float(row[k]), 4) for k in ("spearman", "pearson", "rmse")}
    if np.isfinite(row.get("val_spearman", np.nan)):
        metrics["val_spearman"] = round(float(row["val_spearman"]), 4)
    ci = None
    if isinstance(row.get("delta"), float) and np.isfinite(row["delta"]):
        metrics["delta_spearman"] = round(float(row["delta"]), 4)
        ci = [round(float(row["ci_low"]), 4), round(float(row["ci_high"]), 4)]
    return {"dataset": DATASET, "protocol": PROTOCOL, "model": row["model"],
            "setting": f"profiles={setting}; features={row['setting']}", "metrics": metrics,
            "ci": ci, "n_test": int(row["n_test"]), "wall_s": round(float(row["fit_s"]), 1),
            "peak_rss_mb": peak_mb}


def _grid(setting: str, sources: list[str], full: bool) -> list[str]:
    """3D feature settings fitted with the ridge head (each with its controls)."""
    if full:
        pairs = [(s, a) for s in sources for a in AGGREGATIONS]
    elif setting == "GM12878":
        pairs = [(s, a) for s in sources for a in ("sides", "activity")]
    else:
        pairs = [("HiCCUPS", "sides"), ("RNAPII-ChIAPET", "sides"),
                 ("HiCCUPS", "activity"), ("RNAPII-ChIAPET", "activity")]
    # random loci with the same count give the same activity features: fitted all the same,
    # so that every aggregation is tested against both controls
    return [f"{s}:{a}{c}" for s, a in pairs for c in ("", *CONTROLS)]


def run(out_records: list) -> None:
    """Append one record per profile setting x head x feature setting (see module docstring).

    ``HICEXPR_BENCH_SPEX=full`` fits the ridge head on every source x aggregation; the default
    ("core") on every source with the ``sides`` and ``activity`` aggregations for GM12878
    profiles and on loops / RNAPII for K562 profiles.
    """
    full = os.environ.get("HICEXPR_BENCH_SPEX", "core") == "full"
    inp = _inputs(shared_data_dir())
    genes, expr = inp["genes"], inp["expr"]
    y = ev.log_expression(expr["E116", :].X.ravel())
    splits = [ev.chromosome_split(genes["chrom"], ["chr8"], ["chr9"])]
    with measure() as m_src:
        sources = _sources(inp)
    _emit(out_records, {"dataset": DATASET, "protocol": PROTOCOL, "model": "partners",
                        "setting": "3D partner tables: " + ", ".join(
                            f"{k} {v['gene_id'].nunique()} genes" for k, v in sources.items()),
                        "metrics": {}, "ci": None, "wall_s": m_src.wall_s,
                        "peak_rss_mb": m_src.peak_rss_mb})
    local_gm = None
    done: dict[str, Any] = {}
    for setting in ("GM12878", "K562"):
        wanted = _grid(setting, list(sources), full)
        with measure() as m_feat:
            src = _profiles(inp, setting)
            t0 = time.perf_counter()
            local = spatial.local_features(genes, src)
            local_s = time.perf_counter() - t0
            blocks = _blocks(genes, sources, src, wanted)
        local_gm = local if setting == "GM12878" else local_gm
        _emit(out_records, {"dataset": DATASET, "protocol": PROTOCOL, "model": "features",
                            "setting": f"profiles={setting}: {len(src.names)} profiles, "
                            f"{len(genes)} genes; local features {local_s:.1f} s, then "
                            f"{len(blocks)} 3D blocks", "metrics": {}, "ci": None,
                            "wall_s": m_feat.wall_s, "peak_rss_mb": m_feat.peak_rss_mb})
        models = {"ridge": heads.make_head("ridge")}
        with measure() as m_fit:
            res = experiment.compare(local, blocks, y, splits, models, n_boot=1000)
        for row in res.table.to_dict("records"):
            _emit(out_records, _record(setting, row, m_fit.peak_rss_mb))
        _emit(out_records, _verdict(setting, "ridge", res, y))
        done[setting] = (local, blocks)
    for setting, (local, blocks) in done.items():  # slow tree heads last
        _tree(setting, local, blocks, y, splits, out_records)
    _many_cell_types(genes, expr, out_records, local_gm.to_numpy(np.float32))


def _tree(setting: str, local, blocks: dict[str, Any], y: np.ndarray, splits: list,
          out_records: list) -> None:
    """gbtree on local + each candidate 3D block, then both controls of the one best on chr9."""
    tree = {"gbtree": heads.make_head("gbtree")}
    if setting == "GM12878":
        tree.update({h: heads.make_head(h) for h in LOCAL_ONLY_HEADS})
    subset = {k: blocks[k] for k in TREE_CANDIDATES}
    skip = {(h, k) for h in LOCAL_ONLY_HEADS for k in subset}
    with measure() as m_fit:
        res = experiment.compare(local, subset, y, splits, tree, n_boot=1000, skip=skip)
        best = _best_on_validation(res, "gbtree")
        base = local.to_numpy(np.float32)
        for ctrl in (best + c for c in CONTROLS):
            X = np.hstack([base, blocks[ctrl].to_numpy(np.float32)])
            t0 = time.perf_counter()
            pred, val_rho = experiment.fit_oof(tree["gbtree"], X, y, splits)
            res.predictions[("gbtree", ctrl)] = pred
            res.fit_seconds[("gbtree", ctrl)] = time.perf_counter() - t0
            res.val_spearman[("gbtree", ctrl)] = val_rho
    rows = res.table.to_dict("records")
    mine = {k: res.predictions[("gbtree", k)] for k in ("local", best + CONTROLS[0],
                                                        best + CONTROLS[1])}
    labels = np.where(res.test_mask, "test", "train")
    for row in ev.summary(y, mine, labels, "local", 1000, 0)[1:]:
        key = ("gbtree", row["setting"])
        rows.append({"model": "gbtree", **row, "val_spearman": res.val_spearman[key],
                     "fit_s": res.fit_seconds[key]})
    for row in rows:
        _emit(out_records, _record(setting, row, m_fit.peak_rss_mb))
    _emit(out_records, _verdict(setting, "gbtree", res, y))


def _best_on_validation(res: experiment.ExperimentResult, model: str) -> str:
    """The 3D setting (not a control) with the highest validation-chromosome Spearman."""
    real = {s: v for (m, s), v in res.val_spearman.items()
            if m == model and s != "local" and not s.endswith(CONTROLS)}
    return max(real, key=lambda s: real[s])


def _verdict(setting: str, model: str, res: experiment.ExperimentResult, y: np.ndarray
             ) -> dict[str, Any]:
    """Test gain of the aggregation chosen on chr9, vs local-only and vs each of its controls."""
    best = _best_on_validation(res, model)
    out: dict[str, Any] = {"aggregation": best}
    for name, other in (("gain", "local"), ("vs_random", best + CONTROLS[0]),
                        ("vs_shuffled", best + CONTROLS[1])):
        d = experiment.versus(y, res, model, best, other)
        out[name] = [round(d["delta"], 4), round(d["ci_low"], 4), round(d["ci_high"], 4)]
    helps = all(out[k][1] > 0 for k in ("gain", "vs_random", "vs_shuffled"))
    return {"dataset": DATASET, "protocol": PROTOCOL, "model": model,
            "setting": f"profiles={setting}; 3D verdict: {best} (best on chr9)",
            "metrics": {"delta_spearman": out["gain"][0], "vs_random": out["vs_random"][0],
                        "vs_shuffled": out["vs_shuffled"][0]},
            "ci": out["gain"][1:], "verdict": {**out, "helps": helps},
            "wall_s": None, "peak_rss_mb": None}


def _emit(out_records: list, record: dict[str, Any]) -> None:
    """Append a record (and, with ``$HICEXPR_BENCH_LOG``, one JSON line to that file)."""
    out_records.append(record)
    log_path = os.environ.get("HICEXPR_BENCH_LOG")
    if log_path:
        with open(log_path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(record) + "\n")


def _many_cell_types(genes, expr, out_records: list, X: np.ndarray) -> None:
    """Ridge, local GM12878 profiles, one model per Roadmap epigenome (distribution)."""
    split = ev.chromosome_split(genes["chrom"], ["chr8"], ["chr9"])
    Y = ev.log_expression(expr.X.T)
    with measure() as m:
        pred = ev.fit_predict_many(heads.make_head("ridge"), X, Y, split, n_jobs=2)
    test = split == "test"
    rho = {s: ev.scores(Y[test, j], pred[test, j])["spearman"]
           for j, s in enumerate(expr.obs_names)}
    vals = np.array(list(rho.values()))
    _emit(out_records, {
        "dataset": "roadmap_57_epigenomes", "protocol": PROTOCOL, "model": "ridge",
        "setting": "profiles=GM12878; features=local; one model per epigenome",
        "metrics": {"spearman_median": round(float(np.median(vals)), 4),
                    "spearman_min": round(float(vals.min()), 4),
                    "spearman_max": round(float(vals.max()), 4),
                    "spearman_E116": round(rho["E116"], 4),
                    "rank_of_E116": int((vals > rho["E116"]).sum() + 1), "n": int(vals.size)},
        "ci": None, "wall_s": m.wall_s, "peak_rss_mb": m.peak_rss_mb})


def summarise(records: list[dict[str, Any]]) -> str:
    """The 3D question per profile setting and head: the aggregation chosen on chr9 vs local-only
    and vs both of its controls (paired bootstrap 95% CIs over the test genes)."""
    lines = ["### SpEx: does 3D add to local chromatin? (test chr8, Spearman differences, 95% CI)",
             "", "Aggregation chosen by validation (chr9) Spearman; `gain` = vs local-only; "
             "`vs random` / `vs shuffled` = vs the same aggregation of random loci with the same "
             "partner count / of partner sets shuffled between genes. 3D helps only if all "
             "three CIs lie above zero.", ""]
    for r in sorted((r for r in records if r.get("verdict")), key=lambda r: r["setting"]):
        v = r["verdict"]
        prof = r["setting"].split(";")[0]
        text = "; ".join(f"{name} {v[k][0]:+.4f} [{v[k][1]:+.4f}, {v[k][2]:+.4f}]"
                         for name, k in (("gain", "gain"), ("vs random", "vs_random"),
                                         ("vs shuffled", "vs_shuffled")))
        if v["helps"]:
            verdict = "3D helps (beats both controls)"
        elif v["gain"][1] > 0 and v["vs_shuffled"][1] > 0:
            verdict = ("gain above zero and above the shuffled control, but not above random "
                       "loci with the same partner count")
        else:
            verdict = "no robust gain"
        lines.append(f"- {prof}, {r['model']}: {v['aggregation']}: {text} -> {verdict}")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    records: list[dict[str, Any]] = []
    t = time.perf_counter()
    try:
        run(records)
    finally:
        json.dump(records, sys.stdout, indent=1)
    print(f"\n# total {time.perf_counter() - t:.0f} s", file=sys.stderr)
    print(summarise(records), file=sys.stderr)

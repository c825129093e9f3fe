"""Rewrite the generated part of docs/forecasting.md from benchmarks/results.json.

The forecast suite's records become the acceptance tables (chronological skill, step-random
gene r) and one full table per dataset x protocol, between the markers
``<!-- forecast-results:start -->`` and ``<!-- forecast-results:end -->``; prose outside the
markers is kept.

    python benchmarks/forecast_doc.py [--json benchmarks/results.json] [--doc docs/forecasting.md]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
START, END = "<!-- forecast-results:start -->", "<!-- forecast-results:end -->"
RIDGES = ("gene_ridge_ar", "pooled_ridge_ar", "ridge_ar_hic")
NO_GRAPH = ("persistence", "window_mean", "gene_ridge_ar", "pooled_ridge_ar", "gru")
COLUMNS = ("skill", "gene_pearson_mean", "gene_pearson_median", "deviation_pearson", "rmse",
           "direction_accuracy", "pooled_pearson")
Record = dict[str, Any]


def _mean(rec: Record, metric: str) -> float:
    return float(rec["metrics"][metric]["mean"])


def _cell(rec: Record, metric: str) -> str:
    m = rec["metrics"].get(metric)
    return f"{m['mean']:.3f} ± {m['sd']:.3f}" if m else ""


def _models(records: list[Record], dataset: str, protocol: str,
            horizon: int = 1) -> dict[str, Record]:
    return {r["model"]: r for r in records
            if r["dataset"] == dataset and r["protocol"] == protocol and "skill" in r["metrics"]
            and "(" not in r["model"] and r.get("horizon", 1) == horizon}


def _best(rows: dict[str, Record], names: list[str], metric: str) -> tuple[str, Record] | None:
    pool = [(n, rows[n]) for n in names if n in rows]
    return max(pool, key=lambda item: _mean(item[1], metric)) if pool else None


def _named(item: tuple[str, Record] | None, metric: str) -> str:
    return f"{_cell(item[1], metric)} ({item[0]})" if item else "-"


def chronological_table(records: list[Record], datasets: list[str],
                        protocol: str = "chronological") -> list[str]:
    """Best model vs every ridge, best graph model vs GRU, by skill vs persistence."""
    lines = ["| dataset | best hicexpr model | best ridge baseline | ahead of it by [95% CI] | "
             "best graph model | GRU (no graph) |", "|---|---|---|---|---|---|"]
    for ds in datasets:
        rows = _models(records, ds, protocol)
        if not rows:
            continue
        ours = [n for n in rows if n not in RIDGES and n not in ("persistence", "window_mean")]
        best, ridge = _best(rows, ours, "skill"), _best(rows, list(RIDGES), "skill")
        graph = _best(rows, [n for n in ours if n not in NO_GRAPH], "skill")
        margin = _ci(best[1], ridge[0]) if best and ridge else "-"
        if margin == "-" and best and ridge:
            margin = f"{_mean(best[1], 'skill') - _mean(ridge[1], 'skill'):+.3f}"
        lines.append(f"| {ds} | {_named(best, 'skill')} | {_named(ridge, 'skill')} | "
                     f"{margin} | {_named(graph, 'skill')} | "
                     f"{_cell(rows['gru'], 'skill') if 'gru' in rows else '-'} |")
    return lines


def _ci(rec: Record | None, baseline: str, bold: bool = False) -> str:
    """``delta [low, high]``: the record's paired skill difference from ``baseline`` with its
    bootstrap CI over genes (``paired`` in bench_forecast records; ``bold``: in bold when the
    CI is above 0), or "-"."""
    pair = (rec or {}).get("paired", {}).get(baseline)
    if not pair:
        return "-"
    low, high = pair["ci"]
    text = f"{pair['delta']:+.3f} [{low:+.3f}, {high:+.3f}]"
    return f"**{text}**" if bold and low > 0 else text


def paired_table(records: list[Record], datasets: list[str], protocol: str) -> list[str]:
    """Every non-baseline model minus the dataset's best ridge baseline (by mean skill), with
    the 95% bootstrap CI over genes; bold where the CI is above 0."""
    cols, best_ridge = [], {}
    for ds in datasets:
        rows = _models(records, ds, protocol)
        ridge = _best(rows, list(RIDGES), "skill")
        if ridge and any("paired" in r for r in rows.values()):
            cols.append(ds)
            best_ridge[ds] = ridge[0]
    if not cols:
        return []
    lines = ["| model | " + " | ".join(f"{d} (vs {best_ridge[d]})" for d in cols) + " |",
             "|---|" + "---|" * len(cols)]
    names = list(dict.fromkeys(n for d in cols for n, r in _models(records, d, protocol).items()
                               if "paired" in r))
    for name in names:
        cells = [_ci(_models(records, d, protocol).get(name), best_ridge[d], bold=True)
                 for d in cols]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return lines


def best_vs_baselines(records: list[Record], datasets: list[str], protocol: str) -> list[str]:
    """The best non-baseline model (by mean skill) minus every baseline, 95% CI over genes;
    bold where the CI is above 0."""
    baselines = ("persistence", "window_mean", *RIDGES)
    lines = ["| dataset | best model | " + " | ".join(baselines) + " |",
             "|---|---|" + "---|" * len(baselines)]
    for ds in datasets:
        rows = _models(records, ds, protocol)
        ours = [n for n in rows if n not in baselines and "paired" in rows[n]]
        best = _best(rows, ours, "skill")
        if not best:
            continue
        cells = [_ci(best[1], b, bold=True) for b in baselines]
        lines.append(f"| {ds} | {best[0]} | " + " | ".join(cells) + " |")
    return lines if len(lines) > 2 else []


def _paired(rec: Record, ref: Record, metric: str) -> str:
    """Mean per-split difference of ``rec`` minus ``ref`` and how many splits ``rec`` wins."""
    a, b = rec.get("per_seed", {}).get(metric), ref.get("per_seed", {}).get(metric)
    if not a or not b or len(a) != len(b):
        return "-"
    diff = [x - y for x, y in zip(a, b, strict=True)]
    wins = sum(d > 0 for d in diff)
    return f"{sum(diff) / len(diff):+.3f} ({wins}/{len(diff)} splits)"


def step_random_table(records: list[Record], datasets: list[str]) -> list[str]:
    """Mean gene r of persistence, ridge AR + Hi-C and the best model (LEAKY protocol), with
    the best model's paired difference from persistence and from ridge AR + Hi-C."""
    metric = "gene_pearson_mean"
    lines = ["| dataset | persistence | ridge AR + Hi-C | best model (gene r) | "
             "best - persistence (paired) | best - ridge AR + Hi-C (paired) | "
             "best model by skill |", "|---|---|---|---|---|---|---|"]
    for ds in datasets:
        rows = _models(records, ds, "step-random")
        if not rows or "persistence" not in rows:
            continue
        others = [n for n in rows if n != "persistence"]
        best = _best(rows, others, metric)
        hic = rows.get("ridge_ar_hic")
        vs_hic = _paired(best[1], hic, metric) if best and hic else "-"
        lines.append(
            f"| {ds} | {_cell(rows['persistence'], metric)} | "
            f"{_cell(hic, metric) if hic else '-'} | {_named(best, metric)} | "
            f"{_paired(best[1], rows['persistence'], metric) if best else '-'} | {vs_hic} | "
            f"{_named(_best(rows, others, 'skill'), 'skill')} |")
    return lines


def horizon_table(records: list[Record], datasets: list[str], horizon: int = 3) -> list[str]:
    """Skill vs persistence at each horizon of the chronological multi-horizon runs."""
    steps = [""] + [f"_h{h}" for h in range(2, horizon + 1)]
    head = " | ".join(f"{d} h{h}" for d in datasets for h in range(1, horizon + 1)
                      if _models(records, d, "chronological", horizon))
    lines = [f"| model | {head} |", "|---|" + "---|" * head.count("|") + "---|"]
    names = list(dict.fromkeys(n for d in datasets
                               for n in _models(records, d, "chronological", horizon)))
    for name in names:
        cells = []
        for d in datasets:
            rows = _models(records, d, "chronological", horizon)
            if rows:
                rec = rows.get(name)
                cells += [f"{_mean(rec, 'skill' + s):.3f}" if rec and "skill" + s in
                          rec["metrics"] else "-" for s in steps]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return lines if names else []


def full_table(records: list[Record], dataset: str, protocol: str) -> list[str]:
    rows = _models(records, dataset, protocol)
    if not rows:
        return []
    first = next(iter(rows.values()))
    leaky = " (LEAKY)" if protocol == "step-random" else ""
    lines = [f"**{dataset}**, {protocol}{leaky}: {first.get('n_times')} time points x "
             f"{first.get('n_genes')} genes, {first.get('n_edges')} edges, "
             f"scaling {first.get('scaling', 'standard')}, seeds {first['seeds']}", "",
             "| model | " + " | ".join(COLUMNS) + " | s/seed | peak MB |",
             "|---|" + "---|" * (len(COLUMNS) + 2)]
    for name, rec in rows.items():
        cells = " | ".join(_cell(rec, c) for c in COLUMNS)
        lines.append(f"| {name} | {cells} | {rec.get('wall_s_per_seed', '')} | "
                     f"{rec['peak_rss_mb']:.0f} |")
    return lines + [""]


def speed_lines(records: list[Record]) -> list[str]:
    out = []
    for rec in records:
        if (rec["model"] == "stepmr" and rec["dataset"] == "step_mrna"
                and rec.get("horizon", 1) == 1):
            folds = ", 3 folds" if rec["protocol"] == "rolling-origin" else ""
            out.append(f"- STEPmr train + evaluate on STEP mRNA ({rec['protocol']}{folds}): "
                       f"{rec['wall_s_per_seed']} s per seed (target < 20 s).")
        if rec["model"].startswith("stepmi (pipeline"):
            out.append(f"- STEPmi pipeline on STEP miRNA (load + graph + 16-d Node2vec + fit + "
                       f"evaluate, one seed): {rec['wall_s']:.1f} s (target < 2 min).")
    return out


def section(records: list[Record], meta: dict[str, Any]) -> str:
    datasets = list(dict.fromkeys(r["dataset"] for r in records))
    protocols = list(dict.fromkeys(r["protocol"] for r in records if r["protocol"] != "-"))
    parts = [f"Generated by `benchmarks/forecast_doc.py` from benchmarks/results.json "
             f"(run of {meta.get('date', '?')}). Skill "
             "= 1 - MSE/MSE_persistence on the test windows, mean ± sd over seeds.", "",
             "#### Chronological (leakage-free): skill vs persistence", "",
             *chronological_table(records, datasets), "",
             "#### Rolling-origin (leakage-free; 3 folds tile the last 20%): skill vs persistence",
             "", *chronological_table(records, datasets, "rolling-origin"), "",
             "#### Paired differences from the best ridge baseline, 95% CI over genes", "",
             "Skill of each model minus the dataset's best ridge baseline on the same test "
             "windows (mean over seeds); genes resampled 1,000 times, test time points fixed. "
             "Bold: the CI is above 0.", "",
             "Chronological:", "", *paired_table(records, datasets, "chronological"), "",
             "Rolling-origin:", "", *paired_table(records, datasets, "rolling-origin"), "",
             "The best model of each dataset (by mean skill) against every baseline, "
             "chronological:", "", *best_vs_baselines(records, datasets, "chronological"), "",
             "#### Step-random (LEAKY, for comparison with STEP only): mean gene Pearson r", "",
             *step_random_table(records, datasets), "",
             "#### Horizons 1-3 (chronological; direct multi-horizon fits): skill vs persistence "
             "at each horizon, mean over seeds", "", *horizon_table(records, datasets), "",
             "#### Speed", "",
             *speed_lines(records), "", "#### Full tables", ""]
    for ds in datasets:
        for protocol in protocols:
            parts += full_table(records, ds, protocol)
    return "\n".join(parts).rstrip() + "\n"


def rewrite(doc: Path, text: str) -> None:
    content = doc.read_text()
    if START not in content or END not in content:
        raise SystemExit(f"{doc}: markers {START} / {END} not found")
    head, rest = content.split(START, 1)
    _, tail = rest.split(END, 1)
    doc.write_text(f"{head}{START}\n{text}{END}{tail}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, default=ROOT / "benchmarks" / "results.json")
    parser.add_argument("--doc", type=Path, default=ROOT / "docs" / "forecasting.md")
    args = parser.parse_args()
    data = json.loads(args.json.read_text())
    records = [r for r in data["records"] if r.get("suite") == "forecast"]
    rewrite(args.doc, section(records, data.get("meta", {})))


if __name__ == "__main__":
    main()

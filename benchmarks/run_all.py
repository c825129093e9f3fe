"""Run every benchmark suite and rewrite docs/benchmarks.md and benchmarks/results.json.

A suite is a module ``benchmarks/bench_<name>.py`` with ``run(out_records: list) -> None`` that
appends one dict per dataset x protocol x model: ``{dataset, protocol, model, metrics, seeds,
wall_s, peak_rss_mb, ...}``; an optional ``summarise(records) -> str`` adds Markdown text.
Each suite runs in its own process so memory peaks do not leak between suites.

    python benchmarks/run_all.py                      # every suite
    python benchmarks/run_all.py --only forecast spex # re-run some, keep the others' records
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SUITE_ORDER = ("contacts", "forecast", "spex", "scale")
RUN_BY_HAND = ("gpu",)  # bench_gpu.py: prepare + run on a CUDA machine (see its docstring)


def suites() -> list[str]:
    """The suites `make bench` runs: every bench_NAME.py except those run by hand."""
    found = sorted(p.stem.removeprefix("bench_") for p in HERE.glob("bench_*.py")
                   if p.stem.removeprefix("bench_") not in RUN_BY_HAND)
    ordered = [s for s in SUITE_ORDER if s in found]
    return ordered + [s for s in found if s not in ordered]


def run_suite(name: str) -> tuple[list[dict[str, Any]], float]:
    """Run one suite in a subprocess; return its records and wall seconds."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "records.json"
        code = (
            f"import json, sys; sys.path.insert(0, {str(HERE)!r}); import bench_{name} as m; "
            f"r = []; m.run(r); json.dump(r, open({str(out)!r}, 'w'), default=str)"
        )
        start = time.perf_counter()
        proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT)
        wall = time.perf_counter() - start
        if proc.returncode != 0:
            raise SystemExit(f"benchmark suite '{name}' failed (exit {proc.returncode})")
        records = json.loads(out.read_text())
    for rec in records:
        rec.setdefault("suite", name)
    return records, wall


def fmt_value(value: Any) -> str:
    if isinstance(value, dict) and "mean" in value:
        mean, sd = value.get("mean"), value.get("sd")
        if mean is None:
            return "n/a"
        return f"{mean:.3f} ± {sd:.3f}" if sd is not None else f"{mean:.3f}"
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 1e4 else f"{value:.3g}"
    if isinstance(value, (list, tuple)) and len(value) == 2 and all(
        isinstance(v, (int, float)) for v in value
    ):
        return f"[{value[0]:.3f}, {value[1]:.3f}]"
    return "" if value is None else str(value)


def render_table(records: list[dict[str, Any]]) -> str:
    id_cols = [c for c in ("dataset", "protocol", "setting", "model", "step") if any(
        c in r for r in records)]
    metric_cols: list[str] = []
    for rec in records:
        for key in rec.get("metrics", {}) or {}:
            if key not in metric_cols:
                metric_cols.append(key)
    cols = id_cols + metric_cols + ["seeds", "wall_s", "peak_rss_mb"]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for rec in records:
        row = []
        for col in cols:
            value = rec.get("metrics", {}).get(col) if col in metric_cols else rec.get(col)
            if col == "seeds" and isinstance(value, list):
                value = len(value)
            row.append(fmt_value(value))
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def render(records: list[dict[str, Any]], meta: dict[str, Any]) -> str:
    parts = [
        "# Benchmarks",
        "",
        "Written by `make bench` (`benchmarks/run_all.py`); raw records in "
        "`benchmarks/results.json`. Every number below was measured by that command on the "
        f"machine described here: {meta['machine']}, {meta['cores']} cores, run {meta['date']}.",
        "Wall seconds and peak RSS (MB) are per record. `± sd` is over seeds.",
    ]
    sys.path.insert(0, str(HERE))
    for suite in suites():
        recs = [r for r in records if r.get("suite") == suite]
        if not recs:
            continue
        parts += ["", f"## {suite}", ""]
        module = importlib.import_module(f"bench_{suite}")
        if hasattr(module, "summarise"):
            parts += [module.summarise(recs).rstrip(), ""]
        by_dataset: dict[str, list[dict[str, Any]]] = {}
        for rec in recs:
            horizon = int(rec.get("horizon", 1))
            key = str(rec.get("dataset", "")) + (f", horizons 1-{horizon}" if horizon > 1 else "")
            by_dataset.setdefault(key, []).append(rec)
        for dataset, group in by_dataset.items():
            parts += [f"### {dataset}", "", render_table(group), ""]
    return "\n".join(parts).rstrip() + "\n"


def write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "benchmarks.md"))
    parser.add_argument("--json", default=str(HERE / "results.json"))
    parser.add_argument("--only", nargs="*", help="suites to re-run (others keep their records)")
    args = parser.parse_args()
    json_path = Path(args.json)
    selected = args.only or suites()
    fresh: list[dict[str, Any]] = []
    for name in selected:
        print(f"== benchmark suite {name}", flush=True)
        new, wall = run_suite(name)
        print(f"== {name}: {len(new)} records in {wall:.0f} s", flush=True)
        fresh += new
    # read the old records only now, so suites run concurrently by `--only` keep each other's
    old = json.loads(json_path.read_text())["records"] if json_path.exists() else []
    records = [r for r in old if r.get("suite") not in selected] + fresh
    meta = {
        "machine": platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "date": dt.date.today().isoformat(),
    }
    write_atomic(json_path, json.dumps({"meta": meta, "records": records}, indent=1) + "\n")
    write_atomic(Path(args.out), render(records, meta))
    print(f"wrote {args.out} and {json_path}")


if __name__ == "__main__":
    main()

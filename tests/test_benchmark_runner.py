"""`make bench` (benchmarks/run_all.py) runs only suites that have the entry point it calls."""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


def _run_all():
    spec = importlib.util.spec_from_file_location("run_all", BENCH / "run_all.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _functions(path: Path) -> set[str]:
    return {node.name for node in ast.parse(path.read_text()).body
            if isinstance(node, ast.FunctionDef)}


def test_every_suite_has_the_run_entry_point() -> None:
    suites = _run_all().suites()
    assert {"contacts", "forecast", "graph", "spex", "scale"} <= set(suites)
    assert "gpu" not in suites  # needs CUDA; run by hand (bench_gpu.py prepare / run)
    for suite in suites:
        assert "run" in _functions(BENCH / f"bench_{suite}.py"), suite

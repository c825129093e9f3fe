"""Data flows one way: read -> contacts/features -> graph or spatial features -> model ->
evaluate -> plots/report. A package may import only packages of a lower layer."""

from __future__ import annotations

import ast
from pathlib import Path

import hicexpr

PACKAGE = Path(hicexpr.__file__).parent
LAYERS = [
    {"lib"},
    {"config"},
    {"io"},
    {"contacts", "graph"},
    {"datasets", "spex", "forecast"},
    {"evaluate"},
    {"analysis", "plots"},
    {"report"},
    {"workflows"},
    {"cli"},
    {"__main__"},  # python -m hicexpr
]
RANK = {name: i for i, layer in enumerate(LAYERS) for name in layer}


def _imported_packages(file: Path) -> set[str]:
    """``hicexpr`` sub-packages a module imports (``from hicexpr import __version__``, the
    root's only content, is left out)."""
    found = set()
    for node in ast.walk(ast.parse(file.read_text(), filename=str(file))):
        names = []
        if isinstance(node, ast.ImportFrom) and node.module == "hicexpr":
            names = [f"hicexpr.{alias.name}" for alias in node.names if alias.name in RANK]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        found |= {n.split(".")[1] for n in names if n.startswith("hicexpr.")}
    return found


def _package_of(file: Path) -> str:
    return file.relative_to(PACKAGE).parts[0].removesuffix(".py")


def test_every_package_has_a_layer() -> None:
    packages = {_package_of(f) for f in PACKAGE.rglob("*.py")} - {"__init__"}
    assert packages == set(RANK), packages ^ set(RANK)


def test_no_module_imports_from_its_own_layer_or_downstream() -> None:
    wrong = []
    for file in sorted(PACKAGE.rglob("*.py")):
        own = _package_of(file)
        if own == "__init__":
            continue
        for other in _imported_packages(file) - {own}:
            if RANK[other] >= RANK[own]:
                wrong.append(f"{file.relative_to(PACKAGE)} imports hicexpr.{other}")
    assert not wrong, wrong


def test_the_check_sees_an_upstream_import(tmp_path: Path) -> None:
    module = tmp_path / "probe.py"
    module.write_text("from hicexpr.evaluate.runner import evaluate_forecasters\n"
                      "from hicexpr import __version__, plots\n"
                      "def f():\n    import hicexpr.report.build\n")
    assert _imported_packages(module) == {"evaluate", "plots", "report"}

"""Read whatever a run folder holds (docs/run_folder.md, docs/report.md) into one object."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from hicexpr.io.text import SAFE_FLOAT_PRECISION
from hicexpr.lib.errors import InputError, first_line
from hicexpr.lib.logs import only_errors

TABLES = {
    "predictions": ("predictions.tsv", "predictions.parquet", "predictions.tsv.gz"),
    "per_gene_metrics": ("per_gene_metrics.tsv", "per_gene_metrics.parquet"),
    "per_gene_gain": ("per_gene_gain.tsv", "per_gene_gain.parquet"),
    "scores": ("scores.tsv",),
    "comparisons": ("comparisons.tsv",),
    "contact_coexpression": ("contact_coexpression.tsv",),
    "gene_features": ("gene_features.tsv",),
    "graph_edges": ("graph_edges.tsv", "graph_edges.parquet", "edges.tsv"),
    "genes": ("genes.tsv",),
    "expression": ("expression.tsv",),
    "insulation": ("insulation.tsv", "insulation.bedGraph"),
    "boundaries": ("boundaries.tsv", "boundaries.bed"),
    "compartments": ("compartments.tsv", "compartments.bedGraph"),
}
TRACKS = ("insulation", "boundaries", "compartments")
# a ``hicexpr contacts features`` run kept inside the run folder (as ``hicexpr demo`` does)
CONTACTS_SUBDIR = "contacts"
# headerless track files written by ``hicexpr contacts features`` (hicexpr.contacts.tracks)
TRACK_COLUMNS = {"insulation.bedGraph": "insulation", "compartments.bedGraph": "E1",
                 "boundaries.bed": "name"}


@dataclass
class RunData:
    """The contents of one run folder; every table is None when its file is absent."""

    path: Path
    config: dict[str, Any] = field(default_factory=dict)
    config_text: str = ""
    versions: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    complete: str | None = None
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    files: dict[str, Path] = field(default_factory=dict)

    def table(self, name: str) -> pd.DataFrame | None:
        return self.tables.get(name)

    @property
    def task(self) -> str:
        """``forecast``, ``spex`` or ``contacts`` (from metrics.json, else from the tables)."""
        task = self.metrics.get("task")
        if task:
            return str(task)
        if "per_gene_gain" in self.tables:
            return "spex"
        return "forecast" if "predictions" in self.tables else "contacts"

    @property
    def baselines(self) -> list[str]:
        """Baseline model names: ``metrics.json`` ``extra.baselines``, else for forecasts the
        baselines of the forecaster registry (``hicexpr.forecast.registry.BASELINES``)."""
        extra = self.metrics.get("extra") or {}
        if "baselines" in extra:
            return [str(b) for b in extra["baselines"]]
        if self.task != "forecast":
            return []
        try:
            from hicexpr.forecast.registry import BASELINES
        except ImportError:  # forecasting stage not installed
            return []
        return list(BASELINES)


def load_run(run_dir: str | os.PathLike[str]) -> RunData:
    """Read config, versions, metrics and every known table present in ``run_dir``.

    Raises:
        InputError: missing folder, a folder with no run file in it, or a file that exists but
            cannot be parsed.
    """
    path = Path(run_dir)
    if not path.is_dir():
        raise InputError(path, "", "a run folder (written by hicexpr forecast/spex/demo)",
                         "no such folder")
    run = RunData(path=path)
    config_file = path / "config.yaml"
    if config_file.is_file():
        run.config_text = config_file.read_text(encoding="utf-8")
        try:
            loaded = yaml.safe_load(run.config_text)
        except yaml.YAMLError as exc:
            raise InputError(config_file, "", "valid YAML", first_line(exc)) from None
        run.config = loaded if isinstance(loaded, dict) else {}
    run.versions = _read_json(path / "versions.json")
    run.metrics = _read_json(path / "metrics.json")
    if (path / "COMPLETE").is_file():
        run.complete = (path / "COMPLETE").read_text(encoding="utf-8").strip()
    for name, candidates in TABLES.items():
        folders = (path, path / CONTACTS_SUBDIR) if name in TRACKS else (path,)
        files = [folder / c for folder in folders for c in candidates]
        file = next((f for f in files if f.is_file()), None)
        if file is not None:
            run.tables[name] = read_table(file)
            run.files[name] = file
    if not (run.config or run.metrics or run.tables):
        raise InputError(path, "", "a run folder (written by hicexpr forecast/spex/demo)",
                         "no config.yaml, metrics.json or result table in it")
    if "genes" not in run.tables:
        _genes_from_reference(run)
    return run


def _header_lines(file: Path) -> int:
    """Leading ``track`` / ``browser`` / ``#`` lines of a BED-like file."""
    count = 0
    with open(file, encoding="utf-8") as fh:
        for line in fh:
            if not line.startswith(("track", "browser", "#")):
                break
            count += 1
    return count


def referenced_paths(run: RunData, suffixes: tuple[str, ...], keys: tuple[str, ...] = ()
                     ) -> list[Path]:
    """Existing files named in config.yaml or metrics.json ``extra`` (relative to the run).

    Args:
        suffixes: file name endings to accept (``.cool``; ``::`` URIs keep their suffix part).
        keys: when given, only values stored under one of these keys.
    """
    found: list[Path] = []
    for key, value in _leaves([run.config, run.metrics.get("extra") or {}]):
        if keys and key not in keys:
            continue
        value = _without_label(value)
        text = value.split("::")[0]
        if text.endswith(suffixes):
            file = Path(text) if Path(text).is_absolute() else run.path / text
            if not file.is_file() and Path(text).is_file():
                file = Path(text)
            if file.is_file():
                found.append(Path(str(file) + value[len(text):]))
    return found


def _without_label(value: str) -> str:
    """``label=path`` (as ``hicexpr spex --contacts hic=map.cool`` records it) -> ``path``."""
    label, sep, rest = value.partition("=")
    return rest if sep and "/" not in label and not Path(value).exists() else value


def _leaves(obj: Any, key: str = "") -> list[tuple[str, str]]:
    if isinstance(obj, dict):
        return [leaf for k, v in obj.items() for leaf in _leaves(v, str(k))]
    if isinstance(obj, list):
        return [leaf for v in obj for leaf in _leaves(v, key)]
    return [(key, obj)] if isinstance(obj, str) else []


def _genes_from_reference(run: RunData) -> None:
    """Gene table from an annotation file the run names (key ``genes``), read with read_genes."""
    from hicexpr.io.genes import read_genes

    for file in referenced_paths(run, (".bed", ".gtf", ".gff3", ".tab", ".csv", ".tsv",
                                       ".bed.gz", ".gtf.gz"), keys=("genes",)):
        try:
            with only_errors("hicexpr.io.genes"):  # the run warned about this file already
                run.tables["genes"] = read_genes(file)
            run.files["genes"] = file
            return
        except InputError:
            continue


def read_table(file: Path) -> pd.DataFrame:
    """A TSV (optionally gzipped), parquet or bedGraph/BED4 table; InputError when unreadable."""
    try:
        if file.suffix == ".parquet":
            return pd.read_parquet(file)
        if file.name in TRACK_COLUMNS:
            return pd.read_csv(file, sep="\t", header=None, skiprows=_header_lines(file),
                               usecols=range(4), float_precision=SAFE_FLOAT_PRECISION,
                               names=["chrom", "start", "end", TRACK_COLUMNS[file.name]])
        return pd.read_csv(file, sep="\t", low_memory=False, float_precision=SAFE_FLOAT_PRECISION)
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise InputError(file, "", "a tab-separated table with a header line",
                         first_line(exc)) from None


def _read_json(file: Path) -> dict[str, Any]:
    if not file.is_file():
        return {}
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InputError(file, f"line {exc.lineno}", "valid JSON", exc.msg) from None
    if not isinstance(data, dict):
        raise InputError(file, "", "a JSON object", type(data).__name__)
    return data

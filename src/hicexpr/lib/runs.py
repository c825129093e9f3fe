"""Run folders: every run writes its resolved config, versions, metrics and predictions here.

Layout (see docs/run_folder.md)::

    OUT/config.yaml   resolved configuration
    OUT/versions.json python, platform and package versions
    OUT/metrics.json  summary metrics
    OUT/*.tsv|parquet predictions and per-gene tables
    OUT/plots/        figures
    OUT/run.log       log of the run
    OUT/COMPLETE      written last: its absence means the run did not finish
"""

from __future__ import annotations

import datetime as _dt
import importlib.metadata
import json
import logging
import os
import platform
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from hicexpr import __version__
from hicexpr.lib import atomic
from hicexpr.lib.errors import InputError

COMPLETE = "COMPLETE"
TRACKED_PACKAGES = (
    "numpy", "pandas", "scipy", "torch", "torch-geometric", "cooler", "cooltools", "bioframe",
    "hictkpy", "anndata", "scikit-learn", "xgboost", "gensim", "gseapy", "dask", "matplotlib",
)

log = logging.getLogger("hicexpr")


def package_versions() -> dict[str, Any]:
    """Python, platform, hicexpr and key package versions."""
    versions: dict[str, Any] = {
        "hicexpr": __version__,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
    }
    for name in TRACKED_PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    return versions


#: Files a run (and ``hicexpr report``) may write at the top of its folder; a new run in the
#: folder of an earlier one removes them (and ``plots/``'s images) so none is left stale.
RUN_OUTPUTS = (
    "config.yaml", "versions.json", "metrics.json", "run.log", "report.html", "graph.json",
    "predictions.tsv", "predictions.parquet", "predictions.tsv.gz", "per_gene_metrics.tsv",
    "per_gene_metrics.parquet", "per_gene_gain.tsv", "per_gene_gain.parquet", "scores.tsv",
    "comparisons.tsv", "genes.tsv", "gene_features.tsv", "graph_edges.tsv",
    "graph_edges.parquet", "edges.tsv", "node2vec.tsv", "contact_coexpression.tsv",
    "insulation.tsv", "boundaries.tsv", "compartments.tsv", "tads.bed", "boundaries.bed",
    "pairs.bedpe",
)
_PLOT_SUFFIXES = (".png", ".svg", ".pdf")


def _holds_a_run(folder: Path) -> bool:
    """Whether ``folder`` holds an earlier hicexpr run (not merely a user's config.yaml)."""
    versions = folder / "versions.json"
    if not (folder / "config.yaml").is_file() or not versions.is_file():
        return False
    try:
        return "hicexpr" in json.loads(versions.read_text(encoding="utf-8"))
    except (OSError, ValueError, TypeError):
        return False


class RunFolder:
    """An output folder for one run; :meth:`complete` marks it finished.

    Opening a folder removes a stale ``COMPLETE`` marker, so a re-run that dies half-way can
    never be mistaken for the earlier finished run; when the folder holds an earlier run
    (its ``config.yaml`` and a ``versions.json`` naming hicexpr), that run's outputs
    (:data:`RUN_OUTPUTS`, plots) are removed too, so none of them sits next to the new results.
    Other files are left alone.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            (self.path / COMPLETE).unlink(missing_ok=True)
            if _holds_a_run(self.path):
                self._remove_earlier_outputs()
            self.plots_dir.mkdir(exist_ok=True)
        except OSError as exc:
            raise InputError(self.path, "", "a writable output folder", exc.strerror) from None
        if not os.access(self.path, os.W_OK):
            raise InputError(self.path, "", "a writable output folder", "permission denied")
        self._handler = self._attach_log()

    def _remove_earlier_outputs(self) -> None:
        for name in RUN_OUTPUTS:
            (self.path / name).unlink(missing_ok=True)
        if self.plots_dir.is_dir():
            for image in self.plots_dir.iterdir():
                if image.suffix in _PLOT_SUFFIXES and image.is_file():
                    image.unlink()

    @property
    def plots_dir(self) -> Path:
        return self.path / "plots"

    def file(self, name: str) -> Path:
        return self.path / name

    def write_config(self, config: Any) -> Path:
        """Write the resolved config (a pydantic model or a dict) as YAML."""
        data = config.model_dump(mode="json") if hasattr(config, "model_dump") else config
        return atomic.write_text(self.file("config.yaml"), yaml.safe_dump(data, sort_keys=False))

    def write_versions(self, extra: dict[str, Any] | None = None) -> Path:
        versions = {**package_versions(), **(extra or {})}
        return atomic.write_json(self.file("versions.json"), versions)

    def write_metrics(self, metrics: dict[str, Any]) -> Path:
        return atomic.write_json(self.file("metrics.json"), metrics)

    def write_json(self, name: str, obj: Any) -> Path:
        return atomic.write_json(self.file(name), obj)

    def write_table(self, name: str, df: pd.DataFrame) -> Path:
        return atomic.write_table(self.file(name), df)

    def complete(self) -> Path:
        """Mark the run finished (the last thing a run does)."""
        stamp = _dt.datetime.now(_dt.timezone.utc).isoformat()
        self._detach_log()
        return atomic.write_text(self.file(COMPLETE), stamp + "\n")

    def close(self) -> None:
        """Stop logging into ``run.log`` (also when the run failed); idempotent."""
        self._detach_log()

    def __enter__(self) -> RunFolder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _attach_log(self) -> logging.Handler:
        handler = logging.FileHandler(self.file("run.log"), encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        return handler

    def _detach_log(self) -> None:
        if self._handler in log.handlers:
            log.removeHandler(self._handler)
        self._handler.close()


def is_complete(path: str | os.PathLike[str]) -> bool:
    """True when the run folder holds a ``COMPLETE`` marker."""
    return (Path(path) / COMPLETE).is_file()

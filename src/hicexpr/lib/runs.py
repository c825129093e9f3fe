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
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from hicexpr import __version__
from hicexpr.lib import atomic
from hicexpr.lib.errors import InputError
from hicexpr.lib.paths import writable_folder

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


#: The files a finished run wrote (relative paths), listed when it completes: a new run in the
#: same folder removes those (unless changed since) and nothing else.
MANIFEST = ".hicexpr-outputs.json"


def _changed_files(folder: Path, since: float) -> list[str]:
    """Relative paths of the (not hidden) files in ``folder`` changed since ``since``."""
    names = []
    for file in sorted(folder.rglob("*")):
        rel = file.relative_to(folder)
        if file.is_file() and not any(p.startswith(".") for p in rel.parts) and \
                file.stat().st_mtime >= since:
            names.append(rel.as_posix())
    return names


def _listed(manifest: Path) -> list[str] | None:
    """The file names in a :data:`MANIFEST` (None: no readable manifest)."""
    try:
        names = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return [str(n) for n in names] if isinstance(names, list) else []


def record_outputs(folder: str | os.PathLike[str], since: float) -> None:
    """Add the files changed in a finished run's ``folder`` since ``since`` (e.g. by
    ``hicexpr report``) to its :data:`MANIFEST`, so the next run there removes them too."""
    manifest = Path(folder) / MANIFEST
    names = _listed(manifest)
    if names is not None:
        atomic.write_json(manifest, sorted(set(names) | set(_changed_files(Path(folder), since))))


class RunFolder:
    """An output folder for one run; :meth:`complete` marks it finished.

    Opening a folder removes a stale ``COMPLETE`` marker, so a re-run that dies half-way can
    never be mistaken for the earlier finished run, and the files an earlier finished run
    wrote there (its :data:`MANIFEST`; not those changed since, nor ``keep``, e.g. this run's
    inputs, ``file.mcool::resolutions/N`` allowed), so none of them sits next to the new
    results. Temporary files a killed run left (``.NAME.xxxxxxxx.tmp``, anywhere under the
    folder, its cache included) are removed too. Other files are left alone.
    """

    def __init__(self, path: str | os.PathLike[str],
                 keep: Iterable[str | os.PathLike[str] | None] = ()) -> None:
        self.path = writable_folder(path)  # probed with a real file (os.access trusts root)
        self._started = time.time()
        try:
            (self.path / COMPLETE).unlink(missing_ok=True)
            self._remove_leftovers()
            self._remove_earlier_outputs({Path(str(k).split("::")[0]).resolve()
                                          for k in keep if k})
            self.plots_dir.mkdir(exist_ok=True)
        except OSError as exc:
            raise InputError(self.path, "", "a writable output folder", exc.strerror) from None
        self._handler = self._attach_log()

    def _remove_leftovers(self) -> None:
        removed = atomic.remove_leftovers(self.path)
        if removed:
            log.info("%s: removed %d temporary file(s) left by a killed run", self.path, removed)

    def _remove_earlier_outputs(self, keep: set[Path]) -> None:
        manifest = self.path / MANIFEST
        names = _listed(manifest)
        if names is None:
            return
        listed_at = manifest.stat().st_mtime
        root = self.path.resolve()
        for name in names:
            file = (self.path / name).resolve()
            unchanged = file.is_file() and file.stat().st_mtime <= listed_at
            if unchanged and file not in keep and root in file.parents:
                file.unlink()
        manifest.unlink()

    def _write_manifest(self) -> None:
        """List the files this run wrote (changed since it started; hidden ones left out)."""
        atomic.write_json(self.file(MANIFEST), _changed_files(self.path, self._started))

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
        self._write_manifest()
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

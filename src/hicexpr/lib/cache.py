"""On-disk cache of intermediate results, so a run killed half-way resumes where it stopped.

Entries live under ``OUT/.cache/<step>/<key>.pkl``. The key is a SHA-256 of everything the
result depends on: input files (path, size and modification time, or their content), config
values, seeds, and the code version (hicexpr version + a hash of its source files). Entries are
written atomically (temporary file + fsync + rename), so a ``kill -9`` during a write leaves no
entry rather than a corrupt one; an entry that still cannot be read is deleted and recomputed.

Example::

    cache = Cache.for_run(run.path)
    dataset = cache.get_or_compute("dataset", {"expression": Path(expr), "config": cfg},
                                   lambda: build_dataset(expr, ...))

Every hit and miss is logged (logger ``hicexpr.lib.cache``, so it lands in ``run.log``).
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import logging
import math
import os
import pickle
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from hicexpr import __version__
from hicexpr.lib.atomic import atomic_path

log = logging.getLogger(__name__)

T = TypeVar("T")
CACHE_DIR = ".cache"
DISABLE_ENV = "HICEXPR_NO_CACHE"
_STEP = re.compile(r"[^A-Za-z0-9_.=-]+")


@functools.lru_cache(maxsize=1)
def code_version() -> str:
    """``<hicexpr version>+<12 hex digits>``: the digits hash every ``.py`` file of the package.

    Any change to the code invalidates every cache entry (stale results are never reused).
    """
    root = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for file in sorted(root.rglob("*.py")):
        digest.update(str(file.relative_to(root)).encode())
        digest.update(file.read_bytes())
    return f"{__version__}+{digest.hexdigest()[:12]}"


def file_fingerprint(path: str | os.PathLike[str], content: bool = False) -> dict[str, Any]:
    """Identity of a file or folder: resolved path, size and mtime (or a content SHA-256).

    Folders are fingerprinted file by file (sorted, recursive). A missing path gives
    ``{"path": ..., "missing": True}`` (the reader will report it; the key stays stable).
    """
    file = Path(path)
    resolved = str(file.resolve())
    if not file.exists():
        return {"path": resolved, "missing": True}
    if file.is_dir():
        members = sorted(p for p in file.rglob("*") if p.is_file())
        return {"path": resolved,
                "files": [file_fingerprint(p, content) | {"path": str(p.relative_to(file))}
                          for p in members]}
    stat = file.stat()
    if content:
        return {"path": resolved, "size": stat.st_size, "sha256": _sha256_file(file)}
    return {"path": resolved, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def _sha256_file(file: Path) -> str:
    digest = hashlib.sha256()
    with open(file, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fingerprint(obj: Any, content: bool = False) -> Any:
    """A JSON-able, deterministic description of ``obj`` for cache keys.

    Paths become :func:`file_fingerprint`; arrays, DataFrames and AnnData a hash of their values;
    pydantic models their JSON dump; estimators (``get_params``) their class and parameters;
    floats their exact ``repr``. Anything else raises ``TypeError`` (never a silent, unstable key).
    """
    if isinstance(obj, (np.integer, np.floating, np.bool_)):
        return fingerprint(obj.item())
    if obj is None or isinstance(obj, (bool, int, str)):
        return obj
    if isinstance(obj, float):
        return repr(float(obj)) if math.isfinite(obj) else str(float(obj))
    if isinstance(obj, os.PathLike):
        return file_fingerprint(obj, content)
    if isinstance(obj, np.ndarray):
        return _array_fingerprint(obj)
    if isinstance(obj, (pd.DataFrame, pd.Series, pd.Index)):
        return _pandas_fingerprint(obj)
    if isinstance(obj, Mapping):
        return {str(k): fingerprint(v, content) for k, v in sorted(obj.items(), key=_key_str)}
    if isinstance(obj, (list, tuple)):
        return [fingerprint(v, content) for v in obj]
    if isinstance(obj, (set, frozenset)):
        return sorted((fingerprint(v, content) for v in obj), key=repr)
    if hasattr(obj, "model_dump"):  # pydantic
        return {"model": type(obj).__name__, "values": obj.model_dump(mode="json")}
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        fields = {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}
        return {"dataclass": type(obj).__name__, "fields": fingerprint(fields, content)}
    if hasattr(obj, "obs") and hasattr(obj, "var") and hasattr(obj, "X"):  # AnnData
        X = obj.X.toarray() if hasattr(obj.X, "toarray") else np.asarray(obj.X)
        return {"anndata": [_array_fingerprint(X), _pandas_fingerprint(obj.obs),
                            _pandas_fingerprint(obj.var)]}
    if hasattr(obj, "get_params"):  # scikit-learn style estimator
        return {"estimator": type(obj).__name__, "params": fingerprint(obj.get_params(), content)}
    if hasattr(obj, "detach") and hasattr(obj, "cpu"):  # torch tensor
        return _array_fingerprint(obj.detach().cpu().numpy())
    raise TypeError(f"cannot fingerprint {type(obj).__name__} for a cache key")


def _key_str(item: tuple[Any, Any]) -> str:
    return str(item[0])


def _array_fingerprint(arr: np.ndarray) -> dict[str, Any]:
    data = np.ascontiguousarray(arr)
    if data.dtype == object:
        payload = repr(data.tolist()).encode()
    else:
        payload = data.tobytes()
    return {"dtype": str(data.dtype), "shape": list(data.shape),
            "sha256": hashlib.sha256(payload).hexdigest()}


def _pandas_fingerprint(obj: pd.DataFrame | pd.Series | pd.Index) -> dict[str, Any]:
    if isinstance(obj, pd.Index):
        obj = obj.to_series()
    hashed = pd.util.hash_pandas_object(obj, index=True).to_numpy()
    meta = {"kind": type(obj).__name__, "n": len(obj), "values": _array_fingerprint(hashed)}
    if isinstance(obj, pd.DataFrame):
        meta["columns"] = [str(c) for c in obj.columns]
        meta["dtypes"] = [str(d) for d in obj.dtypes]
    else:
        meta["dtype"] = str(obj.dtype)
    return meta


def cache_key(parts: Mapping[str, Any], content: bool = False) -> str:
    """SHA-256 (hex) of the fingerprint of ``parts`` plus :func:`code_version`."""
    payload = {"code": code_version(), "parts": fingerprint(dict(parts), content)}
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


class Cache:
    """A folder of pickled results keyed by :func:`cache_key` (see the module docstring).

    Args:
        root: cache folder (``OUT/.cache`` for :meth:`for_run`).
        enabled: when False (or ``$HICEXPR_NO_CACHE=1``) every lookup misses and nothing is stored.
        content: fingerprint input files by content (SHA-256) instead of size + mtime.
    """

    def __init__(self, root: str | os.PathLike[str], enabled: bool = True,
                 content: bool = False) -> None:
        self.root = Path(root)
        self.enabled = enabled and os.environ.get(DISABLE_ENV, "") in ("", "0")
        self.content = content
        self.hits = 0
        self.misses = 0

    @classmethod
    def for_run(cls, run_dir: str | os.PathLike[str], **kwargs: Any) -> Cache:
        """The cache of a run folder: ``RUN_DIR/.cache``."""
        return cls(Path(run_dir) / CACHE_DIR, **kwargs)

    def key(self, parts: Mapping[str, Any]) -> str:
        return cache_key(parts, self.content)

    def entry(self, step: str, key: str) -> Path:
        """Path of the entry of ``step`` with ``key``."""
        return self.root / _STEP.sub("_", step) / f"{key[:40]}.pkl"

    def load(self, step: str, key: str) -> tuple[bool, Any]:
        """``(True, value)`` for a readable entry, else ``(False, None)`` (bad entries removed)."""
        path = self.entry(step, key)
        if not self.enabled or not path.is_file():
            return False, None
        try:
            with open(path, "rb") as fh:
                return True, pickle.load(fh)
        except Exception as exc:  # noqa: BLE001 - any unreadable entry is recomputed
            log.warning("cache entry %s unreadable (%s): recomputing", path, type(exc).__name__)
            path.unlink(missing_ok=True)
            return False, None

    def save(self, step: str, key: str, value: Any) -> Path | None:
        """Store ``value`` atomically; returns the entry path (None when disabled)."""
        if not self.enabled:
            return None
        path = self.entry(step, key)
        with atomic_path(path) as tmp, open(tmp, "wb") as fh:
            pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL)
        return path

    def get_or_compute(self, step: str, parts: Mapping[str, Any], compute: Callable[[], T]) -> T:
        """The cached result of ``step`` for ``parts``, or ``compute()`` (then stored)."""
        key = self.key({"step": step, **parts})
        found, value = self.load(step, key)
        if found:
            self.hits += 1
            log.info("cache hit: %s (%s)", step, key[:12])
            return value
        self.misses += 1
        log.info("cache miss: %s (%s), computing", step, key[:12])
        value = compute()
        self.save(step, key, value)
        return value

    def clear(self) -> int:
        """Delete every entry; returns how many were removed."""
        n = 0
        for path in self.root.rglob("*.pkl") if self.root.is_dir() else []:
            path.unlink()
            n += 1
        return n

    def stats(self) -> dict[str, int]:
        return {"hits": self.hits, "misses": self.misses}


__all__ = ["Cache", "cache_key", "code_version", "fingerprint", "file_fingerprint", "CACHE_DIR"]

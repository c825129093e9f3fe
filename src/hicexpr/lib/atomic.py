"""Atomic file writes: write to a temporary file in the same folder, fsync, then rename.

A crash or Ctrl-C at any point leaves either the old file or the new one, never half a file.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

_UMASK = os.umask(0)
os.umask(_UMASK)
_LEFTOVER = re.compile(r"^\..+\.[a-z0-9_]{8}\.tmp$")  # what atomic_path's mkstemp names look like


def scratch_path(path: str | os.PathLike[str], tag: str = "") -> Path:
    """A new empty hidden file next to ``path`` named like :func:`atomic_path`'s temporary
    files (``.NAME.TAG.XXXXXXXX.tmp``), so :func:`remove_leftovers` finds it after a
    ``kill -9``. The caller deletes it."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    prefix = f".{target.name}.{tag}." if tag else f".{target.name}."
    fd, tmp = tempfile.mkstemp(prefix=prefix, suffix=".tmp", dir=target.parent)
    os.close(fd)
    os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600 files; final files follow the umask
    return Path(tmp)


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; rename it onto ``path`` only on success."""
    tmp_path = scratch_path(path)
    try:
        yield tmp_path
        _fsync(tmp_path)
        os.replace(tmp_path, path)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def remove_leftovers(folder: str | os.PathLike[str]) -> int:
    """Delete the temporary files a killed writer left under ``folder`` (``kill -9`` skips
    :func:`atomic_path`'s clean-up); other files are never touched. Returns how many."""
    removed = 0
    for path in Path(folder).rglob(".*.tmp"):
        if _LEFTOVER.match(path.name) and path.is_file():
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Atomically write ``data`` to ``path``."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def write_text(path: str | os.PathLike[str], text: str) -> Path:
    """Atomically write UTF-8 ``text`` to ``path``."""
    return write_bytes(path, text.encode("utf-8"))


def write_json(path: str | os.PathLike[str], obj: Any) -> Path:
    """Atomically write ``obj`` as indented JSON (NaN written as null)."""
    text = json.dumps(_json_safe(obj), indent=2, sort_keys=False, allow_nan=False)
    return write_text(path, text + "\n")


def write_table(path: str | os.PathLike[str], df: pd.DataFrame, index: bool = False) -> Path:
    """Atomically write a DataFrame as TSV (``.tsv``/``.tsv.gz``) or parquet (``.parquet``)."""
    target = Path(path)
    with atomic_path(target) as tmp:
        if target.suffix == ".parquet":
            df.to_parquet(tmp, index=index)
        elif target.suffix == ".gz":
            # gzip without file name or time stamp in the header: same table, same bytes
            text = df.to_csv(sep="\t", index=index)
            tmp.write_bytes(gzip.compress(text.encode("utf-8"), mtime=0))
        else:
            df.to_csv(tmp, sep="\t", index=index)
    return target


def _fsync(path: Path) -> None:
    with open(path, "rb") as fh:
        os.fsync(fh.fileno())


def _json_safe(obj: Any) -> Any:
    """Convert numpy scalars/arrays and NaN to plain JSON values."""
    import math

    import numpy as np

    if isinstance(obj, dict):
        return {str(k): _json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_json_safe(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return [_json_safe(v) for v in obj.tolist()]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, Path):
        return str(obj)
    return obj

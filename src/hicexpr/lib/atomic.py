"""Atomic file writes: write to a temporary file in the same folder, fsync, then rename.

A crash or Ctrl-C at any point leaves either the old file or the new one, never half a file.
"""

from __future__ import annotations

import contextlib
import glob
import gzip
import json
import os
import re
import shutil
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

_UMASK = os.umask(0)
os.umask(_UMASK)
_LEFTOVER = re.compile(r"^\..+\.[a-z0-9_]{8}\.tmp$")  # what atomic_path's mkstemp names look like
_OWNER = re.compile(r"^(?P<host>[A-Za-z0-9-]+)~(?P<pid>\d+)$")


def _host() -> str:
    """This machine's name as it appears in scratch names (letters, digits and ``-``)."""
    return re.sub(r"[^A-Za-z0-9-]", "-", socket.gethostname()) or "host"


def _owner() -> str:
    """``HOST~PID`` of this process, part of every scratch name (see :func:`remove_stale`)."""
    return f"{_host()}~{os.getpid()}"


def _scratch_prefix(target: Path, tag: str) -> str:
    return f".{target.name}.{tag + '.' if tag else ''}{_owner()}."


def scratch_path(path: str | os.PathLike[str], tag: str = "") -> Path:
    """A new empty hidden file next to ``path`` named like :func:`atomic_path`'s temporary
    files (``.NAME.TAG.HOST~PID.XXXXXXXX.tmp``), so :func:`remove_leftovers` and
    :func:`remove_stale` find it after a ``kill -9``. The caller deletes it."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=_scratch_prefix(target, tag), suffix=".tmp",
                               dir=target.parent)
    os.close(fd)
    os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600 files; final files follow the umask
    return Path(tmp)


@contextlib.contextmanager
def scratch_folder(path: str | os.PathLike[str], tag: str = "") -> Iterator[Path]:
    """A hidden scratch folder next to ``path`` (``.NAME.TAG.HOST~PID.XXXXXXXX.tmp``), deleted
    on exit; after a ``kill -9`` the next :func:`atomic_path` write of ``path`` deletes it.
    Scratch that killed writers of ``path`` left is deleted first (disk space for this one)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale(target)
    folder = Path(tempfile.mkdtemp(prefix=_scratch_prefix(target, tag), suffix=".tmp",
                                   dir=target.parent))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by another user
        return True
    return True


def _stale_owner(name: str) -> bool:
    """Whether a scratch name's ``HOST~PID`` is a process of this host that no longer runs
    (another host's scratch, on a shared file system, is never judged)."""
    parts = name.removesuffix(".tmp").rsplit(".", 2)
    match = _OWNER.match(parts[-2]) if len(parts) == 3 else None
    if match is None or match["host"] != _host():
        return False
    return not _process_alive(int(match["pid"]))


def remove_stale(path: str | os.PathLike[str]) -> int:
    """Delete the scratch files and folders that killed writers of ``path`` left next to it
    (their process is gone); a live writer's scratch is kept. Returns how many."""
    target = Path(path)
    if not target.parent.is_dir():
        return 0
    removed = 0
    for item in target.parent.glob(f".{glob.escape(target.name)}.*.tmp"):
        if not _LEFTOVER.match(item.name) or not _stale_owner(item.name):
            continue
        if item.is_dir():
            shutil.rmtree(item, ignore_errors=True)
        else:
            item.unlink(missing_ok=True)
        removed += 1
    return removed


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; rename it onto ``path`` only on success.
    Scratch left next to ``path`` by an earlier writer that was killed is deleted first."""
    remove_stale(path)
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

"""Registry of public data sets: files, public URLs and sha256 hashes (``registry.json``).

``fetch_dataset`` downloads with pooch (hash-checked) into ``$HICEXPR_CACHE`` (default
``~/.cache/hicexpr``), or imports local copies (``source_dir``) after checking their sha256.
The URLs name each file's public origin; they were written offline and are guarded by the
hash: a moved or changed file fails loudly instead of being used.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import os
import re
import shutil
from collections.abc import Iterator
from importlib import resources
from pathlib import Path, PurePosixPath
from typing import Any

import pandas as pd
import pooch

from hicexpr.lib import atomic
from hicexpr.lib.errors import InputError, closest, first_line
from hicexpr.lib.paths import user_cache_dir, writable_folder
from hicexpr.lib.progress import track

log = logging.getLogger(__name__)

def cache_dir() -> Path:
    """Where fetched data sets go: ``$HICEXPR_CACHE`` or ``~/.cache/hicexpr``."""
    return user_cache_dir()


@functools.lru_cache(maxsize=1)
def load_registry() -> dict[str, Any]:
    """The parsed ``registry.json`` shipped with the package."""
    text = resources.files("hicexpr.datasets").joinpath("registry.json").read_text("utf-8")
    return json.loads(text)


def dataset_files(name: str) -> list[dict[str, Any]]:
    """File entries (``path, url, sha256, size``) of data set ``name``.

    Raises:
        InputError: unknown data set (naming the closest known one).
    """
    datasets = load_registry()["datasets"]
    if name not in datasets:
        hint = closest(name, datasets)
        expected = f"a registered data set (did you mean '{hint}'?)" if hint else (
            "one of " + ", ".join(datasets)
        )
        raise InputError("datasets", "name", expected, name)
    return list(datasets[name]["files"])


def list_datasets() -> pd.DataFrame:
    """One row per data set: ``name, files, size_mb, public_urls, description, origin, license``."""
    rows = []
    for name, entry in load_registry()["datasets"].items():
        files = entry["files"]
        rows.append({
            "name": name,
            "files": len(files),
            "size_mb": round(sum(f["size"] for f in files) / 1e6, 2),
            "public_urls": sum(1 for f in files if f.get("url")),
            "description": entry["description"],
            "origin": entry["origin"],
            "license": entry["license"],
        })
    return pd.DataFrame(rows)


def fetch_dataset(
    name: str,
    source_dir: str | os.PathLike[str] | None = None,
    dest: str | os.PathLike[str] | None = None,
) -> list[Path]:
    """Make every file of data set ``name`` available under ``dest`` and return their paths.

    Args:
        name: a data set from :func:`list_datasets`.
        source_dir: import local copies from this folder instead of downloading; a file is looked
            up at its registry path below ``source_dir`` or with leading folders dropped
            (``--from shared/data`` and ``--from shared/data/step`` both work).
        dest: target folder (default :func:`cache_dir`); files keep their registry paths.

    Raises:
        InputError: unknown data set, a missing local file, a file without a public URL (when
            downloading), or a sha256 mismatch (naming the file, expected and actual hash).
    """
    files = dataset_files(name)
    src = _source_folder(source_dir) if source_dir is not None else None
    target = writable_folder(dest if dest is not None else cache_dir())
    if src is not None:
        return [_import_file(f, src, target) for f in track(files, f"importing {name}")]
    return _download(name, files, target)


def _source_folder(source_dir: str | os.PathLike[str]) -> Path:
    src = Path(source_dir)
    if not src.is_dir():
        raise InputError(src, "", "a folder holding local copies of the data set",
                         "a file" if src.exists() else "not found")
    return src


def _candidates(src: Path, rel: str) -> list[Path]:
    parts = PurePosixPath(rel).parts
    return [src.joinpath(*parts[k:]) for k in range(len(parts))]


def _import_file(entry: dict[str, Any], src: Path, target: Path) -> Path:
    rel = entry["path"]
    found = next((p for p in _candidates(src, rel) if p.is_file()), None)
    if found is None:
        raise InputError(src, rel, f"a local copy of '{rel}'", "no such file")
    expected = entry["sha256"]
    actual = pooch.file_hash(str(found), alg="sha256")
    if actual != expected:
        raise InputError(found, "sha256", expected, actual)
    out = target.joinpath(*PurePosixPath(rel).parts)
    if out.resolve() == found.resolve():
        return out
    if out.is_file() and pooch.file_hash(str(out), alg="sha256") == expected:
        return out
    with atomic.atomic_path(out) as tmp:
        shutil.copyfile(found, tmp)
    log.info("imported %s -> %s", found, out)
    return out


def _download(name: str, files: list[dict[str, Any]], target: Path) -> list[Path]:
    no_url = [f["path"] for f in files if not f.get("url")]
    if no_url:
        raise InputError(
            "registry.json", f"{name}: {no_url[0]}",
            "a public URL (none known: import a local copy with --from DIR)", None,
        )
    fetcher = pooch.create(
        path=target,
        base_url="",
        registry={f["path"]: f"sha256:{f['sha256']}" for f in files},
        urls={f["path"]: f["url"] for f in files},
        retry_if_failed=2,
    )
    out = []
    for f in track(files, f"downloading {name}"):
        try:
            with _pooch_logs_to_hicexpr():
                out.append(Path(fetcher.fetch(f["path"])))
        except ValueError as exc:  # pooch: hash mismatch
            raise InputError(f["url"], "sha256", f["sha256"], _actual_hash(exc)) from None
        except OSError as exc:  # requests' errors are OSErrors: no network, HTTP 404, ...
            raise InputError(f["url"], "", "a reachable URL (offline: import a local copy "
                             "with --from DIR)", first_line(exc)) from None
    return out


def _actual_hash(exc: ValueError) -> str:
    """The downloaded file's hash from pooch's mismatch message ('... but got HASH. ...'), as
    ``--from`` reports it (the message itself: other errors)."""
    found = re.search(r"but got ([0-9a-f]{64})", str(exc))
    return found.group(1) if found else first_line(exc)


class _ToHicexprLog(logging.Handler):
    """Pass pooch's records on to this module's logger (stderr only with ``--verbose``)."""

    def emit(self, record: logging.LogRecord) -> None:
        log.log(record.levelno, "pooch: %s", record.getMessage())


@contextlib.contextmanager
def _pooch_logs_to_hicexpr() -> Iterator[None]:
    """Route pooch's messages ('Downloading file ...', retries) through hicexpr's logging:
    pooch's own logger prints them on stderr whatever ``--quiet`` says, next to the one-line
    error of a failed download."""
    pooch_log = pooch.get_logger()
    saved = pooch_log.handlers[:]
    pooch_log.handlers[:] = [_ToHicexprLog()]
    try:
        yield
    finally:
        pooch_log.handlers[:] = saved


__all__ = ["cache_dir", "load_registry", "dataset_files", "list_datasets", "fetch_dataset"]

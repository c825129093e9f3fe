"""hicexpr.lib.cache: keys follow inputs/config/seed, entries are atomic, bad entries recompute."""

from __future__ import annotations

import logging
import os
import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hicexpr.config import SimulateConfig
from hicexpr.lib.cache import Cache, cache_key, code_version, file_fingerprint, fingerprint


def _counter():
    calls = {"n": 0}

    def compute() -> np.ndarray:
        calls["n"] += 1
        return np.arange(5, dtype=float) * calls["n"]

    return calls, compute


def test_second_call_hits_and_returns_the_stored_value(tmp_path: Path, caplog) -> None:
    cache = Cache.for_run(tmp_path)
    calls, compute = _counter()
    caplog.set_level(logging.INFO, logger="hicexpr.lib.cache")
    first = cache.get_or_compute("fit/ar1/seed0", {"seed": 0}, compute)
    second = cache.get_or_compute("fit/ar1/seed0", {"seed": 0}, compute)
    assert calls["n"] == 1
    np.testing.assert_array_equal(first, second)
    assert cache.stats() == {"hits": 1, "misses": 1}
    assert "cache hit: fit/ar1/seed0" in caplog.text
    entries = list((tmp_path / ".cache").rglob("*.pkl"))
    assert len(entries) == 1 and entries[0].parent.name == "fit_ar1_seed0"


def test_key_changes_with_seed_config_and_input_file(tmp_path: Path) -> None:
    data = tmp_path / "expr.tsv"
    data.write_text("gene\t0\t1\ng1\t1.0\t2.0\n")
    cfg = SimulateConfig(seed=1)
    base = cache_key({"input": data, "config": cfg, "seed": 0})
    assert cache_key({"input": data, "config": cfg, "seed": 0}) == base
    assert cache_key({"input": data, "config": cfg, "seed": 1}) != base
    assert cache_key({"input": data, "config": SimulateConfig(seed=2), "seed": 0}) != base
    data.write_text("gene\t0\t1\ng1\t1.0\t2.5\n")  # same size, new content and mtime
    os.utime(data, ns=(1, 1))
    assert cache_key({"input": data, "config": cfg, "seed": 0}) != base
    # content keys ignore the mtime but follow the bytes
    k1 = cache_key({"input": data}, content=True)
    os.utime(data, ns=(5, 5))
    assert cache_key({"input": data}, content=True) == k1
    assert cache_key({"input": data}) != cache_key({"input": data}, content=True)


def test_fingerprints_of_data_objects_follow_values() -> None:
    a = np.array([[1.0, 2.0], [3.0, np.nan]])
    assert fingerprint(a) == fingerprint(a.copy())
    b = a.copy()
    b[0, 0] = 1.0 + 1e-15
    assert fingerprint(a) != fingerprint(b)
    df = pd.DataFrame({"x": [1, 2], "y": ["a", "b"]})
    assert fingerprint(df) == fingerprint(df.copy())
    assert fingerprint(df) != fingerprint(df.assign(y=["a", "c"]))
    assert fingerprint(0.1) == "0.1" and fingerprint(np.float64(0.1)) == "0.1"
    with pytest.raises(TypeError, match="cannot fingerprint"):
        fingerprint(object())


def test_folder_fingerprint_covers_every_file(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("1")
    before = file_fingerprint(tmp_path)
    (tmp_path / "b.txt").write_text("2")
    assert file_fingerprint(tmp_path) != before
    assert file_fingerprint(tmp_path / "missing")["missing"] is True


def test_code_version_has_package_version_and_source_hash(tmp_path: Path,
                                                          monkeypatch) -> None:
    import hicexpr.lib.cache as cache_module

    version, digest = code_version().split("+")
    assert version == "0.1.0" and len(digest) == 12
    int(digest, 16)  # hex digits
    # the digest follows the package's .py sources (a copy stands in for the package)
    pkg = tmp_path / "pkg"
    (pkg / "lib").mkdir(parents=True)
    (pkg / "lib" / "cache.py").write_text("x = 1\n")
    (pkg / "mod.py").write_text("y = 2\n")
    monkeypatch.setattr(cache_module, "__file__", str(pkg / "lib" / "cache.py"))
    uncached = code_version.__wrapped__  # the real one is computed once per process
    first = uncached()
    assert first.split("+")[1] != digest and uncached() == first
    (pkg / "notes.txt").write_text("not code")
    assert uncached() == first  # only .py files count
    (pkg / "mod.py").write_text("y = 3\n")  # same size, other content
    edited = uncached()
    assert edited != first
    (pkg / "mod.py").rename(pkg / "other.py")  # same bytes, another module
    assert uncached() not in (first, edited)


def test_corrupt_entry_is_recomputed(tmp_path: Path) -> None:
    cache = Cache(tmp_path / "c")
    calls, compute = _counter()
    cache.get_or_compute("step", {"a": 1}, compute)
    (entry,) = list((tmp_path / "c").rglob("*.pkl"))
    entry.write_bytes(entry.read_bytes()[:10])  # truncated by hand
    value = cache.get_or_compute("step", {"a": 1}, compute)
    assert calls["n"] == 2
    np.testing.assert_array_equal(value, np.arange(5) * 2.0)
    assert pickle.loads(entry.read_bytes()).tolist() == (np.arange(5) * 2.0).tolist()


def test_failed_write_leaves_no_entry(tmp_path: Path, monkeypatch) -> None:
    cache = Cache(tmp_path / "c")

    def boom(*args, **kwargs):
        args[1].write(b"partial")
        raise KeyboardInterrupt

    monkeypatch.setattr(pickle, "dump", boom)
    with pytest.raises(KeyboardInterrupt):
        cache.save("step", "k" * 64, np.zeros(3))
    assert not [p for p in (tmp_path / "c").rglob("*") if p.is_file()]


def test_disabled_cache_never_stores(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("HICEXPR_NO_CACHE", "1")
    cache = Cache(tmp_path / "c")
    calls, compute = _counter()
    cache.get_or_compute("s", {}, compute)
    cache.get_or_compute("s", {}, compute)
    assert calls["n"] == 2 and not (tmp_path / "c").exists()
    monkeypatch.delenv("HICEXPR_NO_CACHE")
    enabled = Cache(tmp_path / "c")
    enabled.get_or_compute("s", {}, compute)
    assert enabled.clear() == 1

"""Atomic writes: all or nothing, umask permissions, JSON-safe values, deterministic tables."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hicexpr.lib import atomic


def _leftovers(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name.endswith(".tmp")]


def test_write_text_replaces_and_leaves_no_temporaries(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "a.txt"
    atomic.write_text(target, "one\n")
    atomic.write_text(target, "two\n")
    assert target.read_text() == "two\n"
    assert _leftovers(target.parent) == []


def test_failure_keeps_old_content(tmp_path: Path) -> None:
    target = tmp_path / "a.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic.atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("crash mid-write")
    assert target.read_text() == "old"
    assert _leftovers(tmp_path) == []


def test_failure_creates_no_file(tmp_path: Path) -> None:
    target = tmp_path / "new.tsv"
    with pytest.raises(KeyboardInterrupt), atomic.atomic_path(target) as tmp:
        tmp.write_text("partial")
        raise KeyboardInterrupt
    assert not target.exists() and _leftovers(tmp_path) == []


def test_permissions_follow_umask(tmp_path: Path) -> None:
    target = atomic.write_text(tmp_path / "p.txt", "x")
    assert target.stat().st_mode & 0o777 == 0o666 & ~atomic._UMASK  # not mkstemp's 0600
    assert target.stat().st_mode & 0o444 == 0o444 or atomic._UMASK & 0o044


def test_write_json_converts_numpy_nan_and_paths(tmp_path: Path) -> None:
    obj = {
        "a": np.float32(1.5), "b": np.int64(3), "c": float("nan"), "d": np.array([1, 2]),
        "e": (np.inf, -1), "f": Path("/x/y"), 7: np.bool_(True),
    }
    data = json.loads(atomic.write_json(tmp_path / "m.json", obj).read_text())
    assert data == {"a": 1.5, "b": 3, "c": None, "d": [1, 2], "e": [None, -1], "f": "/x/y",
                    "7": True}


@pytest.mark.parametrize("name", ["t.tsv", "t.tsv.gz", "t.parquet"])
def test_write_table_roundtrip(tmp_path: Path, name: str) -> None:
    df = pd.DataFrame({"gene": ["a", "b"], "value": [1.25, -3.0], "n": [1, 2]})
    path = atomic.write_table(tmp_path / name, df)
    back = pd.read_parquet(path) if name.endswith("parquet") else pd.read_csv(path, sep="\t")
    pd.testing.assert_frame_equal(back, df)
    assert _leftovers(tmp_path) == []


def test_gzip_tables_are_byte_identical(tmp_path: Path) -> None:
    df = pd.DataFrame({"x": np.arange(100), "y": np.linspace(0, 1, 100)})
    a = atomic.write_table(tmp_path / "a.tsv.gz", df).read_bytes()
    b = atomic.write_table(tmp_path / "b.tsv.gz", df).read_bytes()
    assert a == b  # no time stamp or temporary file name in the gzip header
    assert gzip.decompress(a).decode().startswith("x\ty\n0\t0.0\n")


def _abandoned_temporary(target: Path) -> Path:
    """The temporary file ``atomic_path`` leaves for ``target`` when the process is killed."""
    holder = atomic.atomic_path(target)
    tmp = holder.__enter__()
    tmp.write_text("half")
    kept = tmp.with_name(tmp.name + ".copy")
    tmp.rename(kept)  # hide it from the clean-up, as a SIGKILL would
    error = RuntimeError("killed")
    assert holder.__exit__(RuntimeError, error, None) is False
    kept.rename(tmp)
    return tmp


def test_remove_leftovers_deletes_only_abandoned_temporaries(tmp_path: Path) -> None:
    leftovers = [_abandoned_temporary(tmp_path / "metrics.json"),
                 _abandoned_temporary(tmp_path / ".cache" / "ab" / "entry.pkl")]
    mine = [tmp_path / ".notes.tmp", tmp_path / "data.tmp", tmp_path / ".x.ABCDEFGH.tmp"]
    for path in mine:
        path.write_text("user file")
    assert all(p.exists() for p in leftovers)
    assert atomic.remove_leftovers(tmp_path) == 2
    assert not any(p.exists() for p in leftovers)
    assert all(p.read_text() == "user file" for p in mine)


def test_scratch_files_are_found_as_leftovers(tmp_path: Path) -> None:
    scratch = atomic.scratch_path(tmp_path / "contacts.cool", "raw")
    assert scratch.parent == tmp_path and scratch.is_file()
    assert scratch.name.startswith(".contacts.cool.raw.")
    assert atomic.remove_leftovers(tmp_path) == 1  # what a kill -9 would have left
    assert not scratch.exists()


def test_simulation_killed_while_balancing_leaves_only_removable_files(tmp_path: Path) -> None:
    """A kill -9 after the raw map is written (``os._exit`` in ``_repack``) skips every
    clean-up; what it leaves must be what ``remove_leftovers`` deletes."""
    import subprocess
    import sys

    code = ("import os, sys; import hicexpr.datasets.simulate as s; "
            "s._repack = lambda *a: os._exit(9); "
            "s.simulate_dataset(sys.argv[1], n_genes=40, n_times=12, n_chroms=1, "
            "genome_size=2_000_000)")
    run = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True)
    assert run.returncode == 9, run.stderr.decode()[-500:]
    hidden = [p for p in tmp_path.iterdir() if p.name.startswith(".")]
    assert any(".raw." in p.name for p in hidden)  # the raw map was being balanced
    assert atomic.remove_leftovers(tmp_path) == len(hidden)
    assert not any(p.name.startswith(".") for p in tmp_path.iterdir())


def _killed_writer(target: Path, folder: bool = False) -> Path:
    """What a writer of ``target`` killed with ``kill -9`` leaves: its scratch file (or
    folder), named after a process that no longer runs."""
    import subprocess
    import sys

    make = "(cm := scratch_folder(p)).__enter__()" if folder else "scratch_path(p)"
    code = (f"import os, sys; from pathlib import Path; from hicexpr.lib.atomic import *; "
            f"p = Path(sys.argv[1]); s = {make}; print(s); os._exit(9)")
    run = subprocess.run([sys.executable, "-c", code, str(target)], capture_output=True,
                         text=True)
    assert run.returncode == 9, run.stderr[-500:]
    return Path(run.stdout.strip())


@pytest.mark.parametrize("folder", [False, True])
def test_next_write_removes_a_killed_writers_scratch(tmp_path: Path, folder: bool) -> None:
    target = tmp_path / "map.mcool"
    left = _killed_writer(target, folder)
    assert left.exists() and left.is_dir() == folder
    atomic.write_text(target, "done")
    assert not left.exists() and target.read_text() == "done"


def test_live_or_other_hosts_scratch_is_kept(tmp_path: Path) -> None:
    target = tmp_path / "map.cool"
    live = atomic.scratch_path(target)  # this process runs: another writer at work
    dead = _killed_writer(target)
    pid_and_rest = dead.name.split("~")[1]  # PID.XXXXXXXX.tmp of a process that is gone
    other_host = tmp_path / f".map.cool.elsewhere-{'x' * 40}~{pid_and_rest}"
    other_host.write_text("another machine's writer, on a shared file system")
    other_name = tmp_path / f".other.cool.{dead.name.split('.', 3)[3]}"
    dead.rename(other_name)  # scratch of another target: not this write's business
    dead = _killed_writer(target)
    assert atomic.remove_stale(target) == 1
    assert not dead.exists()
    assert live.exists() and other_host.exists() and other_name.exists()

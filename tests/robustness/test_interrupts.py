"""kill -9 at random moments of ``hicexpr forecast`` loses nothing; same seed, same numbers.

A small simulated data set is forecast three ways: once uninterrupted (the reference), once with
the cache off (determinism: bit-identical tables and metrics), and once killed with SIGKILL at
random moments and re-run until it finishes (resume: no COMPLETE marker or truncated file after a
kill, cache hits in run.log after the re-run, and the same numbers as the reference).
"""

from __future__ import annotations

import json
import os
import pickle
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

from hicexpr.lib.cache import CACHE_DIR
from hicexpr.lib.runs import COMPLETE

HICEXPR = Path(sys.executable).with_name("hicexpr")
MODELS = "persistence,gene_ridge_ar,gru,stepmr"
SEEDS = 2
FINAL_TABLES = ("predictions.tsv", "per_gene_metrics.tsv")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from hicexpr.datasets.simulate import simulate_dataset

    folder = tmp_path_factory.mktemp("sim")
    simulate_dataset(folder, seed=3, n_genes=30, n_times=24, n_chroms=2, genome_size=5_000_000)
    return folder


def _command(data: Path, out: Path) -> list[str]:
    config = data / "forecast.yaml"
    if not config.is_file():  # the HTML report is not part of the numbers compared here
        config.write_text("report: false\n")
    return [str(HICEXPR), "-q", "forecast", "--out", str(out),
            "--expression", str(data / "expression.tsv"), "--contacts",
            str(data / "contacts.cool"), "--genes", str(data / "genes.bed"),
            "--models", MODELS, "--seeds", str(SEEDS), "--config", str(config)]


def _env(data: Path, **extra: str) -> dict[str, str]:
    return {**os.environ, "HICEXPR_QUIET": "1", "HICEXPR_CACHE": str(data / ".map-cache"),
            **extra}


def _run(data: Path, out: Path, **env: str) -> Path:
    proc = subprocess.run(_command(data, out), env=_env(data, **env), capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert (out / COMPLETE).is_file()
    return out


@pytest.fixture(scope="module")
def reference(data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _run(data, tmp_path_factory.mktemp("reference") / "run")


def _summary(run: Path) -> list[dict]:
    metrics = json.loads((run / "metrics.json").read_text())
    return metrics["summary"]


def _assert_same_results(run: Path, reference: Path) -> None:
    """Every metric value and every table cell equal, bit for bit."""
    assert _summary(run) == _summary(reference)
    for name in FINAL_TABLES:
        assert (run / name).read_bytes() == (reference / name).read_bytes(), name


def _cache_entries(out: Path) -> int:
    folder = out / CACHE_DIR
    return len(list(folder.rglob("*.pkl"))) if folder.is_dir() else 0


def _assert_nothing_truncated(out: Path) -> None:
    """No COMPLETE marker; every final-named file parses; every cache entry unpickles."""
    assert not (out / COMPLETE).exists()
    for path in out.rglob("*"):
        if not path.is_file() or path.name.startswith("."):
            continue  # temporary files of atomic writes are never final-named
        if CACHE_DIR in path.relative_to(out).parts:
            with open(path, "rb") as fh:
                pickle.load(fh)
        elif path.suffix == ".json":
            json.loads(path.read_text())
        elif path.suffix == ".yaml":
            yaml.safe_load(path.read_text())
        elif path.suffix == ".tsv":
            text = path.read_text()
            assert text.endswith("\n"), path
            pd.read_csv(path, sep="\t")


def _kill_at_random_moments(data: Path, out: Path, rng: random.Random, kills: int) -> int:
    """Start the run ``kills`` times; SIGKILL each at a random moment. Returns kills done."""
    done = 0
    for attempt in range(kills):
        before = _cache_entries(out)
        proc = subprocess.Popen(_command(data, out), env=_env(data), stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        if attempt == 0:
            time.sleep(rng.uniform(0.2, 2.0))  # anywhere: imports, reading, first fits
        else:  # after this attempt made progress, so that every attempt gets further
            deadline = time.monotonic() + 240
            while _cache_entries(out) <= before and proc.poll() is None:
                assert time.monotonic() < deadline, "no progress"
                time.sleep(0.02)
            time.sleep(rng.uniform(0.0, 0.5))
        if proc.poll() is not None:
            break  # finished before the kill: nothing left to interrupt
        proc.send_signal(signal.SIGKILL)
        assert proc.wait(timeout=30) == -signal.SIGKILL
        done += 1
        _assert_nothing_truncated(out)
    return done


def test_kill_minus_9_then_resume_gives_the_same_metrics(data: Path, reference: Path,
                                                         tmp_path: Path) -> None:
    out = tmp_path / "run"
    kills = _kill_at_random_moments(data, out, random.Random(6), kills=3)
    assert kills >= 2
    assert _cache_entries(out) >= 1
    _run(data, out)
    log = (out / "run.log").read_text()
    assert "cache hit" in log
    assert not list(out.rglob(".*.tmp")), "temporaries of the killed runs left behind"
    _assert_same_results(out, reference)


def test_same_inputs_and_seeds_give_bit_identical_results(data: Path, reference: Path,
                                                          tmp_path: Path) -> None:
    again = _run(data, tmp_path / "run", HICEXPR_NO_CACHE="1")
    assert not (again / CACHE_DIR).exists()
    _assert_same_results(again, reference)
    # the seeds are recorded in the run folder
    assert json.loads((again / "versions.json").read_text())["seeds"] == list(range(SEEDS))
    assert yaml.safe_load((again / "config.yaml").read_text())["seeds"] == SEEDS
    per_gene = pd.read_csv(again / "per_gene_metrics.tsv", sep="\t")
    assert sorted(per_gene["seed"].unique()) == list(range(SEEDS))

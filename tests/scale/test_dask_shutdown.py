"""A `--workers 2` run ends quietly: no killed workers, no closed-stream tracebacks, no worker
INFO lines or progress bars; the tables equal the serial run's and worker errors still surface."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from hicexpr.cli import app
from hicexpr.datasets.simulate import simulate_dataset
from hicexpr.lib.parallel import dask_client, map_chromosomes

#: What a noisy shutdown (or a chatty worker) prints to stderr.
NOISE = ("CommClosedError", "Stream is closed", "still alive", "killing", "Traceback",
         "INFO", "gene-pair contacts")


def _fail_on_chr2(chrom: str) -> int:
    if chrom == "chr2":
        raise ValueError(f"bad chromosome {chrom}")
    return len(chrom)


@pytest.mark.slow  # three processes import hicexpr (~60 s on 2 busy cores)
def test_two_worker_cli_run_ends_without_shutdown_noise(tmp_path) -> None:
    sim = simulate_dataset(tmp_path / "sim", seed=4, n_genes=60, n_times=10, n_chroms=2,
                           genome_size=4_000_000, max_distance=1_000_000)
    base = ["contacts", "features", "--hic", str(sim.cool), "--genes", str(sim.genes)]
    env = {k: v for k, v in os.environ.items() if k != "HICEXPR_QUIET"}
    run = subprocess.run([sys.executable, "-m", "hicexpr.cli", *base, "--out",
                          str(tmp_path / "dask"), "--workers", "2"],
                         capture_output=True, text=True, env=env, timeout=300)
    assert run.returncode == 0, run.stderr
    assert not [word for word in NOISE if word in run.stderr], run.stderr
    serial = CliRunner().invoke(app, ["-q", *base, "--out", str(tmp_path / "serial")])
    assert serial.exit_code == 0, serial.output
    for name in ("pairs.bedpe", "insulation.bedGraph", "tads.bed"):
        assert (tmp_path / "dask" / name).read_bytes() == (tmp_path / "serial" / name).read_bytes()
    assert len((tmp_path / "dask" / "pairs.bedpe").read_text().splitlines()) > 50


@pytest.mark.slow  # a 2-worker local cluster (~10 s)
def test_worker_errors_still_reach_the_caller() -> None:
    with dask_client(workers=2) as client, pytest.raises(ValueError, match="bad chromosome chr2"):
        map_chromosomes(_fail_on_chr2, ["chr1", "chr2", "chr3"], client=client)

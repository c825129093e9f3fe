"""CLI: `contacts features --workers 2` writes the same tables as the serial run;
`simulate --large` writes a genome-layout data set."""

from __future__ import annotations

import cooler
import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from hicexpr.cli import app
from hicexpr.datasets.simulate import simulate_dataset
from hicexpr.lib.errors import InputError

runner = CliRunner()


@pytest.mark.slow
def test_contacts_features_workers_equal_serial(tmp_path) -> None:
    sim = simulate_dataset(tmp_path / "sim", seed=4, n_genes=90, n_times=10, n_chroms=3,
                           genome_size=6_000_000, max_distance=1_000_000)
    base = ["-q", "contacts", "features", "--hic", str(sim.cool), "--genes", str(sim.genes)]
    serial = runner.invoke(app, [*base, "--out", str(tmp_path / "serial")])
    assert serial.exit_code == 0, serial.output
    dask = runner.invoke(app, [*base, "--out", str(tmp_path / "dask"), "--workers", "2"])
    assert dask.exit_code == 0, dask.output
    for name in ("pairs.bedpe", "insulation.bedGraph", "boundaries.bed", "tads.bed"):
        assert (tmp_path / "dask" / name).read_bytes() == (tmp_path / "serial" / name).read_bytes()
    feats = pd.read_csv(tmp_path / "dask" / "gene_features.tsv", sep="\t")
    ref = pd.read_csv(tmp_path / "serial" / "gene_features.tsv", sep="\t")
    # E1 (eigensolver) may differ in the last digits between processes; the rest is identical
    pd.testing.assert_frame_equal(feats.drop(columns="E1"), ref.drop(columns="E1"),
                                  check_exact=True)
    np.testing.assert_allclose(feats["E1"], ref["E1"], rtol=0, atol=1e-12)
    assert feats["in_coverage"].sum() > 80 and feats["is_boundary"].any()
    assert (tmp_path / "dask" / "COMPLETE").exists()
    zero = runner.invoke(app, [*base, "--out", str(tmp_path / "zero"), "--workers", "0"])
    assert "--workers" in str(zero.exception) and not (tmp_path / "zero").exists()


def test_simulate_large_cli(tmp_path) -> None:
    res = runner.invoke(app, ["-q", "simulate", "--large", "--out", str(tmp_path / "big"),
                              "--n-genes", "300", "--n-times", "20", "--n-chroms", "2",
                              "--max-distance", "300000"])
    assert res.exit_code == 0, res.output
    clr = cooler.Cooler(str(tmp_path / "big" / "contacts.cool"))
    assert clr.chromnames == ["chr1", "chr2"] and int(clr.info["nbins"]) == 30_000
    bad = runner.invoke(app, ["simulate", "--large", "--out", str(tmp_path / "x"),
                              "--genome-size", "1000000"])
    assert bad.exit_code != 0 and isinstance(bad.exception, InputError)
    assert str(bad.exception).startswith("simulate --large: options: expected no --config or "
                                          "--genome-size") and not (tmp_path / "x").exists()

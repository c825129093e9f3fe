"""The simulator plants TADs, compartments, distance decay and 3D-coupled expression."""

from __future__ import annotations

import json
from pathlib import Path

import bioframe
import cooler
import cooltools
import numpy as np
import pandas as pd
import pytest

from hicexpr.datasets import simulate as sim
from hicexpr.datasets.simulate import SimulatedPaths, simulate_dataset
from hicexpr.lib.errors import InputError

SMALL = dict(n_chroms=2, genome_size=8_000_000, n_genes=150, n_times=60)


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> tuple[SimulatedPaths, dict]:
    paths = simulate_dataset(tmp_path_factory.mktemp("sim"), seed=3, **SMALL)
    return paths, json.loads(paths.truth.read_text())


def _files(paths: SimulatedPaths) -> list[Path]:
    return [paths.cool, paths.genes, paths.expression, paths.truth]


def test_outputs_follow_formats(simulated: tuple[SimulatedPaths, dict]) -> None:
    paths, truth = simulated
    clr = cooler.Cooler(str(paths.cool))
    assert clr.chromnames == ["chr1", "chr2"]
    assert clr.binsize == 10_000
    assert clr.info["creation-date"] == sim.FIXED_DATE
    assert "weight" in clr.bins().columns
    bed = pd.read_csv(paths.genes, sep="\t", header=None)
    assert bed.shape == (150, 6)
    assert set(bed[5]) == {"+", "-"} and (bed[1] < bed[2]).all()
    assert bed[3].is_unique and (bed[4] == 0).all()
    expr = pd.read_csv(paths.expression, sep="\t")
    assert expr.columns[0] == "gene_id"
    assert [float(c) for c in expr.columns[1:]] == list(range(60))
    assert list(expr["gene_id"]) == list(bed[3])
    assert truth["seed"] == 3 and truth["parameters"]["n_genes"] == 150
    assert truth["balance_converged"] is True
    assert sum(truth["chromsizes"].values()) == 8_000_000


def test_balanced_rows_sum_to_constant(simulated: tuple[SimulatedPaths, dict]) -> None:
    clr = cooler.Cooler(str(simulated[0].cool))
    mat = clr.matrix(balance=True).fetch("chr1")
    near = np.abs(np.subtract.outer(np.arange(len(mat)), np.arange(len(mat)))) < 2
    mat[near] = 0.0  # balance_cooler ignores the first two diagonals
    rows = np.nansum(mat, axis=1)
    good = np.isfinite(clr.bins().fetch("chr1")["weight"].to_numpy())
    assert good.mean() > 0.95
    assert np.allclose(rows[good], rows[good].mean(), rtol=1e-3)


def test_distance_decay_is_power_law(simulated: tuple[SimulatedPaths, dict]) -> None:
    clr = cooler.Cooler(str(simulated[0].cool))
    exp = cooltools.expected_cis(clr, ignore_diags=2, smooth=False)
    curve = exp.groupby("dist")["balanced.avg"].mean()
    d = curve.index.to_numpy()
    fit = (d >= 2) & (d <= 300)
    slope = np.polyfit(np.log(d[fit] + 1), np.log(curve.to_numpy()[fit]), 1)[0]
    # planted alpha = 1, steepened by the in-domain enrichment (flat map: 0; alpha 1.5: ~ -1.8)
    assert -1.5 < slope < -0.9


def test_insulation_minima_at_planted_borders(simulated: tuple[SimulatedPaths, dict]) -> None:
    paths, truth = simulated
    clr = cooler.Cooler(str(paths.cool))
    ins = cooltools.insulation(clr, [100_000], verbose=False)
    found = ins[ins["is_boundary_100000"]]
    tol = 2 * truth["resolution"]
    planted = [(c, b) for c, bs in truth["tad_borders"].items() for b in bs]
    assert len(planted) >= 10
    recall = np.mean([
        np.any(np.abs(found.loc[found["chrom"] == c, "start"].to_numpy() - b) <= tol)
        for c, b in planted
    ])
    precision = np.mean([
        np.any(np.abs(np.array(truth["tad_borders"][r.chrom]) - r.start) <= tol)
        for r in found.itertuples()
    ])
    assert recall >= 0.8 and precision >= 0.8


@pytest.mark.slow  # first eigs_cis call in a process compiles numba code (~10 s)
def test_eigenvector_matches_compartments(simulated: tuple[SimulatedPaths, dict]) -> None:
    paths, truth = simulated
    clr = cooler.Cooler(str(paths.cool))
    bins = clr.bins()[:][["chrom", "start", "end"]]
    genes = bioframe.read_table(str(paths.genes), schema="bed6")
    density = bioframe.count_overlaps(bins, genes).rename(columns={"count": "genes"})
    density["genes"] = density["genes"].astype(float)
    _, eigs = cooltools.eigs_cis(clr, phasing_track=density, n_eigs=2)
    e1 = eigs["E1"].to_numpy()
    planted = np.concatenate([truth["compartments"][c] for c in clr.chromnames])
    ok = np.isfinite(e1)
    assert np.mean(np.sign(e1[ok]) == planted[ok]) > 0.9


def test_more_genes_in_a_compartment(simulated: tuple[SimulatedPaths, dict]) -> None:
    truth = simulated[1]
    comp = np.concatenate(list(truth["compartments"].values()))
    frac_a_bins = np.mean(comp > 0)
    frac_a_genes = truth["genes_in_A"] / truth["parameters"]["n_genes"]
    assert frac_a_genes > frac_a_bins + 0.1


def test_coupling_is_sparse_stable_and_within_domains(
    simulated: tuple[SimulatedPaths, dict],
) -> None:
    paths, truth = simulated
    assert truth["spectral_radius"] < 1.0
    assert truth["max_row_gain"] <= truth["parameters"]["max_gain"] + 1e-9
    bed = pd.read_csv(paths.genes, sep="\t", header=None, names=list("csegxt"))
    tss = np.where(bed["t"] == "+", bed["s"], bed["e"] - 1)
    domain = {}
    for g, c, pos in zip(bed["g"], bed["c"], tss, strict=True):
        domain[g] = (c, int(np.searchsorted(truth["tad_borders"][c], pos, side="right")))
    edges = truth["edges"]
    assert 0 < len(edges) < 0.2 * len(bed) ** 2
    assert all(domain[e["source"]] == domain[e["target"]] for e in edges)


def test_coupled_genes_correlate_more(simulated: tuple[SimulatedPaths, dict]) -> None:
    paths, truth = simulated
    expr = pd.read_csv(paths.expression, sep="\t", index_col=0)
    corr = np.corrcoef(expr.to_numpy())
    idx = {g: i for i, g in enumerate(expr.index)}
    coupled = np.zeros_like(corr, dtype=bool)
    for e in truth["edges"]:
        i, j = idx[e["source"]], idx[e["target"]]
        coupled[i, j] = coupled[j, i] = True
    iu = np.triu_indices(len(corr), 1)
    c_in, c_out = corr[iu][coupled[iu]], corr[iu][~coupled[iu]]
    assert c_in.mean() > c_out.mean() + 0.03
    assert abs(c_out.mean()) < 0.03


def test_same_seed_byte_identical(tmp_path: Path) -> None:
    small = dict(n_chroms=2, genome_size=3_000_000, n_genes=40, n_times=10,
                 tad_size=(100_000, 400_000))
    a = simulate_dataset(tmp_path / "a", seed=11, **small)
    b = simulate_dataset(tmp_path / "b", seed=11, **small)
    c = simulate_dataset(tmp_path / "c", seed=12, **small)
    for fa, fb, fc in zip(_files(a), _files(b), _files(c), strict=True):
        assert fa.read_bytes() == fb.read_bytes(), fa.name
        assert fa.read_bytes() != fc.read_bytes(), fa.name
    assert not [p for p in (tmp_path / "a").iterdir() if p.name.startswith(".")]


def test_chunked_pixels_match_and_max_distance_caps(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    small = dict(n_chroms=2, genome_size=3_000_000, n_genes=30, n_times=8, max_distance=400_000,
                 tad_size=(100_000, 400_000))
    a = simulate_dataset(tmp_path / "a", seed=5, **small)
    monkeypatch.setattr(sim, "_PIXEL_CHUNK", 997)  # many bands and pixel chunks per chromosome
    b = simulate_dataset(tmp_path / "b", seed=5, **small)
    pa = cooler.Cooler(str(a.cool)).pixels()[:]
    pb = cooler.Cooler(str(b.cool)).pixels()[:]
    pd.testing.assert_frame_equal(pa, pb)
    assert (pa["bin2_id"] - pa["bin1_id"]).max() == 40


def test_expected_band_formula() -> None:
    p = sim.SimulationParams(tad_strength=2.0, compartment_strength=0.5, depth=100.0)
    bins = pd.DataFrame({
        "domain": [0, 0, 1, 1], "compartment": [1, 1, -1, 1], "bias": [1.0, 2.0, 1.0, 1.0],
    })
    i, j, lam = sim.expected_band(bins, p, 0, 4)
    got = {(a, b): v for a, b, v in zip(i, j, lam, strict=True)}
    assert len(got) == 10
    assert got[(0, 1)] == pytest.approx(100 * 2**-1 * 2.0 * 2.0 * np.exp(0.5))
    assert got[(1, 2)] == pytest.approx(100 * 2**-1 * 2.0 * 1.0 * np.exp(-0.5))
    assert got[(0, 3)] == pytest.approx(100 * 4**-1 * np.exp(0.5))


@pytest.mark.parametrize(("bad", "message"), [
    (dict(n_genes=0), "simulate: n_genes: expected a positive value, got 0"),
    (dict(resolution=-5), "simulate: resolution: expected a positive value, got -5"),
    (dict(genome_size=500_000), r"simulate: genome_size: expected at least 400000 bp in the "
     r"smallest chromosome \(two domains\), got '500000 bp in all, 120000 bp in the smallest of "
     r"3 chromosomes'"),
    (dict(max_gain=1.2), "simulate: max_gain: expected 0 <= self_coupling < max_gain < 1, "
     "got 1.2"),
    (dict(bogus=1), "simulate: parameters: expected known SimulationParams fields, got .*bogus"),
    # a traceback from numpy / np.concatenate before these were checked
    (dict(seed=-1), "simulate: seed: expected a non-negative integer, got -1"),
    (dict(max_distance=-5), r"simulate: max_distance: expected at least one bin \(10000 bp; "
     r"unset: whole chromosomes\), got -5"),
    (dict(max_distance=0), r"simulate: max_distance: expected at least one bin"),
])
def test_invalid_parameters_raise_input_error(tmp_path: Path, bad: dict, message: str) -> None:
    with pytest.raises(InputError, match=f"^{message}"):
        simulate_dataset(tmp_path / "sim", **bad)
    assert not (tmp_path / "sim").exists()  # checked before anything is written


@pytest.mark.parametrize("bad", [dict(seed=-2), dict(n_chroms=0), dict(max_distance=0)])
def test_simulate_large_checks_before_writing(tmp_path: Path, bad: dict) -> None:
    from hicexpr.workflows.scale import simulate_large

    with pytest.raises(InputError, match=f"^simulate: {next(iter(bad))}: expected"):
        simulate_large(tmp_path / "big", n_genes=40, n_times=5, **bad)
    assert not (tmp_path / "big").exists()


def test_output_folder_that_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "out").write_text("x")
    with pytest.raises(InputError, match=f"^{tmp_path}/out: expected a writable output folder, "
                       "got 'a file'$"):
        simulate_dataset(tmp_path / "out", n_genes=10, n_times=5)


def test_coupling_in_degree_capped_in_dense_domains() -> None:
    p = sim.SimulationParams(edge_prob=0.5, max_in_degree=4.0)
    genes = pd.DataFrame({
        "gene_id": [f"g{k}" for k in range(402)],
        "domain": np.repeat([0, 1], [401, 1]),  # one gene-dense domain, one lone gene
    })
    A, edges = sim.coupling_matrix(genes, p, np.random.default_rng(0))
    in_degree = edges.groupby("target").size().reindex(genes["gene_id"][:401], fill_value=0)
    assert 3.0 < in_degree.mean() < 5.0  # uncapped: 200
    assert "g401" not in set(edges["source"]) | set(edges["target"])
    row_gain = np.asarray(abs(A).sum(axis=1)).ravel()
    assert row_gain.max() <= p.max_gain + 1e-12
    assert np.allclose(A.diagonal(), p.self_coupling)


def test_slow_balancing_of_a_banded_map_is_one_info_line_not_python_warnings(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    import logging
    import warnings

    with warnings.catch_warnings(record=True) as caught, caplog.at_level(logging.INFO):
        warnings.simplefilter("always")
        paths = simulate_dataset(tmp_path, n_chroms=2, genome_size=3_000_000, n_genes=30,
                                 n_times=8, max_distance=300_000)
    assert not [w for w in caught if "converge" in str(w.message).lower()]
    lines = [r for r in caplog.records if "did not converge" in r.getMessage()]
    assert json.loads(paths.truth.read_text())["balance_converged"] is False
    assert len(lines) == 1 and lines[0].levelno == logging.INFO
    assert "chr1, chr2" in lines[0].getMessage()


def test_unexpected_non_convergence_is_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    sim._log_convergence(Path("m.cool"), ["chr2"], banded=False)
    assert [(r.levelname, "on chr2 (" in r.getMessage()) for r in caplog.records] == [
        ("WARNING", True)]

import importlib.util
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from hicexpr.cli import app
from hicexpr.config import SpexConfig
from hicexpr.lib.errors import InputError
from hicexpr.lib.runs import is_complete
from hicexpr.workflows.spex import run_spex

_spec = importlib.util.spec_from_file_location(
    "spex_world", Path(__file__).resolve().parents[1] / "spex" / "world.py")
_world = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_world)
make_world, write_world = _world.make_world, _world.write_world


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("spexworld")
    world = make_world(seed=2)
    paths = write_world(world, folder)
    g = world["genes"]
    # loops from every gene to a locus 60 kb downstream (one per gene)
    off = np.where(g["strand"] == "+", 60_000, -60_000)
    loops = pd.DataFrame({"chr1": g["chrom"], "x1": g["tss"] - 2500, "x2": g["tss"] + 2500,
                          "chr2": g["chrom"], "y1": g["tss"] + off - 2500,
                          "y2": g["tss"] + off + 2500, "color": "0,0,0", "o": 10})
    loops.to_csv(folder / "loops.txt", sep="\t", index=False)
    paths["loops"] = folder / "loops.txt"
    return paths


def test_run_spex_writes_run_folder(files, tmp_path):
    cfg = SpexConfig(samples=["S1"], heads=["ridge"], test_chroms=["chrA"], val_chroms=["chrB"],
                     aggregations=["sides", "activity"], n_boot=100, report=False)
    out = run_spex(files["genes"], files["expression"], tmp_path / "run",
                   tracks=[files["peaks"], files["noise"]], loops=[f"loops={files['loops']}"],
                   config=cfg)
    assert is_complete(out)
    scores = pd.read_csv(out / "scores.tsv", sep="\t").set_index("setting")
    assert scores.loc["local", "spearman"] > 0.8  # promoter peak width sets expression
    assert {"loops:sides", "loops:sides:random", "loops:sides:shuffled",
            "loops:activity"} <= set(scores.index)
    pred = pd.read_csv(out / "predictions.tsv", sep="\t")
    assert list(pred.columns) == ["gene", "chrom", "split", "setting", "model", "observed",
                                  "predicted"]
    assert set(pred["chrom"]) == {"chrA"} and pred["gene"].str.endswith(".1").sum() == 0
    gain = pd.read_csv(out / "per_gene_gain.tsv", sep="\t")
    np.testing.assert_allclose(gain["gain"], gain["abs_error_local"] - gain["abs_error_3d"])
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["task"] == "spex" and metrics["leaky"] is False
    assert metrics["extra"]["genes_with_partners"]["loops"] == 240


def test_cli_spex_many_samples_and_folds(files, tmp_path):
    result = CliRunner().invoke(app, [
        "spex", "--genes", str(files["genes"]), "--expression", str(files["expression"]),
        "--tracks", str(files["peaks"]), "--out", str(tmp_path / "cli"), "--head", "ridge",
        "--sample", "S1", "--sample", "S2", "--folds", "2", "--no-controls"])
    assert result.exit_code == 0, result.output
    scores = pd.read_csv(tmp_path / "cli" / "scores.tsv", sep="\t")
    assert sorted(scores["sample"]) == ["S1", "S2"] and (scores["n_test"] == 240).all()
    pred = pd.read_csv(tmp_path / "cli" / "predictions.tsv", sep="\t")
    assert "sample" in pred.columns and pred["gene"].nunique() == 240


def test_unknown_sample_is_an_input_error(files, tmp_path):
    with pytest.raises(InputError, match="expected a sample column named E999 .*S1"):
        run_spex(files["genes"], files["expression"], tmp_path / "x", tracks=[files["peaks"]],
                 config=SpexConfig(samples=["E999"], heads=["ridge"]))


def test_tracks_missing_the_test_chromosome_are_refused(files, tmp_path, caplog):
    cfg = SpexConfig(samples=["S1"], heads=["ridge"], test_chroms=["chrA"], val_chroms=["chrB"],
                     n_boot=0, controls=False, report=False)
    peaks = pd.read_csv(files["peaks"], sep="\t", header=None)
    without_test = tmp_path / "no_chrA.bed"  # as a chr20-21 peak file on chr8 test genes
    peaks[peaks[0] != "chrA"].to_csv(without_test, sep="\t", header=False, index=False)
    with pytest.raises(InputError, match=r"tracks: test chromosomes \(chrA\): expected "
                       r"intervals on the test chromosomes in at least one track"):
        run_spex(files["genes"], files["expression"], tmp_path / "t", tracks=[without_test],
                 config=cfg)
    training_only = cfg.model_copy(update={"test_chroms": ["chrB"], "val_chroms": ["chrC"]})
    out = run_spex(files["genes"], files["expression"], tmp_path / "w", tracks=[without_test],
                   config=training_only)  # a training chromosome without tracks: logged
    assert is_complete(out)
    assert "genes on chromosomes no track covers (e.g. chrA)" in caplog.text


def test_run_spex_writes_report_before_complete(files, tmp_path):
    cfg = SpexConfig(samples=["S1"], heads=["ridge"], test_chroms=["chrA"], val_chroms=["chrB"],
                     n_boot=50)
    out = run_spex(files["genes"], files["expression"], tmp_path / "rep",
                   tracks=[files["peaks"]], loops=[f"loops={files['loops']}"], config=cfg)
    html = out / "report.html"
    assert is_complete(out) and html.is_file()
    assert html.stat().st_mtime <= (out / "COMPLETE").stat().st_mtime
    text = html.read_text()
    assert "loops:sides" in text and "<html" in text.lower()


def test_cli_spex_no_report_and_config_errors(files, tmp_path):
    args = ["spex", "--genes", str(files["genes"]), "--expression", str(files["expression"]),
            "--sample", "S1", "--head", "ridge", "--no-controls"]
    result = CliRunner().invoke(app, [*args, "--tracks", str(files["peaks"]), "--no-report",
                                      "--folds", "2", "--out", str(tmp_path / "norep")])
    assert result.exit_code == 0, result.output
    assert is_complete(tmp_path / "norep") and not (tmp_path / "norep" / "report.html").exists()
    with pytest.raises(InputError, match="FASTA"):
        run_spex(files["genes"], files["expression"], tmp_path / "x",
                 config=SpexConfig(samples=["S1"], beluga_weights=str(tmp_path / "w.pth")))
    with pytest.raises(InputError, match="not both"):
        run_spex(files["genes"], files["expression"], tmp_path / "y", tracks=[files["peaks"]],
                 config=SpexConfig(samples=["S1"], beluga_weights="w.pth", fasta="g.fa"))
    for field, bad in (("step", 0), ("n_boot", -1), ("rates", [0.1, -0.2]), ("width", 0)):
        cfg = SpexConfig(samples=["S1"]).model_copy(update={field: bad})
        with pytest.raises(InputError, match=rf"config: {field}: expected .* >= .*, got"):
            run_spex(files["genes"], files["expression"], tmp_path / field, config=cfg)
        assert not (tmp_path / field).exists()  # refused before any work


def test_cli_spex_with_beluga_random_weights(files, tmp_path):
    """``--beluga-weights`` + ``--fasta`` replace ``--tracks`` (random weights, small genome)."""
    torch = pytest.importorskip("torch")
    from hicexpr.spex.beluga import Beluga

    rng = np.random.default_rng(3)
    genes = pd.read_csv(files["genes"], sep="\t", header=None)
    keep = genes.groupby(0).head(6)  # 6 genes per chromosome: 24 genes x 200 windows
    keep.to_csv(tmp_path / "genes.bed", sep="\t", header=False, index=False)
    fasta = tmp_path / "genome.fa"
    with fasta.open("w") as fh:
        for chrom, n in (keep.groupby(0)[2].max() + 300_000).items():  # genes + their partners
            seq = np.frombuffer(b"ACGT", "S1")[rng.integers(0, 4, n)].tobytes().decode()
            fh.write(f">{chrom}\n" + "\n".join(seq[i:i + 80] for i in range(0, len(seq), 80))
                     + "\n")
    torch.manual_seed(0)
    weights = tmp_path / "beluga.pth"
    torch.save(Beluga(channels=(4, 4, 4), hidden=8, n_outputs=3).state_dict(), weights)
    out = tmp_path / "bel"
    result = CliRunner().invoke(app, [
        "spex", "--genes", str(tmp_path / "genes.bed"), "--expression", str(files["expression"]),
        "--sample", "S1", "--head", "ridge", "--beluga-weights", str(weights), "--fasta",
        str(fasta), "--no-rc-average", "--batch-size", "500", "--device", "cpu",
        "--cache-dir", str(tmp_path / "cache"), "--loops", f"loops={files['loops']}",
        "--folds", "2", "--no-report", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert is_complete(out)
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["extra"]["n_profiles"] == 3 and metrics["n_genes"] == 24
    assert metrics["extra"]["values"] == "ln(expression + 0.0001)"  # the target, for the axes
    scores = pd.read_csv(out / "scores.tsv", sep="\t").set_index("setting")
    assert {"local", "loops:sides", "loops:sides:random"} <= set(scores.index)
    assert np.isfinite(scores.loc["local", "rmse"])
    assert len(list((tmp_path / "cache").glob("beluga_*_chr*.npz"))) == 4  # one per chromosome


def test_test_chromosome_expression_never_reaches_its_predictions(files, tmp_path):
    """Scramble the expression of the held-out chromosome's genes: every prediction for them
    (each setting, model and control) stays the same; only ``observed`` changes."""
    genes = pd.read_csv(files["genes"], sep="\t", header=None)
    on_test = set(genes.loc[genes[0] == "chrA", 6].str.split(".").str[0])
    expr = pd.read_csv(files["expression"], sep="\t")
    held_out = expr["gene_id"].isin(on_test).to_numpy()
    expr.loc[held_out, "S1"] = np.random.default_rng(0).permutation(
        expr.loc[held_out, "S1"].to_numpy()) * 7.0
    scrambled = tmp_path / "scrambled.tsv"
    expr.to_csv(scrambled, sep="\t", index=False)
    cfg = SpexConfig(samples=["S1"], heads=["ridge", "gblinear"], test_chroms=["chrA"],
                     val_chroms=["chrB"], n_boot=0, report=False)
    kw = {"tracks": [files["peaks"], files["noise"]], "loops": [f"loops={files['loops']}"],
          "config": cfg}
    a = pd.read_csv(run_spex(files["genes"], files["expression"], tmp_path / "a", **kw)
                    / "predictions.tsv", sep="\t")
    b = pd.read_csv(run_spex(files["genes"], scrambled, tmp_path / "b", **kw)
                    / "predictions.tsv", sep="\t")
    assert held_out.sum() > 20 and len(a) == len(b) and a["setting"].nunique() >= 3
    # gblinear's parallel coordinate descent in float32 differs run to run by ~1e-6
    np.testing.assert_allclose(b["predicted"], a["predicted"], rtol=0, atol=1e-5)
    assert not np.allclose(b["observed"], a["observed"])


def _strip_chr(src: Path, dst: Path) -> Path:
    dst.write_text("".join(line.removeprefix("chr") for line in src.open()))
    return dst


def test_chromosome_names_without_chr_match_tracks_loops_and_config(files, tmp_path):
    cfg = SpexConfig(samples=["S1"], heads=["ridge"], test_chroms=["chrA"], val_chroms=["chrB"],
                     n_boot=0, controls=False, report=False)
    args = {"tracks": [files["peaks"]], "loops": [f"loops={files['loops']}"]}
    ref = run_spex(files["genes"], files["expression"], tmp_path / "ref", config=cfg, **args)
    genes = _strip_chr(files["genes"], tmp_path / "genes_nochr.bed")  # A, B, ... not chrA
    bare = cfg.model_copy(update={"test_chroms": ["A"], "val_chroms": ["B"]})
    out = run_spex(genes, files["expression"], tmp_path / "bare", config=bare, **args)
    want = pd.read_csv(ref / "scores.tsv", sep="\t").drop(columns="fit_s")
    got = pd.read_csv(out / "scores.tsv", sep="\t").drop(columns="fit_s")
    pd.testing.assert_frame_equal(got, want)
    assert (got["setting"] == "loops:sides").any()


def test_sources_that_match_no_gene_are_refused(files, tmp_path):
    cfg = SpexConfig(samples=["S1"], heads=["ridge"], test_chroms=["chrA"], val_chroms=["chrB"],
                     n_boot=0, controls=False, report=False)
    elsewhere = tmp_path / "other.narrowPeak"
    elsewhere.write_text("chrZ9\t100\t200\t.\t0\t.\t5\t-1\t-1\t-1\n")
    with pytest.raises(InputError, match="intervals on the genes' chromosomes .*chrZ9"):
        run_spex(files["genes"], files["expression"], tmp_path / "t", tracks=[elsewhere],
                 config=cfg)
    far = tmp_path / "far_loops.txt"
    pd.read_csv(files["loops"], sep="\t").assign(chr1="chrZ9", chr2="chrZ9").to_csv(
        far, sep="\t", index=False)
    with pytest.raises(InputError, match="no partner for any gene"):
        run_spex(files["genes"], files["expression"], tmp_path / "l", tracks=[files["peaks"]],
                 loops=[f"loops={far}"], config=cfg)
    import cooler

    bins = cooler.binnify(pd.Series({"chrZ9": 100_000}), 10_000)
    pixels = pd.DataFrame({"bin1_id": [0], "bin2_id": [5], "count": [3]})
    cooler.create_cooler(str(tmp_path / "other.cool"), bins, pixels)
    with pytest.raises(InputError, match="other.cool: expected contacts of the genes' TSS bins"):
        run_spex(files["genes"], files["expression"], tmp_path / "c", tracks=[files["peaks"]],
                 contacts=[f"hic={tmp_path / 'other.cool'}"], config=cfg)


@pytest.mark.parametrize(("update", "message"), [
    ({"heads": []}, "config: heads: expected at least one entry"),
    ({"rates": []}, "config: rates: expected at least one entry"),
    ({"samples": []}, "config: samples: expected at least one entry"),
    ({"control_heads": ["gbtree"]}, r"config: control_heads: expected heads among heads \(ridge"),
])
def test_empty_lists_and_unfitted_control_heads_are_refused(files, tmp_path, update, message):
    cfg = SpexConfig(samples=["S1"], heads=["ridge"]).model_copy(update=update)
    with pytest.raises(InputError, match=message):
        run_spex(files["genes"], files["expression"], tmp_path / "x", tracks=[files["peaks"]],
                 config=cfg)
    assert not (tmp_path / "x").exists()


def test_mcool_without_resolution_fails_before_the_tracks_are_read(files, tmp_path, monkeypatch):
    import cooler

    from hicexpr.spex import profiles

    pixels = pd.DataFrame({"bin1_id": [0], "bin2_id": [5], "count": [3]})
    for res in (100_000, 200_000):
        cooler.create_cooler(f"{tmp_path / 'map.mcool'}::resolutions/{res}",
                             cooler.binnify(pd.Series({"chrA": 3_000_000}), res), pixels,
                             mode="a")

    def no_tracks(*args, **kwargs):
        raise AssertionError("tracks read before the contact map was checked")

    monkeypatch.setattr(profiles, "from_tracks", no_tracks)
    cfg = SpexConfig(samples=["S1"], heads=["ridge"], test_chroms=["chrA"], val_chroms=["chrB"],
                     report=False)
    with pytest.raises(InputError, match=r"map.mcool: resolution: expected --resolution N"):
        run_spex(files["genes"], files["expression"], tmp_path / "run", tracks=[files["peaks"]],
                 contacts=[f"hic={tmp_path / 'map.mcool'}"], config=cfg)

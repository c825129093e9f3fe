"""The HTML report: built from small run folders written here following docs/run_folder.md."""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import cooler
import html5lib
import numpy as np
import pandas as pd
import pytest
import yaml

from hicexpr.report import load_run, write_report
from hicexpr.report.html import metrics_table

GOOD = [f"G{i:02d}" for i in range(16)]  # predictable genes (compartment A, near boundaries)


def _genes(n: int) -> list[str]:
    return [f"G{i:02d}" for i in range(n)]


def make_cooler(path: Path, chrom: str = "chr1", n_bins: int = 50, binsize: int = 10_000) -> str:
    """A small balanced cooler: distance decay plus two TAD blocks."""
    bins = pd.DataFrame({"chrom": chrom, "start": np.arange(n_bins) * binsize,
                         "end": (np.arange(n_bins) + 1) * binsize})
    i, j = np.triu_indices(n_bins)
    counts = 100.0 / (1 + j - i) * np.where((i < 25) == (j < 25), 3.0, 1.0)
    pixels = pd.DataFrame({"bin1_id": i, "bin2_id": j, "count": np.round(counts).astype(int)})
    uri = str(path)
    cooler.create_cooler(uri, bins, pixels)
    clr = cooler.Cooler(uri)
    cooler.balance_cooler(clr, store=True)
    return uri


def make_forecast_run(root: Path, n_genes: int = 40, seed: int = 0) -> Path:
    """A finished forecast run folder: 2 models x 2 seeds, 20 time points, extra gene files."""
    rng = np.random.default_rng(seed)
    run = root / "forecast_run"
    (run / "plots").mkdir(parents=True)
    genes, times = _genes(n_genes), np.arange(20, dtype=float)
    split = np.where(times < 14, "train", np.where(times < 17, "val", "test"))
    rows = []
    for g_idx, gene in enumerate(genes):
        signal = np.sin(times / 3 + g_idx)
        noise_sd = 0.1 if gene in GOOD else 1.5
        for model, sd in (("persistence", 0.8), ("stgcn", noise_sd)):
            for s in (0, 1):
                pred = signal + rng.normal(0, sd, len(times))
                rows += [(gene, t, sp, 1, model, s, o, p)
                         for t, sp, o, p in zip(times, split, signal, pred, strict=True)]
    pred = pd.DataFrame(rows, columns=["gene", "time", "split", "horizon", "model", "seed",
                                       "observed", "predicted"])
    pred.to_csv(run / "predictions.tsv", sep="\t", index=False)
    test = pred[pred["split"] != "train"]
    pgm = (test.groupby(["gene", "model", "seed"])
           .apply(lambda d: pd.Series({"pearson": np.corrcoef(d.observed, d.predicted)[0, 1],
                                       "rmse": float(np.sqrt(np.mean((d.observed - d.predicted)
                                                                     ** 2)))}),
                  include_groups=False).reset_index())
    pgm.to_csv(run / "per_gene_metrics.tsv", sep="\t", index=False)
    summary = [{"model": m, "metric": "gene_pearson_mean", "mean": float(d.groupby("seed")
               ["pearson"].mean().mean()), "sd": float(d.groupby("seed")["pearson"].mean().std()),
                "n": 2} for m, d in pgm.groupby("model")]
    metrics = {"task": "forecast", "dataset": "synthetic", "protocol": "chronological",
               "leaky": False, "n_genes": n_genes, "seeds": [0, 1], "summary": summary,
               "extra": {"baselines": ["persistence"]}}
    (run / "metrics.json").write_text(json.dumps(metrics))
    clr_uri = make_cooler(root / "toy.cool")
    (run / "config.yaml").write_text(yaml.safe_dump({"dataset": "synthetic", "contacts": clr_uri,
                                                     "seeds": [0, 1]}))
    (run / "versions.json").write_text(json.dumps({"hicexpr": "0.1.0", "numpy": np.__version__}))
    tss = 5_000 + 10_000 * np.arange(n_genes)
    pd.DataFrame({"chrom": "chr1", "start": tss, "end": tss + 2_000, "gene_id": genes,
                  "symbol": [f"SYM{g}" for g in genes], "strand": "+", "tss": tss}
                 ).to_csv(run / "genes.tsv", sep="\t", index=False)
    good = np.isin(genes, GOOD)
    pd.DataFrame({"gene_id": genes, "chrom": "chr1", "tss": tss,
                  "insulation": rng.normal(size=n_genes),
                  "boundary_distance": np.where(good, 5_000, 200_000) + rng.integers(0, 5_000,
                                                                                      n_genes),
                  "compartment": np.where(good, "A", "B"), "E1": np.where(good, 0.5, -0.5),
                  "tad_id": 1}).to_csv(run / "gene_features.tsv", sep="\t", index=False)
    edges = [(genes[0], g, 1.0 + k) for k, g in enumerate(genes[1:8])]
    edges += [(genes[a], genes[a + 1], 0.5) for a in range(8, n_genes - 1)]
    pd.DataFrame(edges, columns=["gene1", "gene2", "weight"]).to_csv(
        run / "graph_edges.tsv", sep="\t", index=False)
    bins = cooler.Cooler(clr_uri).bins()[:]
    pd.DataFrame({"chrom": bins["chrom"], "start": bins["start"], "end": bins["end"],
                  "log2_insulation_score_30000": np.cos(np.arange(len(bins)) / 4),
                  "is_boundary_30000": np.arange(len(bins)) == 25}).to_csv(
        run / "insulation.tsv", sep="\t", index=False)
    (run / "COMPLETE").write_text("2026-01-01T00:00:00+00:00\n")
    return run


def make_spex_run(root: Path, n_genes: int = 60, seed: int = 1) -> Path:
    """A finished SpEx run folder: 3 chromosomes, local vs 3D model."""
    rng = np.random.default_rng(seed)
    run = root / "spex_run"
    (run / "plots").mkdir(parents=True)
    genes = _genes(n_genes)
    chroms = np.array(["chr1", "chr2", "chr10"])[np.arange(n_genes) % 3]
    observed = rng.normal(5, 2, n_genes)
    rows = []
    for model, sd in (("local", 1.5), ("3d", 0.7)):
        pred = observed + rng.normal(0, sd, n_genes)
        rows += [(g, c, "test", "cross_chrom", model, o, p)
                 for g, c, o, p in zip(genes, chroms, observed, pred, strict=True)]
    pred = pd.DataFrame(rows, columns=["gene", "chrom", "split", "setting", "model", "observed",
                                       "predicted"])
    pred.to_csv(run / "predictions.tsv", sep="\t", index=False)
    wide = pred.pivot(index="gene", columns="model", values="predicted")
    err_local = (wide["local"] - observed).abs().to_numpy()
    err_3d = (wide["3d"] - observed).abs().to_numpy()
    pd.DataFrame({"gene": genes, "chrom": chroms, "setting": "cross_chrom",
                  "abs_error_local": err_local, "abs_error_3d": err_3d,
                  "gain": err_local - err_3d}).to_csv(run / "per_gene_gain.tsv", sep="\t",
                                                      index=False)
    pd.DataFrame({"model": ["local", "3d"], "setting": "cross_chrom", "n_test": n_genes,
                  "val_spearman": [0.6, 0.8]}).to_csv(run / "scores.tsv", sep="\t", index=False)
    metrics = {"task": "spex", "dataset": "synthetic", "protocol": "chromosome-holdout",
               "leaky": True, "n_genes": n_genes, "seeds": [0],
               "summary": [{"model": "3d", "metric": "pearson", "mean": 0.9, "sd": 0.0, "n": 1}],
               "extra": {}}
    (run / "metrics.json").write_text(json.dumps(metrics))
    return run


FORECAST_FIGURES = {"predicted_vs_observed", "trajectories_top", "trajectories_bottom",
                    "metric_boxplots", "gene_graph", "contact_region", "predictability",
                    "enrichment_1", "enrichment_2"}
PLANTED_SETS = {"planted": GOOD, "late": [f"G{i:02d}" for i in range(20, 40)]}


@pytest.fixture(scope="module")
def forecast_report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    run = make_forecast_run(tmp_path_factory.mktemp("report"))
    path = write_report(run, gene_sets=PLANTED_SETS, permutation_num=50, seed=1)
    return path, path.read_text(encoding="utf-8")


def parse_strict(text: str) -> None:
    """html5lib in strict mode raises on any HTML5 parse error."""
    html5lib.HTMLParser(strict=True, namespaceHTMLElements=False).parse(text)


def embedded_pngs(text: str) -> list[bytes]:
    return [base64.b64decode(m) for m in re.findall(r'src="data:image/png;base64,([^"]+)"', text)]


@pytest.mark.slow
def test_forecast_report_is_valid_html_and_embeds_every_figure(
        forecast_report: tuple[Path, str]) -> None:
    path, text = forecast_report
    assert path.name == "report.html"
    parse_strict(text)
    plots = path.parent / "plots"
    assert {p.stem for p in plots.glob("*.png")} == FORECAST_FIGURES
    assert {p.stem for p in plots.glob("*.svg")} == FORECAST_FIGURES
    embedded = embedded_pngs(text)
    assert len(embedded) == len(FORECAST_FIGURES)
    assert sorted(embedded) == sorted(p.read_bytes() for p in plots.glob("*.png"))
    assert "http://" not in text and "https://" not in text  # works offline, no CDN
    for section in ("config", "metrics", "plots", "predictability", "enrichment", "versions"):
        assert f'<h2 id="{section}">' in text


@pytest.mark.slow
def test_forecast_report_metrics_predictability_enrichment(
        forecast_report: tuple[Path, str]) -> None:
    _, text = forecast_report
    assert "Leaky protocol" not in text
    assert "Protocol: <b>chronological</b>; leaky: <b>False</b>" in text
    assert re.search(r'<tr class="baseline"><td>persistence</td><td>baseline</td>', text)
    # the best model is the one whose genes were made predictable, and the score says so
    assert "per-gene Pearson correlation of the best model (stgcn), mean over seeds" in text
    row = re.search(r"<td>compartment</td><td>Mann-Whitney U \(two-sided\), A vs B</td>"
                    r"<td class=\"num\">40</td>.*?<td class=\"num\">([0-9.e-]+)</td></tr>", text)
    assert row is not None and float(row.group(1)) < 1e-3  # A genes were planted predictable
    assert "Spearman rank correlation" in text
    ora = text.split("Over-representation among the top genes")[1]
    first_row = re.search(r"<tbody>\n<tr><td>(\w+)</td>", ora)
    assert first_row is not None and first_row.group(1) == "planted"
    assert "background = all 40 analysed genes" in text
    assert "GSEA pre-ranked" in text and "50 gene-set permutations, seed 1" in text


def test_spex_report_leaky_banner_and_figures(tmp_path: Path) -> None:
    run = make_spex_run(tmp_path)
    path = write_report(run)
    text = path.read_text(encoding="utf-8")
    parse_strict(text)
    assert "Leaky protocol" in text and "chromosome-holdout" in text
    stems = {p.stem for p in (run / "plots").glob("*.png")}
    assert stems == {"predicted_vs_observed", "spex_chromosomes", "spex_gain"}
    assert len(embedded_pngs(text)) == 3
    assert "per-gene gain from 3D features" in text
    assert "3D helps), setting cross_chrom" in text  # the score names the setting it reads
    assert "Hexbin per split of 3d, the model with the highest validation" in text
    assert "enrichment not run: organism unknown" in text
    assert "no gene properties available" in text


def test_minimal_run_folder_and_bad_metrics(tmp_path: Path) -> None:
    run = tmp_path / "bare"
    run.mkdir()
    (run / "metrics.json").write_text(json.dumps({"task": "forecast", "summary": []}))
    (run / "plots").mkdir()
    write_report(run)  # needs only what exists; writes plots/ nothing
    text = (run / "report.html").read_text(encoding="utf-8")
    parse_strict(text)
    assert "No config.yaml in the run folder" in text and "not marked COMPLETE" in text
    (run / "metrics.json").write_text('{"task": "forecast",\n "summary": [}')
    from hicexpr.lib.errors import InputError

    with pytest.raises(InputError, match=r"metrics.json: line 2: expected valid JSON"):
        write_report(run)
    empty = tmp_path / "not_a_run"
    empty.mkdir()
    with pytest.raises(InputError, match="no config.yaml, metrics.json or result table"):
        write_report(empty)
    assert not (empty / "report.html").exists()


def test_metrics_table_pivot(tmp_path: Path) -> None:
    run = tmp_path / "m"
    run.mkdir()
    summary = [{"model": "gnn", "metric": "rmse", "mean": 0.5, "sd": 0.1, "n": 3},
               {"model": "gnn", "metric": "pearson", "mean": 0.8, "sd": 0.05, "n": 3},
               {"model": "mean", "metric": "pearson", "mean": 0.1, "sd": 0.0, "n": 3}]
    (run / "metrics.json").write_text(json.dumps({"summary": summary,
                                                  "extra": {"baselines": ["mean"]}}))
    table = metrics_table(load_run(run))
    assert list(table.columns) == ["model", "role", "rmse", "pearson"]
    assert table.set_index("model").loc["gnn", "pearson"] == "0.8 ± 0.05 (n=3)"
    assert table.set_index("model").loc["mean", "role"] == "baseline"
    assert table.set_index("model").loc["mean", "rmse"] == ""


def test_cli_report(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from hicexpr.cli import app

    run = make_spex_run(tmp_path)
    result = CliRunner().invoke(app, ["--quiet", "report", str(run), "--out",
                                      str(tmp_path / "r.html")])
    assert result.exit_code == 0, result.output
    assert result.output.strip().endswith("r.html")
    assert (tmp_path / "r.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.mark.slow
@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="chromium not installed")
def test_report_renders_in_headless_chromium(tmp_path: Path) -> None:
    from PIL import Image

    path = write_report(make_spex_run(tmp_path))
    shot = tmp_path / "shot.png"
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
                        "--disable-background-networking", "--disable-component-update",
                        "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
                        "--window-size=1200,2000", f"--screenshot={shot}",
                        path.resolve().as_uri()], check=True, capture_output=True, timeout=120)
    image = np.asarray(Image.open(shot).convert("RGB"))
    assert image.shape[:2] == (2000, 1200)
    # the page shows figures, not a blank or error page: many distinct colours, mostly white
    colours = np.unique(image.reshape(-1, 3), axis=0)
    assert len(colours) > 500
    assert (image.mean(axis=2) > 240).mean() > 0.3


def test_run_folder_gene_sets_gmt_is_used(tmp_path: Path) -> None:
    run = make_spex_run(tmp_path)
    gain = pd.read_csv(run / "per_gene_gain.tsv", sep="\t").sort_values("gain", ascending=False)
    top = list(gain["gene"][:20])
    (run / "gene_sets.gmt").write_text("TOP\tbest genes\t" + "\t".join(top) + "\n"
                                       "REST\tothers\t" + "\t".join(gain["gene"][20:]) + "\n")
    text = write_report(run, permutation_num=20).read_text(encoding="utf-8")
    assert "gene_sets (2 sets, as in the GMT" in text
    ora = text.split("Over-representation among the top genes")[1]
    first = re.search(r"<tbody>\n<tr><td>([^<]+)</td><td>(\d+)/(\d+)</td>", ora)
    assert first is not None and first.group(1) == "TOP best genes"
    assert first.groups()[1:] == ("12", "20")  # top 20% of 60 genes = 12, all in TOP


def test_spex_figures_show_the_model_best_on_validation() -> None:
    from hicexpr.report.sections import best_prediction_model

    pred = pd.DataFrame({"model": ["a"] * 4 + ["b"] * 4, "split": "test",
                         "observed": [1.0, 2, 3, 4] * 2, "predicted": [4.0, 1, 3, 2, 1, 2, 3, 5]})
    scores = pd.DataFrame({"model": ["a", "a", "b", "c"], "setting": ["local", "x", "local", "l"],
                           "val_spearman": [0.7, 0.5, 0.55, 0.99]})  # 'c' has no predictions
    assert best_prediction_model(pred, scores)[0] == "a"  # mean 0.6 > 0.55, though b fits test
    assert best_prediction_model(pred)[0] == "a"  # no scores: the first model, not a test pick
    nan = scores.assign(val_spearman=np.nan)  # no validation genes: no choice on test either
    assert best_prediction_model(pred.iloc[::-1], nan)[0] == "b"


def test_spex_figure_model_is_chosen_on_validation_not_on_the_test_genes(tmp_path: Path
                                                                         ) -> None:
    """The model shown in the SpEx figures is the one with the best validation-chromosome
    Spearman (scores.tsv), not the one that scores best on the test genes: scrambling the
    test genes' observed expression never changes it."""
    run = make_spex_run(tmp_path)  # '3d' predicts the test genes better than 'local'
    pd.DataFrame({"model": ["local", "3d"], "setting": "cross_chrom", "n_test": 60,
                  "spearman": [0.5, 0.9], "val_spearman": [0.8, 0.6]}).to_csv(
        run / "scores.tsv", sep="\t", index=False)
    assert "Hexbin per split of local," in write_report(run).read_text(encoding="utf-8")
    pred = pd.read_csv(run / "predictions.tsv", sep="\t")
    for model in ("local", "3d"):  # make either model the best on the (scrambled) test genes
        mine = pred[pred["model"] == model].set_index("gene")["predicted"]
        pred["observed"] = pred["gene"].map(mine).to_numpy()  # a perfect fit on the test genes
        pred.to_csv(run / "predictions.tsv", sep="\t", index=False)
        text = write_report(run).read_text(encoding="utf-8")
        assert "Hexbin per split of local," in text


def test_all_nan_per_gene_scores_are_reported_not_fatal(tmp_path: Path) -> None:
    run = tmp_path / "nan"
    run.mkdir()
    pd.DataFrame({"gene": ["a", "b"], "model": "m", "seed": 0, "pearson": [np.nan, np.nan]}
                 ).to_csv(run / "per_gene_metrics.tsv", sep="\t", index=False)
    (run / "metrics.json").write_text(json.dumps({"task": "forecast"}))
    text = write_report(run).read_text(encoding="utf-8")
    parse_strict(text)
    assert ("no per-gene score: per_gene_metrics: column &#x27;pearson&#x27;: expected "
            "finite") in text


def test_forecast_baselines_default_to_the_registry(tmp_path: Path) -> None:
    run = tmp_path / "b"
    run.mkdir()
    summary = [{"model": m, "metric": "gene_pearson_mean", "mean": 0.5, "sd": 0.1, "n": 2}
               for m in ("persistence", "stepmr")]
    (run / "metrics.json").write_text(json.dumps({"task": "forecast", "summary": summary}))
    roles = metrics_table(load_run(run)).set_index("model")["role"].to_dict()
    assert roles == {"persistence": "baseline", "stepmr": "model"}


def test_forecast_summary_names_best_model_baselines_and_graph_verdict(tmp_path: Path) -> None:
    from hicexpr.report.html import summary_lines

    run = tmp_path / "s"
    run.mkdir()
    summary = [{"model": m, "metric": "skill", "mean": v, "sd": 0.0, "n": 2}
               for m, v in (("persistence", 0.0), ("pooled_ridge_ar", 0.4), ("graph_ar", 0.45),
                            ("stepmr", 0.3))]
    (run / "metrics.json").write_text(json.dumps({
        "task": "forecast", "summary": summary,
        "extra": {"baselines": ["persistence", "pooled_ridge_ar"]}}))
    pd.DataFrame({"model": ["graph_ar", "graph_ar", "stepmr"],
                  "baseline": ["persistence", "pooled_ridge_ar", "pooled_ridge_ar"],
                  "horizon": 1, "delta_skill": [0.45, 0.05, -0.1], "ci_low": [0.4, 0.01, -0.2],
                  "ci_high": [0.5, 0.09, 0.0], "verdict": ["ahead", "ahead", "behind"]},
                 ).to_csv(run / "comparisons.tsv", sep="\t", index=False)
    coexpr = pd.DataFrame({"measure": ["contact", "in_graph"], "n_pairs": [10, 10],
                           "spearman": [0.1, 0.2], "spearman_same_distance": [0.1, 0.2],
                           "p_value": [0.5, 0.01], "coexpr_high": [0.3, 0.4],
                           "coexpr_low": [0.2, 0.2]})
    coexpr.to_csv(run / "contact_coexpression.tsv", sep="\t", index=False)
    lines = summary_lines(load_run(run))
    assert lines[0] == "Best model by skill vs persistence (mean over seeds): graph_ar (0.450)."
    assert lines[1] == "graph_ar vs pooled_ridge_ar: +0.050 [+0.010, +0.090] (ahead)."
    assert "simultaneous changes rho +0.200 (p = 0.01): the edges join genes" in lines[2]
    coexpr.loc[1, "p_value"] = 0.3
    lagged = coexpr.assign(lag=1, p_value=[0.5, 0.04])
    pd.concat([coexpr.assign(lag=0), lagged]).to_csv(run / "contact_coexpression.tsv",
                                                     sep="\t", index=False)
    line = summary_lines(load_run(run))[2]
    assert "(p = 0.30); changes 1 step(s) apart rho +0.200 (p = 0.04): the edges join" in line
    lagged.loc[1, "p_value"] = 0.2
    pd.concat([coexpr.assign(lag=0), lagged]).to_csv(run / "contact_coexpression.tsv",
                                                     sep="\t", index=False)
    assert "do not join genes" in summary_lines(load_run(run))[2]
    text = write_report(run).read_text(encoding="utf-8")
    parse_strict(text)
    assert "<li>graph_ar vs pooled_ridge_ar: +0.050 [+0.010, +0.090] (ahead).</li>" in text


def test_scores_sharing_no_gene_with_the_gene_features_are_noted_not_fatal(
        tmp_path: Path) -> None:
    run = tmp_path / "ids"
    run.mkdir()
    pd.DataFrame({"gene": ["a", "b", "c"], "model": "m", "seed": 0, "pearson": [0.1, 0.5, 0.9]}
                 ).to_csv(run / "per_gene_metrics.tsv", sep="\t", index=False)
    pd.DataFrame({"gene_id": ["ENSG1", "ENSG2", "ENSG3"], "E1": [0.1, -0.2, 0.3]}
                 ).to_csv(run / "gene_features.tsv", sep="\t", index=False)
    (run / "metrics.json").write_text(json.dumps({"task": "forecast"}))
    text = write_report(run).read_text(encoding="utf-8")
    parse_strict(text)
    assert "share no gene id with the gene properties: predictability not tested" in text


def test_spex_score_names_its_setting_models_and_samples() -> None:
    from hicexpr.report.sections import _gain_scope

    gain = pd.DataFrame({"setting": ["b", "a", "a"], "model": ["ridge", "ridge", "xgb"],
                         "sample": ["E116", "E116", "E116"], "gain": [0.1, 0.2, 0.3]})
    assert _gain_scope(gain) == ", setting a; mean over models ridge, xgb; sample E116"
    assert _gain_scope(gain[["gain"]]) == ""


def test_spex_figures_name_the_target_recorded_by_the_run(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    import hicexpr.report.sections as sections
    from hicexpr.plots import plot_spex_chromosome_scatter

    run = make_spex_run(tmp_path)
    metrics = json.loads((run / "metrics.json").read_text())
    metrics["extra"]["values"] = "ln(expression + 0.0001)"
    (run / "metrics.json").write_text(json.dumps(metrics))
    seen: list[str | None] = []

    def scatter(pred: pd.DataFrame, model: str | None = None, **kw: object) -> object:
        seen.append(kw.get("values"))  # type: ignore[arg-type]
        return plot_spex_chromosome_scatter(pred, model, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(sections, "plot_spex_chromosome_scatter", scatter)
    write_report(run)
    assert seen == ["ln(expression + 0.0001)"]
    pred = pd.read_csv(run / "predictions.tsv", sep="\t")
    fig = plot_spex_chromosome_scatter(pred, values=seen[0])
    assert fig._supxlabel.get_text() == "observed (ln(expression + 0.0001))"

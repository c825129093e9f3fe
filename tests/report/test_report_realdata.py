"""``write_report`` on forecast run folders built from real data (yeast alpha, STEP mRNA).

The run folders hold simple baseline forecasts (persistence, training mean) computed here, in
the docs/run_folder.md layout, so the report is exercised on real gene ids, real gene sets and
a real contact map independently of the forecasting models.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from hicexpr.io.genes import read_genes
from hicexpr.report import write_report


def baseline_run(root: Path, expr: pd.DataFrame, dataset: str, config: dict[str, object]
                 ) -> Path:
    """Forecast run folder for ``expr`` (genes x times): persistence and train-mean, 1 step."""
    run = root / dataset
    (run / "plots").mkdir(parents=True)
    values, times = expr.to_numpy(float), expr.columns.to_numpy(float)
    n = len(times)
    split = np.array(["train"] * (n - 6) + ["val"] * 2 + ["test"] * 4)
    train_mean = values[:, : n - 6].mean(axis=1, keepdims=True)
    preds = {"persistence": values[:, :-1], "train_mean": np.repeat(train_mean, n - 1, axis=1)}
    frames = []
    for model, pred in preds.items():
        frames.append(pd.DataFrame({
            "gene": np.repeat(expr.index.to_numpy(), n - 1), "time": np.tile(times[1:], len(expr)),
            "split": np.tile(split[1:], len(expr)), "horizon": 1, "model": model, "seed": 0,
            "observed": values[:, 1:].ravel(), "predicted": pred.ravel()}))
    predictions = pd.concat(frames, ignore_index=True)
    predictions.to_csv(run / "predictions.tsv", sep="\t", index=False)
    test = predictions[predictions["split"] == "test"]
    per_gene = test.groupby(["gene", "model", "seed"]).apply(
        lambda d: pd.Series({"pearson": _pearson(d["observed"], d["predicted"]),
                             "rmse": float(np.sqrt(np.mean((d["observed"] - d["predicted"])
                                                           ** 2)))}),
        include_groups=False).reset_index()
    per_gene.to_csv(run / "per_gene_metrics.tsv", sep="\t", index=False)
    summary = [{"model": m, "metric": f"gene_{c}_mean", "mean": float(d[c].mean()), "sd": 0.0,
                "n": 1} for m, d in per_gene.groupby("model") for c in ("pearson", "rmse")]
    (run / "metrics.json").write_text(json.dumps({
        "task": "forecast", "dataset": dataset, "protocol": "chronological", "leaky": False,
        "n_genes": len(expr), "seeds": [0], "summary": summary,
        "extra": {"baselines": ["persistence", "train_mean"]}}))
    (run / "config.yaml").write_text(yaml.safe_dump({"dataset": dataset, **config}))
    (run / "COMPLETE").write_text("done\n")
    return run


def _pearson(x: pd.Series, y: pd.Series) -> float:
    if np.ptp(x) == 0 or np.ptp(y) == 0:
        return float("nan")
    return float(np.corrcoef(x, y)[0, 1])


@pytest.mark.slow
def test_report_on_yeast_alpha_forecast_run(data_dir: Path, tmp_path: Path) -> None:
    expr = pd.read_csv(data_dir / "yeast/expression/spellman1998_alpha_log2ratio.tsv.gz",
                       sep="\t", index_col=0).dropna()
    expr.columns = [float(c.split("_")[1]) for c in expr.columns]
    expr = expr.iloc[:800]  # the first chromosomes, keeps the test short
    genes = read_genes(data_dir / "yeast/genes/SGD_features.tab")
    genes = genes[genes["gene_id"].isin(expr.index)]
    cool = str(data_dir / "yeast/hic/yeast.10kb.cool")
    run = baseline_run(tmp_path, expr, "yeast_alpha", {"contacts": cool})
    genes.to_csv(run / "genes.tsv", sep="\t", index=False)
    text = write_report(run, permutation_num=20).read_text(encoding="utf-8")
    # organism from the systematic names -> SGD GO-slim, ids used as they are
    assert re.search(r"SGD GO-slim \(\d+ sets, systematic names; .*go_slim_mapping.tab\): ids "
                     r"used as they are \(\d+% found", text)
    assert "Over-representation among the top genes" in text
    assert "GSEA pre-ranked on the per-gene score" in text
    assert "background = all 800 analysed genes" in text
    stems = {p.stem for p in (run / "plots").glob("*.png")}
    assert {"contact_region", "predicted_vs_observed", "trajectories_top", "metric_boxplots",
            "predictability", "enrichment_1", "enrichment_2"} <= stems
    assert re.search(r"Contact map chr[IVX]+:\d+-\d+", text)


@pytest.mark.slow
def test_report_on_step_mrna_forecast_run(data_dir: Path, tmp_path: Path) -> None:
    pairs = pd.read_csv(data_dir / "step/interaction_mrna.csv")
    rows = []
    for side in ("Gene1", "Gene2"):
        cols = [c for c in pairs.columns if c.startswith(f"{side}_Time_")]
        part = pairs[[side, *cols]].drop_duplicates(side).set_index(side)
        part.columns = [float(c.split("_")[-1]) for c in cols]
        rows.append(part)
    expr = pd.concat(rows)
    expr = expr[~expr.index.duplicated()]
    features = pd.concat([
        pairs[[f"{s}", f"{s}_Compartment", f"{s}_Insulation_Score",
               f"{s}_TAD_Boundary_Distance"]].set_axis(
            ["gene_id", "compartment", "insulation", "boundary_distance"], axis=1)
        for s in ("Gene1", "Gene2")]).drop_duplicates("gene_id")
    run = baseline_run(tmp_path, expr, "step_mrna", {})
    features.to_csv(run / "gene_features.tsv", sep="\t", index=False)
    pairs[["Gene1", "Gene2", "HiC_Interaction"]].set_axis(["gene1", "gene2", "weight"], axis=1)\
        .to_csv(run / "graph_edges.tsv", sep="\t", index=False)
    text = write_report(run, permutation_num=20).read_text(encoding="utf-8")
    # mouse gene symbols vs an Entrez-keyed Reactome GMT: said clearly, nothing invented
    assert "Reactome" in text and "Entrez gene ids" in text
    assert "no id mapping is available offline: enrichment not run" in text
    for factor in ("degree", "compartment", "boundary_distance", "insulation",
                   "expression_range"):
        assert f"<td>{factor}</td>" in text
    stems = {p.stem for p in (run / "plots").glob("*.png")}
    assert {"gene_graph", "predictability", "trajectories_top"} <= stems
    assert "contact_region" not in stems  # no contact map in this run folder

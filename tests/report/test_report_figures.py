"""The report's figures: default contact-map region, axes units, one colour per model."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import cooler
import numpy as np
import pandas as pd
import pytest
import yaml
from test_report import make_forecast_run

from hicexpr.report import load_run, write_report
from hicexpr.report import sections as report_sections
from hicexpr.report.region import default_region


def two_chromosome_map(path: Path, binsize: int = 1_000, n_bins: int = 150) -> cooler.Cooler:
    """Unbalanced map of chr10 and chr2 (stored in that order) with a distance decay."""
    bins = pd.concat([pd.DataFrame({"chrom": c, "start": np.arange(n_bins) * binsize,
                                    "end": (np.arange(n_bins) + 1) * binsize})
                      for c in ("chr10", "chr2")], ignore_index=True)
    i, j = np.triu_indices(n_bins)
    pixels = pd.concat([pd.DataFrame({"bin1_id": i + k * n_bins, "bin2_id": j + k * n_bins,
                                      "count": (100 // (1 + j - i)) + 1}) for k in (0, 1)])
    cooler.create_cooler(str(path), bins, pixels)
    return cooler.Cooler(str(path))


def clustered_genes() -> pd.DataFrame:
    """20 genes on chr2 between 80 and 100 kb, 40 spread over chr10."""
    chr2 = 80_500 + 1_000 * np.arange(20)
    chr10 = 500 + 3_500 * np.arange(40)
    return pd.DataFrame({"gene_id": [f"G{i}" for i in range(60)],
                         "chrom": ["chr2"] * 20 + ["chr10"] * 40,
                         "tss": np.concatenate([chr2, chr10])})


def test_default_region_is_the_densest_window_of_the_first_chromosome(tmp_path: Path) -> None:
    clr = two_chromosome_map(tmp_path / "m.cool")
    region, why = default_region(clr, clustered_genes())
    # chr2 comes before chr10 in natural order, though chr10 has more genes; the first
    # 60-bin window holding all 20 chr2 genes starts at bin 40 (bins 40-99)
    assert region == "chr2:40000-100000"
    assert "most genes (20)" in why and "chr2, the first chromosome in natural order" in why
    # gene chromosomes named otherwise are matched to the map's
    renamed = clustered_genes().assign(chrom=lambda d: d["chrom"].str.removeprefix("chr"))
    assert default_region(clr, renamed)[0] == region
    region, why = default_region(clr, None)  # no genes: the start of the first chromosome
    assert region == "chr2:0-60000" and "no gene placed on the map" in why


def test_contacts_run_report_draws_the_default_region_and_says_why(tmp_path: Path) -> None:
    clr = two_chromosome_map(tmp_path / "m.cool")
    run = tmp_path / "contacts_run"
    run.mkdir()
    (run / "config.yaml").write_text(yaml.safe_dump({"hic": clr.filename}))
    (run / "metrics.json").write_text(json.dumps({
        "task": "contacts", "dataset": "toy", "protocol": "features", "leaky": False,
        "n_genes": 60, "seeds": [], "summary": [], "extra": {}}))
    clustered_genes().to_csv(run / "gene_features.tsv", sep="\t", index=False)
    text = write_report(run).read_text(encoding="utf-8")
    assert "Contact map chr2:40000-100000" in text
    assert ("Region chr2:40000-100000: no --region given: the 60-bin window with the most "
            "genes (20) on chr2") in text
    assert (run / "plots" / "contact_region.png").is_file()
    assert "pass --region" not in text


def _record_calls(monkeypatch: pytest.MonkeyPatch, name: str) -> list[dict[str, Any]]:
    """Keyword arguments of each call the report makes to the figure function ``name``."""
    calls: list[dict[str, Any]] = []
    original = getattr(report_sections, name)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        calls.append({"args": args, **kwargs})
        return original(*args, **kwargs)

    monkeypatch.setattr(report_sections, name, wrapper)
    return calls


def test_forecast_report_figures_share_model_colours_and_name_the_axes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run = make_forecast_run(tmp_path)
    metrics = json.loads((run / "metrics.json").read_text())
    metrics["extra"].update(time_unit="h", values="TPM")
    (run / "metrics.json").write_text(json.dumps(metrics))
    pages = _record_calls(monkeypatch, "plot_trajectory_page")
    boxes = _record_calls(monkeypatch, "plot_metric_boxplots")
    hexbins = _record_calls(monkeypatch, "plot_predicted_vs_observed")
    write_report(run, permutation_num=10)
    assert [p["time_unit"] for p in pages] == ["h", "h"]
    assert {p["values"] for p in pages} | {h["values"] for h in hexbins} == {"TPM"}
    colours = boxes[0]["args"][3]
    assert all(p["colours"] == colours for p in pages)  # one palette for every figure
    assert colours["persistence"] != colours["stgcn"]


def test_forecast_axes_from_metrics_else_builtin_dataset_else_unknown(tmp_path: Path) -> None:
    run_dir = make_forecast_run(tmp_path)
    assert report_sections.forecast_axes(load_run(run_dir)) == (None, None)  # never guessed
    metrics = json.loads((run_dir / "metrics.json").read_text())
    metrics["dataset"] = "yeast_cdc15"
    (run_dir / "metrics.json").write_text(json.dumps(metrics))
    assert report_sections.forecast_axes(load_run(run_dir)) == ("min",
                                                                "log2 ratio to reference")
    metrics["extra"].update(time_unit="d", values="TPM")
    (run_dir / "metrics.json").write_text(json.dumps(metrics))
    assert report_sections.forecast_axes(load_run(run_dir)) == ("d", "TPM")

"""`hicexpr contacts features` / `pairs` end to end on small real maps."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from hicexpr.cli import app
from hicexpr.lib.runs import is_complete
from hicexpr.workflows.contacts import run_contact_features


def test_features_run_on_step_map(data_dir, tmp_path):
    out = run_contact_features(data_dir / "step/hic_mESC_HindIII_1mb",
                               data_dir / "step/interaction_mrna.csv", tmp_path / "run",
                               assembly="mm9")
    assert is_complete(out)
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["task"] == "contacts" and metrics["extra"]["resolution"] == 1_000_000
    assert metrics["extra"]["contact_decay_slope"] < 0
    feats = pd.read_csv(out / "gene_features.tsv", sep="\t")
    assert {"gene_id", "insulation", "boundary_distance", "tad_id", "E1", "compartment"} <= set(
        feats.columns)
    bedpe = (out / "pairs.bedpe").read_text().splitlines()
    assert bedpe[0].startswith("#chrom1") and len(bedpe) > 1
    assert (out / "insulation.bedGraph").read_text().startswith("track type=bedGraph")
    assert (out / "tads.bed").stat().st_size > 0


@pytest.mark.slow
def test_cli_features_and_pairs_on_yeast(data_dir, tmp_path):
    runner = CliRunner()
    res = runner.invoke(app, ["-q", "contacts", "features", "--hic",
                              str(data_dir / "yeast/hic/yeast.10kb.cool"), "--genes",
                              str(data_dir / "yeast/genes/SGD_features.tab"), "--out",
                              str(tmp_path / "y"), "--max-distance", "50000"])
    assert res.exit_code == 0, res.output
    metrics = json.loads((tmp_path / "y" / "metrics.json").read_text())
    assert metrics["extra"]["n_genes_outside_coverage"] < 0.05 * metrics["n_genes"]
    res = runner.invoke(app, ["-q", "contacts", "pairs", "--hic",
                              str(data_dir / "yeast/hic/yeast.10kb.cool"), "--genes",
                              str(data_dir / "yeast/genes/SGD_features.tab"), "--out",
                              str(tmp_path / "p.tsv"), "--max-distance", "20000",
                              "--top-k", "2"])
    assert res.exit_code == 0, res.output
    top = pd.read_csv(tmp_path / "p.tsv", sep="\t")
    assert top.groupby("gene")["rank"].max().max() == 2


def test_missing_weights_in_weights_mode_is_an_error(data_dir, tmp_path):
    from hicexpr.lib.errors import InputError

    hg19 = data_dir / "human_gm12878_hg19"
    with pytest.raises(InputError, match="hicexpr contacts balance") as err:
        run_contact_features(hg19 / "hic/GM12878_Rao2014_rep_chr22_50kb.cool",
                             hg19 / "genes/CollapsedGeneBounds.hg19.bed", tmp_path / "r",
                             balance="weights")
    assert "\n" not in str(err.value)
    assert not is_complete(tmp_path / "r")

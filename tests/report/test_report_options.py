"""`hicexpr report` options checked before any work: --region and --out (audit fixes)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from test_report import make_cooler, make_forecast_run, make_spex_run

from hicexpr.lib.errors import InputError
from hicexpr.report import write_report
from hicexpr.report.build import report_target
from hicexpr.report.region import check_region, region_on_map


@pytest.mark.parametrize("region", ["chr8:60000000-1000", "chr8:5000-5000", "chr8:x-1000"])
def test_bad_region_is_refused_before_the_run_is_read(region: str, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="^--region: expected a region chrom:start-end"):
        write_report(tmp_path / "no_such_run", region=region)


def test_region_chromosome_follows_the_map_names(tmp_path: Path) -> None:
    import cooler

    clr = cooler.Cooler(make_cooler(tmp_path / "m.cool", chrom="8"))
    assert region_on_map("chr8:10000-200000", clr, "m.cool") == "8:10000-200000"
    assert region_on_map("8", clr, "m.cool") == "8:0-500000"
    with pytest.raises(InputError, match="--region: chromosome: expected a chromosome of the map"):
        region_on_map("chr9:0-1000", clr, "m.cool")
    assert check_region(None) is None


def test_report_draws_a_chr_region_on_a_map_without_chr(tmp_path: Path) -> None:
    run = make_forecast_run(tmp_path)
    uri = make_cooler(tmp_path / "nochr.cool", chrom="1")
    out = write_report(run, out=tmp_path / "r.html", contacts=uri, region="chr1:0-300000",
                       permutation_num=10)
    text = out.read_text(encoding="utf-8")
    assert "Contact map 1:0-300000" in text and "figure skipped" not in text


def test_spex_labelled_contacts_in_config_draw_the_region(tmp_path: Path) -> None:
    run = make_spex_run(tmp_path)
    uri = make_cooler(tmp_path / "map.cool")
    (run / "config.yaml").write_text(f"contacts:\n- hic={uri}\n")  # --contacts hic=map.cool
    text = write_report(run, region="chr1:0-300000", permutation_num=10).read_text("utf-8")
    assert "Contact map chr1:0-300000" in text


def test_spex_mcool_with_resolution_and_other_chrom_names_draw_the_top_gene(
        tmp_path: Path) -> None:
    from hicexpr.io.contacts import convert_contacts

    run = make_spex_run(tmp_path)
    mcool = convert_contacts(make_cooler(tmp_path / "map.cool", chrom="1"), tmp_path / "m.mcool")
    # as `hicexpr spex --contacts hic=m.mcool --resolution 10000` records it
    (run / "config.yaml").write_text(f"contacts:\n- hic={mcool}\nresolution: 10000\n")
    genes = pd.read_csv(run / "per_gene_gain.tsv", sep="\t")[["gene"]].rename(
        columns={"gene": "gene_id"})
    genes = genes.assign(chrom="chr1", start=range(0, 600_000, 10_000), strand="+",
                         symbol=genes["gene_id"])
    genes.assign(end=genes["start"] + 5_000, tss=genes["start"]).to_csv(
        run / "genes.tsv", sep="\t", index=False)
    text = write_report(run, permutation_num=10).read_text("utf-8")
    assert "Contact map 1:" in text  # the map's name for the genes' chr1


def test_region_without_a_map_says_so(tmp_path: Path) -> None:
    run = make_spex_run(tmp_path)
    text = write_report(run, region="chr1:0-300000", permutation_num=10).read_text("utf-8")
    assert "--region chr1:0-300000 given but no contact map" in text


def test_out_folder_gets_report_html_and_unwritable_out_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "existing"
    folder.mkdir()
    assert report_target(tmp_path, folder) == folder / "report.html"
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    with pytest.raises(InputError, match="a_file/r.html: expected a writable report path"):
        report_target(tmp_path, blocker / "r.html")


def test_cli_report_out_is_an_existing_folder(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from hicexpr.cli import app

    run = make_forecast_run(tmp_path)
    folder = tmp_path / "out"
    folder.mkdir()
    result = CliRunner().invoke(app, ["--quiet", "report", str(run), "--out", str(folder),
                                      "--permutations", "10"])
    assert result.exit_code == 0, result.output
    assert (folder / "report.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_report_map_from_metrics_uri_when_config_names_the_bare_mcool(tmp_path,
                                                                      caplog) -> None:
    import logging

    import cooler
    import pandas as pd

    from hicexpr.report.load import RunData
    from hicexpr.report.sections import ReportOptions, open_report_contacts

    bins = cooler.binnify(pd.Series({"chr1": 10_000}), 1000)
    pixels = pd.DataFrame({"bin1_id": [0, 1], "bin2_id": [0, 2], "count": [5, 3]})
    cooler.create_cooler(str(tmp_path / "a.cool"), bins, pixels)
    mcool = tmp_path / "a.mcool"
    cooler.zoomify_cooler(str(tmp_path / "a.cool"), str(mcool), [1000, 2000], chunksize=100)
    run = RunData(tmp_path, config={"contacts": str(mcool), "resolution": 2000},
                  metrics={"extra": {"contacts": f"{mcool}::resolutions/2000"}})
    with caplog.at_level(logging.WARNING, logger="hicexpr.report.sections"):
        clr = open_report_contacts(run, ReportOptions())
    assert clr is not None and clr.binsize == 2000
    assert "cannot open" not in caplog.text


def test_gene_file_named_by_the_run_is_read_without_repeating_its_warnings(tmp_path,
                                                                          caplog) -> None:
    from hicexpr.report.load import load_run

    genes = tmp_path / "genes.bed"  # a repeated id: read_genes warns (the run did so already)
    genes.write_text("chr1\t100\t200\tg1\t0\t+\nchr1\t300\t400\tg2\t0\t+\nchr1\t500\t600\tg1\t0\t+\n")
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.yaml").write_text(f"genes: {genes}\n")
    with caplog.at_level("WARNING"):
        loaded = load_run(run)
    assert loaded.table("genes")["gene_id"].tolist() == ["g1", "g2"]
    assert "repeat an earlier gene id" not in caplog.text
    with caplog.at_level("WARNING"):
        from hicexpr.io.genes import read_genes

        read_genes(genes)
    assert "repeat an earlier gene id" in caplog.text  # outside the report it still warns

"""docs/errors.md, machine-checked: every catalogued bad input gives exactly the documented line.

Each case writes its bad input into a fresh folder and calls the public function (or the CLI in a
subprocess, run inside that folder). The message, with the folder prefix removed, must equal the
``message`` cell of the case's row in docs/errors.md, and every row there must have a case here.
"""

from __future__ import annotations

import gzip
import os
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cooler
import numpy as np
import pandas as pd
import pytest

from hicexpr.lib.errors import HicexprError, InputError

DOC = Path(__file__).resolve().parents[2] / "docs" / "errors.md"
HICEXPR = Path(sys.executable).with_name("hicexpr")


# --- helpers that write bad inputs --------------------------------------------------------------


def _w(tmp: Path, name: str, text: str) -> Path:
    path = tmp / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def _truncated_gz(tmp: Path, name: str, text: str) -> Path:
    data = gzip.compress(text.encode())
    path = tmp / name
    path.write_bytes(data[: len(data) // 2])
    return path


def _cool(
    uri: str, binsize: int = 10_000, n: int = 20, chrom: str = "chr1", mode: str = "w"
) -> str:
    bins = pd.DataFrame(
        {
            "chrom": chrom,
            "start": np.arange(n) * binsize,
            "end": np.arange(1, n + 1) * binsize,
        }
    )
    pixels = pd.DataFrame(
        {
            "bin1_id": np.arange(n),
            "bin2_id": np.arange(n),
            "count": np.full(n, 5, dtype=np.int32),
        }
    )
    cooler.create_cooler(uri, bins, pixels, mode=mode)
    return uri


def _mcool(tmp: Path) -> Path:
    path = tmp / "map.mcool"
    _cool(f"{path}::resolutions/10000")
    _cool(f"{path}::resolutions/20000", binsize=20_000, n=10, mode="a")
    return path


def _gene_frame(chrom: str, end: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "chrom": [chrom],
            "start": [0],
            "end": [end],
            "gene_id": ["g1"],
            "symbol": ["g1"],
            "strand": ["+"],
            "tss": [0],
        }
    )


def _bed(n: int) -> str:
    return "".join(f"chr1\t{i * 100}\t{i * 100 + 50}\tg{i}\t0\t+\n" for i in range(n))


# --- the cases ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """``run(tmp)`` raises the error (API) or returns the CLI arguments (``cli=True``)."""

    what: str
    call: str
    run: Callable[[Path], object]
    cli: bool = False


def _genes(name: str, text: str, **kw: object) -> Callable[[Path], object]:
    from hicexpr.io.genes import read_genes

    return lambda tmp: read_genes(_w(tmp, name, text), **kw)


def _missing_genes(tmp: Path) -> object:
    from hicexpr.io.genes import read_genes

    return read_genes(tmp / "missing.bed")


def _latin1_expression(tmp: Path) -> object:
    from hicexpr.io.expression import read_expression

    path = tmp / "expression.tsv"
    path.write_bytes("gene\t0\t1\ng1\t1\t2\ng\u00e92\t3\t4\n".encode("latin-1"))
    return read_expression(path)


def _expr(name: str, text: str, times: str | None = None) -> Callable[[Path], object]:
    from hicexpr.io.expression import read_expression

    def run(tmp: Path) -> object:
        sample_times = _w(tmp, "times.tsv", times) if times is not None else None
        return read_expression(_w(tmp, name, text), sample_times=sample_times)

    return run


def _h5ad_without_times(tmp: Path) -> object:
    import anndata as ad

    from hicexpr.io.expression import read_expression

    obs = pd.DataFrame({"batch": ["x", "y"]}, index=["AAAC", "AAAG"])
    ad.AnnData(X=np.ones((2, 2)), obs=obs, var=pd.DataFrame(index=["g1", "g2"])).write_h5ad(
        tmp / "expression.h5ad")
    return read_expression(tmp / "expression.h5ad")


def _contacts(name: str, text: str, **kw: object) -> Callable[[Path], object]:
    from hicexpr.io.contacts import open_contacts

    return lambda tmp: open_contacts(Path(_w(tmp, name, text).name), **kw)  # cwd is tmp


_HICPRO_BED = "chr1\t0\t1000\t1\nchr1\t1000\t2000\t2\nchr1\t2000\t2500\t3\n"


def _hicpro(matrix: str, bed: str = _HICPRO_BED) -> Callable[[Path], object]:
    """A HiC-Pro ``s_1000.matrix`` with its ``s_1000_abs.bed`` beside it."""
    from hicexpr.io.contacts import open_contacts

    def run(tmp: Path) -> object:
        _w(tmp, "s_1000_abs.bed", bed)
        return open_contacts(Path(_w(tmp, "s_1000.matrix", matrix).name))

    return run


def _config(text: str) -> Callable[[Path], object]:
    from hicexpr.config import SimulateConfig, load_config

    return lambda tmp: load_config(SimulateConfig, _w(tmp, "config.yaml", text))


def _open(path_of: Callable[[Path], object], **kw: object) -> Callable[[Path], object]:
    from hicexpr.io.contacts import open_contacts

    return lambda tmp: open_contacts(path_of(tmp), **kw)


def _unbalanced(tmp: Path) -> object:
    from hicexpr.io.contacts import require_balanced

    return require_balanced(cooler.Cooler(_cool(str(tmp / "raw.cool"))))


def _harmonise(chrom: str, end: int) -> Callable[[Path], object]:
    from hicexpr.io.chroms import harmonise_chroms

    return lambda tmp: harmonise_chroms(
        _gene_frame(chrom, end), cooler.Cooler(_cool(str(tmp / "map.cool")))
    )


def _genes_off_map(tmp: Path) -> object:
    """Map chr1 with contacts on its first 10 bins only; the genes sit in the empty half."""
    from hicexpr.contacts import gene_bins

    bins = pd.DataFrame(
        {
            "chrom": "chr1",
            "start": np.arange(20) * 10_000,
            "end": np.arange(1, 21) * 10_000,
        }
    )
    pixels = pd.DataFrame(
        {
            "bin1_id": np.arange(10),
            "bin2_id": np.arange(10),
            "count": np.full(10, 5, dtype=np.int32),
        }
    )
    cooler.create_cooler(str(tmp / "map.cool"), bins, pixels)
    genes = pd.concat([_gene_frame("chr1", 100)] * 2, ignore_index=True)
    genes[["start", "end", "tss"]] = [
        [150_000, 151_000, 150_000],
        [170_000, 171_000, 170_000],
    ]
    genes["gene_id"] = ["g1", "g2"]
    genes.attrs["source"] = "genes.bed"
    return gene_bins(cooler.Cooler(str(tmp / "map.cool")), genes)


def _hic_resolution(tmp: Path) -> object:
    from hicexpr.io.contacts import open_contacts
    from hicexpr.lib.paths import shared_data_dir

    data = shared_data_dir(required=False)
    if data is None:
        if os.environ.get("HICEXPR_REQUIRE_DATA") == "1":
            pytest.fail("real data required but missing")
        pytest.skip("real data not found")
    link = tmp / "test.hic"
    link.symlink_to(data / "formats" / "hg19_2.5Mb_test.hic")
    return open_contacts(link, resolution=1000)


def _run_folder(tmp: Path) -> object:
    from hicexpr.lib.runs import RunFolder

    return RunFolder(_w(tmp, "results", "a file, not a folder") / "run")


def _too_few_times(tmp: Path) -> object:
    from hicexpr.evaluate.protocols import make_splits

    return make_splits(6, "chronological", input_length=3)


def _simulate_max_distance(tmp: Path) -> object:
    from hicexpr.datasets.simulate import simulate_dataset

    return simulate_dataset(tmp / "sim", max_distance=5000)


def _simulate_range(tmp: Path) -> object:
    from hicexpr.datasets.simulate import simulate_dataset

    return simulate_dataset(tmp / "sim", max_gain=1.5)


def _no_expression_gene_placed(tmp: Path) -> object:
    from hicexpr.datasets.forecasting import build_forecast_dataset

    _w(tmp, "expression.tsv", "gene\t0\t1\t2\nunknown1\t1\t2\t3\nunknown2\t3\t4\t5\n")
    _w(tmp, "genes.bed", _bed(3))
    return build_forecast_dataset(
        tmp / "expression.tsv", _cool(str(tmp / "map.cool")), tmp / "genes.bed"
    )


def _truncated_genes(tmp: Path) -> object:
    from hicexpr.io.genes import read_genes

    return read_genes(_truncated_gz(tmp, "genes.bed.gz", _bed(3000)))


def _truncated_expression(tmp: Path) -> object:
    from hicexpr.io.expression import read_expression

    text = "gene\t0\t1\n" + "".join(f"g{i}\t{i}\t{i + 1}\n" for i in range(5000))
    return read_expression(_truncated_gz(tmp, "expression.tsv.gz", text))


def _times_not_increasing(tmp: Path) -> object:
    from hicexpr.evaluate.runner import evaluate_forecasters

    values = np.arange(40.0).reshape(10, 4)
    return evaluate_forecasters(
        values, ["persistence"], seeds=[0], times=[0, 1, 2, 3, 5, 4, 6, 7, 8, 9]
    )


def _horizon_too_long(tmp: Path) -> object:
    from hicexpr.evaluate.runner import evaluate_forecasters

    values = np.arange(60.0).reshape(20, 3)
    return evaluate_forecasters(values, ["persistence"], seeds=[0], horizon=5)


def _forecast(tmp: Path, **overrides: object) -> object:
    from hicexpr.config import ForecastConfig, load_config
    from hicexpr.workflows.forecast import run_forecast

    config = load_config(ForecastConfig, None, {"out": str(tmp / "run"), **overrides})
    return run_forecast(config)


def _one_gene_forecast(tmp: Path) -> object:
    _w(
        tmp,
        "expression.tsv",
        "gene\t" + "\t".join(map(str, range(12))) + "\n"
        "g0\t" + "\t".join(str(float(i % 5)) for i in range(12)) + "\n",
    )
    _w(tmp, "genes.bed", _bed(3))
    _cool(str(tmp / "map.cool"), binsize=100, n=40)
    return _forecast(
        tmp,
        expression=str(tmp / "expression.tsv"),
        contacts=str(tmp / "map.cool"),
        genes=str(tmp / "genes.bed"),
        models=["persistence"],
        seeds=1,
    )


def _negative_levels(tmp: Path) -> object:
    from hicexpr.spex.data import read_expression_table

    return read_expression_table(
        _w(tmp, "rpkm.tsv", "gene_id\tE003\tE116\nENSG01.2\t1.5\t-0.5\n")
    )


def _sample_not_in_table(tmp: Path) -> object:
    from hicexpr.spex.data import read_expression_table

    return read_expression_table(
        _w(tmp, "rsem.tsv", "gene_id\ttranscript_id(s)\tTPM\nENSG01.2\tENST01.1,ENST02.1\t1.5\n"),
        ["TMP"],
    )


def _tracks_off_test_chromosome(tmp: Path) -> object:
    import numpy as np
    import pandas as pd

    from hicexpr.spex.profiles import from_tracks
    from hicexpr.workflows.spex import check_track_coverage

    peaks = _w(tmp, "h3k27ac_chr20_21.bed", "chr20\t100\t200\nchr21\t300\t400\n")
    genes = pd.DataFrame({"chrom": ["chr8", "chr9", "chr20", "chr21"]})
    split = np.array(["test", "val", "train", "train"])
    return check_track_coverage(from_tracks([peaks], chroms=list(genes["chrom"])), genes, [split])


def _balance_read_only(tmp: Path) -> object:
    from hicexpr.io.contacts import balance_contacts

    path = _cool(str(tmp / "map.cool"))
    Path(path).chmod(0o444)
    return balance_contacts(path)


def _wrong_kind_param(tmp: Path) -> object:
    from hicexpr.forecast.registry import make_model

    return make_model("pooled_ridge_ar", alpha="abc")


def _track_off_genes(tmp: Path) -> object:
    from hicexpr.spex.profiles import from_tracks

    peaks = _w(tmp, "peaks.bed", "chr21\t100\t200\nchrX\t300\t400\n")
    return from_tracks([peaks], chroms=["chrI", "chrII"])


CASES: dict[str, Case] = {
    # gene annotations
    "genes-empty": Case("empty gene file", "read_genes", _genes("genes.bed", "")),
    "genes-space-delimited": Case(
        "BED separated by spaces instead of tabs",
        "read_genes",
        _genes("genes.bed", "chr1 100 200 g1 0 +\n"),
    ),
    "genes-non-integer-start": Case(
        "BED start column not an integer",
        "read_genes",
        _genes("genes.bed", "chr1\t100\t200\tg1\t0\t+\nchr1\tabc\t300\tg2\t0\t+\n"),
    ),
    "genes-end-before-start": Case(
        "BED end before start",
        "read_genes",
        _genes("genes.bed", "chr1\t500\t200\tg1\t0\t+\n"),
    ),
    "genes-duplicate-id": Case(
        "duplicate gene id (duplicates='error')",
        "read_genes",
        _genes(
            "genes.bed",
            "chr1\t100\t200\tg1\t0\t+\nchr1\t300\t400\tg1\t0\t+\n",
            duplicates="error",
        ),
    ),
    "genes-gtf-without-gene-id": Case(
        "GTF gene line without gene_id",
        "read_genes",
        _genes("genes.gtf", 'chr1\tsrc\tgene\t1\t100\t.\t+\t.\tgene_name "A";\n'),
    ),
    "genes-unknown-format": Case(
        "gene file with an unknown extension",
        "read_genes",
        _genes("genes.xyz", "chr1\t1\t2\n"),
    ),
    "genes-missing-file": Case(
        "gene file does not exist", "read_genes", _missing_genes
    ),
    # expression tables
    "expression-comma-in-tsv": Case(
        "comma-separated values in a .tsv (wrong delimiter)",
        "read_expression",
        _expr("expression.tsv", "gene,0,1\ng1,1,2\n"),
    ),
    "expression-comment-line": Case(
        "a comment line before the header",
        "read_expression",
        _expr("expression.tsv", "# exported by tool\ngene\t0\t1\ng1\t1\t2\n"),
    ),
    "expression-semicolon-csv": Case(
        "a .csv saved with semicolons (and decimal commas)",
        "read_expression",
        _expr("expression.csv", "gene;0;1\ng1;0,5;1,5\n"),
    ),
    "expression-not-utf8": Case(
        "a table saved as Latin-1 (not UTF-8) with an accent in a gene name",
        "read_expression",
        lambda tmp: _latin1_expression(tmp),
    ),
    "expression-duplicate-gene": Case(
        "gene id repeated",
        "read_expression",
        _expr("expression.tsv", "gene\t0\t1\ng1\t1\t2\ng1\t3\t4\n"),
    ),
    "expression-non-numeric-value": Case(
        "non-numeric expression value",
        "read_expression",
        _expr("expression.tsv", "gene\t0\t1\ng1\t1\t2\ng2\t3\tx\n"),
    ),
    "expression-non-numeric-time": Case(
        "sample name without a time in the header",
        "read_expression",
        _expr("expression.tsv", "gene\t0\tlate\ng1\t1\t2\n"),
    ),
    "expression-h5ad-without-times": Case(
        "h5ad without a time column and without times in its obs names",
        "read_expression",
        _h5ad_without_times,
    ),
    "expression-mixed-time-units": Case(
        "sample names with and without a time unit",
        "read_expression",
        _expr("expression.tsv", "gene\t0min\t30min\tt60\ng1\t1\t2\t3\n"),
    ),
    "expression-empty-header-cell": Case(
        "empty sample name (missing column in the header)",
        "read_expression",
        _expr("expression.tsv", "gene\t0\t\ng1\t1\t2\n"),
    ),
    "sample-times-missing-sample": Case(
        "sample_times table lacks a sample (missing column)",
        "read_expression",
        _expr("expression.tsv", "gene\ta\tb\ng1\t1\t2\n", times="a\t0\n"),
    ),
    "sample-times-non-numeric": Case(
        "non-numeric time in the sample_times table",
        "read_expression",
        _expr(
            "expression.tsv",
            "gene\ta\tb\ng1\t1\t2\n",
            times="sample\ttime\na\t0\nb\tlate\n",
        ),
    ),
    "expression-unreadable-h5ad": Case(
        "unreadable .h5ad",
        "read_expression",
        _expr("expression.h5ad", "not an HDF5 file"),
    ),
    # contact maps
    "map-missing": Case(
        "contact map does not exist",
        "open_contacts",
        lambda tmp: _open(lambda t: t / "missing.cool")(tmp),
    ),
    "map-unknown-format": Case(
        "contact map with an unknown extension",
        "open_contacts",
        _contacts("map.xyz", "1 2 3\n"),
    ),
    "cool-not-hdf5": Case(
        "unreadable .cool (not HDF5)",
        "open_contacts",
        _contacts("map.cool", "not an HDF5 file"),
    ),
    "mcool-without-resolution": Case(
        "multi-resolution .mcool without a resolution", "open_contacts", _open(_mcool)
    ),
    "mcool-unavailable-resolution": Case(
        "resolution not in the .mcool", "open_contacts", _open(_mcool, resolution=5000)
    ),
    "hic-unreadable": Case(
        "unreadable .hic",
        "open_contacts",
        _open(lambda t: Path(_w(t, "map.hic", "not a hic file").name)),
    ),
    "hic-unavailable-resolution": Case(
        "resolution not in the .hic", "open_contacts", _hic_resolution
    ),
    "map-unbalanced": Case(
        "balanced values asked of an unbalanced map", "require_balanced", _unbalanced
    ),
    "step-map-four-columns": Case(
        "STEP sparse text with 4 columns",
        "open_contacts",
        _contacts("chr1_1mb.txt", "0 1000000 1.0 5\n"),
    ),
    "step-map-non-numeric": Case(
        "STEP sparse text with a non-numeric position",
        "open_contacts",
        _contacts("chr2_1mb.txt", "0 1000000 1.0\n0 x 2.0\n"),
    ),
    "step-map-empty": Case(
        "empty STEP sparse text", "open_contacts", _contacts("chr3_1mb.txt", "")
    ),
    "step-map-no-chromosome-in-name": Case(
        "STEP text file without a chromosome in its name",
        "open_contacts",
        _contacts("contacts.txt", "0 1000000 1.0\n"),
    ),
    "step-map-unknown-assembly": Case(
        "unknown assembly name",
        "open_contacts",
        _contacts("chr4_1mb.txt", "0 1000000 1.0\n", assembly="mm99"),
    ),
    "step-map-beyond-assembly": Case(
        "STEP positions beyond the assembly's chromosome",
        "open_contacts",
        _contacts("chr5_1mb.txt", "0 1000000 1.0\n0 900000000 2.0\n", assembly="mm9"),
    ),
    "dense-map-not-square": Case(
        "dense matrix TSV that is not square",
        "open_contacts",
        _contacts("map.tsv", "chr1:0-10\t1\t2\nchr1:10-20\t3\t4\nchr1:20-30\t5\t6\n"),
    ),
    "hicpro-missing-bins": Case(
        "HiC-Pro matrix without its _abs.bed bins file",
        "open_contacts",
        _contacts("s_1000.matrix", "1\t1\t5\n"),
    ),
    "hicpro-bin-not-in-bed": Case(
        "HiC-Pro matrix naming a bin its bins file lacks",
        "open_contacts",
        _hicpro("1\t1\t5\n1\t4\t2\n"),
    ),
    "hicpro-non-numeric-count": Case(
        "HiC-Pro matrix with a non-numeric count",
        "open_contacts",
        _hicpro("1\t1\t5\n1\t2\tNA\n"),
    ),
    "hicpro-overlapping-bins": Case(
        "HiC-Pro bins file with overlapping (unsorted) bins",
        "open_contacts",
        _hicpro("1\t1\t5\n", "chr1\t0\t1000\t1\nchr1\t500\t1500\t2\n"),
    ),
    "pairs-without-resolution": Case(
        "4DN .pairs file opened without a bin size",
        "open_contacts",
        _contacts("s.pairs", "#chromsize: chr1 5000\nr1\tchr1\t10\tchr1\t20\t+\t+\n"),
    ),
    "pairs-without-chromsizes": Case(
        "4DN .pairs file without #chromsize header lines",
        "open_contacts",
        _contacts("s.pairs", "## pairs format v1.0\nr1\tchr1\t10\tchr1\t20\t+\t+\n",
                  resolution=1000),
    ),
    # genes versus map
    "chromosome-names-mismatch": Case(
        "gene chromosomes named unlike the map's",
        "harmonise_chroms",
        _harmonise("scaffold_1", 10),
    ),
    "assembly-mismatch": Case(
        "genes from another assembly (beyond the map's chromosome end)",
        "harmonise_chroms",
        _harmonise("1", 10_000_000),
    ),
    "genes-absent-from-map": Case(
        "every gene outside the map's coverage", "gene_bins", _genes_off_map
    ),
    "expression-genes-not-in-gene-table": Case(
        "no expression gene in the gene table",
        "build_forecast_dataset",
        _no_expression_gene_placed,
    ),
    # config, output, parameters
    "config-misspelled-key": Case(
        "misspelled config key", "load_config", _config("n_gene: 5\n")
    ),
    "config-wrong-type": Case(
        "config value of the wrong type", "load_config", _config("n_genes: many\n")
    ),
    "config-invalid-yaml": Case(
        "invalid YAML", "load_config", _config("seed: 1\n n_genes: [\n")
    ),
    "config-not-a-mapping": Case(
        "YAML that is a list, not a mapping", "load_config", _config("- 1\n- 2\n")
    ),
    "output-folder-not-writable": Case(
        "output folder cannot be created", "RunFolder", _run_folder
    ),
    "too-few-time-points": Case(
        "too few time points for the input window", "make_splits", _too_few_times
    ),
    "simulate-out-of-range": Case(
        "out-of-range hyper-parameter", "simulate_dataset", _simulate_range
    ),
    # the same through the CLI (one line on stderr, exit code 2)
    "cli-config-misspelled-key": Case(
        "misspelled key in --config",
        "hicexpr simulate",
        lambda tmp: [
            "simulate",
            "--out",
            "sim",
            "--config",
            _w(tmp, "cfg.yaml", "n_genes: 50\nseeds: 3\n").name,
        ],
        cli=True,
    ),
    "cli-out-of-range": Case(
        "out-of-range option",
        "hicexpr simulate",
        lambda tmp: ["simulate", "--out", "sim", "--n-genes", "-5"],
        cli=True,
    ),
    "cli-output-not-writable": Case(
        "--out under a file",
        "hicexpr demo",
        lambda tmp: ["demo", "--out", f"{_w(tmp, 'results', 'x').name}/demo"],
        cli=True,
    ),
    "cli-map-missing": Case(
        "missing input map",
        "hicexpr contacts convert",
        lambda tmp: ["contacts", "convert", "missing.cool", "out.cool"],
        cli=True,
    ),
    # added with the reader fixes of issue 6
    "genes-truncated-gzip": Case("gzip file cut short", "read_genes", _truncated_genes),
    "expression-truncated-gzip": Case(
        "gzip file cut short", "read_expression", _truncated_expression
    ),
    "expression-empty-file": Case(
        "empty expression file", "read_expression", _expr("expression.tsv", "")
    ),
    "expression-infinite-value": Case(
        "inf in an expression table",
        "read_expression",
        _expr("expression.tsv", "gene\t0\t1\ng1\t1\t2\ng2\tinf\t2\n"),
    ),
    "sample-times-repeated-sample": Case(
        "sample listed twice in sample_times (duplicated time)",
        "read_expression",
        _expr("expression.tsv", "gene\ta\tb\ng1\t1\t2\n", times="a\t0\nb\t1\na\t2\n"),
    ),
    "times-not-increasing": Case(
        "non-monotonic time points", "evaluate_forecasters", _times_not_increasing
    ),
    "horizon-beyond-test-block": Case(
        "horizon longer than the time points after the first test origin",
        "evaluate_forecasters",
        _horizon_too_long,
    ),
    "forecast-too-few-genes": Case(
        "one usable gene (the gene graph needs 2)", "run_forecast", _one_gene_forecast
    ),
    "expression-transposed": Case(
        "samples x genes table (times in the first column)",
        "read_expression",
        _expr("expression.tsv", "time\tYAL001C\tYAL002W\tYAL003W\n0\t1\t2\t5\n7\t3\t4\t6\n"),
    ),
    "forecast-param-wrong-kind": Case(
        "model parameter of the wrong kind (config model_params)", "make_model",
        _wrong_kind_param,
    ),
    "spex-track-off-genes": Case(
        "peak track on none of the genes' chromosomes (yeast genes, human track)",
        "from_tracks",
        _track_off_genes,
    ),
    "spex-negative-expression": Case(
        "negative expression level (logged later)",
        "read_expression_table",
        _negative_levels,
    ),
    "cool-wrong-resolution": Case(
        "resolution other than the .cool's bin size",
        "open_contacts",
        _open(lambda t: _cool(str(t / "map.cool")), resolution=5000),
    ),
    "step-map-truncated-gzip": Case(
        "gzip STEP text cut short",
        "open_contacts",
        _open(
            lambda t: Path(
                _truncated_gz(
                    t,
                    "chr7_1mb.txt.gz",
                    "".join(f"{i * 1000} {i * 1000} 1.5\n" for i in range(3000)),
                ).name
            )
        ),
    ),
    "cli-forecast-unknown-model": Case(
        "misspelled model name",
        "hicexpr forecast",
        lambda tmp: [
            "forecast",
            "--out",
            "run",
            "--dataset",
            "step_mrna",
            "--models",
            "gur",
        ],
        cli=True,
    ),
    "cli-forecast-out-of-range": Case(
        "out-of-range number of seeds",
        "hicexpr forecast",
        lambda tmp: [
            "forecast",
            "--out",
            "run",
            "--dataset",
            "step_mrna",
            "--seeds",
            "0",
        ],
        cli=True,
    ),
    "cli-forecast-bad-scaling": Case(
        "unknown per-gene scaling",
        "hicexpr forecast",
        lambda tmp: ["forecast", "--out", "run", "--dataset", "step_mrna", "--scaling", "zscore"],
        cli=True,
    ),
    "spex-sample-not-in-table": Case(
        "--sample naming no column of the expression table (misspelled)",
        "read_expression_table",
        _sample_not_in_table,
    ),
    "spex-tracks-off-test-chromosomes": Case(
        "tracks covering none of the test chromosomes (chr20-21 peaks, test chr8)",
        "check_track_coverage",
        _tracks_off_test_chromosome,
    ),
    "balance-read-only": Case(
        "read-only map balanced in place (shared data)",
        "balance_contacts",
        _balance_read_only,
    ),
    "cli-convert-bad-output": Case(
        "convert output not named .cool / .mcool (checked before the map is read)",
        "hicexpr contacts convert",
        lambda tmp: ["contacts", "convert", "map.hic", "map.txt"],
        cli=True,
    ),
    # added with the audit of simulate / demo / datasets (each was a traceback or a wrong hint)
    "simulate-max-distance-below-one-bin": Case(
        "contact distance shorter than one bin", "simulate_dataset",
        lambda tmp: _simulate_max_distance(tmp),
    ),
    "cli-simulate-negative-seed": Case(
        "negative seed",
        "hicexpr simulate",
        lambda tmp: ["simulate", "--out", "sim", "--seed", "-1"],
        cli=True,
    ),
    "cli-fetch-into-a-file": Case(
        "--out naming a file",
        "hicexpr datasets fetch",
        lambda tmp: ["datasets", "fetch", "step", "--from", ".", "--out",
                     _w(tmp, "data", "x").name],
        cli=True,
    ),
    "cli-fetch-from-a-file": Case(
        "--from naming a file, not a folder",
        "hicexpr datasets fetch",
        lambda tmp: ["datasets", "fetch", "step", "--from",
                     _w(tmp, "interaction_mrna.csv", "x").name],
        cli=True,
    ),
    "cli-spex-out-of-range": Case(
        "negative number of folds (checked before any file is read)",
        "hicexpr spex",
        lambda tmp: ["spex", "--genes", "genes.bed", "--expression", "rpkm.tsv", "--out", "run",
                     "--folds", "-1"],
        cli=True,
    ),
}


# --- docs/errors.md ----------------------------------------------------------------------------

_ROW = re.compile(r"^\|\s*`(?P<id>[a-z0-9][a-z0-9-]*)`\s*\|")


def _cells(line: str) -> list[str]:
    cells = re.split(r"(?<!\\)\|", line.strip().strip("|"))
    return [c.replace("\\|", "|").strip() for c in cells]


def _code(cell: str) -> str:
    text = cell.strip()
    ticks = len(text) - len(text.lstrip("`"))
    return text[ticks : len(text) - ticks].strip() if ticks else text


def documented() -> dict[str, str]:
    """``{case id: message}`` from the catalogue table of docs/errors.md."""
    rows: dict[str, str] = {}
    for line in DOC.read_text(encoding="utf-8").splitlines():
        match = _ROW.match(line)
        if match:
            cells = _cells(line)
            assert match["id"] not in rows, f"duplicate row {match['id']}"
            rows[match["id"]] = _code(cells[-1])
    return rows


def _normalise(message: str, tmp: Path) -> str:
    return message.replace(str(tmp) + os.sep, "").strip()


def observed(case_id: str, tmp: Path) -> str:
    """The one-line message a user sees for case ``case_id`` (folder prefix removed)."""
    case = CASES[case_id]
    if case.cli:
        args = case.run(tmp)
        env = {**os.environ, "HICEXPR_QUIET": "1", "HICEXPR_CACHE": str(tmp / ".cache")}
        proc = subprocess.run(
            [str(HICEXPR), *args],
            cwd=tmp,
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
        assert proc.returncode == 2, proc.stderr[-2000:]
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr[-2000:]
        return _normalise(lines[0].removeprefix("error: "), tmp)
    with pytest.raises(HicexprError) as info:
        case.run(tmp)
    assert isinstance(info.value, InputError)
    message = str(info.value)
    assert "\n" not in message
    return _normalise(message, tmp)


def test_catalogue_has_30_cases_and_mirrors_the_docs() -> None:
    docs = documented()
    assert len(CASES) >= 30
    assert sorted(docs) == sorted(CASES)


@pytest.mark.parametrize("case_id", sorted(CASES))
def test_documented_message(case_id: str, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("HICEXPR_CACHE", str(tmp_path / ".cache"))
    monkeypatch.chdir(tmp_path)
    assert observed(case_id, tmp_path) == documented()[case_id]


def render_table(tmp_root: Path) -> str:
    """The catalogue rows as observed now (used to refresh docs/errors.md by hand)."""
    lines = []
    for case_id in CASES:
        tmp = tmp_root / case_id
        tmp.mkdir(parents=True)
        os.environ["HICEXPR_CACHE"] = str(tmp / ".cache")
        os.chdir(tmp)
        try:
            msg = observed(case_id, tmp)
        except BaseException as exc:  # noqa: BLE001 - show what is wrong
            msg = f"!! {type(exc).__name__}: {exc}"
        case = CASES[case_id]
        lines.append(
            f"| `{case_id}` | {case.what} | `{case.call}` | "
            f"`` {msg.replace('|', chr(92) + '|')} `` |"
        )
    return "\n".join(lines)

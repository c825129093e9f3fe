"""Command-line interface: a thin shell over the public Python API.

Every command parses arguments, calls one function from ``hicexpr`` and reports where the
results are. Errors derived from :class:`hicexpr.lib.errors.HicexprError` print as one line.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Optional

import typer

from hicexpr import __version__
from hicexpr.lib.errors import HicexprError
from hicexpr.lib.progress import set_quiet

app = typer.Typer(
    rich_markup_mode="markdown",  # "rich" would eat "[default: 5]" as a style tag
    name="hicexpr",
    help="Predict gene expression from 3D genome organisation (Hi-C, Micro-C, ChIA-PET).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},  # sub-commands inherit it
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"hicexpr {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version and exit."
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars (also: "
                               "environment variable HICEXPR_QUIET=1)."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log INFO messages to stderr."),
) -> None:
    """hicexpr: contact maps -> 3D features -> gene graphs / spatial features -> expression."""
    set_quiet(True if quiet else None)  # without --quiet, $HICEXPR_QUIET still counts
    _console_logging(logging.INFO if verbose else logging.WARNING)


def _console_logging(level: int) -> None:
    """One stderr handler on the root logger (libraries calling basicConfig then add none)."""
    handler = logging.StreamHandler()
    handler.setLevel(level)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)


# Sub-command groups are registered below, one block per group.
# --- commands ------------------------------------------------------------------------------

# contacts: hicexpr contacts convert | balance | features | pairs (hicexpr.io.contacts,
# hicexpr.workflows.contacts)
BINS_HELP = ("HiC-Pro bins file (_abs.bed) of a .matrix [default: the matrix's "
             "<sample>_<res>_abs.bed sibling].")
contacts_app = typer.Typer(help="Contact maps: convert, balance, 3D features, gene pairs.",
                           no_args_is_help=True, rich_markup_mode="markdown")
app.add_typer(contacts_app, name="contacts")


@contacts_app.command("convert")
def _contacts_convert(
    src: str = typer.Argument(..., help="Map: .cool/.mcool[::resolutions/N]/.hic/STEP text/"
                              "HiC-Pro .matrix/4DN .pairs/TSV."),
    out: Path = typer.Argument(..., help="Output .cool"),
    resolution: int | None = typer.Option(None, help="Bin size (bp); required for .pairs."),
    assembly: str | None = typer.Option(None, help="Assembly (e.g. mm9) for text maps."),
    bins: Path | None = typer.Option(None, help=BINS_HELP),
) -> None:
    """Write any supported contact map as a .cool with assembly metadata."""
    from hicexpr.io.contacts import convert_contacts

    typer.echo(str(convert_contacts(src, out, resolution=resolution, assembly=assembly,
                                    bins=bins)))


@contacts_app.command("balance")
def _contacts_balance(
    src: str = typer.Argument(..., help="Map to balance (a .cool is balanced in place)."),
    out: Path | None = typer.Option(None, help="Write a balanced copy here instead."),
    weight: str = typer.Option("weight", help="Name of the weight column to store."),
    resolution: int | None = typer.Option(None, help="Bin size (bp); required for .pairs."),
    cis_only: bool = typer.Option(False, help="Balance on cis contacts only."),
) -> None:
    """ICE-balance a map (cooler.balance_cooler) and store its weights."""
    from hicexpr.io.contacts import balance_contacts

    typer.echo(str(balance_contacts(src, out, weight_name=weight, resolution=resolution,
                                    cis_only=cis_only)))


@contacts_app.command("features")
def _contacts_features(
    hic: str = typer.Option(..., "--hic", help="Contact map (any supported format)."),
    genes: Path = typer.Option(..., "--genes", help="Genes: BED/GTF/GFF3/SGD/STEP CSV."),
    out: Path = typer.Option(..., "--out", help="Output run folder."),
    config: Path | None = typer.Option(None, "--config", help="YAML config."),
    resolution: int | None = typer.Option(None, help="Bin size (bp); required for .pairs."),
    window_bp: int | None = typer.Option(None, help="Insulation window (bp)."),
    max_distance: int | None = typer.Option(None, help="Max TSS distance of pairs (bp)."),
    balance: str | None = typer.Option(None, help="auto | weights | raw."),
    weight: str | None = typer.Option(None, help="Weight column name."),
    assembly: str | None = typer.Option(None, help="Assembly of text maps (e.g. mm9)."),
    bins: Path | None = typer.Option(None, help=BINS_HELP),
    workers: int | None = typer.Option(
        None, "--workers", help="Dask local cluster: N worker processes, one chromosome each."),
    scheduler: str | None = typer.Option(
        None, "--scheduler", help="Join an existing Dask cluster (e.g. tcp://host:8786)."),
) -> None:
    """Per-gene insulation, boundaries, TADs, compartments and gene pairs -> run folder."""
    from hicexpr.config import ContactFeaturesConfig, load_config
    from hicexpr.workflows.contacts import run_contact_features

    overrides = {"resolution": resolution, "window_bp": window_bp, "max_distance": max_distance,
                 "balance": balance, "weight": weight, "assembly": assembly,
                 "bins": str(bins) if bins else None}
    cfg = load_config(ContactFeaturesConfig, config, overrides)
    typer.echo(str(run_contact_features(hic, genes, out, workers=workers, scheduler=scheduler,
                                        **cfg.model_dump())))


@contacts_app.command("pairs")
def _contacts_pairs(
    hic: str = typer.Option(..., "--hic", help="Contact map (any supported format)."),
    genes: Path = typer.Option(..., "--genes", help="Genes: BED/GTF/GFF3/SGD/STEP CSV."),
    out: Path = typer.Option(..., "--out", help="Output .tsv/.tsv.gz/.parquet/.bedpe."),
    resolution: int | None = typer.Option(None, help="Bin size (bp); required for .pairs."),
    max_distance: int | None = typer.Option(None, help="Max TSS distance (bp)."),
    balance: str = typer.Option("auto", help="auto | weights | raw."),
    min_count: float = typer.Option(0, help="Keep pairs with raw count above this."),
    trans: bool = typer.Option(False, help="Include inter-chromosomal pairs."),
    top_k: int | None = typer.Option(None, help="Keep each gene's k strongest partners."),
    assembly: str | None = typer.Option(None, help="Assembly of text maps (e.g. mm9)."),
    bins: Path | None = typer.Option(None, help=BINS_HELP),
) -> None:
    """Gene-pair contacts (raw, balanced, observed/expected) as a table or BEDPE."""
    from hicexpr.workflows.contacts import run_gene_pairs

    typer.echo(str(run_gene_pairs(hic, genes, out, resolution=resolution,
                                  max_distance=max_distance, balance=balance,
                                  min_count=min_count, trans=trans, top_k=top_k,
                                  assembly=assembly, bins=bins)))



# simulate / datasets / demo (datasets.simulate, datasets.registry, workflows.demo)
@app.command("simulate")
def simulate_cmd(
    out: Path = typer.Option(..., "--out", help="Output folder."),
    seed: int | None = typer.Option(None, help="Random seed [default: 0]."),
    n_genes: int | None = typer.Option(None, help="Genes [default: 300]."),
    n_times: int | None = typer.Option(None, help="Time points [default: 40]."),
    resolution: int | None = typer.Option(None, help="Bin size in bp [default: 10000]."),
    n_chroms: int | None = typer.Option(None, help="Chromosomes [default: 3]."),
    genome_size: int | None = typer.Option(None, help="Genome length bp [default: 24 Mb]."),
    max_distance: int | None = typer.Option(None, help="Max contact distance bp [all]."),
    config: Path | None = typer.Option(None, "--config", help="YAML config file."),
    large: bool = typer.Option(
        False, "--large", help="Genome scale (hicexpr.workflows.scale.simulate_large): one "
        "chromosome per 1,000 genes (150 Mb on average), 10 kb bins; defaults 20,000 genes x "
        "100 time points, contacts up to 2 Mb."),
) -> None:
    """Simulate a Hi-C map (.cool), genes, coupled expression time course and truth.json."""
    from hicexpr.config import SimulateConfig, load_config

    if large:
        from hicexpr.lib.errors import InputError
        from hicexpr.workflows.scale import simulate_large

        if config is not None or genome_size is not None:
            raise InputError("simulate --large", "options", "no --config or --genome-size (the "
                             "layout follows --n-genes / --n-chroms)",
                             "--config" if config is not None else "--genome-size")
        # "is None", not "or": an explicit 0 is checked (and refused), never replaced
        paths = simulate_large(out, n_genes=_given(n_genes, 20_000),
                               n_times=_given(n_times, 100), seed=_given(seed, 0),
                               resolution=_given(resolution, 10_000), n_chroms=n_chroms,
                               max_distance=_given(max_distance, 2_000_000))
        typer.echo(f"simulated data in {paths.folder} (truth: {paths.truth})")
        return

    overrides = dict(seed=seed, n_genes=n_genes, n_times=n_times, resolution=resolution,
                     n_chroms=n_chroms, genome_size=genome_size, max_distance=max_distance)
    cfg = load_config(SimulateConfig, config, overrides)  # config errors before heavy imports
    from hicexpr.datasets.simulate import simulate_dataset

    paths = simulate_dataset(out, **cfg.model_dump())
    typer.echo(f"simulated data in {paths.folder} (truth: {paths.truth})")


def _given(value: int | None, default: int) -> int:
    """An option's value, or ``default`` when it was not given."""
    return default if value is None else value


datasets_app = typer.Typer(help="Public data sets: list them, fetch them (sha256-checked).",
                           no_args_is_help=True, rich_markup_mode="markdown")
app.add_typer(datasets_app, name="datasets")


@datasets_app.command("list")
def datasets_list_cmd() -> None:
    """List the registered data sets."""
    from hicexpr.datasets.registry import list_datasets

    table = list_datasets()
    typer.echo(table[["name", "files", "size_mb", "public_urls", "description"]]
               .to_string(index=False, max_colwidth=70))


@datasets_app.command("fetch")
def datasets_fetch_cmd(
    name: str = typer.Argument(..., help="Data set name (see `hicexpr datasets list`)."),
    source_dir: Path | None = typer.Option(
        None, "--from", help="Import local copies from this folder (sha256-checked)."
    ),
    dest: Path | None = typer.Option(
        None, "--out", help="Target folder [default: $HICEXPR_CACHE or ~/.cache/hicexpr]."
    ),
) -> None:
    """Download (or import with --from) every file of a data set, checking sha256."""
    from hicexpr.datasets.registry import fetch_dataset

    files = fetch_dataset(name, source_dir=source_dir, dest=dest)
    root = files[0].parent if len(files) == 1 else Path(os.path.commonpath(files))
    typer.echo(f"{len(files)} file{'' if len(files) == 1 else 's'} of '{name}' in {root}")


@app.command("demo")
def demo_cmd(
    out: Path = typer.Option(Path("results/demo"), "--out", help="Run folder."),
    seed: int | None = typer.Option(None, help="Random seed [default: 0]."),
    n_genes: int | None = typer.Option(None, help="Genes [default: 300]."),
    n_times: int | None = typer.Option(None, help="Time points [default: 40]."),
    config: Path | None = typer.Option(None, "--config", help="YAML config file."),
) -> None:
    """Simulate a small data set and run the whole pipeline on it (< 2 min)."""
    from hicexpr.config import DemoConfig, load_config
    from hicexpr.lib.progress import is_quiet

    cfg = load_config(DemoConfig, config, dict(seed=seed, n_genes=n_genes, n_times=n_times))
    from hicexpr.workflows.demo import run_demo

    with _interruptible(out):
        result = run_demo(out, quiet=is_quiet(), **cfg.model_dump())
    typer.echo(f"demo finished in {result.run}")
    typer.echo(f"  metrics: {result.metrics}")
    typer.echo(f"  report:  {result.report}")


# report: hicexpr report RUN_DIR (hicexpr.report.write_report)
@app.command("report")
def _report(
    run_dir: Path = typer.Argument(..., help="Run folder of a forecast / spex run."),
    out: Path | None = typer.Option(None, help="HTML path (default RUN_DIR/report.html)."),
    gene_sets: Path | None = typer.Option(
        None, "--gene-sets", help="GMT or SGD go_slim_mapping.tab (default: by organism)."),
    contacts: str | None = typer.Option(None, help="Cooler URI for the contact-map figure."),
    region: str | None = typer.Option(None, help="Contact-map region, e.g. chrII:0-300000."),
    permutations: int = typer.Option(200, help="Prerank permutations."),
    seed: int = typer.Option(0, help="Prerank seed."),
) -> None:
    """Write the self-contained HTML report of a run (plots, predictability, enrichment)."""
    from hicexpr.report import write_report

    typer.echo(str(write_report(run_dir, out=out, gene_sets=gene_sets, contacts=contacts,
                                region=region, permutation_num=permutations, seed=seed)))


# spex: hicexpr spex (hicexpr.workflows.spex)
@app.command("spex")
def _spex(
    genes: Path = typer.Option(..., "--genes", help="Genes (BED with Ensembl ids in column 7)."),
    expression: Path = typer.Option(..., "--expression", help="Gene x sample expression table."),
    out: Path = typer.Option(..., "--out", help="Output run folder."),
    tracks: list[Path] = typer.Option([], "--tracks", help="Peak/BED/bedGraph files (repeatable)."),
    segmentation: list[Path] = typer.Option([], "--segmentation", help="ChromHMM-style BED."),
    bigwig: list[Path] = typer.Option([], "--bigwig", help="bigWig signal (repeatable)."),
    contacts: list[str] = typer.Option([], "--contacts",
                                       help="Contact map .cool/.mcool/.hic (label=path ok)."),
    loops: list[str] = typer.Option([], "--loops", help="HiCCUPS loops / BEDPE (label=path ok)."),
    links: list[str] = typer.Option([], "--links", help="BENGI link table (label=path ok)."),
    config: Path | None = typer.Option(None, "--config", help="YAML config (SpexConfig)."),
    samples: list[str] | None = typer.Option(None, "--sample", help="Expression column(s)."),
    heads: list[str] | None = typer.Option(None, "--head", help="ridge|elasticnet|gblinear|gbtree"),
    aggregations: list[str] | None = typer.Option(
        None, "--aggregation", help="sides|distance_bins|weighted_mean|activity"),
    resolution: int | None = typer.Option(None, help="Bin size of .mcool/.hic maps (bp)."),
    folds: int | None = typer.Option(None, help="Chromosome-grouped k-fold (0 = hold-out)."),
    controls: bool | None = typer.Option(None, "--controls/--no-controls", help="Run controls."),
    control_heads: list[str] | None = typer.Option(
        None, "--control-head", help="Heads fitted on controls (default: first linear head)."),
    balance: bool | None = typer.Option(None, "--balance/--raw", help="Balanced contact maps."),
    min_oe: float | None = typer.Option(None, "--min-oe", help="Keep map pixels with "
                                        "observed/expected >= this."),
    beluga_weights: Path | None = typer.Option(
        None, "--beluga-weights", help="Beluga state_dict: profiles from DNA (not --tracks)."),
    fasta: Path | None = typer.Option(None, "--fasta", help="Genome FASTA for --beluga-weights."),
    average_rc: bool | None = typer.Option(
        None, "--rc-average/--no-rc-average", help="Beluga: average both strands (default on)."),
    batch_size: int | None = typer.Option(None, "--batch-size", help="Beluga batch (default 64)."),
    device: str | None = typer.Option(None, "--device", help="Beluga device (default cuda "
                                      "when available)."),
    cache_dir: Path | None = typer.Option(None, "--cache-dir", help="Beluga prediction cache."),
    report: bool | None = typer.Option(None, "--report/--no-report", help="Write report.html."),
) -> None:
    """Local chromatin (ExPecto) + 3D partner (SpEx) features -> expression, with controls."""
    # Idle OpenMP threads sleep instead of spinning (set before xgboost / sklearn load libgomp):
    # on shared cores spinning tripled the CPU time of the gbtree fits.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    from hicexpr.config import SpexConfig, load_config
    from hicexpr.workflows.spex import run_spex

    overrides = {"samples": samples or None, "heads": heads or None, "resolution": resolution,
                 "aggregations": aggregations or None, "folds": folds, "controls": controls,
                 "control_heads": control_heads or None, "balance": balance, "min_oe": min_oe,
                 "beluga_weights": str(beluga_weights) if beluga_weights else None,
                 "fasta": str(fasta) if fasta else None, "average_rc": average_rc,
                 "batch_size": batch_size, "device": device,
                 "cache_dir": str(cache_dir) if cache_dir else None, "report": report}
    cfg = load_config(SpexConfig, config, overrides)
    typer.echo(str(run_spex(genes, expression, out, tracks, segmentation, bigwig, contacts,
                            loops, links, cfg)))


# forecast / graph: hicexpr.workflows.forecast (run_forecast, run_graph)
# (config.ForecastConfig's defaults, spelt out so that --help does not import pydantic)
DEFAULT_MODELS = ("persistence, window_mean, gene_ridge_ar, pooled_ridge_ar, ridge_ar_hic, gru, "
                  "stepmr, stepmi, graph_ar, graph_ensemble")
DATASET_HELP = "step_mrna | step_mirna | yeast_alpha | yeast_cdc15."
EXPRESSION_HELP = "Genes x samples table (TSV/CSV, .gz ok) or .h5ad (obs = samples)."
CONTACTS_HELP = ("Contact map (.cool, .mcool, .hic, STEP text, HiC-Pro .matrix with its "
                 "_abs.bed beside it, 4DN .pairs with --resolution, dense TSV).")
GENES_HELP = "Gene table (BED, GTF/GFF3, SGD_features.tab, STEP CSV)."
SAMPLE_TIMES_HELP = "Sample -> time table (TSV/CSV) when the sample names carry no time."
NODE2VEC_HELP = ("none | static | temporal Node2vec node features [default: static when "
                 "node2vec_dim > 0, else none].")


def _forecast_overrides(**values: object) -> dict[str, object]:
    return {k: v for k, v in values.items() if v not in (None, [], ())}


@app.command("forecast")
def forecast_cmd(
    out: Path = typer.Option(..., "--out", help="Run folder."),
    dataset: str | None = typer.Option(None, "--dataset", help=DATASET_HELP),
    expression: str | None = typer.Option(None, "--expression", help=EXPRESSION_HELP),
    contacts: str | None = typer.Option(None, "--contacts", help=CONTACTS_HELP),
    resolution: int | None = typer.Option(None, "--resolution", min=1, help="Bin size (bp) of "
                                          "a multi-resolution .mcool / .hic map, or to bin a "
                                          ".pairs file at."),
    genes: str | None = typer.Option(None, "--genes", help=GENES_HELP),
    sample_times: str | None = typer.Option(None, "--sample-times", help=SAMPLE_TIMES_HELP),
    models: list[str] | None = typer.Option(None, "--models", help="Models, comma-separated "
                                            f"or repeated [default: {DEFAULT_MODELS}]."),
    protocol: str | None = typer.Option(None, "--protocol", help="chronological | "
                                        "rolling-origin | step-random (leaky)."),
    seeds: int | None = typer.Option(None, "--seeds", help="Number of seeds [default: 5]."),
    horizon: int | None = typer.Option(None, "--horizon", help="Horizons 1..H [default: 1]."),
    input_length: int | None = typer.Option(None, "--input-length", min=1, help="Input time "
                                            "points per window [default: 3]; ridge baselines "
                                            "keep their own lags (model_params, 3)."),
    node2vec: str | None = typer.Option(None, "--node2vec", help=NODE2VEC_HELP),
    report: bool | None = typer.Option(None, "--report/--no-report", help="Write report.html."),
    scaling: str | None = typer.Option(None, "--scaling", help="standard | scale | none "
                                       "per-gene scaling (default: the dataset's)."),
    max_genes: int | None = typer.Option(None, "--max-genes", min=0, help="Genes kept, evenly "
                                         "spaced along the genome; 0: all [default: 500]."),
    config: Path | None = typer.Option(None, "--config", help="YAML config file."),
) -> None:
    """Forecast gene expression time courses (STEPmr, STEPmi, GRU, baselines) -> run folder."""
    from hicexpr.config import ForecastConfig, load_config

    overrides = _forecast_overrides(
        dataset=dataset, expression=expression, contacts=contacts, resolution=resolution,
        genes=genes, sample_times=sample_times, protocol=protocol, seeds=seeds,
        models=[m for item in models or [] for m in item.split(",") if m],
        horizon=horizon, input_length=input_length, out=str(out), node2vec=node2vec,
        report=report, scaling=scaling, max_genes=max_genes)
    cfg = load_config(ForecastConfig, config, overrides)
    from hicexpr.workflows.forecast import run_forecast

    with _interruptible(out):
        typer.echo(str(run_forecast(cfg)))


@app.command("graph")
def graph_cmd(
    out: Path = typer.Option(..., "--out", help="Run folder."),
    dataset: str | None = typer.Option(None, "--dataset", help=DATASET_HELP),
    expression: str | None = typer.Option(None, "--expression", help=EXPRESSION_HELP),
    contacts: str | None = typer.Option(None, "--contacts", help=CONTACTS_HELP),
    resolution: int | None = typer.Option(None, "--resolution", min=1, help="Bin size (bp) of "
                                          "a multi-resolution .mcool / .hic map, or to bin a "
                                          ".pairs file at."),
    genes: str | None = typer.Option(None, "--genes", help=GENES_HELP),
    sample_times: str | None = typer.Option(None, "--sample-times", help=SAMPLE_TIMES_HELP),
    max_genes: int | None = typer.Option(None, "--max-genes", min=0, help="Genes kept, evenly "
                                         "spaced along the genome; 0: all [default: 500]."),
    top_k: int | None = typer.Option(None, "--top-k", help="Strongest edges per gene [10]."),
    node2vec_dim: int | None = typer.Option(None, "--node2vec-dim", help="Node2vec size [0]."),
    node2vec: str | None = typer.Option(None, "--node2vec", help=NODE2VEC_HELP),
    config: Path | None = typer.Option(None, "--config", help="YAML config file."),
) -> None:
    """Build the Hi-C gene graph (edges.tsv) and optional Node2vec embedding -> run folder."""
    from hicexpr.config import ForecastConfig, load_config

    overrides = _forecast_overrides(dataset=dataset, expression=expression, contacts=contacts,
                                    resolution=resolution, genes=genes,
                                    sample_times=sample_times, max_genes=max_genes, top_k=top_k,
                                    node2vec_dim=node2vec_dim, node2vec=node2vec)
    cfg = load_config(ForecastConfig, config, overrides)
    from hicexpr.workflows.forecast import run_graph

    with _interruptible(out):
        typer.echo(str(run_graph(cfg, out)))


INTERRUPTED_EXIT = 130  # 128 + SIGINT, as a shell reports it


class Interrupted(Exception):
    """Ctrl-C inside a command that writes a run folder (typer would exit 130 silently)."""

    def __init__(self, out: Path) -> None:
        from hicexpr.lib.runs import is_complete

        done = is_complete(out)  # COMPLETE is written last: an earlier stop leaves none
        super().__init__(f"{out} {'complete' if done else 'left without COMPLETE'}")


@contextlib.contextmanager
def _interruptible(out: Path) -> Iterator[None]:
    """Turn a KeyboardInterrupt into :class:`Interrupted`, which passes through typer."""
    try:
        yield
    except KeyboardInterrupt:
        raise Interrupted(out) from None


def _click_errors() -> tuple[type[Exception], type[Exception] | None]:
    """click's ``ClickException`` and ``NoArgsIsHelpError`` (None before click 8.2), whether
    typer vendors click (0.29: ``typer._click``) or uses the package."""
    base = next(k for k in typer.BadParameter.__mro__ if k.__name__ == "ClickException")
    return base, getattr(sys.modules[base.__module__], "NoArgsIsHelpError", None)


CLICK_ERROR, NO_ARGS_IS_HELP = _click_errors()


def main() -> None:
    """Entry point: run the app, print HicexprError and command-line usage errors as one line
    (exit code 2) and an interruption as one line (exit code 130)."""
    try:
        code = app(standalone_mode=False)
    except HicexprError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except CLICK_ERROR as exc:  # unknown option or command, a value of the wrong type
        if NO_ARGS_IS_HELP is not None and isinstance(exc, NO_ARGS_IS_HELP):
            from typer import rich_utils

            rich_utils.rich_format_error(exc)  # a bare group: its help, as typer shows it
        else:
            typer.echo(f"error: {usage_error_line(exc)}", err=True)
        sys.exit(exc.exit_code)
    except typer.Abort:  # click's end of input at a prompt (standalone mode: "Aborted!")
        typer.echo("aborted", err=True)
        sys.exit(1)
    except Interrupted as exc:
        _exit_interrupted(str(exc))
    except KeyboardInterrupt:
        _exit_interrupted("")
    if code == INTERRUPTED_EXIT:  # typer turned a KeyboardInterrupt into Exit(130)
        _exit_interrupted("")
    if isinstance(code, int) and code:
        sys.exit(code)


def usage_error_line(exc: Exception) -> str:
    """``hicexpr CMD: <click's message> (hicexpr CMD -h for help)`` on one line."""
    ctx = getattr(exc, "ctx", None)
    command = ctx.command_path if ctx is not None else "hicexpr"
    message = " ".join(exc.format_message().split())
    return f"{command}: {message} ({command} -h for help)"


def _exit_interrupted(detail: str) -> None:
    typer.echo(f"interrupted: {detail}" if detail else "interrupted", err=True)
    sys.exit(INTERRUPTED_EXIT)


__all__ = ["app", "main", "Path", "Optional"]


if __name__ == "__main__":
    main()

"""``hicexpr demo``: simulate a small data set and run the whole pipeline on it.

Steps, in order (each a public function a notebook can call on its own):

1. :func:`hicexpr.datasets.simulate.simulate_dataset` -> ``OUT/data`` (``.cool``, genes,
   expression, ``truth.json``);
2. :func:`hicexpr.workflows.contacts.run_contact_features` -> ``OUT/contacts`` (insulation,
   boundaries, TADs, compartments, gene pairs);
3. :func:`planted_gene_sets` -> ``OUT/gene_sets.gmt`` (genes per planted TAD / compartment /
   coupling hub, for the report's enrichment section);
4. :func:`hicexpr.workflows.forecast.run_forecast` -> ``OUT`` itself is the forecast run folder
   (metrics, predictions, plots and ``report.html``); its ``COMPLETE`` marker is written last.
"""

from __future__ import annotations

import logging
import os
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hicexpr.config import DemoConfig, ForecastConfig
from hicexpr.datasets.simulate import (
    SimulatedPaths,
    SimulationParams,
    check_seed,
    simulate_dataset,
)
from hicexpr.io.genes import read_genes
from hicexpr.lib import atomic
from hicexpr.lib.errors import InputError
from hicexpr.lib.paths import writable_folder
from hicexpr.lib.progress import is_quiet, set_quiet
from hicexpr.lib.runs import COMPLETE

log = logging.getLogger(__name__)

HUB_MIN_PARTNERS = 4  # a gene with at least this many planted couplings is a hub


@dataclass(frozen=True)
class DemoResult:
    """Where a demo run put its outputs."""

    run: Path
    data: SimulatedPaths
    contacts: Path
    metrics: Path
    report: Path


def run_demo(
    out: str | os.PathLike[str],
    seed: int = 0,
    quiet: bool = False,
    n_genes: int = 300,
    n_times: int = 40,
    n_chroms: int = 3,
    genome_size: int = 24_000_000,
    test_fraction: float = 0.2,
    seeds: int = 2,
    models: list[str] | None = None,
) -> DemoResult:
    """Simulate into ``OUT/data``, compute 3D features, forecast, and report into ``OUT``."""
    config = DemoConfig(
        seed=seed, n_genes=n_genes, n_times=n_times, n_chroms=n_chroms, genome_size=genome_size,
        test_fraction=test_fraction, seeds=seeds, models=models,
    )
    check_simulation(config)  # before anything is written
    folder = writable_folder(out)
    (folder / COMPLETE).unlink(missing_ok=True)  # a re-run is unfinished until the end
    was_quiet = is_quiet()
    set_quiet(quiet or was_quiet)
    try:
        data = simulate_dataset(
            folder / "data", seed=config.seed, n_genes=config.n_genes, n_times=config.n_times,
            n_chroms=config.n_chroms, genome_size=config.genome_size,
        )
        contacts = contact_step(data, folder / "contacts")
        atomic.write_text(folder / "gene_sets.gmt", planted_gene_sets(data))
        run = run_forecast_step(data, config, folder)
    finally:
        set_quiet(was_quiet)
    log.info("demo finished: %s", run)
    return DemoResult(run=run, data=data, contacts=contacts, metrics=run / "metrics.json",
                      report=run / "report.html")


def check_simulation(config: DemoConfig) -> None:
    """Raise :class:`InputError` for simulation settings :func:`simulate_dataset` refuses, or
    a time course too short for the forecast step's protocol."""
    from hicexpr.evaluate.protocols import make_splits

    check_seed(config.seed)
    SimulationParams(n_genes=config.n_genes, n_times=config.n_times, n_chroms=config.n_chroms,
                     genome_size=config.genome_size).check()
    forecast = ForecastConfig(test_fraction=config.test_fraction)
    try:
        make_splits(config.n_times, forecast.protocol, forecast.input_length,
                    forecast.test_fraction, forecast.val_fraction, forecast.n_folds)
    except InputError as exc:
        raise InputError("demo", "n_times", exc.expected, config.n_times) from None


def contact_step(data: SimulatedPaths, out: Path) -> Path:
    """3D features of the simulated genes on the simulated map (a run folder of its own)."""
    from hicexpr.workflows.contacts import run_contact_features

    return run_contact_features(data.cool, data.genes, out)


def run_forecast_step(data: SimulatedPaths, config: DemoConfig, out: Path) -> Path:
    """Every forecasting model and baseline on the simulated time course, run folder ``out``."""
    from hicexpr.workflows.forecast import run_forecast

    fields = {
        "expression": str(data.expression), "contacts": str(data.cool), "genes": str(data.genes),
        "out": str(out), "seeds": config.seeds, "test_fraction": config.test_fraction,
        "max_genes": None,
    }
    if config.models is not None:
        fields["models"] = config.models
    return run_forecast(ForecastConfig(**fields), out)


def planted_gene_sets(data: SimulatedPaths) -> str:
    """GMT text: genes per planted TAD (>= 5 genes), per compartment and the coupling hubs."""
    import json

    truth = json.loads(data.truth.read_text())
    genes = read_genes(data.genes)
    lines: list[str] = []
    for chrom, borders in truth["tad_borders"].items():
        edges = [0, *borders, truth["chromsizes"][chrom]]
        on_chrom = genes[genes["chrom"] == chrom]
        for start, end in zip(edges[:-1], edges[1:], strict=True):
            ids = on_chrom.loc[(on_chrom["tss"] >= start) & (on_chrom["tss"] < end), "gene_id"]
            if len(ids) >= 5:
                lines.append(_gmt_line(f"planted_TAD_{chrom}_{start}_{end}", "planted TAD", ids))
    resolution = int(truth["resolution"])
    codes = np.array([
        truth["compartments"][chrom][min(int(tss) // resolution,
                                         len(truth["compartments"][chrom]) - 1)]
        for chrom, tss in zip(genes["chrom"], genes["tss"], strict=True)
    ])
    for name, code in truth["compartment_codes"].items():
        lines.append(_gmt_line(f"compartment_{name}", "planted compartment",
                               genes.loc[codes == code, "gene_id"]))
    degree = Counter(e["target"] for e in truth["edges"])
    hubs = [g for g, n in degree.items() if n >= HUB_MIN_PARTNERS]
    if hubs:
        lines.append(_gmt_line("coupling_hubs", f">= {HUB_MIN_PARTNERS} planted inputs", hubs))
    return "\n".join(lines) + "\n"


def _gmt_line(name: str, description: str, genes: object) -> str:
    return "\t".join([name, description, *sorted(map(str, genes))])  # type: ignore[call-overload]


__all__ = ["DemoResult", "run_demo", "check_simulation", "contact_step", "run_forecast_step",
           "planted_gene_sets"]

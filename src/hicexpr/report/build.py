"""``write_report``: read a run folder, analyse it, write ``report.html`` (self-contained)."""

from __future__ import annotations

import logging
import os
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path

import cooler

from hicexpr.lib.atomic import write_text
from hicexpr.lib.errors import InputError
from hicexpr.lib.runs import record_outputs
from hicexpr.report.html import render
from hicexpr.report.load import RunData, load_run
from hicexpr.report.region import check_region, region_on_map
from hicexpr.report.sections import ReportOptions, analyse, open_report_contacts

log = logging.getLogger(__name__)


def write_report(
    run_dir: str | os.PathLike[str],
    out: str | os.PathLike[str] | None = None,
    gene_sets: str | os.PathLike[str] | Mapping[str, list[str]] | None = None,
    id_mapping: Mapping[str, str] | None = None,
    contacts: str | os.PathLike[str] | cooler.Cooler | None = None,
    region: str | None = None,
    permutation_num: int = 200,
    seed: int = 0,
    last_step: bool = False,
) -> Path:
    """Write the HTML report of a forecast / SpEx run and its figures (``plots/``).

    Args:
        run_dir: run folder (docs/run_folder.md; optional extra files in docs/report.md).
        out: HTML path (default ``run_dir/report.html``); an existing folder gets
            ``report.html`` inside it.
        gene_sets: GMT path, SGD ``go_slim_mapping.tab`` or dict of sets (default: the shared
            collection for the run's organism: yeast GO-slim, human GO BP, mouse Reactome).
        id_mapping: data gene id -> gene-set id (default: the gene table's ``symbol`` column,
            ``entrez`` for Entrez-keyed sets).
        contacts: cooler (or its URI) for the contact-map figure (default: a ``.cool`` path found
            in config.yaml).
        region: contact-map region (default: around the top-scoring gene); its chromosome
            is matched to the map's names (``chr8`` <-> ``8``).
        permutation_num: prerank permutations.
        seed: prerank seed.
        last_step: the run itself writes the report as its last step (its header then says
            so instead of "not marked COMPLETE"; see ``hicexpr.workflows.runs.finish_run``).

    Returns:
        Path of the written report.
    """
    started = time.time()
    check_region(region)  # bad options and outputs fail before any work
    target = report_target(run_dir, out)
    run = load_run(run_dir)
    options = ReportOptions(gene_sets=gene_sets, id_mapping=id_mapping,
                            contacts=os.fspath(contacts) if isinstance(contacts, os.PathLike)
                            else contacts, region=region, permutation_num=permutation_num,
                            seed=seed)
    _place_region_on_map(run, options)
    content = analyse(run, options)
    try:
        write_text(target, render(run, content, last_step))
    except OSError as exc:
        raise InputError(out or target, "", "a writable report path", exc.strerror) from None
    log.info("report written to %s (%d figures)", target, len(content.figures))
    record_outputs(run_dir, started)  # a later run in this folder removes them with its own
    return target


def report_target(run_dir: str | os.PathLike[str], out: str | os.PathLike[str] | None) -> Path:
    """Where the report goes (``out``; inside it when a folder), checked to be writable."""
    if out is None:
        return Path(run_dir) / "report.html"
    target = Path(out) / "report.html" if Path(out).is_dir() else Path(out)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=target.parent):
            pass
    except OSError as exc:
        raise InputError(out, "", "a writable report path", exc.strerror) from None
    return target


def _place_region_on_map(run: RunData, options: ReportOptions) -> None:
    """Name ``options.region`` as in the report's contact map (unchanged without a map); the
    map, opened here, is kept in ``options.contacts`` for the figure."""
    if options.region is None:
        return
    clr = open_report_contacts(run, options)
    if clr is not None:
        options.contacts = clr
        options.region = region_on_map(options.region, clr, clr.filename)

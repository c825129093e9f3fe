"""``write_report``: read a run folder, analyse it, write ``report.html`` (self-contained)."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path

import cooler

from hicexpr.lib.atomic import write_text
from hicexpr.report.html import render
from hicexpr.report.load import load_run
from hicexpr.report.sections import ReportOptions, analyse

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
) -> Path:
    """Write the HTML report of a forecast / SpEx run and its figures (``plots/``).

    Args:
        run_dir: run folder (docs/run_folder.md; optional extra files in docs/report.md).
        out: HTML path (default ``run_dir/report.html``).
        gene_sets: GMT path, SGD ``go_slim_mapping.tab`` or dict of sets (default: the shared
            collection for the run's organism: yeast GO-slim, human GO BP, mouse Reactome).
        id_mapping: data gene id -> gene-set id (default: the gene table's ``symbol`` column,
            ``entrez`` for Entrez-keyed sets).
        contacts: cooler (or its URI) for the contact-map figure (default: a ``.cool`` path found
            in config.yaml).
        region: contact-map region (default: around the top-scoring gene).
        permutation_num: prerank permutations.
        seed: prerank seed.

    Returns:
        Path of the written report.
    """
    run = load_run(run_dir)
    options = ReportOptions(gene_sets=gene_sets, id_mapping=id_mapping,
                            contacts=os.fspath(contacts) if isinstance(contacts, os.PathLike)
                            else contacts, region=region, permutation_num=permutation_num,
                            seed=seed)
    content = analyse(run, options)
    target = Path(out) if out is not None else run.path / "report.html"
    write_text(target, render(run, content))
    log.info("report written to %s (%d figures)", target, len(content.figures))
    return target

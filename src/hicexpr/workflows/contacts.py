"""Contact-feature runs: map + genes -> per-gene 3D features, gene pairs and tracks."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import cooler
import numpy as np
import pandas as pd

from hicexpr.contacts import (
    compartments,
    gene_bins,
    gene_features,
    gene_pair_contacts,
    insulation,
    pair_flags,
    tad_domains,
)
from hicexpr.contacts.pairs import check_pair_options, check_positive
from hicexpr.contacts.tracks import write_bed, write_bedgraph, write_bedpe
from hicexpr.io.contacts import (
    balanced_copy,
    multiplicative_weights,
    open_contacts,
    require_balanced,
)
from hicexpr.io.genes import read_genes
from hicexpr.lib.errors import InputError
from hicexpr.lib.parallel import check_engine, is_serial
from hicexpr.lib.runs import RunFolder

log = logging.getLogger(__name__)

BALANCE_MODES = ("auto", "weights", "raw")


def resolve_weights(clr: cooler.Cooler, balance: str, weight: str,
                    source: str) -> tuple[cooler.Cooler, str | None, str]:
    """(map to use, weight column or None, how it was balanced) for a balance mode.

    ``auto``: the map's ``weight`` column if present, else an ICE-balanced cached copy;
    ``weights``: the column must exist; ``raw``: raw counts.
    """
    if balance not in BALANCE_MODES:
        raise InputError("balance", "", f"one of {', '.join(BALANCE_MODES)}", balance)
    if balance == "raw":
        return clr, None, "raw counts"
    if weight in clr.bins().columns:  # Juicer's divisive KR/VC: a multiplicative copy
        used, column = multiplicative_weights(clr, weight)
        return used, column, f"map weights '{weight}'"
    if balance == "weights":
        require_balanced(clr, source, weight)
    return balanced_copy(clr, weight), weight, "ICE (cooler.balance_cooler) on a cached copy"


DEFAULT_MAX_DISTANCE = 2_000_000


def default_max_distance(clr: cooler.Cooler) -> int:
    """Default largest TSS distance of listed gene pairs: 2 Mb at every resolution."""
    return DEFAULT_MAX_DISTANCE


def run_contact_features(
    hic: str | os.PathLike[str],
    genes: str | os.PathLike[str],
    out: str | os.PathLike[str],
    resolution: int | None = None,
    window_bp: int | None = None,
    max_distance: int | None = None,
    balance: str = "auto",
    weight: str = "weight",
    assembly: str | None = None,
    bins: str | os.PathLike[str] | None = None,
    genes_format: str = "auto",
    trans: bool = False,
    workers: int | None = None,
    scheduler: str | None = None,
) -> Path:
    """Compute 3D features for ``genes`` on the map ``hic`` and write a run folder.

    ``workers`` (local Dask cluster) or ``scheduler`` (existing Dask cluster) compute one
    chromosome per task (:func:`hicexpr.workflows.scale.contact_features_parallel`; identical
    tables); trans pairs, when asked for, are then added serially.

    Writes ``gene_features.tsv``, ``pairs.bedpe`` (cis gene pairs within ``max_distance``:
    bin coordinates, then every column of :func:`gene_pair_contacts` and same-TAD /
    same-compartment flags), ``insulation.bedGraph``,
    ``compartments.bedGraph``, ``boundaries.bed``, ``tads.bed``, ``metrics.json``, then
    ``COMPLETE``. Returns the folder path.
    """
    config = {k: (str(v) if isinstance(v, Path) else v) for k, v in locals().items()}
    check_engine(workers, scheduler)
    check_positive("contacts features", {"resolution": resolution, "window_bp": window_bp,
                                         "max_distance": max_distance}, "a positive value (bp)")
    clr0 = open_contacts(hic, resolution, assembly=assembly, bins=bins)  # checked before output
    table = read_genes(genes, genes_format)
    run = RunFolder(out, keep=[hic, genes])
    run.write_config(config)
    clr, wname, how = resolve_weights(clr0, balance, weight, str(hic))
    dist = int(max_distance if max_distance is not None else default_max_distance(clr))
    mapped, ins, comp, feats, pairs = _contact_tables(clr, table, str(genes), window_bp, dist,
                                                      wname, trans, workers, scheduler)
    tads = tad_domains(ins)
    _write_outputs(run, clr, feats, pairs, ins, comp, tads)
    run.write_versions({"map": clr.uri, "balancing": how})
    dataset = Path(str(hic).split("::")[0]).name
    metrics = _metrics(dataset, clr, mapped, feats, pairs, ins, comp, tads, how, dist)
    run.write_metrics(metrics)
    _log_summary(dataset, metrics)
    run.complete()
    return run.path


def _contact_tables(clr: cooler.Cooler, table: pd.DataFrame, source: str,
                    window_bp: int | None, dist: int, wname: str | None, trans: bool,
                    workers: int | None, scheduler: str | None) -> tuple[pd.DataFrame, ...]:
    """``(mapped genes, insulation, compartments, gene features, flagged gene pairs)``.

    Serial, or one chromosome per Dask task with trans pairs then added serially.
    """
    if is_serial(workers, scheduler):
        mapped = gene_bins(clr, table, source=source)
        ins = insulation(clr, window_bp, weight=wname)
        comp = compartments(clr, genes=mapped, weight=wname)
        feats = gene_features(clr, mapped, weight=wname, ins=ins, comp=comp)
        pairs = gene_pair_contacts(clr, mapped, max_distance=dist, balance=wname is not None,
                                   weight=wname or "weight", trans=trans)
    else:
        from hicexpr.workflows.scale import contact_features_parallel

        cf = contact_features_parallel(clr.uri, table, workers, scheduler, window_bp, dist,
                                       wname, source=source)
        mapped, ins, comp, feats, pairs = cf.genes, cf.insulation, cf.compartments, \
            cf.features, cf.pairs
        if trans:
            pairs = gene_pair_contacts(clr, mapped, max_distance=dist,
                                       balance=wname is not None, weight=wname or "weight",
                                       trans=True)
    return mapped, ins, comp, feats, pair_flags(pairs, feats)


def _write_outputs(run: RunFolder, clr: cooler.Cooler, feats: pd.DataFrame, pairs: pd.DataFrame,
                   ins: pd.DataFrame, comp: pd.DataFrame, tads: pd.DataFrame) -> None:
    run.write_table("gene_features.tsv", feats)
    write_bedpe(run.file("pairs.bedpe"), pairs, clr.bins()[["chrom", "start", "end"]][:],
                extra=["bin1", "bin2", "distance", "count", "balanced", "oe", "same_tad",
                       "same_compartment"])
    write_bedgraph(run.file("insulation.bedGraph"), ins, "insulation",
                   f"log2 insulation {ins.attrs.get('window_bp')} bp")
    write_bedgraph(run.file("compartments.bedGraph"), comp, "E1", "compartment E1")
    ins_b = ins.loc[ins["is_boundary"]].assign(name="boundary")
    write_bed(run.file("boundaries.bed"), ins_b, "name")
    write_bed(run.file("tads.bed"), tads, "tad_id")


def _log_summary(dataset: str, metrics: dict[str, Any]) -> None:
    counts = {row["metric"]: row["mean"] for row in metrics["summary"]}
    extra = metrics["extra"]
    log.info("%s at %d bp (%s): %d of %d genes in coverage, %d gene pairs within %d bp, "
             "%d boundaries, %d TADs, %.0f%% of bins in A", dataset, extra["resolution"],
             extra["balancing"], counts["n_genes_in_coverage"], metrics["n_genes"],
             counts["n_gene_pairs"], extra["max_distance"], counts["n_boundaries"],
             extra["n_tads"], 100 * extra["fraction_bins_A"])


def _metrics(dataset: str, clr: cooler.Cooler, mapped: pd.DataFrame, feats: pd.DataFrame,
             pairs: pd.DataFrame, ins: pd.DataFrame, comp: pd.DataFrame, tads: pd.DataFrame,
             how: str, dist: int) -> dict[str, Any]:
    inside = feats[feats["in_coverage"]]
    density = inside.groupby("compartment")["gene_id"].size()
    comp_bins = comp[comp["compartment"] != ""].groupby("compartment").size()
    per_bin = {c: float(density.get(c, 0) / comp_bins[c]) for c in comp_bins.index}
    decay = _decay_slope(pairs)
    summary = [
        {"model": "contacts", "metric": "n_genes_in_coverage", "mean": int(len(inside))},
        {"model": "contacts", "metric": "n_gene_pairs", "mean": int(len(pairs))},
        {"model": "contacts", "metric": "n_boundaries", "mean": int(ins["is_boundary"].sum())},
    ]
    return {
        "task": "contacts", "dataset": dataset, "protocol": "features",
        "leaky": False, "n_genes": int(len(mapped)), "seeds": [], "summary": summary,
        "extra": {
            "resolution": int(clr.binsize), "balancing": how,
            "window_bp": ins.attrs.get("window_bp"), "max_distance": dist,
            "n_genes_outside_coverage": int((~mapped["in_coverage"]).sum()),
            "outside_reasons": mapped.loc[~mapped["in_coverage"], "coverage_note"]
            .value_counts().to_dict(),
            "n_tads": int(len(tads)),
            "median_tad_bp": float(np.median(tads["end"] - tads["start"])) if len(tads) else None,
            "fraction_bins_A": float((comp["compartment"] == "A").sum()
                                     / max((comp["compartment"] != "").sum(), 1)),
            "genes_per_bin_by_compartment": per_bin,
            "pairs_same_tad": float(pairs["same_tad"].mean()) if len(pairs) else None,
            "contact_decay_slope": decay,
        },
    }


def _decay_slope(pairs: pd.DataFrame) -> float | None:
    """Slope of log10 contacts against log10 TSS distance over cis gene pairs (expected < 0)."""
    value = "balanced" if pairs["balanced"].notna().any() else "count"
    sel = pairs[(pairs["distance"] > 0) & (pairs[value] > 0)]
    if len(sel) < 10:
        return None
    return float(np.polyfit(np.log10(sel["distance"]), np.log10(sel[value]), 1)[0])


def run_gene_pairs(
    hic: str | os.PathLike[str],
    genes: str | os.PathLike[str],
    out: str | os.PathLike[str],
    resolution: int | None = None,
    max_distance: int | None = None,
    balance: str = "auto",
    weight: str = "weight",
    min_count: float = 0,
    trans: bool = False,
    top_k: int | None = None,
    assembly: str | None = None,
    bins: str | os.PathLike[str] | None = None,
) -> Path:
    """Write the gene-pair contact table (``.tsv``/``.parquet``) or BEDPE (``.bedpe``) to ``out``.

    ``top_k`` keeps each gene's k strongest partners (:func:`hicexpr.contacts.top_partners`).
    """
    from hicexpr.contacts import top_partners
    from hicexpr.lib.atomic import write_table

    check_pair_options(out, max_distance=max_distance, top_k=top_k, resolution=resolution)
    clr, wname, _ = resolve_weights(open_contacts(hic, resolution, assembly=assembly, bins=bins),
                                    balance, weight, str(hic))
    mapped = gene_bins(clr, read_genes(genes), source=str(genes))
    dist = max_distance if max_distance is not None else default_max_distance(clr)
    pairs = gene_pair_contacts(clr, mapped, max_distance=dist, balance=wname is not None,
                               weight=wname or "weight", min_count=min_count, trans=trans)
    if top_k:
        pairs = top_partners(pairs, top_k, dist)
    target = Path(out)
    if target.suffix == ".bedpe":
        bins = clr.bins()[["chrom", "start", "end"]][:]
        return write_bedpe(target, pairs.rename(columns={"gene": "gene1", "partner": "gene2"}),
                           bins, extra=["count", "balanced", "oe", "distance"])
    return write_table(target, pairs)

"""``hicexpr spex``: ExPecto-style local features + SpEx 3D partner features -> expression.

Reads genes, an expression table, chromatin tracks and 3D sources; fits every head on local-only
and local + 3D features on the same genes and chromosome folds, with the controls "random loci,
same count" and "partners shuffled between genes"; writes a run folder (docs/run_folder.md).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import anndata as ad
import numpy as np
import pandas as pd

from hicexpr.config import SpexConfig, check_at_least
from hicexpr.io.chroms import natural_sorted
from hicexpr.io.links import read_bengi, read_loops
from hicexpr.lib.errors import InputError
from hicexpr.lib.progress import track
from hicexpr.lib.runs import RunFolder
from hicexpr.spex import data, experiment, heads, partners, profiles, spatial
from hicexpr.spex import evaluate as ev
from hicexpr.workflows.runs import finish_run

log = logging.getLogger(__name__)
PathLike = str | os.PathLike[str]
_SUFFIXES = (".gz", ".tsv", ".txt", ".bedpe", ".bengi", ".cool", ".mcool", ".hic")


def source_label(spec: str) -> tuple[str, str]:
    """``label=path`` or ``path`` -> (label, path); the label defaults to the file name."""
    if "=" in spec and not Path(spec).exists():
        label, path = spec.split("=", 1)
        return label, path
    name = Path(spec.split("::")[0]).name
    changed = True
    while changed:
        changed = False
        for suffix in _SUFFIXES:
            if name.endswith(suffix):
                name, changed = name[: -len(suffix)], True
    return name.replace("GM12878.", ""), spec


def read_partner_sources(genes: pd.DataFrame, contacts: Sequence[str], loops: Sequence[str],
                         links: Sequence[str], cfg: SpexConfig) -> dict[str, pd.DataFrame]:
    """Partner tables per 3D source (contact maps, loop lists, link tables)."""
    out: dict[str, pd.DataFrame] = {}
    for spec in contacts:
        from hicexpr.io.contacts import open_contacts

        label, path = source_label(spec)
        clr = open_contacts(path, cfg.resolution)
        out[label] = partners.partners_from_cooler(genes, clr, cfg.balance, cfg.min_count,
                                                   cfg.min_oe, cfg.min_distance)
        _require_partners(out[label], path, "contacts of the genes' TSS bins (the genes' "
                          "chromosomes and assembly; a lower --min-oe / min_count)")
    for spec in loops:
        label, path = source_label(spec)
        out[label] = partners.partners_from_loops(genes, read_loops(path), cfg.loop_slop,
                                                  cfg.min_distance)
        _require_partners(out[label], path, "loops with an anchor on a gene's TSS (the genes' "
                          "chromosomes and assembly)")
    for spec in links:
        label, path = source_label(spec)
        table = read_bengi(path)
        out[label] = partners.partners_from_links(genes, table, cfg.min_distance)
        _require_partners(out[label], path, f"links naming the gene table's ids (e.g. "
                          f"{genes['gene_id'].iloc[0]}; the file has e.g. "
                          f"{table['gene_id'].iloc[0] if len(table) else 'none'})")
    for label, p in out.items():
        log.info("3D source %s: %d partners of %d genes", label, len(p), p["gene_id"].nunique())
    return out


def check_contact_maps(contacts: Sequence[str], cfg: SpexConfig) -> None:
    """Open every contact map before the tracks are read, so that a missing file or an
    ``.mcool`` without ``--resolution`` fails at once (conversions are cached for later)."""
    from hicexpr.io.contacts import open_contacts

    for spec in contacts:
        open_contacts(source_label(spec)[1], cfg.resolution)


def _require_partners(table: pd.DataFrame, path: str, expected: str) -> None:
    """A loop or link file that gives no gene a partner is a naming mismatch, not a result."""
    if table.empty:
        raise InputError(path, "", expected, "no partner for any gene")


def partner_blocks(genes: pd.DataFrame, sources: dict[str, pd.DataFrame],
                   source: profiles.ProfileSource, cfg: SpexConfig) -> dict[str, pd.DataFrame]:
    """3D blocks ``{source}:{aggregation}``, plus ``:random`` / ``:shuffled`` controls."""
    blocks: dict[str, pd.DataFrame] = {}
    for label, table in track(list(sources.items()), "3D feature blocks (sources)"):
        variants = {"": table}
        if cfg.controls:
            variants[":random"] = partners.random_partners(table, genes, cfg.min_distance, cfg.seed)
            variants[":shuffled"] = partners.shuffle_partners(table, genes, cfg.seed)
        for how in cfg.aggregations:
            for suffix, tab in variants.items():
                blocks[f"{label}:{how}{suffix}"] = partners.partner_features(
                    genes, tab, source, how, cfg.width)
    return blocks


def _splits(genes: pd.DataFrame, cfg: SpexConfig) -> list[np.ndarray]:
    if cfg.folds > 0:
        return ev.chromosome_folds(genes["chrom"], cfg.folds, cfg.val_chroms)
    return [ev.chromosome_split(genes["chrom"], cfg.test_chroms, cfg.val_chroms)]


#: Lower bounds of the numeric options (``rates``: every element).
SPEX_AT_LEAST = {"min_count": 0.0, "min_oe": 0.0, "min_distance": 0, "loop_slop": 0,
                 "folds": 0, "half_width": 1, "step": 1, "width": 1, "rates": 0.0,
                 "n_boot": 0, "n_jobs": 1, "batch_size": 1}


def check_lists(cfg: SpexConfig) -> None:
    """Refuse empty list options and control heads that are not fitted (``heads``)."""
    for name in ("samples", "heads", "rates", "aggregations"):
        if not getattr(cfg, name):
            raise InputError("config", name, "at least one entry", "an empty list")
    unfitted = sorted(set(cfg.control_heads or []) - set(cfg.heads))
    if unfitted:
        raise InputError("config", "control_heads", f"heads among heads ({', '.join(cfg.heads)})",
                         unfitted)


def run_spex(
    genes: PathLike,
    expression: PathLike,
    out: PathLike,
    tracks: Sequence[PathLike] = (),
    segmentations: Sequence[PathLike] = (),
    bigwigs: Sequence[PathLike] = (),
    contacts: Sequence[str] = (),
    loops: Sequence[str] = (),
    links: Sequence[str] = (),
    config: SpexConfig | None = None,
) -> Path:
    """Run the SpEx comparison and write a run folder; returns its path.

    Args:
        genes: gene table (BED with Ensembl ids in column 7, GTF, ...).
        expression: gene x sample table (e.g. Roadmap ``57epigenomes.RPKM.pc.gz``).
        out: run folder.
        tracks, segmentations, bigwigs: chromatin profile files (local and partner profiles);
            leave empty and set ``config.beluga_weights`` + ``config.fasta`` to predict the
            profiles from DNA with the Beluga model instead.
        contacts, loops, links: 3D sources (``label=path`` allowed); none = local only.
        config: options (:class:`hicexpr.config.SpexConfig`); ``config.report`` writes
            ``report.html`` (:func:`hicexpr.report.write_report`) before ``COMPLETE``.
    """
    cfg = config or SpexConfig()
    check_at_least(cfg, SPEX_AT_LEAST)
    check_lists(cfg)
    run = _open_run(out, cfg, genes, expression, tracks, segmentations, bigwigs, contacts, loops,
                    links)
    timings: dict[str, float] = {}
    check_contact_maps(contacts, cfg)
    with _timed(timings, "read_s"):
        gene_table, expr, samples, src = _read_inputs(genes, expression, tracks, segmentations,
                                                      bigwigs, cfg)
    splits = _splits(gene_table, cfg)
    check_track_coverage(src, gene_table, splits)
    with _timed(timings, "local_features_s"):
        local = spatial.local_features(gene_table, src, cfg.half_width, cfg.step, cfg.width,
                                       cfg.rates)
    with _timed(timings, "partner_features_s"):
        sources = read_partner_sources(gene_table, contacts, loops, links, cfg)
        blocks = partner_blocks(gene_table, sources, src, cfg)
    table, preds, gains = _fit_samples(gene_table, expr, samples, local, blocks, splits, cfg,
                                       timings)
    _write(run, cfg, table, preds, gains, len(gene_table), len(samples) > 1, timings, expression,
           {k: int(v["gene_id"].nunique()) for k, v in sources.items()}, len(src.names))
    finish_run(run, cfg.report)
    return run.path


@contextmanager
def _timed(timings: dict[str, float], key: str) -> Iterator[None]:
    """Store the seconds the ``with`` block took in ``timings[key]``."""
    t0 = time.perf_counter()
    yield
    timings[key] = time.perf_counter() - t0


def _open_run(out: PathLike, cfg: SpexConfig, genes: PathLike, expression: PathLike,
              tracks: Sequence[PathLike], segmentations: Sequence[PathLike],
              bigwigs: Sequence[PathLike], contacts: Sequence[str], loops: Sequence[str],
              links: Sequence[str]) -> RunFolder:
    """The run folder (keeping the input files), with its config and versions written."""
    source_files = [source_label(s)[1] for s in (*contacts, *loops, *links)]
    run = RunFolder(out, keep=[genes, expression, *tracks, *segmentations, *bigwigs,
                               *source_files])
    run.write_config({**cfg.model_dump(mode="json"), "genes": str(genes),
                      "expression": str(expression), "tracks": [str(t) for t in tracks],
                      "segmentations": [str(s) for s in segmentations],
                      "bigwigs": [str(b) for b in bigwigs], "contacts": list(contacts),
                      "loops": list(loops), "links": list(links)})
    run.write_versions({"seeds": [cfg.seed]})
    return run


def _read_inputs(genes: PathLike, expression: PathLike, tracks: Sequence[PathLike],
                 segmentations: Sequence[PathLike], bigwigs: Sequence[PathLike],
                 cfg: SpexConfig
                 ) -> tuple[pd.DataFrame, ad.AnnData, list[str], profiles.ProfileSource]:
    """Aligned gene table and expression (samples x genes), the samples and the profiles."""
    wanted = None if cfg.samples == ["all"] else cfg.samples  # other columns are not parsed
    gene_table, expr = data.align_genes(data.read_gene_table(genes),
                                        data.read_expression_table(expression, wanted))
    samples = _samples(expr.obs_names.tolist(), cfg.samples, expression)
    src = profile_source(tracks, segmentations, bigwigs, cfg,
                         sorted(gene_table["chrom"].unique()))
    return gene_table, expr, samples, src


def _fit_samples(gene_table: pd.DataFrame, expr: ad.AnnData, samples: list[str],
                 local: pd.DataFrame, blocks: dict[str, pd.DataFrame],
                 splits: list[np.ndarray], cfg: SpexConfig, timings: dict[str, float]
                 ) -> tuple[pd.DataFrame, list[pd.DataFrame], list[pd.DataFrame]]:
    """Every head on local-only and local + 3D features, per sample (``timings["fit_s"]``).

    Returns the scores table and the per-sample prediction and per-gene gain tables.
    """
    models = {h: heads.make_head(h, n_jobs=cfg.n_jobs) for h in cfg.heads}
    skip = _skipped_controls(cfg, blocks)
    tables, preds, gains = [], [], []
    with _timed(timings, "fit_s"):
        for sample in samples:
            y = ev.log_expression(expr[sample, :].X.ravel())
            res = experiment.compare(local, blocks, y, splits, models, cfg.n_boot, cfg.seed,
                                     skip)
            tables.append(res.table.assign(sample=sample))
            preds.append(experiment.prediction_table(gene_table, y, splits, res)
                         .assign(sample=sample))
            gains.append(experiment.gain_table(gene_table, y, res).assign(sample=sample))
    return pd.concat(tables, ignore_index=True), preds, gains


def check_track_coverage(src: profiles.ProfileSource, genes: pd.DataFrame,
                         splits: list[np.ndarray]) -> None:
    """Refuse tracks that cover none of a split's test (or validation) chromosomes: every such
    gene would get zero local features, so the scores would be undefined (constant
    predictions); genes on other chromosomes no track covers are counted in the log."""
    covered = getattr(src, "chroms", None)
    if covered is None:  # a sequence model predicts every window
        return
    chroms = genes["chrom"].astype(str).to_numpy()
    have = ", ".join(natural_sorted(covered)[:6]) + (", ..." if len(covered) > 6 else "")
    for split in splits:
        for name, role in (("test", "test"), ("val", "validation")):
            held = natural_sorted(set(chroms[split == name]))
            if held and not set(held) & covered:
                raise InputError("tracks", f"{role} chromosomes ({', '.join(held)})",
                                 f"intervals on the {role} chromosomes in at least one track",
                                 f"none (the tracks cover {have})")
    bare = ~np.isin(chroms, list(covered))
    if bare.any():
        log.warning("%d genes on chromosomes no track covers (e.g. %s): their local features "
                    "are zeros", int(bare.sum()), natural_sorted(set(chroms[bare]))[0])


def _skipped_controls(cfg: SpexConfig, blocks: dict[str, pd.DataFrame]) -> set[tuple[str, str]]:
    """(head, block) pairs not fitted: control blocks for heads outside the control heads."""
    control_heads = set(_control_heads(cfg))
    return {(h, s) for h in cfg.heads for s in blocks
            if s.endswith((":random", ":shuffled")) and h not in control_heads}


def profile_source(tracks: Sequence[PathLike], segmentations: Sequence[PathLike],
                   bigwigs: Sequence[PathLike], cfg: SpexConfig,
                   chroms: Sequence[str]) -> profiles.ProfileSource:
    """Measured tracks, or (``cfg.beluga_weights`` + ``cfg.fasta``) the Beluga sequence model."""
    if cfg.beluga_weights is None:
        if cfg.fasta is not None:
            raise InputError("fasta", "", "--fasta together with --beluga-weights", cfg.fasta)
        return profiles.from_tracks(tracks, segmentations, bigwigs, cfg.peak_value, chroms)
    if tracks or segmentations or bigwigs:
        raise InputError("beluga_weights", "", "either Beluga or measured tracks, not both",
                         "tracks as well")
    if cfg.fasta is None:
        raise InputError("beluga_weights", "", "a genome FASTA (--fasta) for the Beluga model",
                         None)
    from hicexpr.spex.beluga import BelugaProfiles, load_beluga

    model = load_beluga(cfg.beluga_weights)
    log.info("profiles: Beluga %s (%d outputs) on %s", cfg.beluga_weights, model.n_outputs,
             cfg.fasta)
    return BelugaProfiles(model, cfg.fasta, average_rc=cfg.average_rc,
                          batch_size=cfg.batch_size, device=cfg.device, cache_dir=cfg.cache_dir)


def _control_heads(cfg: SpexConfig) -> list[str]:
    """Heads fitted on the controls: as configured, else the first linear head (else all)."""
    if cfg.control_heads is not None:
        return cfg.control_heads
    linear = [h for h in cfg.heads if h in ("ridge", "elasticnet")]
    return linear[:1] or list(cfg.heads)


def _samples(available: list[str], wanted: list[str], source: PathLike) -> list[str]:
    if wanted == ["all"]:
        return available
    missing = [s for s in wanted if s not in available]
    if missing:
        raise InputError(source, "samples", f"columns of the table ({', '.join(available[:8])}"
                         "...)", missing)
    return wanted


def _write(run: RunFolder, cfg: SpexConfig, table: pd.DataFrame, preds: list[pd.DataFrame],
           gains: list[pd.DataFrame], n_genes: int, many: bool, timings: dict[str, float],
           expression: PathLike, genes_with_partners: dict[str, int], n_profiles: int) -> None:
    pred = pd.concat(preds, ignore_index=True)
    gain = pd.concat(gains, ignore_index=True)
    if not many:
        pred, gain = pred.drop(columns="sample"), gain.drop(columns="sample")
    run.write_table("predictions.tsv", pred)
    run.write_table("per_gene_gain.tsv", gain)
    run.write_table("scores.tsv", table)
    summary: list[dict[str, Any]] = []
    metrics = ["spearman", "pearson", "rmse", "delta", "ci_low", "ci_high"]
    for (model, setting), grp in table.groupby(["model", "setting"], sort=False):
        for metric in metrics:
            if metric in grp and grp[metric].notna().any():
                vals = grp[metric].dropna()
                summary.append({"model": f"{model}:{setting}", "metric": metric,
                                "mean": float(vals.mean()),
                                "sd": float(vals.std(ddof=0)), "n": int(vals.size)})
    run.write_metrics({
        "task": "spex", "dataset": Path(str(expression)).name,
        "protocol": f"chromosome-{cfg.folds}-fold" if cfg.folds else "chromosome-holdout",
        "leaky": False, "n_genes": n_genes, "seeds": [cfg.seed], "summary": summary,
        "extra": {"values": f"ln(expression + {ev.PSEUDOCOUNT:g})",
                  "timings_s": timings, "genes_with_partners": genes_with_partners,
                  "n_profiles": n_profiles, "test_chroms": cfg.test_chroms,
                  "val_chroms": cfg.val_chroms},
    })

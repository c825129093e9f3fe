"""Compute what the report shows: per-gene scores, predictability tests, enrichment, figures."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cooler
import pandas as pd

from hicexpr.analysis.enrichment import enrich_top, harmonise_ids, prerank_scores
from hicexpr.analysis.genesets import (
    GeneSetSource,
    default_gene_sets,
    gene_sets_from_file,
    id_mapping_from_genes,
    infer_organism,
)
from hicexpr.analysis.predictability import gene_factors, predictability, shares_genes
from hicexpr.analysis.scores import default_setting, forecast_scores, spex_scores
from hicexpr.datasets.axes import builtin_axes
from hicexpr.io.chroms import named_as
from hicexpr.io.text import to_numbers
from hicexpr.lib.errors import HicexprError, first_line
from hicexpr.lib.progress import track
from hicexpr.plots import (
    model_colours,
    plot_contact_region,
    plot_enrichment,
    plot_gene_graph,
    plot_metric_boxplots,
    plot_predictability,
    plot_predicted_vs_observed,
    plot_spex_chromosome_scatter,
    plot_spex_gain,
    plot_trajectory_page,
    save_figure,
)
from hicexpr.report.load import RunData, referenced_paths
from hicexpr.report.region import DEFAULT_REGION_BINS, default_region

log = logging.getLogger(__name__)

RUN_GENE_SETS = "gene_sets.gmt"  # gene sets shipped with a run (e.g. the simulated demo)


@dataclass
class FigureEntry:
    """One figure written to ``plots/`` (PNG + SVG) and shown in the report."""

    stem: str
    title: str
    caption: str
    png: Path
    svg: Path


@dataclass
class EnrichmentResult:
    """One enrichment analysis: its table (may be empty) and a sentence on how it was run."""

    title: str
    method: str
    table: pd.DataFrame | None
    note: str


@dataclass
class ReportContent:
    """Everything the HTML renderer needs besides the raw run files."""

    score_name: str = ""
    score_description: str = ""
    scores: pd.Series | None = None
    predictability: pd.DataFrame | None = None
    gene_set_note: str = ""
    enrichment: list[EnrichmentResult] = field(default_factory=list)
    figures: list[FigureEntry] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class ReportOptions:
    """Knobs of :func:`hicexpr.report.write_report` (see there)."""

    gene_sets: str | Path | Mapping[str, list[str]] | None = None
    id_mapping: Mapping[str, str] | None = None
    contacts: str | Path | cooler.Cooler | None = None
    region: str | None = None
    permutation_num: int = 200
    seed: int = 0
    top_fraction: float = 0.2
    trajectory_genes: int = 12


def analyse(run: RunData, options: ReportOptions) -> ReportContent:
    """Scores, predictability, enrichment and every figure for ``run``."""
    content = ReportContent()
    try:
        _scores(run, content)
    except HicexprError as exc:  # e.g. every per-gene value NaN: report the rest
        content.notes.append(f"no per-gene score: {exc}")
    steps = [_predictability, _enrichment, _figures]
    for step in track(steps, "report: analyses and figures"):
        step(run, options, content)
    return content


# --- scores ------------------------------------------------------------------------------------

def _scores(run: RunData, content: ReportContent) -> None:
    gain = run.table("per_gene_gain")
    pgm = run.table("per_gene_metrics")
    if run.task == "spex" and gain is not None and len(gain):  # empty: local-only run
        content.scores = spex_scores(gain, "gain")
        content.score_name = "gain"
        content.score_description = ("per-gene gain from 3D features (absolute error of the local "
                                     "model minus that of the 3D model; > 0 = 3D helps)"
                                     + _gain_scope(gain))
    elif pgm is not None and "pearson" in pgm.columns:
        content.scores = forecast_scores(pgm)
        content.score_name = f"pearson ({content.scores.name})"
        content.score_description = (f"per-gene Pearson correlation of the best model "
                                     f"({content.scores.name}), mean over seeds")
    else:
        content.notes.append("no per-gene table (per_gene_metrics.tsv / per_gene_gain.tsv): "
                             "predictability and enrichment skipped")


# --- predictability ----------------------------------------------------------------------------

def _predictability(run: RunData, options: ReportOptions, content: ReportContent) -> None:
    if content.scores is None:
        return
    factors = gene_factors(run.table("gene_features"), run.table("graph_edges"),
                           expression_matrix(run))
    if factors.empty:
        content.notes.append("no gene properties available (gene_features.tsv, graph_edges.tsv, "
                             "expression): predictability not tested")
        return
    if not shares_genes(content.scores, factors):
        content.notes.append("the per-gene scores share no gene id with the gene properties: "
                             "predictability not tested")
        return
    content.predictability = predictability(content.scores, factors)
    fig = plot_predictability(content.scores, factors, content.predictability,
                              content.score_name)
    _add(content, run, fig, "predictability", "Predictability against gene properties",
         f"Per-gene score ({content.score_description}) against each property; test and "
         "p-value in each title.")


def expression_matrix(run: RunData) -> pd.DataFrame | None:
    """Observed expression, time x gene: ``expression.tsv`` or rebuilt from forecast predictions."""
    table = run.table("expression")
    if table is not None:
        first = table.columns[0]
        if not pd.api.types.is_numeric_dtype(table[first]) or first in ("time", "sample"):
            table = table.set_index(first)
        return table
    pred = run.table("predictions")
    if run.task != "forecast" or pred is None or not {"time", "gene", "observed"} <= set(pred):
        return None
    obs = pred.drop_duplicates(["time", "gene"])
    return obs.pivot(index="time", columns="gene", values="observed")


# --- enrichment --------------------------------------------------------------------------------

def _enrichment(run: RunData, options: ReportOptions, content: ReportContent) -> None:
    if content.scores is None or len(content.scores) < 10:
        content.gene_set_note = "enrichment not run: fewer than 10 scored genes"
        return
    source = _gene_set_source(run, options, content.scores)
    if source is None:
        content.gene_set_note = ("enrichment not run: organism unknown and no gene sets given "
                                 "(pass gene_sets= / --gene-sets)")
        return
    mapping = options.id_mapping or _mapping_for(run, source)
    harmonised = harmonise_ids(content.scores, source.sets, mapping)
    content.gene_set_note = (f"{source.name} ({len(source.sets)} sets, {source.id_type}; "
                             f"{source.path}): {harmonised.note}")
    if not harmonised.ok:
        return
    scores = harmonised.scores
    n_top = max(1, int(round(options.top_fraction * len(scores))))
    ora = enrich_top(scores, source.sets, options.top_fraction)
    content.enrichment.append(EnrichmentResult(
        "Over-representation among the top genes",
        f"gseapy enrich (hypergeometric test, Benjamini-Hochberg FDR): top {n_top} of "
        f"{len(scores)} genes by {content.score_name}; background = all {len(scores)} analysed "
        "genes; sets with 5-500 background genes",
        ora, "" if len(ora) else "no gene set overlaps the top genes"))
    pre = prerank_scores(scores, source.sets, permutation_num=options.permutation_num,
                         seed=options.seed)
    content.enrichment.append(EnrichmentResult(
        "GSEA pre-ranked on the per-gene score",
        f"gseapy prerank ({options.permutation_num} gene-set permutations, seed {options.seed}, "
        "sets with 15-500 analysed genes); NES > 0 = set concentrated among high scores",
        pre, "" if len(pre) else "no gene set has 15 or more analysed genes"))
    for i, result in enumerate(content.enrichment):
        if result.table is not None and len(result.table):
            fig = plot_enrichment(result.table, result.title)
            _add(content, run, fig, f"enrichment_{i + 1}", result.title, result.method)


def _gene_set_source(run: RunData, options: ReportOptions, scores: pd.Series
                     ) -> GeneSetSource | None:
    if isinstance(options.gene_sets, Mapping):
        sets = {str(k): [str(g) for g in v] for k, v in options.gene_sets.items()}
        return GeneSetSource("user gene sets", Path("(in memory)"), "as given", sets)
    if options.gene_sets is not None:
        return gene_sets_from_file(options.gene_sets)
    if (run.path / RUN_GENE_SETS).is_file():
        return gene_sets_from_file(run.path / RUN_GENE_SETS)
    texts = [str(run.metrics.get("dataset", ""))]
    texts += [str(run.config.get(k, "")) for k in ("dataset", "organism", "species", "genome")]
    organism = infer_organism(texts, scores.index)
    return default_gene_sets(organism) if organism else None


def _mapping_for(run: RunData, source: GeneSetSource) -> Mapping[str, str] | None:
    genes = run.table("genes")
    if source.id_type.startswith("Entrez"):
        return id_mapping_from_genes(genes, "entrez")
    return id_mapping_from_genes(genes, "symbol")


# --- figures -----------------------------------------------------------------------------------

def _figures(run: RunData, options: ReportOptions, content: ReportContent) -> None:
    if run.task == "spex":
        _spex_figures(run, content)
    else:
        _forecast_figures(run, options, content)
    _graph_figure(run, content)
    _contact_figure(run, options, content)


def _forecast_figures(run: RunData, options: ReportOptions, content: ReportContent) -> None:
    pred, pgm = run.table("predictions"), run.table("per_gene_metrics")
    best = str(content.scores.name) if content.scores is not None else None
    time_unit, values = forecast_axes(run)
    colours = run_model_colours(run)
    if pred is not None and len(pred):
        model = best if best in set(pred["model"]) else None
        _add(content, run, plot_predicted_vs_observed(pred, model, values=values),
             "predicted_vs_observed", "Predicted vs observed", "Hexbin of predicted against "
             "observed expression per split, all seeds and horizons pooled; colour = points per "
             "hexagon; dashed line = perfect prediction.")
        if content.scores is not None:
            ranked = content.scores.sort_values(ascending=False)
            ranked = ranked[ranked.index.isin(set(pred["gene"].astype(str)))]
            n = options.trajectory_genes
            labels = dict(id_mapping_from_genes(run.table("genes"), "symbol") or {})
            pages = {"trajectories_top": ("most predictable genes", list(ranked.index[:n])),
                     "trajectories_bottom": ("least predictable genes",
                                             list(ranked.index[::-1][: n // 2]))}
            for stem, (label, genes) in pages.items():
                if genes:
                    fig = plot_trajectory_page(pred.assign(gene=pred["gene"].astype(str)),
                                               genes, model, labels=labels, title=label,
                                               time_unit=time_unit, values=values,
                                               colours=colours)
                    _add(content, run, fig, stem, f"Trajectories: {label}",
                         "Observed (black) and forecast (the model's colour, the same in every "
                         "figure; shortest horizon, mean over seeds) expression; shaded = the "
                         "periods of the splits in predictions.tsv (a forecast run writes the "
                         "test windows only)." + axes_note(time_unit, values))
    if pgm is not None and "pearson" in pgm.columns:
        _add(content, run, plot_metric_boxplots(pgm, "pearson", run.baselines, colours),
             "metric_boxplots", "Per-gene Pearson by model", "One box per model over genes "
             "(mean over seeds), in the model's colour; grey = baseline.")


def forecast_axes(run: RunData) -> tuple[str | None, str | None]:
    """Time unit and what the expression values are: ``metrics.json`` ``extra.time_unit`` /
    ``extra.values`` (written by ``hicexpr forecast``), else those of a built-in dataset named
    in ``metrics.json`` (:data:`hicexpr.datasets.axes.BUILTIN_AXES`), else None (unknown)."""
    extra = run.metrics.get("extra") or {}
    unit, values = builtin_axes(str(run.metrics.get("dataset", "")))
    return extra.get("time_unit") or unit, extra.get("values") or values


def axes_note(time_unit: str | None, values: str | None) -> str:
    """A caption sentence saying where the axes' units come from when one is unknown."""
    unknown = [what for what, known in (("time unit", time_unit), ("expression units", values))
               if not known]
    return (f" The run does not record its {' or '.join(unknown)}: the axes say 'as in the "
            "input'." if unknown else "")


def run_model_colours(run: RunData) -> dict[str, str]:
    """One colour per model of the run (predictions and per-gene metrics), used by every
    forecast figure of the report (:func:`hicexpr.plots.model_colours`)."""
    models: set[str] = set()
    for name in ("predictions", "per_gene_metrics"):
        table = run.table(name)
        if table is not None and "model" in table.columns:
            models |= set(table["model"].astype(str))
    return model_colours(models, run.baselines)


def _spex_figures(run: RunData, content: ReportContent) -> None:
    pred, gain = run.table("predictions"), run.table("per_gene_gain")
    if pred is not None and len(pred):
        model, why = best_prediction_model(pred, run.table("scores"))
        values = (run.metrics.get("extra") or {}).get("values")  # the target, e.g. ln(x + 1e-4)
        _add(content, run, plot_predicted_vs_observed(pred, model, values=values),
             "predicted_vs_observed",
             "Predicted vs observed", f"Hexbin per split of {model}, {why}; its first setting "
             "only (settings are not pooled); colour = points per hexagon; dashed line = "
             "perfect prediction.")
        if "chrom" in pred.columns:
            _add(content, run, plot_spex_chromosome_scatter(pred, model, values=values),
                 "spex_chromosomes",
                 "Observed vs predicted per chromosome", f"Test split (or all rows) of {model} "
                 "(first setting); r = Pearson correlation.")
    if gain is not None and "gain" in gain.columns and len(gain):
        _add(content, run, plot_spex_gain(gain), "spex_gain", "Per-gene gain from 3D features",
             "Genes sorted by gain = |error| local-only minus |error| with 3D features.")


def best_prediction_model(pred: pd.DataFrame, scores: pd.DataFrame | None = None
                          ) -> tuple[str, str]:
    """The model to show and why: the highest mean validation-chromosome Spearman in
    ``scores`` (scores.tsv), else the first model of ``pred``. Never chosen on the test genes,
    whose scores the figures then show."""
    models = [str(m) for m in pd.unique(pred["model"])]
    if scores is not None and {"model", "val_spearman"} <= set(scores.columns):
        rows = scores[scores["model"].astype(str).isin(models)]
        val = to_numbers(rows["val_spearman"], errors="coerce").groupby(
            rows["model"].astype(str)).mean().dropna()
        if len(val):
            return str(val.idxmax()), "the model with the highest validation-chromosome Spearman"
    return models[0], "the first model of predictions.tsv (no validation score to choose by)"


def _graph_figure(run: RunData, content: ReportContent) -> None:
    edges = run.table("graph_edges")
    if edges is None or not len(edges) or content.scores is None:
        return
    edges = edges.assign(gene1=edges["gene1"].astype(str), gene2=edges["gene2"].astype(str))
    in_graph = set(edges["gene1"]) | set(edges["gene2"])
    ranked = [g for g in content.scores.sort_values(ascending=False).index if g in in_graph]
    if not ranked:
        return
    labels = id_mapping_from_genes(run.table("genes"), "symbol")
    labels = dict(labels or {})
    fig = plot_gene_graph(edges, ranked[0], hops=1, labels=labels)
    _add(content, run, fig, "gene_graph", f"Gene graph around {labels.get(ranked[0], ranked[0])}",
         "The top-scoring gene (red) and its neighbours in the gene graph; edge width = weight.")


def _contact_figure(run: RunData, options: ReportOptions, content: ReportContent) -> None:
    clr = open_report_contacts(run, options)
    if clr is None:
        if options.region:
            content.notes.append(f"--region {options.region} given but no contact map (.cool, "
                                 ".mcool::resolutions/N) named in the run: pass --contacts")
        return
    try:
        region, why = contact_region_choice(run, options, content, clr)
        insulation, computed = run.table("insulation"), ""
        if insulation is None:
            insulation = _insulation_for_report(clr)
            computed = (" Insulation and boundaries computed for this report "
                        "(hicexpr.contacts.features.insulation, default window)."
                        if insulation is not None else "")
        fig = plot_contact_region(clr, region, insulation, run.table("boundaries"),
                                  run.table("compartments"), _gene_intervals(run))
    except HicexprError as exc:
        content.notes.append(f"contact-map figure skipped: {exc}")
        return
    _add(content, run, fig, "contact_region", f"Contact map {region}",
         f"Region {region}: {why}. Contacts (log colour scale; grey = bins without contacts or "
         "filtered by balancing) with insulation, compartment E1 (red = A) and genes (+ / - "
         "strand) below, where available; red dotted lines = TAD boundaries." + computed)


def contact_region_choice(run: RunData, options: ReportOptions, content: ReportContent,
                          clr: cooler.Cooler) -> tuple[str, str]:
    """The region of the contact-map figure and why: ``--region``, else around the
    top-scoring gene, else :func:`hicexpr.report.region.default_region`."""
    if options.region:
        return options.region, "the region asked for (--region)"
    around = _region_around_top_gene(run, content, clr)
    if around is not None:
        return around
    return default_region(clr, _gene_intervals(run))


def _insulation_for_report(clr: cooler.Cooler) -> pd.DataFrame | None:
    """Insulation of a balanced map when the run folder has none (None when not possible)."""
    if "weight" not in clr.bins().columns:
        return None
    from hicexpr.contacts.features import insulation

    try:
        return insulation(clr)
    except (HicexprError, ValueError, KeyError) as exc:
        log.warning("insulation not computed for the report: %s", exc)
        return None


def open_report_contacts(run: RunData, options: ReportOptions) -> cooler.Cooler | None:
    """The report's contact map: ``options.contacts`` or a cooler named in the run."""
    if isinstance(options.contacts, cooler.Cooler):
        return options.contacts
    from hicexpr.io.contacts import open_contacts

    candidates = ([str(options.contacts)] if options.contacts else
                  [str(p) for p in referenced_paths(run, (".cool", ".mcool", ".hic"))])
    resolution = run.config.get("resolution")  # the run's --resolution for .mcool / .hic
    failed: list[str] = []  # config.yaml may name an .mcool without its resolution and
    for uri in candidates:  # metrics.json with it: warn only when no candidate opens
        file = Path(uri.split("::")[0])
        if file.is_file():
            try:
                return open_contacts(uri, resolution if isinstance(resolution, int) else None)
            except (HicexprError, OSError, KeyError, ValueError) as exc:
                failed.append(f"{uri} ({first_line(exc)})")
    if failed:
        log.warning("cannot open %s as a contact map", "; ".join(failed))
    return None


def _gene_intervals(run: RunData) -> pd.DataFrame | None:
    genes = run.table("genes")
    if genes is not None and {"chrom", "start", "end"} <= set(genes.columns):
        return genes
    feats = run.table("gene_features")
    if feats is not None and {"chrom", "tss"} <= set(feats.columns):
        return feats.assign(start=feats["tss"], end=feats["tss"] + 1)
    return None


def _region_around_top_gene(run: RunData, content: ReportContent, clr: cooler.Cooler,
                            n_bins: int = DEFAULT_REGION_BINS) -> tuple[str, str] | None:
    genes = _gene_intervals(run)
    if genes is None or content.scores is None:
        return None
    key = "gene_id" if "gene_id" in genes.columns else "gene"
    genes = genes.assign(**{key: genes[key].astype(str)})
    genes = genes.assign(chrom=named_as(genes["chrom"].astype(str), list(clr.chromnames)))
    genes = genes[genes["chrom"].notna()]  # chr8 genes on a map naming it 8 are kept
    ranked = [g for g in content.scores.sort_values(ascending=False).index
              if g in set(genes[key])]
    if not ranked:
        return None
    row = genes[genes[key] == ranked[0]].iloc[0]
    binsize = clr.binsize or 10_000
    centre = int(row.get("tss", row["start"]))
    size = int(clr.chromsizes[str(row["chrom"])])
    half = n_bins * binsize // 2
    start = max(0, (centre - half) // binsize * binsize)
    end = min(size, start + 2 * half)
    return (f"{row['chrom']}:{start}-{end}", f"{n_bins} bins around the top-scoring gene "
            f"{ranked[0]} (per-gene score: {content.score_name})")


# --- helpers -----------------------------------------------------------------------------------

def _gain_scope(gain: pd.DataFrame) -> str:
    """Which rows :func:`spex_scores` averages: its setting (the first in name order), over
    which models and samples."""
    parts = []
    if "setting" in gain.columns:
        parts.append(f"setting {default_setting(gain)}")
    for column, noun in (("model", "models"), ("sample", "samples")):
        values = sorted(gain[column].astype(str).unique()) if column in gain.columns else []
        if len(values) > 1:
            parts.append(f"mean over {noun} {', '.join(values)}")
        elif values:
            parts.append(f"{column} {values[0]}")
    return f", {'; '.join(parts)}" if parts else ""


def _add(content: ReportContent, run: RunData, fig: Any, stem: str, title: str,
         caption: str) -> None:
    paths = save_figure(fig, run.path / "plots", stem)
    content.figures.append(FigureEntry(stem, title, caption, paths["png"], paths["svg"]))


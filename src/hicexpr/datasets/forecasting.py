"""Forecasting datasets: an expression time course + gene pairs with 3D-contact features.

``load_forecast_dataset(name)`` gives the benchmark datasets (``step_mrna``, ``step_mirna``,
``yeast_alpha``, ``yeast_cdc15``, ``simulated``); ``build_forecast_dataset`` does the same for
any expression table + contact map + gene table (what ``hicexpr forecast`` runs on).

Pair table columns (one row per unordered gene pair, ``gene1 < gene2``): ``gene1, gene2,
chrom1, chrom2, hic`` (raw contact), ``contact`` (normalised strength in [0, 1]: log1p of the
contact over its maximum), ``same_chrom, same_tad, same_compartment, insulation_mean,
distance_bp``. Nothing here looks at which time points are train or test: all features are
static (contacts, genome annotation); time-dependent terms are fitted in ``hicexpr.graph``.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

import anndata as ad
import cooler
import numpy as np
import pandas as pd

from hicexpr.datasets.axes import BUILTIN_AXES
from hicexpr.graph.build import normalised_contact
from hicexpr.io.expression import read_expression
from hicexpr.io.step import read_step_mrna_raw, read_step_pairs
from hicexpr.lib.errors import InputError, closest
from hicexpr.lib.paths import shared_data_dir

log = logging.getLogger(__name__)

PathLike = str | os.PathLike[str]
DATASETS = ("step_mrna", "step_mirna", "yeast_alpha", "yeast_cdc15", "simulated")
GENE_SELECTIONS = ("spread", "variance")
PAIR_COLUMNS = [
    "gene1", "gene2", "chrom1", "chrom2", "hic", "contact", "same_chrom", "same_tad",
    "same_compartment", "insulation_mean", "distance_bp",
]


@dataclass
class ForecastDataset:
    """Expression time course (AnnData, obs = time points, var = genes) + gene-pair features."""

    name: str
    expression: ad.AnnData
    pairs: pd.DataFrame
    gene_features: pd.DataFrame
    description: str = ""
    scaling: str = "standard"  # per-gene scaling for forecasting (hicexpr.evaluate.scaling)

    @property
    def genes(self) -> pd.Index:
        """Gene ids in the order of ``expression.var_names`` (graph node order)."""
        return pd.Index(self.expression.var_names)

    @property
    def time_unit(self) -> str | None:
        """Unit of the time points (``min``, ``h``, ``d``, ...), None when not known."""
        return self._provenance("time_unit")

    @property
    def value_description(self) -> str | None:
        """What the expression values are (e.g. ``log2 ratio to reference``), None when not
        known."""
        return self._provenance("values")

    def _provenance(self, key: str) -> str | None:
        value = dict(self.expression.uns.get("provenance", {})).get(key)
        return str(value) if value else None

    def values(self) -> np.ndarray:
        """Expression as a dense float array [T, N]."""
        X = self.expression.X
        return np.asarray(X.toarray() if hasattr(X, "toarray") else X, dtype=float)


def load_forecast_dataset(
    name: str, data_dir: PathLike | None = None, **options: object
) -> ForecastDataset:
    """Load a benchmark forecasting dataset.

    Args:
        name: one of ``step_mrna, step_mirna, yeast_alpha, yeast_cdc15, simulated``.
        data_dir: the shared data folder (default :func:`shared_data_dir`); for ``simulated``
            the folder written by ``hicexpr simulate`` (``*.cool``, ``genes.bed``,
            ``expression.tsv``).
        options: passed to the dataset's loader (e.g. ``max_genes`` for yeast).
    """
    if name not in DATASETS:
        hint = closest(name, DATASETS)
        expected = f"one of {', '.join(DATASETS)}" + (f" (did you mean '{hint}'?)" if hint else "")
        raise InputError("dataset", "name", expected, name)
    if name == "simulated":
        if data_dir is None:
            raise InputError("dataset simulated", "data_dir", "the folder of `hicexpr simulate`")
        return load_simulated(data_dir, **options)  # type: ignore[arg-type]
    root = Path(data_dir) if data_dir is not None else data_root(name)
    if name == "step_mrna":
        return load_step_mrna(root, **options)  # type: ignore[arg-type]
    if name == "step_mirna":
        return load_step_mirna(root, **options)  # type: ignore[arg-type]
    return load_yeast(root, name.removeprefix("yeast_"), **options)  # type: ignore[arg-type]


#: The registry data sets (``hicexpr datasets fetch NAME``) each built-in dataset reads.
SOURCES = {"step_mrna": ("step", "step_raw"), "step_mirna": ("step", "step_raw"),
           "yeast_alpha": ("yeast",), "yeast_cdc15": ("yeast",)}


def data_root(name: str) -> Path:
    """Where built-in dataset ``name`` is read from: :func:`shared_data_dir`, else the fetch
    cache (:func:`hicexpr.datasets.registry.cache_dir`) once it holds every file ``name`` needs.

    Raises:
        InputError: neither holds the files (naming the ``datasets fetch`` commands to run).
    """
    shared = shared_data_dir(required=False)
    if shared is not None:
        return shared
    from hicexpr.datasets.registry import cache_dir, dataset_files

    cache = cache_dir()
    needed = [f["path"] for source in SOURCES[name] for f in dataset_files(source)]
    if all((cache / path).is_file() for path in needed):
        return cache
    fetch = " and ".join(f"`hicexpr datasets fetch {s}`" for s in SOURCES[name])
    raise InputError(f"dataset {name}", "", f"its files in $HICEXPR_DATA, ../shared/data or the "
                     f"fetch cache {cache} (run {fetch})", "none of them holds them")


# --- STEP ----------------------------------------------------------------------------------


def load_step_mrna(root: PathLike) -> ForecastDataset:
    """STEP mouse-lung mRNA: 49 genes x 43 days, rebuilt from ``raw/mRNAnorm.txt``.

    The CSV's gene pairs are relabelled against the raw time course (records that carry another
    gene's series are moved to that gene, records matching no gene are dropped).
    """
    step = Path(root) / "step"
    raw = read_step_mrna_raw(step / "raw" / "mRNAnorm.txt")
    sp = read_step_pairs(step / "interaction_mrna.csv", reference=raw)
    genes = sp.genes.index
    expression = raw[:, list(genes)].copy()
    expression.var = expression.var.join(sp.genes[["chrom", "start", "end", "strand", "tss"]])
    expression.var["symbol"] = list(expression.var_names)
    expression.uns["provenance"] = {
        **dict(raw.uns["provenance"]),
        "genes": "the genes of interaction_mrna.csv after relabelling",
        "n_conflicting_labels": int(sp.conflicts["gene"].nunique()) if len(sp.conflicts) else 0,
    }
    describe_axes(expression, "step_mrna")
    expression.uns["conflicts"] = sp.conflicts.astype(str)
    pairs = step_pair_features(sp.pairs, genes)
    return ForecastDataset(
        "step_mrna", expression, pairs, step_gene_features(sp.genes, pairs),
        "STEP mouse lung mRNA (E16.5-P28, per-day means of raw/mRNAnorm.txt), "
        "pairs from interaction_mrna.csv (relabelled; 1 Mb mESC Hi-C)",
    )


def load_step_mirna(root: PathLike, log_transform: bool = True) -> ForecastDataset:
    """STEP miRNA-target table: 162 genes x 43 days (NanoString samples averaged per day).

    Args:
        root: shared data folder.
        log_transform: ``X = log2(1 + counts)`` (counts kept in ``layers["counts"]``).
    """
    step = Path(root) / "step"
    sp = read_step_pairs(step / "interaction_mirna.csv", raw_mirna=step / "raw" / "mirna.txt")
    expression = sp.expression.copy()
    counts = np.asarray(expression.X, dtype=float)
    expression.layers["counts"] = counts.copy()
    if log_transform:
        expression.X = np.log2(1.0 + np.clip(counts, 0.0, None))
        expression.uns["provenance"] = {**expression.uns["provenance"], "transform": "log2(1+x)"}
    describe_axes(expression, "step_mirna", None if log_transform else "count")
    pairs = step_pair_features(sp.pairs, sp.genes.index)
    return ForecastDataset(
        "step_mirna", expression, pairs, step_gene_features(sp.genes, pairs),
        "STEP mouse lung miRNA-target genes (160 NanoString samples of raw/mirna.txt averaged "
        "to 43 days, log2(1+count)), pairs from interaction_mirna.csv (1 Mb mESC Hi-C)",
    )


def step_pair_features(pairs: pd.DataFrame, genes: pd.Index) -> pd.DataFrame:
    """STEP CSV rows -> the standard pair table (see module docstring).

    Rows with a side whose series matched no gene (``status == 'unmatched'``), self-pairs and
    genes outside ``genes`` are dropped; repeated pairs keep their strongest contact.
    ``same_tad``: no TAD boundary can lie between the two genes, i.e. their bin distance is
    below one gene's distance to its nearest boundary (STEP gives distances, not TAD calls).
    """
    p = pairs.copy()
    if "status1" in p:
        p = p[(p["status1"] != "unmatched") & (p["status2"] != "unmatched")]
    p = p[(p["gene1"] != p["gene2"]) & p["gene1"].isin(genes) & p["gene2"].isin(genes)]
    swap = p["gene1"] > p["gene2"]
    for a, b in [("gene1", "gene2"), ("chrom1", "chrom2"), ("start1", "start2"), ("bin1", "bin2"),
                 ("compartment1", "compartment2"), ("insulation1", "insulation2"),
                 ("tad_distance1", "tad_distance2")]:
        p.loc[swap, [a, b]] = p.loc[swap, [b, a]].to_numpy()
    p = p.sort_values("hic", ascending=False).drop_duplicates(["gene1", "gene2"])
    same_chrom = p["chrom1"] == p["chrom2"]
    bin_size = _bin_size(p)
    bins_apart = (p["bin1"] - p["bin2"]).abs() / bin_size
    nearest = np.maximum(p["tad_distance1"].astype(float), p["tad_distance2"].astype(float))
    out = pd.DataFrame({
        "gene1": p["gene1"], "gene2": p["gene2"], "chrom1": p["chrom1"], "chrom2": p["chrom2"],
        "hic": p["hic"].astype(float),
        "contact": normalised_contact(p["hic"].to_numpy(dtype=float)),
        "same_chrom": same_chrom,
        "same_tad": same_chrom & (bins_apart < nearest),
        "same_compartment": p["compartment1"] == p["compartment2"],
        "insulation_mean": (p["insulation1"].astype(float) + p["insulation2"].astype(float)) / 2,
        "distance_bp": np.where(same_chrom, (p["start1"] - p["start2"]).abs(), np.nan),
    })
    return out.sort_values(["gene1", "gene2"]).reset_index(drop=True)


def step_gene_features(genes: pd.DataFrame, pairs: pd.DataFrame) -> pd.DataFrame:
    """Per-gene static features of a STEP table (compartment, insulation, degree, ...)."""
    feats = pd.DataFrame(index=genes.index)
    feats["chrom"] = genes["chrom"]
    feats["start"] = genes["start"]
    feats["compartment_a"] = (genes["compartment"] == "A").astype(float)
    feats["insulation"] = genes["insulation"].astype(float)
    feats["tad_distance"] = genes["tad_distance"].astype(float)
    return _add_degree(feats, pairs)


def _bin_size(p: pd.DataFrame) -> float:
    bins = np.concatenate([p["bin1"].to_numpy(), p["bin2"].to_numpy()]).astype(float)
    steps = np.diff(np.unique(bins))
    return float(steps[steps > 0].min()) if (steps > 0).any() else 1.0


def _add_degree(feats: pd.DataFrame, pairs: pd.DataFrame) -> pd.DataFrame:
    both = pd.concat([
        pairs[["gene1", "contact"]].set_axis(["gene", "contact"], axis=1),
        pairs[["gene2", "contact"]].set_axis(["gene", "contact"], axis=1),
    ])
    grouped = both.groupby("gene")["contact"]
    feats["degree"] = grouped.size().reindex(feats.index).fillna(0).astype(float)
    feats["contact_sum"] = grouped.sum().reindex(feats.index).fillna(0.0)
    return feats


# --- yeast, simulated and user data --------------------------------------------------------


def load_yeast(
    root: PathLike,
    experiment: str = "alpha",
    max_genes: int | None = 500,
    cool: str = "yeast.10kb.cool",
    gene_selection: str = "spread",
) -> ForecastDataset:
    """Spellman 1998 yeast cell-cycle time course (``alpha`` or ``cdc15``) + yeast Hi-C.

    The values are log2 ratios against a reference pool, so 0 is each gene's natural level:
    the dataset's ``scaling`` is ``none`` (no per-gene centring; see
    :mod:`hicexpr.evaluate.scaling`).

    Args:
        root: shared data folder.
        experiment: ``alpha`` (18 points, 7 min) or ``cdc15`` (24 points).
        max_genes: keep this many complete genes (no missing value; None: all complete genes),
            chosen by ``gene_selection`` (see :func:`select_genes`).
        cool: map under ``yeast/hic``.
    """
    if experiment not in ("alpha", "cdc15"):
        raise InputError("yeast dataset", "experiment", "alpha or cdc15", experiment)
    yeast = Path(root) / "yeast"
    dataset = build_forecast_dataset(
        yeast / "expression" / f"spellman1998_{experiment}_log2ratio.tsv.gz",
        yeast / "hic" / cool,
        yeast / "genes" / "SGD_features.tab",
        max_genes=max_genes,
        name=f"yeast_{experiment}",
        description=f"Spellman 1998 {experiment} cell-cycle log2 ratios, {cool}",
        gene_selection=gene_selection,
        scaling="none",
    )
    describe_axes(dataset.expression, dataset.name)  # Spellman's sample names are minutes
    return dataset


def describe_axes(expression: ad.AnnData, name: str, values: str | None = None) -> None:
    """Record the time unit and what the values are of built-in dataset ``name`` in
    ``expression.uns["provenance"]`` (``values`` overrides the dataset's description)."""
    unit, described = BUILTIN_AXES[name]
    expression.uns["provenance"] = {**dict(expression.uns.get("provenance", {})),
                                    "time_unit": unit, "values": values or described}


def load_simulated(folder: PathLike, max_genes: int | None = None) -> ForecastDataset:
    """The folder written by ``hicexpr simulate``: ``*.cool``, ``genes.bed``, ``expression.tsv``."""
    root = Path(folder)
    cools = sorted(root.glob("*.cool")) + sorted(root.glob("*.mcool"))
    if not cools:
        raise InputError(root, "", "a .cool contact map (from `hicexpr simulate`)", "none")
    for needed in ("genes.bed", "expression.tsv"):
        if not (root / needed).is_file():
            raise InputError(root, needed, f"the file {needed}", "missing")
    return build_forecast_dataset(
        root / "expression.tsv", cools[0], root / "genes.bed", max_genes=max_genes,
        name="simulated", description=f"simulated data in {root}",
    )


def build_forecast_dataset(
    expression_path: PathLike,
    contacts_path: PathLike,
    genes_path: PathLike,
    sample_times: PathLike | None = None,
    max_genes: int | None = None,
    max_distance: int | None = None,
    resolution: int | None = None,
    name: str = "custom",
    description: str = "",
    gene_selection: str = "spread",
    scaling: str = "standard",
) -> ForecastDataset:
    """Dataset from any expression table + contact map + gene table.

    Genes without coordinates, on chromosomes absent from the map, or with any missing value
    are dropped; ``max_genes`` keeps that many, chosen by ``gene_selection`` without looking at
    the expression values (``spread``, default) or by variance over the first half of the
    time points (``variance``; see :func:`select_genes`). Pairs are all cis pairs (within
    ``max_distance`` bp when given) with their balanced contact between the genes' TSS bins.
    ``scaling``: the per-gene scaling forecasts use (``standard``; ``none`` for log ratios
    against a reference); checked where forecasts are evaluated
    (:func:`hicexpr.evaluate.scaling.check_scaling`), not here, so data loading never depends
    on the evaluation layer.
    """
    from hicexpr.io.genes import read_genes

    if gene_selection not in GENE_SELECTIONS:
        raise InputError("gene_selection", "", " or ".join(GENE_SELECTIONS), gene_selection)
    genes = read_genes(genes_path)
    expression = read_expression(expression_path, sample_times=sample_times, genes=genes)
    clr = _open_map(contacts_path, resolution)
    expression = _harmonise_and_filter(expression, clr, max_genes, str(expression_path),
                                       gene_selection, genes_source=str(genes_path))
    var = expression.var
    table = pd.DataFrame(
        {"chrom": var["chrom"], "start": var["start"].astype(int),
         "end": var["end"].astype(int), "tss": var["tss"].astype(int)},
        index=expression.var_names,
    )
    pairs, gene_feats = cooler_pair_features(clr, table, max_distance=max_distance)
    return ForecastDataset(
        name, expression, pairs, gene_feats,
        description or f"{Path(expression_path).name} + {Path(contacts_path).name}",
        scaling=scaling,
    )


def _open_map(path: PathLike, resolution: int | None) -> cooler.Cooler:
    """``open_contacts``, falling back to ``cooler.Cooler`` for single-resolution .cool files
    that ``cooler.fileops.list_coolers`` does not list (e.g. yeast.10kb.cool)."""
    from hicexpr.io.contacts import open_contacts

    try:
        return open_contacts(path, resolution)
    except InputError as exc:
        if not str(path).endswith(".cool"):
            raise
        try:
            clr = cooler.Cooler(str(path))
        except (KeyError, OSError, ValueError):
            raise exc from None  # open_contacts said why (e.g. no such file)
        if resolution is not None and clr.binsize != resolution:
            expected = f"the map's bin size {clr.binsize}"
            raise InputError(path, "resolution", expected, resolution) from None
        return clr


def _harmonise_and_filter(
    expression: ad.AnnData, clr: cooler.Cooler, max_genes: int | None, source: str,
    gene_selection: str = "spread", genes_source: str | None = None,
) -> ad.AnnData:
    """Placed genes on the map's chromosome names, complete and (``max_genes``) selected.
    ``source`` (the expression file) is named by errors about values, ``genes_source`` (the
    gene table, whose coordinates and chromosome names these are) by those about chromosomes."""
    from hicexpr.io.chroms import harmonise_chroms

    placed = expression.var["placed"].to_numpy(dtype=bool)
    if not placed.any():
        raise InputError(source, "gene ids", "genes found in the gene table", "no match")
    expression = expression[:, placed].copy()
    var = harmonise_chroms(expression.var.reset_index(), clr, source=genes_source or source)
    var.index = expression.var_names
    expression.var = var.drop(columns=[c for c in var.columns if c == "gene_id"])
    on_map = expression.var["chrom"].isin(clr.chromnames).to_numpy()
    expression = _drop_empty_times(expression, on_map, source)
    X = np.asarray(expression.X, dtype=float)
    complete = ~np.isnan(X).any(axis=0)
    keep = on_map & complete
    log.info("%s: %d genes placed, %d on the map and complete", source, placed.sum(), keep.sum())
    if on_map.any() and not keep.any():
        raise _no_complete_gene(expression[:, on_map], source)
    _warn_incomplete(int(on_map.sum()), int(keep.sum()), source)
    expression = expression[:, keep].copy()
    if max_genes is not None and expression.n_vars > max_genes:
        keep_idx, how = select_genes(expression, max_genes, gene_selection)
        expression = expression[:, keep_idx].copy()
        expression.uns["gene_selection"] = how
    return expression


def _time_labels(expression: ad.AnnData, rows: np.ndarray) -> list[str]:
    """``name (time t)`` of each row: ``name`` alone when equal to its time, ``(no time)``
    when the time is missing."""
    times = expression.obs["time"].to_numpy(dtype=float) if "time" in expression.obs else None
    labels = []
    for i in np.flatnonzero(rows):
        name = str(expression.obs_names[i])
        t = times[i] if times is not None else np.nan
        if np.isnan(t):
            labels.append(f"{name} (no time)")
        else:
            labels.append(name if name == f"{t:g}" else f"{name} (time {t:g})")
    return labels


def _drop_empty_times(expression: ad.AnnData, genes: np.ndarray, source: str) -> ad.AnnData:
    """Drop (with a warning naming them) time points where none of ``genes`` has a value: an
    empty sample column, or samples without a time, would otherwise make every gene
    incomplete."""
    X = np.asarray(expression[:, genes].X, dtype=float)
    if X.shape[1] == 0:
        return expression
    empty = np.isnan(X).all(axis=1)
    if not empty.any():
        return expression
    log.warning("%s: dropped %d time point(s) without any value: %s", source, empty.sum(),
                ", ".join(_time_labels(expression, empty)))
    return expression[~empty].copy()


def _warn_incomplete(n_on_map: int, n_complete: int, source: str) -> None:
    """Warn when most genes on the map are dropped for a missing value (only complete time
    courses are forecast; a sparse table would otherwise shrink silently)."""
    if 2 * (n_on_map - n_complete) > n_on_map:
        log.warning("%s: %d of %d genes on the map miss a value at some time point and are not "
                    "used (only complete time courses are forecast)", source,
                    n_on_map - n_complete, n_on_map)


def _no_complete_gene(expression: ad.AnnData, source: str) -> InputError:
    """The error when every gene on the map misses a value, naming the worst time point."""
    missing = np.isnan(np.asarray(expression.X, dtype=float)).sum(axis=1)
    worst = np.zeros(len(missing), dtype=bool)
    worst[int(np.argmax(missing))] = True
    n = expression.n_vars
    return InputError(source, "missing values", "a gene on the map with a value at every time "
                      f"point (none of {n} has one; most missing: time point "
                      f"{_time_labels(expression, worst)[0]}, {int(missing.max())} of {n} genes)")


def select_genes(expression: ad.AnnData, n: int, how: str = "spread") -> tuple[np.ndarray, str]:
    """Indices (sorted) of ``n`` genes of ``expression`` and a one-line description.

    - ``spread``: evenly spaced in genome order (``var`` columns ``chrom``, ``start``): a
      sample of the genome that never looks at the expression values. On the yeast arrays it
      keeps the baselines' validation scores close to those of all genes.
    - ``variance``: largest variance over the first half of the time points (never the later,
      test-side points). Not representative on yeast alpha (validation-region window-mean
      skill -0.63 vs 0.11 for all genes; docs/forecasting.md).
    """
    if how == "variance":
        half = max(2, expression.n_obs // 2)
        var_early = np.asarray(expression.X, dtype=float)[:half].var(axis=0)
        top = np.sort(np.argsort(-var_early, kind="stable")[:n])
        return top, f"top {n} by variance over the first {half} time points"
    var = expression.var
    order = np.lexsort((var["start"].to_numpy(dtype=float), var["chrom"].astype(str).to_numpy()))
    picks = np.unique(np.linspace(0, len(order) - 1, n).round().astype(int))
    return np.sort(order[picks]), f"{n} genes evenly spaced in genome order (of {len(order)})"


#: Chromosomes with more bins get their compartment eigenvector from a streamed, sparse
#: coarsening to at most this many bins (:func:`hicexpr.contacts.features.chromosome_e1`).
MAX_DENSE_E1_BINS = 2_000


def cooler_pair_features(
    clr: cooler.Cooler,
    genes: pd.DataFrame,
    max_distance: int | None = None,
    insulation_window: int | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Cis gene-pair contacts and per-gene 3D features from a contact map.

    Uses :func:`hicexpr.contacts.gene_pair_contacts` (TSS-bin contacts, balanced when the map
    has weights), :func:`hicexpr.contacts.gene_features` (insulation, boundaries, TADs, E1) and
    :func:`hicexpr.contacts.pair_flags` (``same_tad``, ``same_compartment``). Pixels are
    streamed: gene pairs and insulation read chunks; compartments of chromosomes over
    :data:`MAX_DENSE_E1_BINS` bins come from a sparse coarsening (``compartments(max_bins=)``),
    so no chromosome is ever a dense fine-resolution matrix.

    Args:
        clr: contact map.
        genes: index = gene id; ``chrom, start, end, tss`` (+ ``strand``, ``symbol``).
        max_distance: keep pairs whose TSSs are at most this far apart (bp).
        insulation_window: insulation window in bp (default: the contacts module's).

    Returns:
        (pairs, gene_features): the standard pair table (+ ``oe``) and per-gene ``chrom, start,
        bin, insulation, compartment_e1, is_boundary, boundary_distance_bins, tad_id, degree,
        contact_sum``.
    """
    from hicexpr.contacts import compartments, gene_features, gene_pair_contacts, pair_flags
    from hicexpr.contacts.mapping import gene_bins

    balanced = "weight" in clr.bins().columns
    if not balanced:
        log.warning("contact map has no balancing weights: raw counts used")
    mapped = gene_bins(clr, _contact_gene_table(genes))  # once: genes off the map warned once
    raw = gene_pair_contacts(clr, mapped, max_distance=max_distance, balance=balanced)
    weight = "weight" if balanced else None
    feats = gene_features(clr, mapped, window_bp=insulation_window, weight=weight,
                          comp=compartments(clr, genes=mapped, weight=weight,
                                            max_bins=MAX_DENSE_E1_BINS))
    pairs = _pair_table(pair_flags(raw, feats), feats, balanced)
    return pairs, _add_degree(_gene_feature_table(genes, feats), pairs)


def _contact_gene_table(genes: pd.DataFrame) -> pd.DataFrame:
    """``genes`` with the id as column ``gene_id`` and ``symbol`` / ``strand`` filled in."""
    table = genes.rename_axis("gene_id").reset_index()
    if "symbol" not in table:
        table["symbol"] = table["gene_id"]
    if "strand" not in table:
        table["strand"] = "."
    return table


def _pair_table(raw: pd.DataFrame, feats: pd.DataFrame, balanced: bool) -> pd.DataFrame:
    """The standard pair table (+ ``oe``) of flagged gene-pair contacts, sorted by
    ``gene1 < gene2``; ``contact`` normalises the contact over its median positive value."""
    hic = raw["balanced" if balanced else "count"].to_numpy(dtype=float)
    positive = hic[np.isfinite(hic) & (hic > 0)]
    scale = float(np.median(positive)) if positive.size else 1.0
    ins = feats.drop_duplicates("gene_id").set_index("gene_id")["insulation"]
    pairs = pd.DataFrame({
        "gene1": raw["gene1"], "gene2": raw["gene2"], "chrom1": raw["chrom1"],
        "chrom2": raw["chrom2"], "hic": hic,
        "contact": normalised_contact(hic / scale),
        "same_chrom": raw["chrom1"] == raw["chrom2"],
        "same_tad": raw["same_tad"], "same_compartment": raw["same_compartment"],
        "insulation_mean": (raw["gene1"].map(ins).to_numpy() + raw["gene2"].map(ins).to_numpy())
        / 2,
        "distance_bp": raw["distance"].astype(float), "oe": raw["oe"].astype(float),
    })
    swap = pairs["gene1"] > pairs["gene2"]
    pairs.loc[swap, ["gene1", "gene2"]] = pairs.loc[swap, ["gene2", "gene1"]].to_numpy()
    return pairs.sort_values(["gene1", "gene2"]).reset_index(drop=True)


def _gene_feature_table(genes: pd.DataFrame, feats: pd.DataFrame) -> pd.DataFrame:
    """Per-gene ``chrom, start, bin, insulation, compartment_e1, is_boundary,
    boundary_distance_bins, tad_id`` in the order of ``genes`` (first row per gene)."""
    f = feats.drop_duplicates("gene_id").set_index("gene_id").reindex(genes.index)
    return pd.DataFrame({
        "chrom": genes["chrom"], "start": genes["start"], "bin": f["bin_id"],
        "insulation": f["insulation"], "compartment_e1": f["E1"],
        "is_boundary": f["is_boundary"].fillna(False).astype(bool),
        "boundary_distance_bins": f["boundary_distance_bins"], "tad_id": f["tad_id"],
    }, index=genes.index)

"""Run configuration: YAML files validated with pydantic; CLI flags override YAML values.

Unknown keys are an error naming the key and the closest valid one. Each command has one
config model below; ``load_config(Model, path, overrides)`` resolves YAML + flags into it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, TypeVar, get_args

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from hicexpr.lib.errors import InputError, closest

M = TypeVar("M", bound="StrictModel")


class StrictModel(BaseModel):
    """Base for every config section: unknown keys are rejected, values validated."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)


def load_config(
    model: type[M],
    path: str | os.PathLike[str] | None = None,
    overrides: dict[str, Any] | None = None,
) -> M:
    """Build ``model`` from a YAML file (optional) updated with non-None ``overrides``.

    Raises:
        InputError: unreadable YAML, unknown key (with the closest valid one) or invalid value.
    """
    data: dict[str, Any] = _read_yaml(path) if path is not None else {}
    for key, value in (overrides or {}).items():
        if value is not None:
            data[key] = value
    source = str(path) if path is not None else "config"
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise _as_input_error(exc, model, source) from None


def check_at_least(config: BaseModel, bounds: dict[str, float]) -> None:
    """Raise :class:`InputError` naming the first field below its lower bound (None passes;
    for a list field, every element is checked)."""
    for name, low in bounds.items():
        value = getattr(config, name)
        for item in value if isinstance(value, list) else [value]:
            if item is not None and item < low:
                kind = "an integer" if isinstance(low, int) else "a number"
                raise InputError("config", name, f"{kind} >= {low}", item)


def _read_yaml(path: str | os.PathLike[str]) -> dict[str, Any]:
    file = Path(path)
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(file, "", "a readable YAML file", exc.strerror) from None
    except UnicodeDecodeError as exc:
        line = file.read_bytes()[:exc.start].count(b"\n") + 1
        raise InputError(file, f"line {line}", "UTF-8 text", f"byte 0x{exc.object[exc.start]:02x}")\
            from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", "parse error")
        raise InputError(file, where, "valid YAML", problem) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InputError(file, "", "a YAML mapping of config keys", type(data).__name__)
    return data


def _as_input_error(exc: ValidationError, model: type[BaseModel], source: str) -> InputError:
    err = exc.errors()[0]
    loc = [str(p) for p in err["loc"]]
    field = ".".join(loc)
    if err["type"] == "extra_forbidden":
        valid = _field_names(model, loc[:-1])
        hint = closest(loc[-1], valid)
        expected = f"one of the known keys (did you mean '{hint}'?)" if hint else "a known key"
        return InputError(source, f"unknown key '{field}'", expected)
    return InputError(source, f"field '{field}'", err["msg"].lower(), err.get("input"))


def _field_names(model: type[BaseModel], parents: list[str]) -> list[str]:
    current: Any = model
    for name in parents:
        if name.isdigit():  # list / dict position: the item model is already current
            continue
        field = getattr(current, "model_fields", {}).get(name)
        if field is None:
            return []
        current = _model_in(field.annotation)
        if current is None:
            return []
    return list(getattr(current, "model_fields", {}))


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model inside an annotation (``Sub``, ``Sub | None``, ``list[Sub]``...)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


# --- command configs -----------------------------------------------------------------------
# Each command adds its model below (one class per command, fields documented).


class ContactFeaturesConfig(StrictModel):
    """``hicexpr contacts features``: 3D features of genes on a contact map."""

    resolution: int | None = None  # bin size (bp); required for .mcool / multi-resolution .hic
    window_bp: int | None = None  # insulation window (bp); None = 5 bins
    max_distance: int | None = None  # gene pairs up to this TSS distance; None = 2 Mb
    balance: str = "auto"  # auto (weights or ICE on a cached copy) | weights | raw
    weight: str = "weight"  # balancing weight column
    assembly: str | None = None  # assembly of STEP/dense maps (e.g. mm9) for chromosome lengths
    bins: str | None = None  # HiC-Pro bins file (_abs.bed) of a .matrix; None = its sibling
    genes_format: str = "auto"  # bed | gtf | gff3 | sgd | step
    trans: bool = False  # also inter-chromosomal gene pairs


class SimulateConfig(StrictModel):
    """``hicexpr simulate``: see :class:`hicexpr.datasets.simulate.SimulationParams`."""

    seed: int = 0
    n_genes: int = 300  # genes
    n_times: int = 40  # time points
    resolution: int = 10_000  # bin size (bp)
    n_chroms: int = 3  # chromosomes
    genome_size: int = 24_000_000  # total length (bp)
    max_distance: int | None = None  # largest simulated contact distance (bp); None = all


class DemoConfig(StrictModel):
    """``hicexpr demo``: simulate a small data set, then run the pipeline on it."""

    seed: int = 0
    n_genes: int = 300
    n_times: int = 40
    n_chroms: int = 3  # simulated chromosomes
    genome_size: int = 24_000_000  # simulated genome length (bp)
    test_fraction: float = 0.2  # last fraction of time points held out for testing
    seeds: int = Field(2, ge=1)  # forecast seeds 0..seeds-1
    models: list[str] | None = None  # forecast models (None = the `hicexpr forecast` defaults)


class SpexConfig(StrictModel):
    """``hicexpr spex``: local chromatin features + 3D partner features -> expression."""

    samples: list[str] = ["E116"]  # expression columns to predict (["all"] = every column)
    peak_value: str = "binary"  # binary | signal | score (peak value in a window)
    resolution: int | None = None  # bin size of multi-resolution contact maps (bp)
    balance: bool = False  # balanced instead of raw contact counts
    min_count: float = 0.0  # keep contact pixels above this value
    min_oe: float | None = None  # keep contact pixels with observed/expected >= this
    min_distance: int = 20_000  # drop partners closer than this to the TSS (bp)
    loop_slop: int = 5_000  # a TSS within this of a loop anchor belongs to it (bp)
    aggregations: list[str] = ["sides"]  # sides | distance_bins | weighted_mean | activity
    heads: list[str] = ["ridge", "gbtree"]  # ridge | elasticnet | gblinear | gbtree
    controls: bool = True  # random loci (same count) and partners shuffled between genes
    control_heads: list[str] | None = None  # heads fitted on controls (None = first linear)
    test_chroms: list[str] = ["chr8"]
    val_chroms: list[str] = ["chr9"]  # penalty choice and early stopping only
    folds: int = 0  # >0: chromosome-grouped k-fold instead of the single hold-out
    half_width: int = 20_000  # TSS window half-width (bp)
    step: int = 200  # spacing of window centres (bp)
    width: int = 2_000  # window width (bp), also used for partner loci
    rates: list[float] = [0.01, 0.02, 0.05, 0.1, 0.2]  # decay rates per step
    n_boot: int = 1000  # bootstrap resamples for CIs
    seed: int = 0
    n_jobs: int = 2  # threads for xgboost / parallel samples
    report: bool = True  # write report.html at the end of the run
    beluga_weights: str | None = None  # Beluga state_dict: profiles from DNA instead of tracks
    fasta: str | None = None  # genome FASTA read by the Beluga model
    average_rc: bool = True  # Beluga: average forward and reverse-complement predictions
    batch_size: int = 64  # Beluga: sequences per forward pass
    device: str | None = None  # Beluga: torch device (None = cuda when available, else cpu)
    cache_dir: str | None = None  # Beluga: on-disk prediction cache folder


class ForecastConfig(StrictModel):
    """``hicexpr forecast``: forecast each gene's time course from its history and 3D neighbours.

    Give either ``dataset`` (step_mrna, step_mirna, yeast_alpha, yeast_cdc15) or the three
    inputs ``expression`` + ``contacts`` + ``genes``.
    """

    dataset: str | None = None  # benchmark dataset name
    expression: str | None = None  # genes x samples TSV/CSV/h5ad
    contacts: str | None = None  # contact map (.cool/.mcool/.hic)
    resolution: int | None = None  # bin size (bp) of a multi-resolution map; None: its only one
    genes: str | None = None  # gene table (BED/GTF/SGD)
    sample_times: str | None = None  # 2-column sample -> time table (optional)
    out: str | None = None  # run folder
    models: list[str] = [
        "persistence", "window_mean", "gene_ridge_ar", "pooled_ridge_ar", "ridge_ar_hic",
        "gru", "stepmr", "stepmi", "graph_ar", "graph_ensemble",
    ]
    model_params: dict[str, dict[str, Any]] = {}  # per-model hyper-parameters
    protocol: str = "chronological"  # chronological | rolling-origin | step-random (leaky)
    seeds: int = 5  # seeds 0..seeds-1 (mean +- sd)
    input_length: int = 3  # L input time points
    horizon: int = 1  # horizons 1..H
    test_fraction: float = 0.2  # last fraction of time points tested
    val_fraction: float = 0.15  # validation block before the test block
    n_folds: int = 3  # rolling-origin folds
    refit: bool = True  # refit on train + validation after validation chose alpha / epochs
    max_genes: int | None = 500  # yeast / custom inputs: genes evenly spaced
    # along the genome (0 or None: all complete genes)
    scaling: str | None = None  # standard | scale | none (None: the dataset's; none for yeast)
    top_k: int | None = 10  # keep each gene's k strongest Hi-C edges (None = all)
    node2vec_dim: int = 0  # >0: Node2vec embedding of the Hi-C graph as node features
    node2vec: str | None = None  # none | static | temporal (None: static if node2vec_dim > 0)
    n_boot: int = 1000  # bootstrap resamples (genes) for comparisons.tsv; 0: no comparisons
    n_perm: int = 99  # gene permutations for contact_coexpression.tsv's p-values; 0: none
    report: bool = True  # write report.html at the end of the run

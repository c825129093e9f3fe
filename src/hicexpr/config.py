"""Run configuration: YAML files validated with pydantic; CLI flags override YAML values.

Unknown keys are an error naming the key and the closest valid one. Each command has one
config model below; ``load_config(Model, path, overrides)`` resolves YAML + flags into it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, TypeVar, get_args

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

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


def _read_yaml(path: str | os.PathLike[str]) -> dict[str, Any]:
    file = Path(path)
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(file, "", "a readable YAML file", exc.strerror) from None
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

"""Model names used in configs, the CLI and tables."""

from __future__ import annotations

import functools
import numbers
import types
import typing
from typing import Any

import numpy as np

from hicexpr.forecast.base import Forecaster
from hicexpr.forecast.baselines import (
    GeneRidgeAR,
    NeighbourRidgeAR,
    Persistence,
    PooledRidgeAR,
    WindowMean,
)
from hicexpr.forecast.ensemble import GraphEnsemble
from hicexpr.forecast.graph_ar import GraphAR
from hicexpr.forecast.minibatch import MiniBatchSTEPmr
from hicexpr.forecast.neural import GraphGRU, GRUForecaster, STEPmi, STEPmr
from hicexpr.lib.errors import InputError, closest

MODELS: dict[str, type[Forecaster]] = {
    "persistence": Persistence,
    "window_mean": WindowMean,
    "gene_ridge_ar": GeneRidgeAR,
    "pooled_ridge_ar": PooledRidgeAR,
    "ridge_ar_hic": NeighbourRidgeAR,
    "gru": GRUForecaster,
    "stepmr": STEPmr,
    "stepmr_minibatch": MiniBatchSTEPmr,
    "stepmi": STEPmi,
    "graph_gru": GraphGRU,
    "graph_ar": GraphAR,
    "graph_ensemble": GraphEnsemble,
}
BASELINES = ("persistence", "window_mean", "gene_ridge_ar", "pooled_ridge_ar", "ridge_ar_hic")
RIDGE_BASELINES = ("gene_ridge_ar", "pooled_ridge_ar", "ridge_ar_hic")


def make_model(name: str, **params: Any) -> Forecaster:
    """A new unfitted model by name (``params`` are its hyper-parameters)."""
    if name not in MODELS:
        hint = closest(name, MODELS)
        expected = f"one of {', '.join(MODELS)}" + (f" (did you mean '{hint}'?)" if hint else "")
        raise InputError("models", "", expected, name)
    kind = MODELS[name]
    defaults, numeric = _param_kinds(kind)
    unknown = set(params) - set(defaults)
    if unknown:
        raise InputError(f"models.{name}", "", f"parameters among {sorted(defaults)}",
                         sorted(unknown))
    checked = {key: _check_param(f"models.{name}.{key}", defaults[key], value,
                                 key in numeric) for key, value in params.items()}
    return kind(**checked)


def check_params(model: Forecaster) -> str:
    """Raise :class:`InputError` for a hyper-parameter of the wrong kind: what
    :func:`make_model` checks, for models built directly or changed with ``set_params``.
    Returns the model's registry name (its class name if unregistered)."""
    kind = type(model)
    name = next((n for n, k in MODELS.items() if k is kind), kind.__name__)
    defaults, numeric = _param_kinds(kind)
    for key, value in model.get_params(deep=False).items():
        is_numeric = key in numeric or _is_number(defaults.get(key))
        if is_numeric and isinstance(value, str):
            raise InputError(f"models.{name}.{key}", "", f"a number (default {defaults[key]})",
                             value)
        if key in defaults:
            _check_param(f"models.{name}.{key}", defaults[key], value, key in numeric)
    return name


def _is_number_list(value: Any) -> bool:
    return isinstance(value, list | tuple) and len(value) > 0 and all(map(_is_number, value))


def _is_number(value: Any) -> bool:
    """A real number, numpy scalars included (``np.int64(3)``); not a bool."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool | np.bool_)


@functools.cache
def _param_kinds(kind: type[Forecaster]) -> tuple[dict[str, Any], frozenset[str]]:
    """A model class's default hyper-parameters and those annotated as numbers (computed once
    per class: :func:`check_params` runs at every fit)."""
    return kind().get_params(), frozenset(_numeric_params(kind))


def _numeric_params(kind: type[Forecaster]) -> set[str]:
    """Parameters annotated ``int`` / ``float`` (or ``float | None``) and nothing else."""
    out = set()
    for key, hint in typing.get_type_hints(kind.__init__).items():
        if typing.get_origin(hint) not in (None, typing.Union, types.UnionType):
            continue  # Sequence[float], tuple[int, ...]: not a number
        allowed = set(typing.get_args(hint)) or {hint}
        if allowed - {type(None)} and allowed - {type(None)} <= {int, float}:
            out.add(key)
    return out


def _check_param(field: str, default: Any, value: Any, numeric: bool) -> Any:
    """``value`` checked against the parameter's kind: a number for a numeric parameter (None
    where that is the default), an integer (``3.0`` -> ``3``) for an integer one; ``lags`` at
    least 1; a non-empty list of numbers where the default is one."""
    if _is_number_list(default):
        if not _is_number_list(value):
            raise InputError(field, "", f"a list of numbers (default {list(default)})", value)
        return value
    if not (numeric or _is_number(default)) or (value is None and default is None):
        return value
    if isinstance(value, str):  # YAML reads 1e-3 (no dot) as a string
        try:
            value = float(value)
        except ValueError:
            pass
    if not _is_number(value):
        raise InputError(field, "", f"a number (default {default})", value)
    if isinstance(default, int):
        if not float(value).is_integer():
            raise InputError(field, "", f"an integer (default {default})", value)
        value = int(value)
    if field.endswith(".lags") and value < 1:
        raise InputError(field, "", "an integer >= 1", value)
    return value

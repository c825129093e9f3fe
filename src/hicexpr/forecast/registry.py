"""Model names used in configs, the CLI and tables."""

from __future__ import annotations

from typing import Any

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
    valid = set(kind().get_params())
    unknown = set(params) - valid
    if unknown:
        raise InputError(f"models.{name}", "", f"parameters among {sorted(valid)}", sorted(unknown))
    return kind(**params)

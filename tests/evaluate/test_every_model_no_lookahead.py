"""No look-ahead for every model and every fitted feature, fast, on the path a run takes.

``hicexpr forecast`` passes the dataset's values and its gene graph to
:func:`evaluate_forecasters` (``workflows.forecast._evaluate``); with ``node2vec: temporal``
the graph is a :class:`TemporalNode2vecGraph` that embeds each split's training times. Here the
same objects are built from a small simulated dataset, every value after a cut is replaced by
noise, and every forecast made from an origin at or before the cut must stay the same: the
scaler, the temporal Node2vec features, GraphAR's co-expression (expression-similarity) edges,
validation choices, early stopping and refits may only see earlier times. Cuts: the first test
origin, and in one rolling-origin setting each fold's own first test origin (a fold must not
read its own test targets nor the later folds'). Neural nets are tiny; the
pooled-ridge skip of the neural models is switched on (``skip``) so its fitted base is checked
too. ``tests/workflows/test_no_lookahead.py`` runs the CLI workflow itself
on two of these settings (slow).
"""

from __future__ import annotations

import copy
import dataclasses

import numpy as np
import pandas as pd
import pytest

from hicexpr.datasets.forecasting import ForecastDataset, load_simulated
from hicexpr.datasets.simulate import simulate_dataset
from hicexpr.evaluate.protocols import make_splits
from hicexpr.evaluate.runner import evaluate_forecasters
from hicexpr.forecast import MODELS
from hicexpr.workflows.forecast import TemporalNode2vecGraph, gene_graph

N_TIMES, N_GENES = 24, 12
NET = {"max_epochs": 8, "patience": 8, "hidden": 4}
PARAMS: dict[str, dict] = {name: {} for name in MODELS}
PARAMS.update({
    "gru": NET,
    "stepmr": NET,
    "stepmr_minibatch": {**NET, "batch_windows": 4, "gene_blocks": 2},
    "stepmi": {**NET, "skip": "auto_ridge"},  # a pooled ridge fitted inside the net
    "graph_gru": {**NET, "skip": "pooled_ridge"},
    # members as above; its GraphAR scored on validation only (the default GraphAR is above)
    "graph_ensemble": {"member_params": {"stepmr": NET, "graph_gru": NET,
                                         "graph_ar": {"cv_folds": 1}}},
})
NEURAL = ("gru", "stepmr", "stepmr_minibatch", "stepmi", "graph_gru")
SKIPS = ("persistence", "window_mean", "pooled_ridge_ar")  # what an untrained net returns
# (protocol, horizon, scaling, folds cut after): every protocol, horizon 1 and > 1, every
# scaler; the first test origin, and once every rolling-origin fold's own first test origin
SETTINGS = [("chronological", 1, "standard", "first"), ("chronological", 3, "scale", "first"),
            ("rolling-origin", 1, "none", "first"), ("rolling-origin", 2, "standard", "every")]


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> ForecastDataset:
    paths = simulate_dataset(tmp_path_factory.mktemp("sim"), seed=0, n_genes=N_GENES,
                             n_times=N_TIMES, genome_size=3_000_000)
    return load_simulated(paths.cool.parent)


def _noisy(dataset: ForecastDataset, cut: int) -> ForecastDataset:
    """``dataset`` with every value at a time index after ``cut`` replaced by noise."""
    expression = dataset.expression.copy()
    values = dataset.values().copy()  # values() may be a view of expression.X
    rng = np.random.default_rng(cut)
    values[cut + 1:] = rng.normal(20.0, 5.0, size=values[cut + 1:].shape)
    expression.X = values
    return dataclasses.replace(dataset, expression=expression)


def _graph_of(graph: TemporalNode2vecGraph, dataset: ForecastDataset) -> TemporalNode2vecGraph:
    """The workflow's temporal Node2vec graph, embedding ``dataset``'s values."""
    out = copy.copy(graph)
    out.dataset = dataset
    return out


def _predictions(dataset: ForecastDataset, graph: TemporalNode2vecGraph, protocol: str,
                 horizon: int, scaling: str) -> pd.DataFrame:
    """Predictions as ``run_forecast`` computes them (``workflows.forecast._evaluate``)."""
    result = evaluate_forecasters(
        dataset.values(), PARAMS, graph=_graph_of(graph, dataset), protocol=protocol,
        horizon=horizon, seeds=[0], genes=list(dataset.genes), scaling=scaling)
    preds = result.predictions
    preds["origin"] = preds["time"] - preds["horizon"]  # times are row indices here
    return preds.sort_values(["model", "horizon", "time", "gene"]).reset_index(drop=True)


def _assert_nets_trained(rows: pd.DataFrame) -> None:
    """Each neural forecast differs from every skip it may return untrained: early stopping
    kept trained weights (this data set and seed), so they are inside what the test checks."""
    pred = rows.pivot_table(index=["horizon", "gene"], columns="model", values="predicted")
    for net in NEURAL:
        gaps = [(pred[net] - pred[skip]).abs().max() for skip in SKIPS]
        assert min(gaps) > 1e-4, f"{net} returned its skip: no trained weights to check"


@pytest.mark.parametrize(("protocol", "horizon", "scaling", "folds"), SETTINGS)
def test_no_forecast_from_an_origin_up_to_a_cut_reads_values_after_it(
        dataset, protocol, horizon, scaling, folds) -> None:
    graph = gene_graph(dataset, top_k=5, node2vec_dim=4, node2vec="temporal")
    assert isinstance(graph, TemporalNode2vecGraph) and graph.edge_count > 0
    clean = _predictions(dataset, graph, protocol, horizon, scaling)
    assert set(clean["model"]) == set(MODELS)
    splits = make_splits(N_TIMES, protocol, input_length=3)
    for split in splits if folds == "every" else splits[:1]:
        cut = int(split.test.min())  # this fold's first test origin
        noisy = _predictions(_noisy(dataset, cut), graph, protocol, horizon, scaling)
        kept = clean["origin"] <= cut
        assert (clean.loc[kept, "origin"] == cut).sum() == len(MODELS) * N_GENES * horizon
        for model in MODELS:
            rows = kept & (clean["model"] == model)
            np.testing.assert_allclose(noisy.loc[rows, "predicted"],
                                       clean.loc[rows, "predicted"], rtol=0, atol=1e-6,
                                       err_msg=f"{model}, fold {split.fold}, cut {cut}")
        _assert_nets_trained(clean[clean["origin"] == cut])
        later = clean["origin"] > cut
        if later.any():  # the noise is real: forecasts from later origins move
            moved = (noisy.loc[later, "predicted"] - clean.loc[later, "predicted"]).abs()
            assert (moved.groupby(clean.loc[later, "model"]).max() > 1e-3).all()

"""No model looks ahead: the whole `hicexpr forecast` pipeline, perturbed after a cut.

Every value after a split's first test origin is replaced by noise. Whatever is fitted
(scalers, gene graph, temporal Node2vec, co-expression terms, noise / recency weights, early
stopping, refits) may only see earlier times, so no forecast made from that origin (any
horizon) may move. Forecasts from later origins read noisy inputs and must move (the
perturbation is real).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hicexpr.config import ForecastConfig
from hicexpr.datasets.simulate import simulate_dataset
from hicexpr.evaluate.protocols import make_splits
from hicexpr.forecast import MODELS
from hicexpr.workflows.forecast import run_forecast

NET = {"max_epochs": 25, "patience": 10, "hidden": 8}
PARAMS = {name: NET for name in ("gru", "stepmr", "stepmr_minibatch", "stepmi", "graph_gru")}
PARAMS["graph_ensemble"] = {"member_params": {"stepmr": NET, "graph_gru": NET}}
N_TIMES = 30


@pytest.fixture(scope="module")
def simulated(tmp_path_factory):
    return simulate_dataset(tmp_path_factory.mktemp("sim"), seed=3, n_genes=40,
                            n_times=N_TIMES)


def _perturbed_copy(expression, cut: int, out):
    """The expression TSV with every sample at time index >= ``cut`` replaced by noise."""
    table = pd.read_csv(expression, sep="\t", index_col=0)
    rng = np.random.default_rng(0)
    later = table.columns[cut:]
    table[later] = rng.normal(20.0, 5.0, size=(len(table), len(later)))
    table.to_csv(out, sep="\t", float_format="%.6f")
    return out


def _predictions(paths, expression, out, protocol: str, horizon: int) -> pd.DataFrame:
    config = ForecastConfig(
        expression=str(expression), contacts=str(paths.cool), genes=str(paths.genes),
        out=str(out), models=list(MODELS), model_params=PARAMS, protocol=protocol, seeds=1,
        horizon=horizon, node2vec="temporal", node2vec_dim=8, n_boot=0, n_perm=0,
        report=False)
    run = run_forecast(config)
    preds = pd.read_csv(run / "predictions.tsv", sep="\t")
    preds["origin"] = preds["time"] - preds["horizon"]  # time index = time here
    return preds.sort_values(["model", "horizon", "time", "gene"]).reset_index(drop=True)


@pytest.mark.slow
@pytest.mark.parametrize(("protocol", "horizon"), [("chronological", 1), ("rolling-origin", 2)])
def test_forecasts_from_the_first_test_origin_ignore_everything_after_it(
        simulated, tmp_path, protocol, horizon) -> None:
    first_split = make_splits(N_TIMES, protocol, input_length=3)[0]
    origin = int(first_split.test.min())  # inputs end here; its targets start at origin + 1
    clean = _predictions(simulated, simulated.expression, tmp_path / "clean", protocol,
                         horizon)
    noisy_tsv = _perturbed_copy(simulated.expression, origin + 1, tmp_path / "noisy.tsv")
    noisy = _predictions(simulated, noisy_tsv, tmp_path / "noisy", protocol, horizon)
    assert set(clean["model"]) == set(MODELS)
    first = clean["origin"] == origin
    assert first.sum() == len(MODELS) * 40 * horizon  # every horizon of the first window
    for model in MODELS:
        rows = first & (clean["model"] == model)
        np.testing.assert_allclose(noisy.loc[rows, "predicted"], clean.loc[rows, "predicted"],
                                   rtol=0, atol=1e-9, err_msg=model)
    later = clean["origin"] > origin
    moved = (noisy.loc[later, "predicted"] - clean.loc[later, "predicted"]).abs()
    assert (moved.groupby(clean.loc[later, "model"]).max() > 1.0).all()

"""No model looks ahead: the whole `hicexpr forecast` pipeline, perturbed after a cut.

Every value from a split's first test target on is replaced by noise. Whatever is fitted
(scalers, gene graph, temporal Node2vec, co-expression terms, noise / recency weights, early
stopping, refits) may only see earlier times, so each model's forecast of that first target
must not move. A later target is an input's future only for part of the pipeline, and its
forecasts must move (the perturbation is real).
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


def _predictions(paths, expression, out, protocol: str) -> pd.DataFrame:
    config = ForecastConfig(
        expression=str(expression), contacts=str(paths.cool), genes=str(paths.genes),
        out=str(out), models=list(MODELS), model_params=PARAMS, protocol=protocol, seeds=1,
        node2vec="temporal", node2vec_dim=8, n_boot=0, n_perm=0, report=False)
    run = run_forecast(config)
    preds = pd.read_csv(run / "predictions.tsv", sep="\t")
    return preds.sort_values(["model", "time", "gene"]).reset_index(drop=True)


@pytest.mark.slow
@pytest.mark.parametrize("protocol", ["chronological", "rolling-origin"])
def test_forecast_of_the_first_test_target_ignores_everything_after_it(
        simulated, tmp_path, protocol) -> None:
    first_split = make_splits(N_TIMES, protocol, input_length=3)[0]
    cut = int(first_split.test.min()) + 1  # first test target (time index = time here)
    clean = _predictions(simulated, simulated.expression, tmp_path / "clean", protocol)
    noisy_tsv = _perturbed_copy(simulated.expression, cut, tmp_path / "noisy.tsv")
    noisy = _predictions(simulated, noisy_tsv, tmp_path / "noisy", protocol)
    assert set(clean["model"]) == set(MODELS)
    at_cut = clean["time"] == cut
    assert at_cut.sum() == len(MODELS) * 40
    for model in MODELS:
        rows = at_cut & (clean["model"] == model)
        np.testing.assert_allclose(noisy.loc[rows, "predicted"], clean.loc[rows, "predicted"],
                                   rtol=0, atol=1e-9, err_msg=model)
    later = clean["time"] > cut
    moved = (noisy.loc[later, "predicted"] - clean.loc[later, "predicted"]).abs()
    assert (moved.groupby(clean.loc[later, "model"]).max() > 1.0).all()

"""Estimator contract, save/load, and a planted system where the graph must help."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from hicexpr.evaluate.protocols import make_splits
from hicexpr.evaluate.runner import evaluate_forecasters, fit_on_split
from hicexpr.forecast import MODELS, Forecaster, make_model
from hicexpr.lib.errors import InputError

FAST = {"max_epochs": 60, "patience": 20, "hidden": 8}


def _params(name: str) -> dict:
    if name == "graph_ensemble":
        return {"member_params": {"stepmr": FAST, "graph_gru": FAST}}
    return FAST if name in ("gru", "stepmr", "stepmi", "graph_gru") else {}


@pytest.mark.parametrize("name", sorted(MODELS))
def test_contract_shapes_and_save_load_round_trip(name, swap, tmp_path) -> None:
    values, graph = swap
    (split,) = make_splits(len(values), "chronological", input_length=3)
    model, test, _ = fit_on_split(name, _params(name), values, split, 3, 2, 0, graph)
    pred = model.predict(test.X)
    assert pred.shape == (len(test), 2, values.shape[1])
    assert np.isfinite(pred).all()
    path = model.save(tmp_path / f"{name}.pt")
    loaded = Forecaster.load(path)
    assert type(loaded) is type(model)
    assert np.allclose(loaded.predict(test.X), pred)
    fresh = clone(model)
    assert fresh.get_params() == model.get_params()
    with pytest.raises(NotFittedError):
        fresh.predict(test.X)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_each_window_is_forecast_on_its_own(name, swap) -> None:
    """A forecast depends on its own window only, never on the other windows predicted with
    it (a batch of test windows holds later time points)."""
    values, graph = swap
    (split,) = make_splits(len(values), "chronological", input_length=3)
    model, test, _ = fit_on_split(name, _params(name), values, split, 3, 1, 0, graph)
    together = model.predict(test.X)
    alone = np.concatenate([model.predict(test.X[i : i + 1]) for i in range(len(test))])
    np.testing.assert_allclose(together, alone, rtol=0, atol=1e-5)


def test_unknown_model_and_parameter_are_input_errors() -> None:
    with pytest.raises(InputError, match="stepmr"):
        make_model("stepmrr")
    with pytest.raises(InputError, match="hidden"):
        make_model("stepmr", hiden=3)


@pytest.mark.parametrize(("name", "params", "message"), [
    ("pooled_ridge_ar", {"alpha": "abc"}, "models.pooled_ridge_ar.alpha: expected a number"),
    ("graph_ar", {"gene_alpha": [1, 2]}, "models.graph_ar.gene_alpha: expected a number"),
    ("pooled_ridge_ar", {"lags": 0}, "models.pooled_ridge_ar.lags: expected an integer >= 1"),
    ("gru", {"hidden": 2.5}, "models.gru.hidden: expected an integer"),
])
def test_parameter_values_of_the_wrong_kind_are_input_errors(name, params, message) -> None:
    with pytest.raises(InputError, match=message):
        make_model(name, **params)
    assert make_model("pooled_ridge_ar", lags=5.0, alpha=None).lags == 5  # YAML's 5.0 is 5
    assert make_model("gru", lr="1e-3").lr == 0.001  # YAML's 1e-3 is a string


def test_refit_needs_a_fit_and_the_fitted_shape() -> None:
    from sklearn.exceptions import NotFittedError

    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(20, 3, 4)), rng.normal(size=(20, 1, 4))
    with pytest.raises(NotFittedError):
        make_model("pooled_ridge_ar").refit(X, y)
    model = make_model("pooled_ridge_ar").fit(X, y)
    with pytest.raises(InputError, match="refit: windows: expected the fitted input length"):
        model.refit(X, rng.normal(size=(20, 2, 4)))  # another horizon
    with pytest.raises(InputError, match="refit: windows"):
        model.refit(X[:, :, :3], y[:, :, :3])  # other genes


def test_graph_ar_forecasts_from_one_input_time_point() -> None:
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(20, 1, 30)), rng.normal(size=(20, 1, 30))
    model = make_model("graph_ar").fit(X, y, validation=(X[:5], y[:5]))
    assert np.isfinite(model.predict(X)).all()
    # planted mean reversion: the next value is half the current one; new windows follow it
    half = 0.5 * X + 0.05 * rng.normal(size=X.shape)
    model = make_model("graph_ar").fit(X, half, validation=(X[:5], half[:5]))
    new = rng.normal(size=(6, 1, 30))
    error = np.mean((model.predict(new) - 0.5 * new) ** 2)
    assert error < 0.01 * np.mean((new - 0.5 * new) ** 2)  # far better than persistence


@pytest.mark.slow
def test_planted_graph_system_graph_models_beat_persistence_and_own_history(swap) -> None:
    values, graph = swap
    models = {"persistence": {}, "gene_ridge_ar": {}, "ridge_ar_hic": {},
              "stepmr": {"max_epochs": 200}}
    res = evaluate_forecasters(values, models, graph=graph, seeds=[0])
    skill = {m: res.metric(m, "skill") for m in models}
    assert skill["persistence"] == 0.0
    assert skill["ridge_ar_hic"] > skill["gene_ridge_ar"] + 0.05, skill
    assert skill["stepmr"] > 0.5, skill
    r = {m: res.metric(m, "gene_pearson_mean") for m in models}
    assert r["stepmr"] > 0.3 and r["stepmr"] > r["persistence"] + 0.3, r


def test_changing_test_values_changes_no_fitted_parameter(swap) -> None:
    values, graph = swap
    (split,) = make_splits(len(values), "chronological", input_length=3)
    changed = values.copy()
    changed[split.test.min() + 1 :] = 50.0  # every test target replaced
    for name in ("ridge_ar_hic", "stepmr"):
        a, _, scaler_a = fit_on_split(name, _params(name), values, split, 3, 1, 0, graph)
        b, _, scaler_b = fit_on_split(name, _params(name), changed, split, 3, 1, 0, graph)
        assert np.array_equal(scaler_a.mean_, scaler_b.mean_)
        if name == "ridge_ar_hic":
            assert a.alpha_ == b.alpha_
            assert all(np.array_equal(x, y) for x, y in zip(a.coef_, b.coef_, strict=True))
        else:
            assert a.train_results_[0].best_epoch == b.train_results_[0].best_epoch
            sa, sb = a.nets_[0].state_dict(), b.nets_[0].state_dict()
            assert all(np.array_equal(sa[k].numpy(), sb[k].numpy()) for k in sa)


def test_neural_fit_is_deterministic_for_a_seed(swap) -> None:
    values, graph = swap
    (split,) = make_splits(len(values), "chronological", input_length=3)
    a, test, _ = fit_on_split("stepmi", FAST, values, split, 3, 1, 3, graph)
    b, _, _ = fit_on_split("stepmi", FAST, values, split, 3, 1, 3, graph)
    assert np.array_equal(a.predict(test.X), b.predict(test.X))


def test_residual_skip_is_chosen_on_validation() -> None:
    rng = np.random.default_rng(0)
    noise = rng.normal(size=(40, 12))  # i.i.d.: the window mean beats the last value
    walk = np.cumsum(rng.normal(size=(40, 12)), axis=0)  # random walk: the last value wins
    (split,) = make_splits(40, "chronological", input_length=3)
    params = {"max_epochs": 5, "hidden": 4}
    a, _, _ = fit_on_split("gru", params, noise, split, 3, 1, 0)
    b, _, _ = fit_on_split("gru", params, walk, split, 3, 1, 0)
    assert a.skip_ == "window_mean" and b.skip_ == "persistence"
    # i.i.d. noise: the pooled ridge learns "predict the mean" and beats both naive skips
    ridge = {**params, "skip": "auto_ridge"}
    c, _, _ = fit_on_split("gru", ridge, noise, split, 3, 1, 0)
    d, _, _ = fit_on_split("gru", ridge, walk, split, 3, 1, 0)
    assert c.skip_ == "pooled_ridge" and d.skip_ != "window_mean"


def test_ridge_skip_untrained_net_equals_pooled_ridge_and_refit_keeps_alpha(swap) -> None:
    values, graph = swap
    (split,) = make_splits(len(values), "chronological", input_length=3)
    model, test, _ = fit_on_split("stepmr", {"max_epochs": 0, "skip": "pooled_ridge"}, values,
                                  split, 3, 1, 0, graph)
    ridge, _, _ = fit_on_split("pooled_ridge_ar", {}, values, split, 3, 1, 0)
    assert model.base_ridge_.alpha_ == ridge.alpha_
    assert np.allclose(model.predict(test.X), ridge.predict(test.X), atol=1e-5)
    assert not np.allclose(ridge.predict(test.X)[:, 0], test.X[:, -1], atol=1e-3)


def test_untrained_net_returns_its_skip_exactly(swap) -> None:
    values, graph = swap
    (split,) = make_splits(len(values), "chronological", input_length=3)
    model, test, _ = fit_on_split("stepmr", {"max_epochs": 0, "skip": "persistence"}, values,
                                  split, 3, 1, 0, graph)
    assert np.allclose(model.predict(test.X)[:, 0], test.X[:, -1], atol=1e-6)


def test_stepmr_saved_before_sparse_products_loads_with_pyg_convolutions(swap, tmp_path) -> None:
    import torch

    values, graph = swap
    (split,) = make_splits(len(values), "chronological", input_length=3)
    model, test, _ = fit_on_split("stepmr", {**FAST, "sparse_matmul": False}, values, split, 3,
                                  1, 0, graph)
    path = model.save(tmp_path / "old.pt")
    payload = torch.load(path, weights_only=False)
    del payload["params"]["sparse_matmul"]  # as written before the option existed
    torch.save(payload, path)
    loaded = Forecaster.load(path)
    assert loaded.sparse_matmul is False
    np.testing.assert_array_equal(loaded.predict(test.X), model.predict(test.X))


def test_missing_inputs_are_refused_not_spread() -> None:
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(20, 3, 4)), rng.normal(size=(20, 1, 4))
    X[3, 1, 2] = np.nan
    with pytest.raises(InputError, match="X: expected finite inputs"):
        make_model("pooled_ridge_ar").fit(X, y)


@pytest.mark.parametrize("name", ["ridge_ar_hic", "graph_ar"])
def test_a_graph_of_other_genes_is_refused(name) -> None:
    import torch
    from torch_geometric.data import Data

    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(20, 3, 6)), rng.normal(size=(20, 1, 6))
    graph = Data(edge_index=torch.tensor([[0, 9], [9, 0]]), edge_weight=torch.ones(2),
                 num_nodes=10)
    with pytest.raises(InputError, match="graph: num_nodes: expected 6 nodes"):
        make_model(name).fit(X, y, graph=graph)


def _windows(n_genes: int = 6) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return rng.normal(size=(20, 3, n_genes)), rng.normal(size=(20, 1, n_genes))


@pytest.mark.parametrize("name", ["stepmr", "graph_ar", "ridge_ar_hic"])
def test_non_finite_edge_weights_are_refused(name, swap) -> None:
    values, graph = swap
    X, y = _windows(graph.num_nodes)
    graph = graph.clone()
    graph.edge_weight[0] = float("nan")  # stepmr forecast NaN everywhere from this
    with pytest.raises(InputError, match="graph: edge_weight: expected finite edge weights"):
        make_model(name).fit(X, y, graph=graph)
    with pytest.raises(InputError, match="graph: expected a PyG Data with edge_index"):
        make_model(name).fit(X, y, graph="edges.tsv")


def test_graph_models_without_a_graph_say_so(swap, caplog) -> None:
    X, y = _windows(swap[1].num_nodes)
    with caplog.at_level("WARNING", logger="hicexpr.forecast.base"):
        make_model("ridge_ar_hic").fit(X, y)
        make_model("pooled_ridge_ar").fit(X, y)  # uses no graph: nothing to say
    assert [r.getMessage() for r in caplog.records] == [
        "ridge_ar_hic: no graph given: fitted without Hi-C neighbours"]


@pytest.mark.parametrize("name", ["pooled_ridge_ar", "gene_ridge_ar", "graph_ar"])
def test_all_missing_targets_and_mismatched_validation_are_refused(name) -> None:
    X, y = _windows()
    with pytest.raises(InputError, match="y: expected at least one finite target, got 'all NaN'"):
        make_model(name).fit(X, np.full_like(y, np.nan))
    with pytest.raises(InputError, match="validation: y: expected at least one finite target"):
        make_model(name).fit(X, y, validation=(X[:5], np.full_like(y[:5], np.nan)))
    with pytest.raises(InputError, match=r"validation: windows: expected the training windows' "
                       r"input length, genes and horizon \(3, 6, 1\), got \(3, 5, 1\)"):
        make_model(name).fit(X, y, validation=(X[:5, :, :5], y[:5, :, :5]))


def test_set_params_values_are_checked_at_fit() -> None:
    X, y = _windows()
    model = clone(make_model("pooled_ridge_ar")).set_params(lags="zzz")
    with pytest.raises(InputError, match="models.pooled_ridge_ar.lags: expected a number"):
        model.fit(X, y)
    with pytest.raises(InputError, match="models.gru.hidden: expected an integer"):
        make_model("gru").set_params(hidden=2.5).fit(X, y)
    with pytest.raises(InputError, match="models.gene_ridge_ar.alphas: expected a list of "):
        make_model("gene_ridge_ar", alphas="zzz")
    with pytest.raises(InputError, match="models.gru.dropout: expected a number"):
        make_model("gru").set_params(dropout=True).fit(X, y)
    grid = make_model("gru", hidden=np.int64(4), max_epochs=np.int64(2))  # from a numpy grid
    assert grid.hidden == 4 and np.isfinite(grid.fit(X, y).predict(X)).all()

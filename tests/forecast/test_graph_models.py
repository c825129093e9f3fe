"""GraphAR, GraphGRU and GraphEnsemble: each does what its name says."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch_geometric.data import Data

from hicexpr.evaluate.protocols import make_splits
from hicexpr.evaluate.runner import evaluate_forecasters, fit_on_split
from hicexpr.forecast.graph_ar import (
    GraphAR,
    change_features,
    coexpression_adjacency,
    recency_weights,
)
from hicexpr.forecast.nets import neighbour_mean
from hicexpr.lib.errors import InputError

FAST = {"max_epochs": 60, "patience": 20, "hidden": 8}


def test_graph_ar_uses_the_graph_on_the_planted_swap_system(swap) -> None:
    values, graph = swap  # next value = 0.9 x partner's value: only the graph predicts it
    models = {"graph_ar": {}, "persistence": {}}
    with_graph = evaluate_forecasters(values, models, graph=graph, seeds=[0])
    no_graph = evaluate_forecasters(values, {"graph_ar": {"use_graph": False}}, graph=graph,
                                    seeds=[0])
    assert with_graph.metric("graph_ar") > 0.5
    # own lag 2 carries 0.81 x (own value): the graph must still cut the error by > 30%
    mse_ratio = (1 - with_graph.metric("graph_ar")) / (1 - no_graph.metric("graph_ar"))
    assert mse_ratio < 0.7


def test_graph_ar_without_level_term_is_translation_invariant(swap) -> None:
    values, graph = swap
    (split,) = make_splits(len(values), "chronological", input_length=3)
    terms = ("own", "neighbours", "gap")
    model, test, _ = fit_on_split("graph_ar", {"terms": terms}, values, split, 3, 2, 0, graph)
    shifted = model.predict(test.X + 5.0)
    assert np.allclose(shifted, model.predict(test.X) + 5.0)
    level, _, _ = fit_on_split("graph_ar", {"terms": (*terms, "level")}, values, split, 3, 2, 0,
                               graph)
    assert not np.allclose(level.predict(test.X + 5.0), level.predict(test.X) + 5.0)


def test_graph_ar_choices_come_from_validation_and_survive_refit(swap) -> None:
    values, graph = swap
    (split,) = make_splits(len(values), "chronological", input_length=3)
    model, _, _ = fit_on_split("graph_ar", {}, values, split, 3, 1, 0, graph, refit=False)
    assert "gap" in model.terms_  # the partner's level is what predicts the next value
    chosen = (model.terms_, model.prior_, model.gene_alpha_, model.half_life_)
    refitted, _, _ = fit_on_split("graph_ar", {}, values, split, 3, 1, 0, graph, refit=True)
    assert (refitted.terms_, refitted.prior_, refitted.gene_alpha_,
            refitted.half_life_) == chosen


def test_graph_ar_laplacian_penalty_ties_neighbours_deviations(swap) -> None:
    values, graph = swap
    X = np.stack([values[t - 3 : t] for t in range(3, len(values))])
    y = values[3:, None, :]
    loose = GraphAR(terms=("own",), prior="persistence", alpha=1.0, gene_alpha=1e-3,
                    graph_alpha=0.0).fit(X, y, graph=graph)
    tied = GraphAR(terms=("own",), prior="persistence", alpha=1.0, gene_alpha=1e-3,
                   graph_alpha=1e6).fit(X, y, graph=graph)
    gap = lambda m: np.abs(m.coef_[0, 0::2] - m.coef_[0, 1::2]).mean()  # noqa: E731 (pairs)
    assert gap(tied) < 1e-2 * gap(loose)


def test_graph_ar_rejects_bad_terms_and_prior() -> None:
    X, y = np.zeros((5, 3, 2)), np.zeros((5, 1, 2))
    with pytest.raises(InputError, match="terms"):
        GraphAR(terms=("level",)).fit(X, y)
    with pytest.raises(InputError, match="prior"):
        GraphAR(prior="mean").fit(X, y)


def test_change_features_neighbour_terms_follow_the_graph() -> None:
    ei = torch.tensor([[0, 1], [1, 0]])  # genes 0 and 1 in contact, gene 2 isolated
    graph = Data(edge_index=ei, edge_weight=torch.ones(2), num_nodes=3)
    from hicexpr.forecast.baselines import row_normalised_adjacency

    adj = row_normalised_adjacency(graph, 3)
    X = np.arange(9, dtype=float).reshape(1, 3, 3)  # [W=1, L=3, N=3]
    F = change_features(X, adj, 3, ("own", "neighbours", "gap", "level"))
    # gene 0: own changes (0-6, 3-6), neighbour (gene 1) changes (1-7, 4-7), gap 7-6, level 6
    assert np.allclose(F[0, 0], [-6, -3, -6, -3, 1, 6])
    assert np.allclose(F[0, 2, 2:5], 0.0)  # isolated gene: no neighbour terms


def test_neighbour_mean_is_the_weighted_mean_of_neighbours() -> None:
    ei = torch.tensor([[1, 2, 0], [0, 0, 1]])  # 1->0 (w 1), 2->0 (w 3), 0->1 (w 2)
    w = torch.tensor([1.0, 3.0, 2.0])
    h = torch.tensor([[10.0], [20.0], [40.0]])
    out = neighbour_mean(h, ei, w)
    assert torch.allclose(out[:, 0], torch.tensor([(20 + 3 * 40) / 4, 10.0, 0.0]))


def test_graph_gru_prediction_depends_on_neighbours_only_through_the_graph(swap) -> None:
    values, graph = swap
    (split,) = make_splits(len(values), "chronological", input_length=3)
    model, test, _ = fit_on_split("graph_gru", FAST, values, split, 3, 1, 0, graph)
    X = test.X.copy()
    base = model.predict(X)
    X[:, :, 0] += 1.0  # perturb gene 0: its Hi-C partner is gene 1; gene 2 is unrelated
    diff = np.abs(model.predict(X) - base)[:, 0]
    assert diff[:, 1].max() > 1e-4
    assert diff[:, 2:].max() < 1e-6


def test_graph_gru_beats_persistence_on_the_swap_system(swap) -> None:
    values, graph = swap
    res = evaluate_forecasters(values, {"graph_gru": {"max_epochs": 150}}, graph=graph,
                               seeds=[0])
    assert res.metric("graph_gru") > 0.4


def test_graph_ensemble_is_the_mean_of_its_seeded_members(swap) -> None:
    values, graph = swap
    (split,) = make_splits(len(values), "chronological", input_length=3)
    params = {"members": ("graph_gru", "graph_ar"), "member_params": {"graph_gru": FAST}}
    model, test, _ = fit_on_split("graph_ensemble", params, values, split, 3, 1, 4, graph)
    member, _, _ = fit_on_split("graph_gru", FAST, values, split, 3, 1, 4, graph)
    linear, _, _ = fit_on_split("graph_ar", {}, values, split, 3, 1, 4, graph)
    expected = (member.predict(test.X) + linear.predict(test.X)) / 2
    assert model.members_[0].seed == 4
    assert np.allclose(model.predict(test.X), expected, atol=1e-6)
    with pytest.raises(InputError, match="members"):
        fit_on_split("graph_ensemble", {"members": ("graph_ensemble",)}, values, split, 3, 1,
                     0, graph)


def test_graph_ar_and_ensemble_never_see_test_values(swap) -> None:
    values, graph = swap
    (split,) = make_splits(len(values), "chronological", input_length=3)
    changed = values.copy()
    changed[split.test.min() + 1 :] = 50.0  # every test target replaced
    params = {"members": ("graph_ar", "graph_gru"), "member_params": {"graph_gru": FAST}}
    a, _, _ = fit_on_split("graph_ensemble", params, values, split, 3, 1, 0, graph)
    b, _, _ = fit_on_split("graph_ensemble", params, changed, split, 3, 1, 0, graph)
    (ar_a, gru_a), (ar_b, gru_b) = a.members_, b.members_
    assert ar_a.terms_ == ar_b.terms_ and np.array_equal(ar_a.coef_, ar_b.coef_)
    sa, sb = gru_a.nets_[0].state_dict(), gru_b.nets_[0].state_dict()
    assert all(np.array_equal(sa[k].numpy(), sb[k].numpy()) for k in sa)


def test_graph_ar_skip_untrained_net_returns_the_graph_ar_forecast(swap) -> None:
    values, graph = swap
    (split,) = make_splits(len(values), "chronological", input_length=3)
    net, test, _ = fit_on_split("stepmr", {"max_epochs": 0, "skip": "graph_ar"}, values, split,
                                3, 1, 0, graph)
    linear, _, _ = fit_on_split("graph_ar", {}, values, split, 3, 1, 0, graph)
    assert net.base_graph_ar_.terms_ == linear.terms_
    assert np.allclose(net.predict(test.X), linear.predict(test.X), atol=1e-5)
    auto, _, _ = fit_on_split("stepmr", {"max_epochs": 0, "skip": "auto_graph"}, values, split,
                              3, 1, 0, graph)
    assert auto.skip_ == "graph_ar"  # on the swap system only the graph predicts well


def test_graph_ar_skip_trains_on_precomputed_bases(swap, monkeypatch) -> None:
    """The fixed GraphAR base is computed once per training / validation tensor, not once per
    epoch, and training is unchanged by it."""
    from hicexpr.forecast.neural import STEPmr

    values, graph = swap
    (split,) = make_splits(len(values), "chronological", input_length=3)
    params = {"max_epochs": 8, "patience": 8, "hidden": 8, "skip": "graph_ar"}
    calls = []
    original = GraphAR.predict
    monkeypatch.setattr(GraphAR, "predict", lambda self, X: calls.append(1) or original(self, X))
    fast, test, _ = fit_on_split("stepmr", params, values, split, 3, 1, 0, graph, refit=False)
    assert len(calls) == 2  # the training and the validation tensor, once each
    monkeypatch.setattr(STEPmr, "_precompute_bases", lambda self, tensors: {})
    slow, _, _ = fit_on_split("stepmr", params, values, split, 3, 1, 0, graph, refit=False)
    assert len(calls) > 8  # without them: once per forward pass
    assert np.array_equal(fast.predict(test.X), slow.predict(test.X))


def shared_rhythm_system(n_groups: int = 6, size: int = 8, n_times: int = 60,
                         noise: float = 0.6, seed: int = 0) -> np.ndarray:
    """Groups of genes sharing one rhythm (period 12, a phase per group) under independent
    noise: a gene's own lags are noisy, the mean of its co-expressed genes is not."""
    rng = np.random.default_rng(seed)
    t = np.arange(n_times)[:, None]
    rhythm = np.sin(2 * np.pi * t / 12 + rng.uniform(0, 2 * np.pi, n_groups))
    return np.repeat(rhythm, size, axis=1) + noise * rng.normal(size=(n_times, n_groups * size))


def test_coexpression_adjacency_joins_genes_that_share_a_rhythm() -> None:
    values = shared_rhythm_system()
    X = np.stack([values[t - 3 : t] for t in range(3, 40)])
    adj = coexpression_adjacency(X, k=5).toarray()
    group = np.arange(values.shape[1]) // 8
    assert np.allclose(adj.sum(axis=1), 1.0)
    within = (adj * (group[:, None] == group[None, :])).sum(axis=1)
    assert within.mean() > 0.6  # 7 of the 47 other genes (0.15) by chance
    assert coexpression_adjacency(X, k=0) is None
    assert coexpression_adjacency(X[:1, :2], k=5) is None  # two time points: no correlation


def test_graph_ar_coexpression_terms_denoise_shared_rhythms() -> None:
    values = shared_rhythm_system()  # no Hi-C graph at all
    result = evaluate_forecasters(values, {"graph_ar": {}, "pooled_ridge_ar": {}}, seeds=[0])
    alone = evaluate_forecasters(values, {"graph_ar": {"coexpr_k": 0}}, seeds=[0])
    (split,) = make_splits(len(values), "chronological", input_length=3)
    model, _, _ = fit_on_split("graph_ar", {}, values, split, 3, 1, 0, None)
    assert "coexpr" in model.terms_ or "coexpr_gap" in model.terms_
    assert result.metric("graph_ar") > alone.metric("graph_ar") + 0.1
    assert result.metric("graph_ar") > result.metric("pooled_ridge_ar") + 0.1


def test_graph_ar_coexpression_neighbours_come_from_fitted_windows_only() -> None:
    values = shared_rhythm_system()
    (split,) = make_splits(len(values), "chronological", input_length=3)
    changed = values.copy()
    changed[split.val.min() + 1 :] = values[split.val.min() + 1 :, ::-1]  # later genes swapped
    before, _, _ = fit_on_split("graph_ar", {}, values, split, 3, 1, 0, None, refit=False)
    after, _, _ = fit_on_split("graph_ar", {}, changed, split, 3, 1, 0, None, refit=False)
    assert (before.coexpr_ != after.coexpr_).nnz == 0  # validation and test times unseen
    train = np.stack([values[o - 2 : o + 1] for o in split.train])
    assert (before.coexpr_ != coexpression_adjacency(train, 10)).nnz == 0
    refitted, _, _ = fit_on_split("graph_ar", {}, changed, split, 3, 1, 0, None, refit=True)
    assert (refitted.coexpr_ != after.coexpr_).nnz > 0  # refit: train + validation windows


def heteroscedastic_ar(n_genes: int = 40, n_times: int = 30, seed: int = 0) -> np.ndarray:
    """AR(1) series ``x_t = 0.5 x_{t-1} + e``: one gene in four has 10 x the others' noise sd
    plus a heavy-tailed draw (where an unweighted pooled fit is pulled around)."""
    rng = np.random.default_rng(seed)
    sd = np.where(np.arange(n_genes) % 4 == 0, 1.0, 0.1)
    x = np.zeros((n_times, n_genes))
    for t in range(1, n_times):
        x[t] = 0.5 * x[t - 1] + sd * rng.standard_t(3, size=n_genes)
    return x


def test_graph_ar_noise_weights_estimate_the_shared_coefficient_better() -> None:
    # own-change coefficient of x_{t-1} - x_t for y - x_t under x_t = 0.5 x_{t-1} + e: -0.5
    errors = {True: [], False: []}
    for seed in range(20):
        values = heteroscedastic_ar(seed=seed)
        X = np.stack([values[t - 2 : t] for t in range(2, len(values))])
        y = values[2:, None, :]
        for weighted in errors:
            model = GraphAR(lags=2, terms=("own", "level"), prior="persistence", alpha=1e-6,
                            gene_alpha=0.0, noise_weights=weighted).fit(X, y)
            # y - x_t = b (x_{t-1} - x_t) + e x_t; truth x_{t+1} = 0.5 x_t: b = 0, e = -0.5
            errors[weighted].append(np.abs(model.coef_[0, 0] - [0.0, -0.5]).sum())
    assert np.mean(errors[True]) < 0.6 * np.mean(errors[False])


def test_graph_ar_noise_weights_change_nothing_when_genes_share_one_noise_level(swap) -> None:
    values, graph = swap  # every gene has the same noise sd
    X = np.stack([values[t - 3 : t] for t in range(3, len(values))])
    y = values[3:, None, :]
    options = {"terms": ("own", "neighbours", "gap"), "prior": "persistence", "alpha": 1.0,
               "gene_alpha": 0.0}
    weighted = GraphAR(**options).fit(X, y, graph=graph)
    plain = GraphAR(**options, noise_weights=False).fit(X, y, graph=graph)
    assert np.allclose(weighted.coef_, plain.coef_, atol=0.05)
    assert not np.allclose(weighted.coef_, plain.coef_, atol=1e-9)  # but they were reweighted


def test_graph_ar_noise_weights_ignore_constant_genes() -> None:
    values = heteroscedastic_ar(seed=1)
    padded = np.concatenate([values, np.zeros((len(values), 10))], axis=1)  # unexpressed genes
    fits = []
    for v in (values, padded):
        X = np.stack([v[t - 2 : t] for t in range(2, len(v))])
        fits.append(GraphAR(lags=2, terms=("own", "level"), prior="persistence", alpha=1.0,
                            gene_alpha=0.0).fit(X, v[2:, None, :]).coef_[0, 0])
    assert np.allclose(fits[0], fits[1], atol=0.02)
    assert abs(fits[0][1] + 0.5) < 0.15  # not shrunk to 0 by a few exactly fitted genes


def test_recency_weights_halve_every_half_life_and_average_one() -> None:
    w = recency_weights(12, 4.0)
    assert np.isclose(w.mean(), 1.0) and np.all(np.diff(w) > 0)
    assert np.isclose(w[-1] / w[-5], 2.0)
    assert np.array_equal(recency_weights(5, 0.0), np.ones(5))


def regime_change_system(n_genes: int = 30, n_times: int = 60, seed: int = 0) -> np.ndarray:
    """AR(1) genes whose coefficient flips from +0.9 to -0.6 half-way (the training windows
    span both regimes)."""
    rng = np.random.default_rng(seed)
    x = np.zeros((n_times, n_genes))
    for t in range(1, n_times):
        phi = 0.9 if t < n_times // 2 else -0.6
        x[t] = phi * x[t - 1] + rng.normal(size=n_genes)
    return x


def test_graph_ar_validation_picks_recency_weights_after_a_regime_change() -> None:
    values = regime_change_system()
    (split,) = make_splits(len(values), "chronological", input_length=3)
    model, _, _ = fit_on_split("graph_ar", {}, values, split, 3, 1, 0, None, refit=False)
    assert model.half_life_ > 0  # the old regime's windows are down-weighted
    chosen = evaluate_forecasters(values, {"graph_ar": {}}, seeds=[0])
    flat = evaluate_forecasters(values, {"graph_ar": {"half_life": 0}}, seeds=[0])
    assert chosen.metric("graph_ar") > flat.metric("graph_ar") + 0.05


def test_graph_ar_saved_before_noise_and_recency_weights_loads_and_refits_as_fitted(
        swap, tmp_path) -> None:
    from hicexpr.forecast.base import Forecaster

    values, graph = swap
    (split,) = make_splits(len(values), "chronological", input_length=3)
    params = {"noise_weights": False, "half_life": 0.0}
    model, test, _ = fit_on_split("graph_ar", params, values, split, 3, 1, 0, graph, refit=False)
    path = model.save(tmp_path / "old.pt")
    payload = torch.load(path, weights_only=False)  # as written before these options existed
    for key in params:
        del payload["params"][key]
    del payload["state"]["half_life_"]
    torch.save(payload, path)
    loaded = Forecaster.load(path)
    assert (loaded.noise_weights, loaded.half_life, loaded.half_life_) == (False, 0.0, 0.0)
    X = np.stack([values[i:i + 3] for i in range(len(values) - 3)])
    y = np.stack([values[i + 3:i + 4] for i in range(len(values) - 3)])
    np.testing.assert_allclose(loaded.refit(X, y, graph=graph).predict(test.X),
                               model.refit(X, y, graph=graph).predict(test.X))

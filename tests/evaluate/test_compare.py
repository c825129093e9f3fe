"""Paired skill differences with bootstrap CIs over genes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hicexpr.evaluate.compare import compare_to_baselines, gene_squared_errors, paired_skill_delta
from hicexpr.evaluate.runner import evaluate_forecasters
from hicexpr.lib.errors import InputError


def _table(noise: dict[str, float], n_genes: int = 60, n_times: int = 6, seeds: int = 2
           ) -> pd.DataFrame:
    """Predictions = observed + Gaussian noise of a per-model sd."""
    rng = np.random.default_rng(0)
    observed = rng.normal(size=(seeds, n_times, n_genes))
    rows = []
    for model, sd in noise.items():
        for s in range(seeds):
            pred = observed[s] + rng.normal(scale=sd, size=(n_times, n_genes))
            rows.append(pd.DataFrame({
                "gene": np.tile([f"g{i}" for i in range(n_genes)], n_times),
                "time": np.repeat(np.arange(n_times, dtype=float), n_genes),
                "horizon": 1, "model": model, "seed": s,
                "observed": observed[s].ravel(), "predicted": pred.ravel()}))
    return pd.concat(rows, ignore_index=True)


def test_delta_equals_difference_of_runner_skills() -> None:
    rng = np.random.default_rng(1)
    t = np.arange(30)[:, None]
    values = np.sin(t / 3.0 + rng.uniform(0, 6, size=20)) + 0.3 * rng.normal(size=(30, 20))
    models = ["persistence", "window_mean", "pooled_ridge_ar"]
    result = evaluate_forecasters(values, models, protocol="rolling-origin", seeds=[0, 1])
    row = paired_skill_delta(result.predictions, "pooled_ridge_ar", "window_mean", n_boot=50)
    expected = result.metric("pooled_ridge_ar") - result.metric("window_mean")
    assert row["delta_skill"] == pytest.approx(expected, abs=1e-10)
    own = paired_skill_delta(result.predictions, "pooled_ridge_ar", "persistence", n_boot=50)
    assert own["delta_skill"] == pytest.approx(result.metric("pooled_ridge_ar"), abs=1e-10)
    assert own["ci_low"] <= own["delta_skill"] <= own["ci_high"]


def test_clearly_better_model_has_ci_above_zero_and_swap_negates() -> None:
    table = _table({"persistence": 1.5, "good": 0.3, "poor": 1.0})
    better = paired_skill_delta(table, "good", "poor", n_boot=400)
    worse = paired_skill_delta(table, "poor", "good", n_boot=400)
    assert better["ci_low"] > 0.2 and better["p_not_better"] == 0.0
    assert worse["delta_skill"] == pytest.approx(-better["delta_skill"])
    assert worse["ci_high"] == pytest.approx(-better["ci_low"])
    assert worse["p_not_better"] == 1.0
    assert (better["verdict"], worse["verdict"]) == ("ahead", "behind")


def test_equal_models_tie_and_ci_covers_zero() -> None:
    table = _table({"persistence": 1.5, "a": 0.8, "b": 0.8})
    same = paired_skill_delta(table, "a", "a", n_boot=100)
    assert (same["delta_skill"], same["ci_low"], same["ci_high"]) == (0.0, 0.0, 0.0)
    tie = paired_skill_delta(table, "a", "b", n_boot=400)
    assert tie["ci_low"] < 0 < tie["ci_high"] and tie["verdict"] == "no clear difference"


def test_missing_observations_are_left_out_like_the_runner() -> None:
    table = _table({"persistence": 1.5, "a": 0.5, "b": 1.0})
    table.loc[table.gene == "g0", "observed"] = np.nan
    gap = (table.gene == "g1") & (table.time == 2.0) & (table.seed == 1)
    table.loc[gap, "observed"] = np.nan  # one missing window of another gene
    sse = gene_squared_errors(table, "a")
    assert "g0" not in sse.columns and sse.shape == (2, 59)
    rows = table[(table.model == "a") & table.observed.notna()]
    for seed, gene in [(0, "g1"), (1, "g1"), (1, "g7")]:
        own = rows[(rows.seed == seed) & (rows.gene == gene)]
        assert len(own) == (5 if (seed, gene) == (1, "g1") else 6)
        expected = float(((own.predicted - own.observed) ** 2).sum())
        assert sse.loc[seed, gene] == pytest.approx(expected, rel=1e-12)


def test_compare_to_baselines_one_row_per_pair() -> None:
    table = _table({"persistence": 1.5, "m1": 0.5, "m2": 0.7, "base": 1.0})
    out = compare_to_baselines(table, ["m1", "m2"], ["persistence", "base"], n_boot=20)
    assert list(zip(out.model, out.baseline, strict=True)) == [
        ("m1", "persistence"), ("m1", "base"), ("m2", "persistence"), ("m2", "base")]


def test_unknown_model_and_unpaired_windows_are_named() -> None:
    table = _table({"persistence": 1.5, "a": 0.5, "b": 1.0})
    with pytest.raises(InputError, match="'nope'|nope"):
        paired_skill_delta(table, "nope", "a")
    shifted = table.copy()
    shifted.loc[shifted.model == "b", "time"] += 100.0
    with pytest.raises(InputError, match="same seeds, genes and test windows"):
        paired_skill_delta(shifted, "a", "b")
    with pytest.raises(InputError, match="columns"):
        paired_skill_delta(table.drop(columns="observed"), "a", "b")


@pytest.mark.parametrize(("kwargs", "field"), [({"level": 95}, "level"), ({"level": 0.0}, "level"),
                                               ({"n_boot": 0}, "n_boot"),
                                               ({"n_boot": 10.5}, "n_boot")])
def test_bootstrap_settings_are_checked(kwargs: dict, field: str) -> None:
    table = _table({"a": 0.5, "b": 0.5, "persistence": 1.0})
    with pytest.raises(InputError, match=f"bootstrap: {field}: expected"):
        paired_skill_delta(table, "a", "b", **kwargs)


def test_compare_to_baselines_uses_and_checks_its_level() -> None:
    table = _table({"persistence": 1.5, "m": 0.8, "base": 1.0})
    rows = {level: compare_to_baselines(table, ["m"], ["base"], n_boot=200, level=level).iloc[0]
            for level in (0.5, 0.95)}
    narrow, wide = rows[0.5], rows[0.95]
    assert wide.ci_low < narrow.ci_low < narrow.ci_high < wide.ci_high
    single = paired_skill_delta(table, "m", "base", n_boot=200, level=0.5)
    assert (narrow.ci_low, narrow.ci_high) == (single["ci_low"], single["ci_high"])
    with pytest.raises(InputError, match="bootstrap: level: expected"):
        compare_to_baselines(table, ["m"], ["base"], level=95)

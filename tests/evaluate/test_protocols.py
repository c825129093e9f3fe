"""Protocol splits: disjoint, chronological, leaky flag, validation never test."""

from __future__ import annotations

import numpy as np
import pytest

from hicexpr.evaluate.protocols import make_splits
from hicexpr.lib.errors import InputError


def _targets(origins: np.ndarray) -> set[int]:
    return {int(o) + 1 for o in origins}


def test_chronological_blocks_are_disjoint_and_ordered() -> None:
    (split,) = make_splits(40, "chronological", input_length=3)
    train, val, test = _targets(split.train), _targets(split.val), _targets(split.test)
    assert not (train & val) and not (val & test) and not (train & test)
    assert max(train) < min(val) and max(val) < min(test)
    assert sorted(test) == list(range(32, 40))  # last 20% of 40 time points
    assert split.leaky is False
    # the scaler and training targets only see times before the validation block
    assert split.scaler_times.max() < min(val)
    assert np.array_equal(split.scaler_times, split.train_times)


def test_rolling_origin_folds_move_forward() -> None:
    splits = make_splits(40, "rolling-origin", input_length=3, n_folds=3)
    assert len(splits) == 3
    tests = [_targets(s.test) for s in splits]
    assert set().union(*tests) == set(range(32, 40))
    for s in splits:
        assert max(_targets(s.train)) < min(_targets(s.val)) < min(_targets(s.test))
        assert s.scaler_times.max() < min(_targets(s.test))
    assert min(tests[0]) < min(tests[1]) < min(tests[2])


def test_step_random_is_flagged_leaky_and_validation_differs_from_test() -> None:
    a = make_splits(40, "step-random", input_length=3, seed=0)[0]
    b = make_splits(40, "step-random", input_length=3, seed=1)[0]
    assert a.leaky
    assert not set(a.val) & set(a.test) and not set(a.train) & set(a.test)
    assert len(a.test) == round(0.2 * 37)
    assert not np.array_equal(a.test, b.test)  # the random split depends on the seed
    assert len(a.scaler_times) == 40  # STEP's scaler sees every time point


def test_bad_protocol_and_too_short_series_raise_input_error() -> None:
    with pytest.raises(InputError, match="chronological"):
        make_splits(40, "random")
    with pytest.raises(InputError, match="time points"):
        make_splits(6, "chronological", input_length=3)


def test_a_horizon_beyond_the_test_block_is_refused_before_any_fit() -> None:
    from hicexpr.evaluate.runner import evaluate_forecasters

    values = np.random.default_rng(0).normal(size=(20, 3))  # test origins 15..18
    with pytest.raises(InputError, match=r"horizon: expected at most 4 .*, got 5"):
        evaluate_forecasters(values, ["persistence"], horizon=5, seeds=[0])
    result = evaluate_forecasters(values, ["persistence"], horizon=4, seeds=[0])
    assert "skill_h4" in set(result.summary.metric)


@pytest.mark.parametrize("fractions", [{"test_fraction": -0.1}, {"val_fraction": 1.0},
                                       {"test_fraction": 0}])
def test_fractions_outside_zero_one_are_refused(fractions) -> None:
    name = next(iter(fractions))
    with pytest.raises(InputError, match=f"{name}: expected a fraction between 0 and 1"):
        make_splits(20, **fractions)


@pytest.mark.parametrize("protocol", ["chronological", "rolling-origin"])
def test_every_folds_validation_block_lies_between_its_training_and_test_blocks(protocol) -> None:
    for s in make_splits(40, protocol, input_length=3, n_folds=3):
        train, val, test = _targets(s.train), _targets(s.val), _targets(s.test)
        assert max(train) < min(val) and max(val) < min(test), f"fold {s.fold}"


@pytest.mark.parametrize("protocol", ["chronological", "rolling-origin", "step-random"])
@pytest.mark.parametrize("horizon", [1, 3])
def test_validation_and_refit_targets_are_never_test_targets(monkeypatch, protocol,
                                                             horizon) -> None:
    """Values equal to their time index: every target a model is fitted, validated or refitted
    on names its own time. Non-leaky folds: all lie before the fold's first test target,
    whatever the horizon. Step-random (leaky): validation targets are never test targets
    (its training windows' later horizons are: STEP's interpolation, flagged leaky)."""
    from hicexpr.evaluate import runner
    from hicexpr.forecast.baselines import Persistence

    seen: dict[str, np.ndarray] = {}

    class Spy(Persistence):
        def fit(self, X, y=None, *, graph=None, validation=None):
            seen.update(train=X.y, validation=validation.y)  # WindowSets
            return super().fit(X, y, graph=graph, validation=validation)

        def refit(self, X, y=None, *, graph=None):
            seen["refit"] = X.y
            return super().refit(X, y, graph=graph)

    n_times = 30
    values = np.repeat(np.arange(n_times, dtype=float)[:, None], 2, axis=1)
    monkeypatch.setattr(runner, "make_model", lambda name, **params: Spy())
    for s in make_splits(n_times, protocol, input_length=3):
        seen.clear()
        runner.fit_on_split("persistence", {}, values, s, horizon=horizon, scaling="none")
        assert set(seen) == {"train", "validation", "refit"}
        times = {k: set(v[np.isfinite(v)].astype(int)) for k, v in seen.items()}
        test = set(s.test + 1)
        assert times["validation"] and not times["validation"] & test, f"fold {s.fold}"
        if not s.leaky:
            assert max(set().union(*times.values())) < min(test), f"fold {s.fold}"

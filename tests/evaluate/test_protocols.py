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

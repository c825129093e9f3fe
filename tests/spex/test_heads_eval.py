import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils.estimator_checks import parametrize_with_checks

from hicexpr.lib.errors import InputError
from hicexpr.spex import evaluate as ev
from hicexpr.spex.heads import LinearHead, XGBHead, make_head


def _data(n: int = 600, p: int = 20, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p))
    y = X[:, 0] * 2 - X[:, 1] + 0.3 * rng.normal(size=n)
    chroms = np.array([f"chr{i % 6 + 1}" for i in range(n)])
    return X, y, chroms


@pytest.mark.parametrize("name", ["ridge", "elasticnet", "gblinear", "gbtree"])
def test_heads_learn_planted_signal_on_held_out_chromosome(name):
    X, y, chroms = _data()
    split = ev.chromosome_split(chroms, ["chr1"], ["chr2"])
    head = make_head(name, n_jobs=1) if name in ("gblinear", "gbtree") else make_head(name)
    if name == "gbtree":
        head.set_params(params={"base_score": 0.0, "learning_rate": 0.3})
    pred, model = ev.fit_predict(head, X, y, split)
    test = split == "test"
    assert ev.scores(y[test], pred[test])["spearman"] > 0.85
    assert clone(model).get_params() == model.get_params()


def test_ridge_penalty_chosen_on_validation():
    X, y, chroms = _data(p=200, n=300)
    split = ev.chromosome_split(chroms, ["chr1"], ["chr2"])
    tr, va = split == "train", split == "val"
    head = LinearHead(alphas=(1e-3, 1.0, 1e6)).fit(X[tr], y[tr], X[va], y[va])
    assert head.alpha_ == 1.0
    noisy = LinearHead(alphas=(1e-3, 1.0, 1e6)).fit(X[tr], y[tr], X[va], -y[va])
    assert noisy.alpha_ == 1e6  # validation target unrelated -> heaviest penalty


def test_early_stopping_uses_validation_only():
    X, y, chroms = _data()
    tr = np.isin(chroms, ["chr3", "chr4", "chr5", "chr6"])
    va = chroms == "chr2"
    head = XGBHead(n_jobs=1, n_estimators=500, early_stopping_rounds=5,
                   params={"base_score": 0.0, "learning_rate": 0.3})
    head.fit(X[tr], y[tr], X[va], y[va])
    assert head.n_rounds_ < 500
    no_val = XGBHead(n_jobs=1, n_estimators=7).fit(X[tr], y[tr])
    assert no_val.n_rounds_ == 7


def test_predict_before_fit_and_bad_names():
    with pytest.raises(NotFittedError):
        LinearHead().predict(np.zeros((2, 3)))
    with pytest.raises(InputError, match="one of ridge"):
        make_head("svm")


def test_splits_and_folds():
    chroms = np.array(["chr8", "chr9", "chr1", "chr2", "chr8"])
    assert ev.chromosome_split(chroms).tolist() == ["test", "val", "train", "train", "test"]
    with pytest.raises(InputError, match="disjoint"):
        ev.chromosome_split(chroms, ["chr8"], ["chr8"])
    with pytest.raises(InputError, match="present"):
        ev.chromosome_split(chroms, ["chrX"])
    # a config naming chromosomes without the prefix of the gene table still matches
    assert ev.chromosome_split(chroms, ["8"], ["9"]).tolist() == \
        ev.chromosome_split(chroms).tolist()
    # one chromosome given as a plain string, not split into its letters
    assert ev.chromosome_split(chroms, "chr8", "9").tolist() == \
        ev.chromosome_split(chroms).tolist()
    _, _, many = _data()
    folds = ev.chromosome_folds(many, k=3, val=["chr2"])
    tested = np.zeros(many.size, int)
    for f in folds:
        tested += f == "test"
        assert not np.any((f == "val") & (f == "test"))
    assert np.all(tested == 1)  # every gene tested exactly once


def test_bootstrap_delta():
    rng = np.random.default_rng(0)
    y = rng.normal(size=400)
    good = y + 0.3 * rng.normal(size=400)
    bad = y + 2.0 * rng.normal(size=400)
    d = ev.bootstrap_delta(y, bad, good, n_boot=300)
    assert d["delta"] > 0 and d["ci_low"] > 0 and d["ci_low"] <= d["delta"] <= d["ci_high"]
    same = ev.bootstrap_delta(y, good, good, n_boot=50)
    assert same["delta"] == 0 and same["ci_low"] == 0 and same["ci_high"] == 0


def test_fit_predict_many_one_model_per_column():
    X, y, chroms = _data()
    split = ev.chromosome_split(chroms, ["chr1"], ["chr2"])
    Y = np.column_stack([y, -y])
    P = ev.fit_predict_many(LinearHead(), X, Y, split, n_jobs=1)
    test = split == "test"
    assert ev.scores(Y[test, 0], P[test, 0])["spearman"] > 0.85
    assert ev.scores(Y[test, 1], P[test, 1])["spearman"] > 0.85


def test_ridge_from_eigen_path_equals_sklearn_ridge():
    from sklearn.linear_model import Ridge
    from sklearn.preprocessing import StandardScaler

    X, y, chroms = _data(p=50, n=400, seed=3)
    tr, va = chroms != "chr2", chroms == "chr2"
    head = LinearHead(alphas=(0.1, 10.0, 1e3)).fit(X[tr], y[tr] + 5.0, X[va], y[va] + 5.0)
    scaler = StandardScaler().fit(X[tr])
    ref = Ridge(alpha=head.alpha_).fit(scaler.transform(X[tr]), y[tr] + 5.0)
    np.testing.assert_allclose(head.coef_, ref.coef_, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(head.predict(X), ref.predict(scaler.transform(X)), atol=1e-8)


@pytest.mark.parametrize("name", ["ridge", "gbtree"])
def test_validation_with_a_missing_target_or_other_features_is_refused(name):
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(60, 6)), rng.normal(size=60)
    yv = rng.normal(size=20)
    yv[0] = np.nan
    with pytest.raises(InputError, match="validation: expected finite features and targets"):
        make_head(name).fit(X, y, rng.normal(size=(20, 6)), yv)
    with pytest.raises(InputError, match=r"X_val: shape: expected \[20, 6\]"):
        make_head(name).fit(X, y, rng.normal(size=(20, 5)), rng.normal(size=20))


@pytest.mark.parametrize("name", ["ridge", "elasticnet", "gblinear", "gbtree"])
def test_test_genes_expression_never_reaches_their_predictions_or_any_choice(name):
    """Every split of the hold-out and of the k folds: scrambling the test genes' targets
    changes neither their predictions nor the penalty / boosting rounds chosen."""
    X, y, chroms = _data(n=300)
    head = make_head(name, n_jobs=1) if name in ("gblinear", "gbtree") else make_head(name)
    if name in ("gblinear", "gbtree"):
        head.set_params(n_estimators=60, early_stopping_rounds=5)
    splits = [ev.chromosome_split(chroms, ["chr1"], ["chr2"]),
              *ev.chromosome_folds(chroms, 3, ["chr2"])]
    rng = np.random.default_rng(1)
    for split in splits:
        test = split == "test"
        scrambled = y.copy()
        scrambled[test] = rng.permutation(y[test]) * 5 + 3
        a, fit_a = ev.fit_predict(head, X, y, split)
        b, fit_b = ev.fit_predict(head, X, scrambled, split)
        np.testing.assert_allclose(b[test], a[test], rtol=0, atol=1e-5)
        chosen = "alpha_" if name in ("ridge", "elasticnet") else "n_rounds_"
        assert getattr(fit_a, chosen) == getattr(fit_b, chosen)
        moved = X.copy()  # nor do their features (scalers fitted on the training genes only)
        moved[test] = moved[test] * 10 + 4
        c, fit_c = ev.fit_predict(head, moved, y, split)
        np.testing.assert_allclose(c[~test], a[~test], rtol=0, atol=1e-5)
        assert getattr(fit_c, chosen) == getattr(fit_a, chosen)


@parametrize_with_checks([LinearHead(), LinearHead(kind="elasticnet"),
                          XGBHead(booster="gblinear", n_estimators=50, n_jobs=1),
                          XGBHead(n_jobs=1)])
def test_heads_pass_scikit_learn_estimator_checks(estimator, check):
    check(estimator)

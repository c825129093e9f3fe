"""Regression heads with the scikit-learn estimator API.

``fit(X, y, X_val=None, y_val=None)``: the optional validation set (genes on the validation
chromosomes, never the test ones) chooses the penalty of the linear heads and stops boosting.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin, clone
from sklearn.linear_model import ElasticNet, Ridge, RidgeCV
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_is_fitted, validate_data

from hicexpr.lib.errors import InputError

# SpEx's published gbtree parameters (xgboost names).
SPEX_TREE_PARAMS: dict[str, Any] = {
    "learning_rate": 0.0518, "max_depth": 6, "reg_lambda": 275.19, "reg_alpha": 0.0984,
    "gamma": 0.4981, "min_child_weight": 3, "colsample_bytree": 0.59,
    "colsample_bylevel": 0.78, "colsample_bynode": 0.32, "max_bin": 100, "base_score": 2.0,
}
HEADS = ("ridge", "elasticnet", "gblinear", "gbtree")


def checked_validation(X_val: np.ndarray | None, y_val: np.ndarray | None, n_features: int
                       ) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Validation arrays as float64, refused (one line) when they cannot choose a penalty or
    stop boosting: a missing target or another number of features than training."""
    if X_val is None or y_val is None:
        return None, None
    X_val, y_val = np.asarray(X_val, dtype=np.float64), np.asarray(y_val, dtype=np.float64)
    if X_val.ndim != 2 or X_val.shape[1] != n_features or len(X_val) != len(y_val):
        raise InputError("X_val", "shape", f"[{len(y_val)}, {n_features}] (rows of y_val, "
                         "training features)", X_val.shape)
    if not (np.isfinite(X_val).all() and np.isfinite(y_val).all()):
        raise InputError("validation", "", "finite features and targets", "NaN or inf")
    return X_val, y_val


class LinearHead(RegressorMixin, BaseEstimator):
    """Standardised ridge or elastic-net; the penalty is chosen on the validation set.

    Without a validation set, ridge picks its penalty by generalised cross-validation on the
    training genes and the elastic net uses the middle penalty of ``alphas``. ``n_iter_`` is the
    elastic net's coordinate-descent iterations for the final fit (1 for ridge: closed form).
    """

    def __init__(self, kind: str = "ridge", alphas: Sequence[float] = (1.0, 10.0, 100.0, 1e3, 1e4),
                 l1_ratio: float = 0.5, max_iter: int = 2000) -> None:
        self.kind = kind
        self.alphas = alphas
        self.l1_ratio = l1_ratio
        self.max_iter = max_iter

    def _model(self, alpha: float) -> BaseEstimator:
        if self.kind == "ridge":
            return Ridge(alpha=alpha)
        if self.kind == "elasticnet":
            # sklearn scales the squared loss by 1/(2n); rescale so alphas are comparable to ridge.
            return ElasticNet(alpha=alpha / 1000.0, l1_ratio=self.l1_ratio, max_iter=self.max_iter,
                              tol=1e-3, precompute=True)
        raise InputError("head", "kind", "'ridge' or 'elasticnet'", self.kind)

    def fit(self, X: np.ndarray, y: np.ndarray, X_val: np.ndarray | None = None,
            y_val: np.ndarray | None = None) -> LinearHead:
        X, y = validate_data(self, X, y, dtype=np.float64)
        X_val, y_val = checked_validation(X_val, y_val, X.shape[1])
        self.scaler_ = StandardScaler().fit(X)
        Xs = self.scaler_.transform(X)
        if X_val is not None and y_val is not None and len(y_val):
            Xv = self.scaler_.transform(X_val)
            if self.kind == "ridge":  # one eigendecomposition for every penalty and the fit
                path = _RidgePath(Xs, y)
                errors = [np.mean((path.predict(Xv, a) - y_val) ** 2) for a in self.alphas]
                self.alpha_ = float(list(self.alphas)[int(np.argmin(errors))])
                self.coef_ = path.coef(self.alpha_)
                self.intercept_ = path.y_mean - float(path.x_mean @ self.coef_)
                self.n_iter_ = 1
                return self
            errors = [np.mean((self._model(a).fit(Xs, y).predict(Xv) - y_val) ** 2)
                      for a in self.alphas]
            self.alpha_ = float(list(self.alphas)[int(np.argmin(errors))])
        elif self.kind == "ridge":
            self.alpha_ = float(RidgeCV(alphas=list(self.alphas)).fit(Xs, y).alpha_)
        else:
            self.alpha_ = float(sorted(self.alphas)[len(self.alphas) // 2])
        model = self._model(self.alpha_).fit(Xs, y)
        self.coef_, self.intercept_ = np.asarray(model.coef_), float(model.intercept_)
        self.n_iter_ = int(getattr(model, "n_iter_", None) or 1)  # Ridge: None (closed form)
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        check_is_fitted(self, "coef_")
        X = validate_data(self, X, dtype=np.float64, reset=False)
        return self.scaler_.transform(X) @ self.coef_ + self.intercept_


class _RidgePath:
    """Ridge (unpenalised intercept) for any penalty from one eigendecomposition of the centred
    X'X = V diag(s) V': coef(a) = V diag(1 / (s + a)) V' X'(y - mean(y))."""

    def __init__(self, X: np.ndarray, y: np.ndarray) -> None:
        self.y_mean = float(y.mean())
        self.x_mean = X.mean(axis=0)
        Xc = X - self.x_mean
        self.evals, self.evecs = np.linalg.eigh(Xc.T @ Xc)
        self.proj = self.evecs.T @ (Xc.T @ (y - self.y_mean))

    def coef(self, alpha: float) -> np.ndarray:
        return self.evecs @ (self.proj / (self.evals + alpha))

    def predict(self, X: np.ndarray, alpha: float) -> np.ndarray:
        return (X - self.x_mean) @ self.coef(alpha) + self.y_mean


class XGBHead(RegressorMixin, BaseEstimator):
    """xgboost gbtree (SpEx's parameters by default) or gblinear (ExPecto's L2 linear booster).

    Boosting stops when the validation error has not improved for ``early_stopping_rounds``.
    """

    def __init__(self, booster: str = "gbtree", n_estimators: int = 2000,
                 early_stopping_rounds: int = 20, n_jobs: int = 2, random_state: int = 0,
                 params: dict[str, Any] | None = None) -> None:
        self.booster = booster
        self.n_estimators = n_estimators
        self.early_stopping_rounds = early_stopping_rounds
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.params = params

    def _params(self, early: bool) -> dict[str, Any]:
        if self.booster == "gbtree":
            base = {**SPEX_TREE_PARAMS, "tree_method": "hist"}
        elif self.booster == "gblinear":
            base = {"learning_rate": 0.5, "reg_lambda": 1.0, "reg_alpha": 0.0,
                    "updater": "shotgun"}
        else:
            raise InputError("head", "booster", "'gbtree' or 'gblinear'", self.booster)
        base.update(self.params or {})
        return {**base, "booster": self.booster, "n_estimators": self.n_estimators,
                "n_jobs": self.n_jobs, "random_state": self.random_state,
                "early_stopping_rounds": self.early_stopping_rounds if early else None}

    def fit(self, X: np.ndarray, y: np.ndarray, X_val: np.ndarray | None = None,
            y_val: np.ndarray | None = None) -> XGBHead:
        import xgboost as xgb

        X, y = validate_data(self, X, y, dtype=np.float32)
        X_val, y_val = checked_validation(X_val, y_val, X.shape[1])
        early = X_val is not None and y_val is not None and len(y_val) > 0
        self.scaler_ = StandardScaler().fit(X) if self.booster == "gblinear" else None
        tr = self._scale(X)
        self.model_ = xgb.XGBRegressor(**self._params(early))
        eval_set = [(self._scale(np.asarray(X_val, np.float32)), y_val)] if early else None
        self.model_.fit(tr, y, eval_set=eval_set, verbose=False)
        self.n_rounds_ = int(self.model_.best_iteration + 1) if early else self.n_estimators
        return self

    def _scale(self, X: np.ndarray) -> np.ndarray:
        return self.scaler_.transform(X).astype(np.float32) if self.scaler_ is not None else X

    def predict(self, X: np.ndarray) -> np.ndarray:
        check_is_fitted(self, "model_")
        X = validate_data(self, X, dtype=np.float32, reset=False)
        return self.model_.predict(self._scale(X))


def make_head(name: str, n_jobs: int = 2, **kwargs: Any) -> BaseEstimator:
    """A fresh head by name: ``ridge``, ``elasticnet``, ``gblinear`` or ``gbtree``."""
    if name in ("ridge", "elasticnet"):
        return LinearHead(kind=name, **kwargs)
    if name in ("gblinear", "gbtree"):
        return XGBHead(booster=name, n_jobs=n_jobs, **kwargs)
    raise InputError("head", "", f"one of {', '.join(HEADS)}", name)


__all__ = ["HEADS", "LinearHead", "SPEX_TREE_PARAMS", "XGBHead", "clone", "make_head"]

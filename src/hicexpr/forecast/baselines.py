"""Baselines: persistence, window mean, per-gene / pooled ridge AR, ridge AR + Hi-C neighbours.

Ridge models are *direct* multi-horizon forecasters (one fit per horizon) on the last ``lags``
values; when ``alpha`` is None it is chosen on the validation windows from ``alphas``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp

from hicexpr.forecast.base import ArrayPair, Forecaster, check_nodes

ALPHAS = (0.01, 0.1, 1.0, 10.0, 100.0, 1000.0)


class Persistence(Forecaster):
    """Forecast every horizon with the last observed value."""

    def _fit(self, X: np.ndarray, y: np.ndarray, graph: Any,
             validation: ArrayPair | None) -> None:
        pass

    def _predict(self, X: np.ndarray) -> np.ndarray:
        return np.repeat(X[:, -1:, :], self.horizon_, axis=1)


class WindowMean(Forecaster):
    """Forecast every horizon with the mean of the last ``window`` inputs."""

    def __init__(self, window: int | None = None) -> None:
        self.window = window

    def _fit(self, X: np.ndarray, y: np.ndarray, graph: Any,
             validation: ArrayPair | None) -> None:
        pass

    def _predict(self, X: np.ndarray) -> np.ndarray:
        w = self.window or X.shape[1]
        return np.repeat(X[:, -w:, :].mean(axis=1, keepdims=True), self.horizon_, axis=1)


def row_normalised_adjacency(graph: Any, n_nodes: int) -> sp.csr_matrix:
    """Sparse ``[N, N]`` adjacency from a PyG-style graph, rows summing to 1 (0 if isolated)."""
    if graph is None:
        return sp.csr_matrix((n_nodes, n_nodes))
    ei = check_nodes(graph, n_nodes)
    if ei.size == 0:
        return sp.csr_matrix((n_nodes, n_nodes))
    w = getattr(graph, "edge_weight", None)
    w = np.ones(ei.shape[1]) if w is None else w.detach().cpu().numpy().astype(np.float64)
    return row_normalise(sp.csr_matrix((np.abs(w), (ei[0], ei[1])), shape=(n_nodes, n_nodes)))


def row_normalise(adj: sp.spmatrix) -> sp.csr_matrix:
    """``adj`` with each row divided by its sum (rows summing to 0 stay 0)."""
    deg = np.asarray(adj.sum(axis=1)).ravel()
    inv = np.where(deg > 0, 1.0 / np.where(deg > 0, deg, 1.0), 0.0)
    return (sp.diags(inv) @ adj).tocsr()


def _batched_ridge(F: np.ndarray, t: np.ndarray, alpha: float) -> np.ndarray:
    """Per-gene ridge with unpenalised intercept. F ``[W, N, P]``, t ``[W, N]`` (NaN = skip)."""
    W, N, P = F.shape
    ok = np.isfinite(t)
    Fi = np.concatenate([F, np.ones((W, N, 1))], axis=2) * ok[..., None]
    ti = np.where(ok, t, 0.0)
    A = np.einsum("wnp,wnq->npq", Fi, Fi)
    pen = np.full(P + 1, alpha)
    pen[-1] = 1e-8
    A += np.diag(pen)[None]
    b = np.einsum("wnp,wn->np", Fi, ti)
    return np.linalg.solve(A, b[..., None])[..., 0]


def _apply(F: np.ndarray, coef: np.ndarray) -> np.ndarray:
    return np.einsum("wnp,np->wn", F, coef[:, :-1]) + coef[:, -1]


class _RidgeAR(Forecaster):
    """Shared machinery: features per (window, gene), per-gene or pooled ridge per horizon."""

    pooled: bool = False

    def __init__(self, lags: int = 3, alpha: float | None = None,
                 alphas: Sequence[float] = ALPHAS) -> None:
        self.lags = lags
        self.alpha = alpha
        self.alphas = alphas

    def _features(self, X: np.ndarray) -> np.ndarray:
        return X[:, -self.lags :, :].transpose(0, 2, 1)

    def _solve(self, F: np.ndarray, t: np.ndarray, alpha: float) -> np.ndarray:
        if not self.pooled:
            return _batched_ridge(F, t, alpha)
        W, N, P = F.shape
        coef = _batched_ridge(F.reshape(W * N, 1, P), t.reshape(W * N, 1), alpha)
        return np.repeat(coef, N, axis=0)

    def _fit_all(self, F: np.ndarray, y: np.ndarray, alpha: float) -> list[np.ndarray]:
        return [self._solve(F, y[:, h], alpha) for h in range(y.shape[1])]

    def _fit(self, X: np.ndarray, y: np.ndarray, graph: Any,
             validation: ArrayPair | None) -> None:
        self._prepare(graph, X.shape[2])
        F = self._features(X)
        alpha = self.alpha
        if alpha is None:
            alpha = self._choose_alpha(F, y, validation)
        self.alpha_ = float(alpha)
        self.coef_ = self._fit_all(F, y, self.alpha_)

    def _refit(self, X: np.ndarray, y: np.ndarray, graph: Any) -> None:
        self._prepare(graph, X.shape[2])
        self.coef_ = self._fit_all(self._features(X), y, self.alpha_)

    def _choose_alpha(self, F: np.ndarray, y: np.ndarray, validation: ArrayPair | None) -> float:
        if validation is None or not np.isfinite(validation[1]).any():
            return 1.0
        Fv, yv = self._features(validation[0]), validation[1]
        scores = []
        for a in self.alphas:
            coefs = self._fit_all(F, y, a)
            pred = np.stack([_apply(Fv, c) for c in coefs], axis=1)
            scores.append(np.nanmean((pred - yv) ** 2))
        return float(self.alphas[int(np.argmin(scores))])

    def _prepare(self, graph: Any, n_nodes: int) -> None:
        pass

    def _predict(self, X: np.ndarray) -> np.ndarray:
        F = self._features(X)
        return np.stack([_apply(F, c) for c in self.coef_], axis=1)


class GeneRidgeAR(_RidgeAR):
    """One ridge AR(lags) per gene and horizon."""


class PooledRidgeAR(_RidgeAR):
    """One ridge AR(lags) shared by all genes (per horizon)."""

    pooled = True


class NeighbourRidgeAR(_RidgeAR):
    """Per-gene ridge on its own lags + the contact-weighted mean of its Hi-C neighbours' lags."""

    uses_graph = True

    def _prepare(self, graph: Any, n_nodes: int) -> None:
        self.adjacency_ = row_normalised_adjacency(graph, n_nodes)

    def _features(self, X: np.ndarray) -> np.ndarray:
        own = X[:, -self.lags :, :]
        W, L, N = own.shape
        neigh = (self.adjacency_ @ own.reshape(W * L, N).T).T.reshape(W, L, N)
        return np.concatenate([own, neigh], axis=1).transpose(0, 2, 1)

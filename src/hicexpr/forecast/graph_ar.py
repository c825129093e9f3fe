"""Graph AR: a pooled linear AR model over each gene's and its Hi-C neighbours' recent changes,
with per-gene deviations tied together along the gene graph.

For window ``w``, gene ``n`` and horizon ``h`` the forecast is the last value ``x_t`` plus a
linear function of the chosen feature groups (:func:`change_features`)::

    y[h] - x_t = sum_l b[h, l] (x_{t-l} - x_t)       "own": own recent changes
               + sum_l g[h, l] (m_{t-l} - m_t)       "neighbours": Hi-C neighbours' changes
               + c[h] (m_t - x_t)                    "gap": neighbours' level vs the gene's
               + e[h] x_t                            "level": pull towards the scaler's centre

where ``m = A x`` is the contact-weighted mean of the gene's neighbours (``A`` row-normalised).
Without "level" the model is translation invariant (a drift away from the training mean is not
pulled back). The coefficients are shared by all genes (one ridge fit on all genes x windows),
shrunk towards a *prior* base forecast, persistence (all zero) or the window mean (own
coefficients ``1/L``). With ``gene_alpha > 0`` gene ``n`` uses ``b + d_n``, the deviations
penalised by ``gene_alpha (|d_n|^2 + graph_alpha sum_j A_nj |d_n - d_j|^2)`` (a graph-Laplacian
penalty: Hi-C neighbours get similar dynamics). Validation chooses the feature groups, the
prior and ``gene_alpha``, each scored on the validation block and earlier blocks of training
windows (expanding window); ``refit`` keeps the choices.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from hicexpr.forecast.base import ArrayPair, Forecaster
from hicexpr.forecast.baselines import row_normalised_adjacency
from hicexpr.lib.errors import InputError

ALPHAS = (1.0,)
GENE_ALPHAS = (10.0, 100.0)
PRIORS = ("persistence", "window_mean", "auto")


TERMS = ("own", "neighbours", "gap", "level")
TERM_SETS = (("own",), ("own", "neighbours"), ("own", "level"), ("own", "neighbours", "level"),
             ("own", "neighbours", "gap", "level"))


def change_features(X: np.ndarray, adjacency: sp.csr_matrix | None, lags: int,
                    terms: tuple[str, ...] = TERMS) -> np.ndarray:
    """``[W, N, P]`` features, own changes first: ``own`` ``x_{t-l} - x_t`` (l = 1..lags-1);
    ``neighbours`` ``m_{t-l} - m_t`` (l = 1..lags-1, m = contact-weighted neighbour mean);
    ``gap`` ``m_t - x_t``; ``level`` ``x_t`` (pull towards the scaler's centre)."""
    own = X[:, -lags:, :]
    last = own[:, -1:, :]
    parts = [own[:, :-1, :] - last]
    if adjacency is not None and adjacency.nnz and ({"neighbours", "gap"} & set(terms)):
        W, L, N = own.shape
        neigh = (adjacency @ own.reshape(W * L, N).T).T.reshape(W, L, N)
        has = (np.asarray(adjacency.sum(axis=1)).ravel() > 0)[None, None, :]
        if "neighbours" in terms:
            parts.append(np.where(has, neigh[:, :-1] - neigh[:, -1:], 0.0))
        if "gap" in terms:
            parts.append(np.where(has, neigh[:, -1:] - last, 0.0))
    if "level" in terms:
        parts.append(last)
    return np.concatenate(parts, axis=1).transpose(0, 2, 1)


def _prior_coef(prior: str, n_features: int, lags: int) -> np.ndarray:
    """Coefficients of the prior base forecast: persistence (0) or window mean (1/lags each)."""
    coef = np.zeros(n_features)
    if prior == "window_mean":
        coef[: lags - 1] = 1.0 / lags
    return coef


class GraphAR(Forecaster):
    """Pooled AR on own and Hi-C neighbours' recent changes, per-gene deviations smoothed over
    the graph (see module docstring).

    Args:
        lags: number of input time points used (``min(lags, L)``).
        use_graph: allow the neighbours' terms (False: the same model without the graph).
        terms: feature groups (subset of ``TERMS``, "own" always first); None: validation
            picks among ``TERM_SETS`` (those without graph terms when ``use_graph`` is False).
        prior: ``"persistence"``, ``"window_mean"`` or ``"auto"`` (validation picks).
        alpha: ridge penalty of the pooled coefficients (None: chosen on validation).
        gene_alpha: penalty of per-gene deviations (None: chosen on validation among
            ``GENE_ALPHAS`` and "no deviations"; ``0``: no per-gene deviations).
        graph_alpha: Laplacian penalty tying neighbours' deviations (relative to gene_alpha).
        cv_folds, min_train: choices are scored on the validation block and up to
            ``cv_folds - 1`` earlier blocks of training windows of the same size (expanding
            window, at least ``min_train`` windows to fit), relative to persistence.
    """

    uses_graph = True

    def __init__(self, lags: int = 3, use_graph: bool = True,
                 terms: tuple[str, ...] | None = None, prior: str = "auto",
                 alpha: float | None = None, gene_alpha: float | None = None,
                 graph_alpha: float = 1.0, cv_folds: int = 3, min_train: int = 4) -> None:
        self.lags = lags
        self.use_graph = use_graph
        self.terms = terms
        self.prior = prior
        self.alpha = alpha
        self.gene_alpha = gene_alpha
        self.graph_alpha = graph_alpha
        self.cv_folds = cv_folds
        self.min_train = min_train

    # -- fitting ----------------------------------------------------------------------------
    def _fit(self, X, y, graph, validation: ArrayPair | None) -> None:
        if self.prior not in PRIORS:
            raise InputError("prior", "", ", ".join(PRIORS), self.prior)
        if self.terms is not None and (not self.terms or self.terms[0] != "own"
                                       or not set(self.terms) <= set(TERMS)):
            raise InputError("terms", "", f"'own' first, then any of {TERMS}", self.terms)
        self._prepare(graph, X.shape[2], X.shape[1])
        if validation is not None and not np.isfinite(validation[1]).any():
            validation = None
        folds = self._folds(X, y, validation)
        best = None
        for terms in self._term_sets(validation):
            self.terms_ = terms
            for config in self._grid(validation):
                score = np.mean([self._fold_score(*fold, *config) for fold in folds]) \
                    if folds else 0.0
                if best is None or score < best[0] - 1e-12:
                    best = (float(score), terms, *config)
        self.val_score_, self.terms_, self.prior_, self.alpha_, self.gene_alpha_ = best
        F, targets = self._design(X, y)
        self.coef_ = self._solve(F, targets, self.prior_, self.alpha_, self.gene_alpha_)

    def _folds(self, X: np.ndarray, y: np.ndarray, validation: ArrayPair | None) -> list:
        """Expanding-window folds over train + validation windows (in time order): the
        validation block, then up to ``cv_folds - 1`` earlier blocks of the same size, each
        scored by a model fitted on the windows before it (at least ``min_train`` of them)."""
        if validation is None:
            return []
        Xa, ya = np.concatenate([X, validation[0]]), np.concatenate([y, validation[1]])
        size, end, folds = len(validation[0]), len(Xa), []
        while len(folds) < self.cv_folds and end - size >= self.min_train:
            start = end - size
            folds.append((Xa[:start], ya[:start], Xa[start:end], ya[start:end]))
            end = start
        return folds

    def _fold_score(self, X, y, Xv, yv, prior: str, alpha: float, gene_alpha: float) -> float:
        """Validation MSE relative to persistence on one fold."""
        F, targets = self._design(X, y)
        coef = self._solve(F, targets, prior, alpha, gene_alpha)
        persistence = np.nanmean((Xv[:, -1:, :] - yv) ** 2)
        return self._score(coef, (Xv, yv)) / max(float(persistence), 1e-12)

    def _refit(self, X, y, graph) -> None:
        self._prepare(graph, X.shape[2], X.shape[1])
        F, targets = self._design(X, y)
        self.coef_ = self._solve(F, targets, self.prior_, self.alpha_, self.gene_alpha_)

    def _prepare(self, graph: Any, n_nodes: int, length: int) -> None:
        self.lags_ = max(1, min(self.lags, length))
        adj = row_normalised_adjacency(graph, n_nodes) if self.use_graph else None
        self.adjacency_ = adj if adj is not None and adj.nnz else None

    def _term_sets(self, validation: ArrayPair | None) -> list[tuple[str, ...]]:
        if self.terms is not None:
            return [tuple(self.terms)]
        graph_terms = {"neighbours", "gap"}
        sets = [t for t in TERM_SETS if self.adjacency_ is not None or not graph_terms & set(t)]
        return sets if validation is not None else [("own",)]

    def _design(self, X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        F = change_features(X, self.adjacency_, self.lags_, self.terms_)
        return F, y - X[:, -1:, :]

    def _grid(self, validation: ArrayPair | None) -> list[tuple[str, float, float]]:
        has_val = validation is not None
        priors = ["persistence", "window_mean"] if self.prior == "auto" else [self.prior]
        if not has_val:
            priors = priors[:1]
        alphas = [self.alpha] if self.alpha is not None else list(ALPHAS)
        if self.gene_alpha is not None:
            genes = [float(self.gene_alpha)]
        else:
            genes = [0.0, *GENE_ALPHAS] if has_val else [0.0]
        return [(p, float(a), g) for p in priors for a in alphas for g in genes]

    def _solve(self, F: np.ndarray, t: np.ndarray, prior: str, alpha: float,
               gene_alpha: float) -> np.ndarray:
        """``[H, N, P]`` per-gene coefficients (pooled + deviations)."""
        W, N, P = F.shape
        base = _prior_coef(prior, P, self.lags_)
        out = np.empty((t.shape[1], N, P))
        for h in range(t.shape[1]):
            th = t[:, h] - F @ base  # residual of the prior base forecast
            ok = np.isfinite(th)
            Fo = np.where(ok[..., None], F, 0.0)
            to = np.where(ok, th, 0.0)
            pooled = np.linalg.solve(np.einsum("wnp,wnq->pq", Fo, Fo) + alpha * np.eye(P),
                                     np.einsum("wnp,wn->p", Fo, to))
            coef = np.broadcast_to(base + pooled, (N, P)).copy()
            if gene_alpha > 0:
                coef += self._deviations(Fo, to - Fo @ pooled, gene_alpha)
            out[h] = coef
        return out

    def _deviations(self, F: np.ndarray, r: np.ndarray, gene_alpha: float) -> np.ndarray:
        """Per-gene deviations ``[N, P]``: ridge per gene + Laplacian penalty over the graph,
        solved by conjugate gradients with a per-gene block preconditioner (the system is
        symmetric positive definite; a direct sparse solve fills in on non-local graphs)."""
        W, N, P = F.shape
        gram = np.einsum("wnp,wnq->npq", F, F) + gene_alpha * np.eye(P)[None]
        rhs = np.einsum("wnp,wn->np", F, r).ravel()
        lap = None
        if self.adjacency_ is not None and self.graph_alpha > 0:
            sym = (self.adjacency_ + self.adjacency_.T) / 2
            lap = (sp.diags(np.asarray(sym.sum(axis=1)).ravel()) - sym).tocsr()
            lap = gene_alpha * self.graph_alpha * lap
            gram = gram + lap.diagonal()[:, None, None] * np.eye(P)[None]
        inverse = np.linalg.inv(gram)
        if lap is None:
            return np.einsum("npq,nq->np", inverse, rhs.reshape(N, P))
        own = gram - lap.diagonal()[:, None, None] * np.eye(P)[None]

        def matvec(v: np.ndarray) -> np.ndarray:
            d = v.reshape(N, P)
            return (np.einsum("npq,nq->np", own, d) + lap @ d).ravel()

        def precondition(v: np.ndarray) -> np.ndarray:
            return np.einsum("npq,nq->np", inverse, v.reshape(N, P)).ravel()

        op = spla.LinearOperator((N * P, N * P), matvec=matvec)
        pre = spla.LinearOperator((N * P, N * P), matvec=precondition)
        sol, _ = spla.cg(op, rhs, rtol=1e-10, atol=0.0, maxiter=10 * N * P, M=pre)
        return sol.reshape(N, P)

    def _score(self, coef: np.ndarray, validation: ArrayPair) -> float:
        Xv, yv = validation
        pred = self._apply(Xv, coef)
        return float(np.nanmean((pred - yv) ** 2))

    # -- prediction -------------------------------------------------------------------------
    def _apply(self, X: np.ndarray, coef: np.ndarray) -> np.ndarray:
        F = change_features(X, self.adjacency_, self.lags_, self.terms_)
        delta = np.einsum("wnp,hnp->whn", F, coef)
        return X[:, -1:, :] + delta

    def _predict(self, X: np.ndarray) -> np.ndarray:
        return self._apply(X, self.coef_)

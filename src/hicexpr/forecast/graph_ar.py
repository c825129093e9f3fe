"""Graph AR: a pooled linear AR model over each gene's, its Hi-C neighbours' and its
co-expression neighbours' recent changes, with per-gene deviations tied together along the gene
graph.

For window ``w``, gene ``n`` and horizon ``h`` the forecast is the last value ``x_t`` plus a
linear function of the chosen feature groups (:func:`change_features`)::

    y[h] - x_t = sum_l b[h, l] (x_{t-l} - x_t)       "own": own recent changes
               + sum_l g[h, l] (m_{t-l} - m_t)       "neighbours": Hi-C neighbours' changes
               + c[h] (m_t - x_t)                    "gap": neighbours' level vs the gene's
               + sum_l k[h, l] (s_{t-l} - s_t)       "coexpr": co-expression neighbours' changes
               + f[h] (s_t - x_t)                    "coexpr_gap"
               + e[h] x_t                            "level": pull towards the scaler's centre

where ``m = A x`` is the contact-weighted mean of the gene's neighbours (``A`` row-normalised)
and ``s = C x`` the mean of its ``coexpr_k`` most correlated genes, correlation of levels over
the time points of the *training windows only* (refit: train + validation windows; each
expanding-window fold below: that fold's own training windows).
Without "level" the model is translation invariant (a drift away from the training mean is not
pulled back). The coefficients are shared by all genes (one ridge fit on all genes x windows),
shrunk towards a *prior* base forecast, persistence (all zero) or the window mean (own
coefficients ``1/L``). With ``gene_alpha > 0`` gene ``n`` uses ``b + d_n``, the deviations
penalised by ``gene_alpha (|d_n|^2 + graph_alpha sum_j A_nj |d_n - d_j|^2)`` (a graph-Laplacian
penalty: Hi-C neighbours get similar dynamics). With ``noise_weights`` the pooled fit is a
feasible generalised least squares: each gene's windows are weighted by the inverse of its
residual variance (re-estimated ``NOISE_STEPS`` times, floored at ``NOISE_FLOOR`` x the median
gene's), so a few noisy genes do not set the coefficients shared by all. With a recency
``half_life`` (in windows) window ``w`` of ``W`` (time order) also gets weight
``0.5 ** ((W - 1 - w) / half_life)``: recent dynamics count more. Validation chooses the
feature groups, the prior, ``gene_alpha`` and the half-life, each scored on the validation
block and earlier blocks of training windows (expanding window); ``refit`` keeps the choices.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from hicexpr.forecast.base import ArrayPair, Forecaster
from hicexpr.forecast.baselines import row_normalise, row_normalised_adjacency
from hicexpr.graph import expression_similarity_edges
from hicexpr.lib.errors import InputError

ALPHAS = (1.0,)
GENE_ALPHAS = (10.0, 100.0)
PRIORS = ("persistence", "window_mean", "auto")
NOISE_STEPS = 3
NOISE_FLOOR = 0.1
HALF_LIVES = (0.0, 4.0, 8.0)  # recency half-lives in windows; 0: every window counts the same


TERMS = ("own", "neighbours", "gap", "coexpr", "coexpr_gap", "level")
TERM_SETS = (("own",), ("own", "neighbours"), ("own", "level"), ("own", "neighbours", "level"),
             ("own", "neighbours", "gap", "level"), ("own", "coexpr", "level"),
             ("own", "neighbours", "coexpr", "level"), ("own", "coexpr", "coexpr_gap", "level"))
GRAPH_TERMS = {"neighbours", "gap"}
COEXPR_TERMS = {"coexpr", "coexpr_gap"}


def change_features(X: np.ndarray, adjacency: sp.csr_matrix | None, lags: int,
                    terms: tuple[str, ...] = TERMS,
                    coexpression: sp.csr_matrix | None = None) -> np.ndarray:
    """``[W, N, P]`` features, own changes first: ``own`` ``x_{t-l} - x_t`` (l = 1..lags-1);
    ``neighbours`` ``m_{t-l} - m_t`` (l = 1..lags-1, m = contact-weighted neighbour mean);
    ``gap`` ``m_t - x_t``; ``coexpr`` / ``coexpr_gap`` the same with the co-expression
    neighbour mean ``s`` (``coexpression`` row-normalised); ``level`` ``x_t`` (also when
    nothing else is left: one input time point)."""
    own = X[:, -lags:, :]
    last = own[:, -1:, :]
    parts = [own[:, :-1, :] - last]
    parts += _neighbour_parts(own, adjacency, "neighbours" in terms, "gap" in terms)
    parts += _neighbour_parts(own, coexpression, "coexpr" in terms, "coexpr_gap" in terms)
    if "level" in terms or not sum(p.shape[1] for p in parts):  # one lag: no changes, AR(1)
        parts.append(last)
    return np.concatenate(parts, axis=1).transpose(0, 2, 1)


def _neighbour_parts(own: np.ndarray, adjacency: sp.csr_matrix | None, changes: bool,
                     gap: bool) -> list[np.ndarray]:
    """Neighbour-mean changes ``[W, L-1, N]`` and / or gap ``[W, 1, N]`` (0 without
    neighbours)."""
    if adjacency is None or not adjacency.nnz or not (changes or gap):
        return []
    W, L, N = own.shape
    neigh = (adjacency @ own.reshape(W * L, N).T).T.reshape(W, L, N)
    has = (np.asarray(adjacency.sum(axis=1)).ravel() > 0)[None, None, :]
    parts = []
    if changes:
        parts.append(np.where(has, neigh[:, :-1] - neigh[:, -1:], 0.0))
    if gap:
        parts.append(np.where(has, neigh[:, -1:] - own[:, -1:], 0.0))
    return parts


def coexpression_adjacency(X: np.ndarray, k: int) -> sp.csr_matrix | None:
    """Row-normalised adjacency of each gene's ``k`` most correlated genes (correlation of
    levels over the distinct time points in windows ``X`` ``[W, L, N]``; positive correlations
    only, both directions kept). None when ``k`` is 0 or fewer than 3 time points."""
    frames = np.unique(X.reshape(-1, X.shape[2]), axis=0)
    if k <= 0 or len(frames) < 3 or X.shape[2] < 2:
        return None
    edges = expression_similarity_edges(frames, k=k, on="levels")
    n = X.shape[2]
    ones = np.ones(len(edges))
    pairs = sp.coo_matrix((ones, (edges.i, edges.j)), shape=(n, n)).tocsr()
    return row_normalise(((pairs + pairs.T) > 0).astype(float))


def _prior_coef(prior: str, n_features: int, lags: int) -> np.ndarray:
    """Coefficients of the prior base forecast: persistence (0) or window mean (1/lags each)."""
    coef = np.zeros(n_features)
    if prior == "window_mean":
        coef[: lags - 1] = 1.0 / lags
    return coef


def _weighted_ridge(F: np.ndarray, t: np.ndarray, weights: np.ndarray,
                    alpha: float) -> np.ndarray:
    """Pooled ridge coefficients ``[P]`` of targets ``t`` ``[W, N]`` on features ``F``
    ``[W, N, P]``, row ``(w, n)`` weighted by ``weights[w, n]``."""
    P = F.shape[2]
    rows = F.reshape(-1, P)
    weighted = (F * weights[..., None]).reshape(-1, P)
    return np.linalg.solve(weighted.T @ rows + alpha * np.eye(P), weighted.T @ t.ravel())


def _inverse_noise(residuals: np.ndarray, observed: np.ndarray) -> np.ndarray:
    """``[N]`` inverse residual variance of each gene over its observed windows, the variance
    floored at ``NOISE_FLOOR`` x the median of the genes with any residual (a constant gene
    fitted exactly does not take all the weight); scaled to mean 1 over those genes, so the
    ridge penalty keeps its strength. All ones when no gene has a residual."""
    var = (residuals**2).sum(axis=0) / np.maximum(observed.sum(axis=0), 1)
    positive = var > 0
    if not positive.any():
        return np.ones_like(var)
    weights = 1.0 / np.maximum(var, NOISE_FLOOR * float(np.median(var[positive])))
    return weights / float(weights[positive].mean())


def recency_weights(n_windows: int, half_life: float) -> np.ndarray:
    """``[W]`` weights ``0.5 ** ((W - 1 - w) / half_life)`` scaled to mean 1 (all ones for
    ``half_life`` 0): the newest window weighs most."""
    if half_life <= 0:
        return np.ones(n_windows)
    weights = 0.5 ** ((n_windows - 1 - np.arange(n_windows)) / half_life)
    return weights / weights.mean()


def _forecast(last: np.ndarray, F: np.ndarray, coef: np.ndarray) -> np.ndarray:
    """``[W, H, N]`` forecasts: last values ``[W, 1, N]`` plus features ``[W, N, P]`` times
    per-gene coefficients ``[H, N, P]``."""
    return last + np.einsum("wnp,hnp->whn", F, coef)


class GraphAR(Forecaster):
    """Pooled AR on own, Hi-C neighbours' and co-expression neighbours' recent changes,
    per-gene deviations smoothed over the graph (see module docstring).

    Args:
        lags: number of input time points used (``min(lags, L)``).
        use_graph: allow the neighbours' terms (False: the same model without the graph).
        coexpr_k: co-expression neighbours per gene for the "coexpr" terms (0: none).
        terms: feature groups (subset of ``TERMS``, "own" always first); None: validation
            picks among ``TERM_SETS`` (those without Hi-C terms when ``use_graph`` is False,
            without co-expression terms when ``coexpr_k`` is 0).
        prior: ``"persistence"``, ``"window_mean"`` or ``"auto"`` (validation picks).
        alpha: ridge penalty of the pooled coefficients (None: chosen on validation).
        gene_alpha: penalty of per-gene deviations (None: chosen on validation among
            ``GENE_ALPHAS`` and "no deviations"; ``0``: no per-gene deviations).
        graph_alpha: Laplacian penalty tying neighbours' deviations (relative to gene_alpha).
        noise_weights: weight genes by their inverse residual variance in the pooled fit
            (feasible GLS); False: every gene x window counts the same (ordinary ridge).
        half_life: recency half-life of the pooled fit's window weights, in windows (0: none;
            None: chosen on validation among ``HALF_LIVES``).
        cv_folds, min_train: choices are scored on the validation block and up to
            ``cv_folds - 1`` earlier blocks of training windows of the same size (expanding
            window, at least ``min_train`` windows to fit), relative to persistence.
    """

    uses_graph = True
    legacy_params: ClassVar[dict[str, Any]] = {"noise_weights": False, "half_life": 0.0}
    legacy_state: ClassVar[dict[str, Any]] = {"half_life_": 0.0}

    def __init__(self, lags: int = 3, use_graph: bool = True,
                 terms: tuple[str, ...] | None = None, prior: str = "auto",
                 alpha: float | None = None, gene_alpha: float | None = None,
                 graph_alpha: float = 1.0, cv_folds: int = 3, min_train: int = 4,
                 coexpr_k: int = 10, noise_weights: bool = True,
                 half_life: float | None = None) -> None:
        self.lags = lags
        self.use_graph = use_graph
        self.coexpr_k = coexpr_k
        self.terms = terms
        self.prior = prior
        self.alpha = alpha
        self.gene_alpha = gene_alpha
        self.graph_alpha = graph_alpha
        self.cv_folds = cv_folds
        self.min_train = min_train
        self.noise_weights = noise_weights
        self.half_life = half_life

    # -- fitting ----------------------------------------------------------------------------
    def _fit(self, X: np.ndarray, y: np.ndarray, graph: Any,
             validation: ArrayPair | None) -> None:
        if self.prior not in PRIORS:
            raise InputError("prior", "", ", ".join(PRIORS), self.prior)
        if self.terms is not None and (not self.terms or self.terms[0] != "own"
                                       or not set(self.terms) <= set(TERMS)):
            raise InputError("terms", "", f"'own' first, then any of {TERMS}", self.terms)
        self._prepare(graph, X)
        if validation is not None and not np.isfinite(validation[1]).any():
            validation = None
        folds = self._folds(X, y, validation)
        best = None
        grid = self._grid(validation)
        for terms in self._term_sets(validation):
            self.terms_ = terms
            designs = [self._fold_design(*fold) for fold in folds]  # shared by every config
            scores = np.mean([self._fold_scores(d, grid) for d in designs], axis=0) \
                if designs else np.zeros(len(grid))
            for score, config in zip(scores, grid, strict=True):
                if best is None or score < best[0] - 1e-12:
                    best = (float(score), terms, *config)
        self.val_score_, self.terms_, *config = best
        self.prior_, self.alpha_, self.gene_alpha_, self.half_life_ = config
        self._fit_chosen(X, y)

    def _fit_chosen(self, X: np.ndarray, y: np.ndarray) -> None:
        """``coef_`` on windows ``X`` with the chosen terms, prior, penalties and half-life."""
        F, targets = self._design(X, y, self.coexpr_)
        self.coef_ = self._solve(F, targets, self.prior_, self.alpha_, self.gene_alpha_,
                                 self.half_life_)

    def _folds(self, X: np.ndarray, y: np.ndarray, validation: ArrayPair | None) -> list:
        """Expanding-window folds over train + validation windows (in time order): the
        validation block, then up to ``cv_folds - 1`` earlier blocks of the same size, each
        scored by a model fitted on the windows before it (at least ``min_train`` of them),
        with co-expression neighbours from those windows only."""
        if validation is None:
            return []
        Xa, ya = np.concatenate([X, validation[0]]), np.concatenate([y, validation[1]])
        size, end, folds = len(validation[0]), len(Xa), []
        while len(folds) < self.cv_folds and end - size >= self.min_train:
            start = end - size
            # the validation fold trains on exactly X, whose neighbours _prepare already has
            coexpr = self.coexpr_ if start == len(X) else coexpression_adjacency(
                Xa[:start], self.coexpr_k)
            folds.append((Xa[:start], ya[:start], Xa[start:end], ya[start:end], coexpr))
            end = start
        return folds

    def _fold_design(self, X: np.ndarray, y: np.ndarray, Xv: np.ndarray, yv: np.ndarray,
                     coexpr: sp.csr_matrix | None) -> tuple:
        """One fold's training features and targets, validation features, last values and
        targets, and persistence's validation MSE (the current ``terms_``)."""
        F, targets = self._design(X, y, coexpr)
        Fv = change_features(Xv, self.adjacency_, self.lags_, self.terms_, coexpr)
        persistence = float(np.nanmean((Xv[:, -1:, :] - yv) ** 2))
        return F, targets, Fv, Xv[:, -1:, :], yv, persistence

    def _fold_scores(self, design: tuple, grid: list[tuple[str, float, float, float]]
                     ) -> list[float]:
        """Validation MSE relative to persistence on one fold for each ``(prior, alpha,
        gene_alpha, half_life)`` of ``grid``; configurations that differ only in
        ``gene_alpha`` share one pooled fit."""
        F, targets, Fv, last, yv, persistence = design
        pooled: dict[tuple[str, float, float], list] = {}
        scores = []
        for prior, alpha, gene_alpha, half_life in grid:
            key = (prior, alpha, half_life)
            if key not in pooled:
                pooled[key] = self._pooled(F, targets, prior, alpha, half_life)
            coef = self._per_gene(F, pooled[key], gene_alpha)
            mse = np.nanmean((_forecast(last, Fv, coef) - yv) ** 2)
            scores.append(float(mse) / max(persistence, 1e-12))
        return scores

    def _refit(self, X: np.ndarray, y: np.ndarray, graph: Any) -> None:
        self._prepare(graph, X)
        self._fit_chosen(X, y)

    def _prepare(self, graph: Any, X: np.ndarray) -> None:
        """Lags, the Hi-C adjacency and the co-expression adjacency of windows ``X``."""
        self.lags_ = max(1, min(self.lags, X.shape[1]))
        adj = row_normalised_adjacency(graph, X.shape[2]) if self.use_graph else None
        self.adjacency_ = adj if adj is not None and adj.nnz else None
        self.coexpr_ = coexpression_adjacency(X, self.coexpr_k)

    def _term_sets(self, validation: ArrayPair | None) -> list[tuple[str, ...]]:
        if self.terms is not None:
            return [tuple(self.terms)]
        if validation is None:
            return [("own",)]
        return [t for t in TERM_SETS
                if (self.adjacency_ is not None or not GRAPH_TERMS & set(t))
                and (self.coexpr_ is not None or not COEXPR_TERMS & set(t))]

    def _design(self, X: np.ndarray, y: np.ndarray, coexpr: sp.csr_matrix | None
                ) -> tuple[np.ndarray, np.ndarray]:
        F = change_features(X, self.adjacency_, self.lags_, self.terms_, coexpr)
        return F, y - X[:, -1:, :]

    def _grid(self, validation: ArrayPair | None) -> list[tuple[str, float, float, float]]:
        has_val = validation is not None
        priors = ["persistence", "window_mean"] if self.prior == "auto" else [self.prior]
        if not has_val:
            priors = priors[:1]
        alphas = [self.alpha] if self.alpha is not None else list(ALPHAS)
        if self.gene_alpha is not None:
            genes = [float(self.gene_alpha)]
        else:
            genes = [0.0, *GENE_ALPHAS] if has_val else [0.0]
        if self.half_life is not None:
            halves = [float(self.half_life)]
        else:
            halves = list(HALF_LIVES) if has_val else [0.0]
        return [(p, float(a), g, hl) for p in priors for a in alphas for g in genes
                for hl in halves]

    def _solve(self, F: np.ndarray, t: np.ndarray, prior: str, alpha: float,
               gene_alpha: float, half_life: float) -> np.ndarray:
        """``[H, N, P]`` per-gene coefficients (pooled + deviations)."""
        return self._per_gene(F, self._pooled(F, t, prior, alpha, half_life), gene_alpha)

    def _pooled(self, F: np.ndarray, t: np.ndarray, prior: str, alpha: float,
                half_life: float) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """Per horizon: the shared coefficients ``[P]`` (prior + pooled fit), the mask of
        targets ``[W, N]`` and the residuals ``[W, N]`` (0 where masked)."""
        W, N, P = F.shape
        base = _prior_coef(prior, P, self.lags_)
        recency = recency_weights(W, half_life)[:, None]
        out = []
        for h in range(t.shape[1]):
            th = t[:, h] - F @ base  # residual of the prior base forecast
            ok = np.isfinite(th)
            Fo = np.where(ok[..., None], F, 0.0)
            to = np.where(ok, th, 0.0)
            pooled = _weighted_ridge(Fo, to, np.broadcast_to(recency, (W, N)), alpha)
            for _ in range(NOISE_STEPS if self.noise_weights else 0):
                genes = _inverse_noise(to - Fo @ pooled, ok)[None, :]
                pooled = _weighted_ridge(Fo, to, recency * genes, alpha)
            out.append((base + pooled, ok, to - Fo @ pooled))
        return out

    def _per_gene(self, F: np.ndarray, pooled: list, gene_alpha: float) -> np.ndarray:
        """``[H, N, P]``: the shared coefficients of :meth:`_pooled` plus, with ``gene_alpha >
        0``, each gene's deviations fitted to the residuals."""
        _, N, P = F.shape
        out = np.empty((len(pooled), N, P))
        for h, (shared, ok, residual) in enumerate(pooled):
            out[h] = shared
            if gene_alpha > 0:
                out[h] += self._deviations(np.where(ok[..., None], F, 0.0), residual, gene_alpha)
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

    # -- prediction -------------------------------------------------------------------------
    def _predict(self, X: np.ndarray) -> np.ndarray:
        F = change_features(X, self.adjacency_, self.lags_, self.terms_,
                            getattr(self, "coexpr_", None))
        return _forecast(X[:, -1:, :], F, self.coef_)

"""Neural forecasters with the common estimator contract: STEPmr, STEPmi, GRUForecaster."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np
import torch
from torch import Tensor, nn

from hicexpr.forecast.base import ArrayPair, Forecaster, check_nodes
from hicexpr.forecast.baselines import PooledRidgeAR
from hicexpr.forecast.connectivity_attention import connectivity_stats
from hicexpr.forecast.graph_ar import GraphAR
from hicexpr.forecast.losses import TemporalLoss, mse
from hicexpr.forecast.nets import GraphGRUNet, GRUNet, STEPmiNet, STEPmrNet
from hicexpr.forecast.train import TrainResult, seed_everything, train_full_batch
from hicexpr.lib.errors import InputError


def graph_tensors(graph: Any, n_nodes: int) -> tuple[Tensor, Tensor, Tensor | None]:
    """(edge_index ``[2, E]``, edge_weight ``[E]`` scaled to max 1, node features or None)."""
    if graph is None:
        return torch.zeros((2, 0), dtype=torch.long), torch.zeros(0), None
    check_nodes(graph, n_nodes)
    ei = graph.edge_index.long()
    w = getattr(graph, "edge_weight", None)
    w = torch.ones(ei.shape[1]) if w is None else w.detach().float().abs()
    if w.numel():
        w = w / w.max().clamp(min=1e-12)
    feats = getattr(graph, "x", None)
    if feats is not None:
        feats = torch.as_tensor(feats, dtype=torch.float32)
        feats = (feats - feats.mean(0)) / feats.std(0).clamp(min=1e-6)
    return ei, w, feats


SKIPS = ("auto", "auto_ridge", "auto_graph", "persistence", "window_mean", "pooled_ridge",
         "graph_ar")


class NeuralForecaster(Forecaster):
    """Shared hyper-parameters and training for the neural models.

    Args:
        hidden: channels of every hidden layer.
        K: Chebyshev order (graph models).
        dropout, lr, weight_decay: regularisation and optimiser settings.
        max_epochs, patience: full-batch epochs; early stopping on validation MSE.
        loss: ``"mse"`` (default, chosen on validation) or ``"temporal"`` (:class:`TemporalLoss`
            with ``loss_weights``).
        n_ensemble: members trained with seeds ``seed .. seed + n_ensemble - 1``, averaged.
        per_gene_ar: add per-gene AR coefficients to the residual head (gene-specific dynamics).
        skip: starting point of the residual skip (the base forecast the net corrects):
            ``"persistence"`` (last value), ``"window_mean"`` (mean of the L inputs),
            ``"pooled_ridge"`` (a pooled ridge AR(min(3, L)) fitted on the training windows,
            alpha chosen on validation), ``"graph_ar"`` (a :class:`GraphAR` fitted on the
            training windows, its choices made on validation), ``"auto"`` (persistence or window
            mean, whichever has the lower validation MSE; persistence without validation),
            ``"auto_ridge"`` (the same choice with the pooled ridge) or ``"auto_graph"`` (the
            same choice with the GraphAR).
        seed, n_threads: determinism.
        sparse_matmul: the ST blocks' Chebyshev convolutions as sparse x dense products
            (:class:`~hicexpr.forecast.cheb_conv.SparseChebGraphConv`, same parameters; 4-5x
            faster per epoch on 4,400 genes); False: PyG's gather / scatter over edges.
    """

    net_class: type[nn.Module] = GRUNet
    legacy_params: ClassVar[dict[str, Any]] = {"sparse_matmul": False}

    def __init__(
        self,
        hidden: int = 16,
        K: int = 2,
        dropout: float = 0.1,
        lr: float = 1e-2,
        weight_decay: float = 1e-3,
        max_epochs: int = 300,
        patience: int = 30,
        loss: str = "mse",
        loss_weights: dict[str, float] | None = None,
        n_ensemble: int = 1,
        per_gene_ar: bool = True,
        skip: str = "auto",
        seed: int = 0,
        n_threads: int = 1,
        sparse_matmul: bool = True,
    ) -> None:
        self.hidden = hidden
        self.K = K
        self.dropout = dropout
        self.lr = lr
        self.weight_decay = weight_decay
        self.max_epochs = max_epochs
        self.patience = patience
        self.loss = loss
        self.loss_weights = loss_weights
        self.n_ensemble = n_ensemble
        self.per_gene_ar = per_gene_ar
        self.skip = skip
        self.seed = seed
        self.n_threads = n_threads
        self.sparse_matmul = sparse_matmul

    def _loss_fn(self) -> Callable[[Tensor, Tensor, Tensor], Tensor]:
        if self.loss == "mse":
            return mse
        if self.loss == "temporal":
            return TemporalLoss(**(self.loss_weights or {}))
        raise InputError("loss", "", "'temporal' or 'mse'", self.loss)

    def _build(self, in_channels: int) -> nn.Module:
        return self.net_class(in_channels, self.hidden, self.input_length_, self.horizon_,
                              dropout=self.dropout, n_nodes=self._n_nodes())

    def _n_nodes(self) -> int | None:
        return self.n_genes_ if self.per_gene_ar else None

    def _fit(self, X: np.ndarray, y: np.ndarray, graph: Any,
             validation: ArrayPair | None) -> None:
        self.edge_index_, self.edge_weight_, self.node_features_ = graph_tensors(
            graph if self.uses_graph else None, X.shape[2]
        )
        if not self.uses_graph and graph is not None and getattr(graph, "x", None) is not None:
            self.node_features_ = graph_tensors(graph, X.shape[2])[2]
        self.stats_ = connectivity_stats(self.edge_index_, self.edge_weight_, X.shape[2])
        self.base_graph_ar_ = self._graph_ar(X, y, graph, validation)
        self.skip_ = self._choose_skip(X, y, validation)
        self.base_coef_ = self._base_coef(X, y, validation)
        n_feat = 0 if self.node_features_ is None else self.node_features_.shape[1]
        train = (torch.as_tensor(X, dtype=torch.float32), torch.as_tensor(y, dtype=torch.float32))
        val = None
        if validation is not None and np.isfinite(validation[1]).any():
            val = tuple(torch.as_tensor(a, dtype=torch.float32) for a in validation)
        self.nets_, self.train_results_ = [], []
        self._fixed_bases = self._precompute_bases([train[0]] + ([val[0]] if val else []))
        try:
            for member in range(self.n_ensemble):
                seed_everything(self.seed + member, self.n_threads)
                net = self._build(2 + n_feat)
                if self.skip_ == "window_mean":
                    with torch.no_grad():
                        net.head.ar.weight.fill_(1.0 / self.input_length_)
                result = self._train_net(net, train, val)
                self.nets_.append(net)
                self.train_results_.append(result)
        finally:
            self._fixed_bases = {}

    def _precompute_bases(self, tensors: list[Tensor]) -> dict[int, tuple[Tensor, Tensor]]:
        """GraphAR's (fixed) forecasts for the full-batch training / validation tensors, so
        the epochs do not recompute them (keyed by identity; the tensor is kept alive)."""
        if getattr(self, "skip_", None) != "graph_ar":
            return {}
        return {id(x): (x, self._graph_ar_base(x)) for x in tensors}

    def _graph_ar_base(self, x: Tensor) -> Tensor:
        """``[B, H, N]`` GraphAR forecast for windows ``x`` (no gradient)."""
        known = getattr(self, "_fixed_bases", {}).get(id(x))
        if known is not None and known[0] is x:
            return known[1]
        base = self.base_graph_ar_.predict(x.detach().cpu().double().numpy())
        return torch.as_tensor(base, dtype=x.dtype, device=x.device)

    def _train_net(self, net: nn.Module, train: tuple[Tensor, Tensor],
                   val: tuple[Tensor, Tensor] | None) -> TrainResult:
        """Train one ensemble member (full batch); a subclass may train it differently (e.g.
        mini-batches on a GPU: :class:`hicexpr.forecast.minibatch.MiniBatchSTEPmr`)."""
        return train_full_batch(
            net, lambda x: self._forward(net, x), train, val, self._loss_fn(),
            self.lr, self.weight_decay, self.max_epochs, self.patience,
        )

    def _choose_skip(self, X: np.ndarray, y: np.ndarray, validation: ArrayPair | None) -> str:
        if self.skip not in SKIPS:
            raise InputError("skip", "", ", ".join(SKIPS), self.skip)
        if not self.skip.startswith("auto"):
            return self.skip
        if getattr(self, "skip_", None) and validation is None:
            return self.skip_  # refit keeps what validation chose
        if validation is None or not np.isfinite(validation[1]).any():
            return "persistence"
        Xv, yv = validation
        errors = {
            "persistence": np.nanmean((Xv[:, -1:, :] - yv) ** 2),
            "window_mean": np.nanmean((Xv.mean(axis=1, keepdims=True) - yv) ** 2),
        }
        if self.skip == "auto_ridge":
            ridge = self._ridge(X, y, validation)
            errors["pooled_ridge"] = np.nanmean((ridge.predict(Xv) - yv) ** 2)
        if self.skip == "auto_graph":
            errors["graph_ar"] = np.nanmean((self.base_graph_ar_.predict(Xv) - yv) ** 2)
        return min(errors, key=errors.get)

    def _graph_ar(self, X: np.ndarray, y: np.ndarray, graph: Any,
                  validation: ArrayPair | None) -> GraphAR | None:
        """The GraphAR base for the ``graph_ar`` skips (choices from validation, kept on
        refit); None for the other skips."""
        if self.skip not in ("graph_ar", "auto_graph"):
            return None
        old = getattr(self, "base_graph_ar_", None)
        if validation is None and old is not None:
            return old.refit(X, y, graph=graph)
        return GraphAR().fit(X, y, graph=graph, validation=validation)

    def _ridge(self, X: np.ndarray, y: np.ndarray, validation: ArrayPair | None) -> PooledRidgeAR:
        """Pooled ridge AR on the training windows (alpha from validation, kept on refit)."""
        old = getattr(self, "base_ridge_", None)
        if validation is None and old is not None:
            return old.refit(X, y)
        ridge = PooledRidgeAR(lags=min(3, X.shape[1]))
        self.base_ridge_ = ridge.fit(X, y, validation=validation)
        return self.base_ridge_

    def _base_coef(self, X: np.ndarray, y: np.ndarray,
                   validation: ArrayPair | None) -> Tensor | None:
        """``[H, lags + 1]`` pooled ridge coefficients (lags, intercept) for the ridge skip."""
        if self.skip_ != "pooled_ridge":
            return None
        ridge = self._ridge(X, y, validation)
        return torch.as_tensor(np.stack([c[0] for c in ridge.coef_]), dtype=torch.float32)

    def _refit(self, X: np.ndarray, y: np.ndarray, graph: Any) -> None:
        epochs = int(round(np.mean([r.best_epoch for r in self.train_results_])))
        kept = self.max_epochs
        self.max_epochs = epochs
        try:
            self._fit(X, y, graph, None)
        finally:
            self.max_epochs = kept

    def _forward(self, net: nn.Module, x: Tensor) -> Tensor:
        out = net(x, self.edge_index_, self.edge_weight_, self.node_features_, self.stats_)
        if getattr(self, "skip_", None) == "graph_ar":  # fixed linear base, no gradient
            return out + self._graph_ar_base(x).to(out.dtype) - x[:, -1:, :]
        coef = getattr(self, "base_coef_", None)
        if coef is None:
            return out
        lags = coef.shape[1] - 1
        base = torch.einsum("bln,hl->bhn", x[:, -lags:], coef[:, :-1]) + coef[:, -1][None, :, None]
        return out + base - x[:, -1:, :]

    def _predict(self, X: np.ndarray) -> np.ndarray:
        x = torch.as_tensor(X, dtype=torch.float32)
        torch.set_num_threads(self.n_threads)
        with torch.no_grad():
            preds = [self._forward(net.eval(), x).numpy() for net in self.nets_]
        return np.mean(preds, axis=0).astype(np.float64)


class STEPmr(NeuralForecaster):
    """STEPmr: 2 ST blocks (gated temporal conv, Chebyshev graph conv, temporal conv, norm) +
    connectivity attention over node degree / contact strength + residual head."""

    uses_graph = True
    net_class = STEPmrNet

    def _build(self, in_channels: int) -> nn.Module:
        return STEPmrNet(in_channels, self.hidden, self.input_length_, self.horizon_, K=self.K,
                         dropout=self.dropout, n_stats=self.stats_.shape[1],
                         n_nodes=self._n_nodes(), sparse=self.sparse_matmul)


class STEPmi(NeuralForecaster):
    """STEPmi: 3 ST blocks + bidirectional LSTM + multi-head temporal attention + residual head."""

    uses_graph = True
    net_class = STEPmiNet

    def _build(self, in_channels: int) -> nn.Module:
        return STEPmiNet(in_channels, self.hidden, self.input_length_, self.horizon_, K=self.K,
                         dropout=self.dropout, n_nodes=self._n_nodes(),
                         sparse=self.sparse_matmul)


class GRUForecaster(NeuralForecaster):
    """GRU per gene over its own history (no graph), shared weights, residual head."""

    uses_graph = False
    net_class = GRUNet


class GraphGRU(NeuralForecaster):
    """GRU over each gene's own and Hi-C neighbours' history + one gated message-passing step
    over the Hi-C graph (shared weights), residual head. ``GRUForecaster`` plus the graph."""

    uses_graph = True
    net_class = GraphGRUNet

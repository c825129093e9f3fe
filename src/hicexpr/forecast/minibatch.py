"""STEPmr at scale: mini-batches of time windows x gene blocks, on a device.

:class:`MiniBatchSTEPmr` trains :class:`hicexpr.forecast.STEPmr` on chronological chunks of
windows x contiguous gene blocks (induced sub-graphs, as in Cluster-GCN), with the Chebyshev
convolution computed as sparse x dense products like every ST-block model
(:class:`~hicexpr.forecast.cheb_conv.SparseChebGraphConv`): no N x N matrix and no per-edge copy
of the node features, so 20,000 genes train on a laptop CPU or a GPU.
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Iterator

import numpy as np
import torch
from torch import Tensor, nn

from hicexpr.forecast.losses import mse
from hicexpr.forecast.neural import STEPmr
from hicexpr.forecast.train import TrainResult
from hicexpr.lib.devices import resolve_device
from hicexpr.lib.errors import InputError


def gene_blocks(n_genes: int, n_blocks: int) -> list[np.ndarray]:
    """``n_blocks`` contiguous node ranges (genes are in genome order, so most cis edges stay
    inside a block; a block is the induced sub-graph, as in Cluster-GCN)."""
    if n_blocks < 1:
        raise InputError("gene_blocks", "", "a positive number of gene blocks", n_blocks)
    return [b for b in np.array_split(np.arange(n_genes), min(n_blocks, n_genes)) if len(b)]


def window_batches(n_windows: int, batch_windows: int | None) -> list[np.ndarray]:
    """Consecutive (chronological) chunks of windows: the temporal loss needs time order."""
    size = n_windows if not batch_windows or batch_windows >= n_windows else batch_windows
    return [np.arange(s, min(s + size, n_windows)) for s in range(0, n_windows, size)]


class _GeneSlice(nn.Module):
    """A net whose per-gene head parameters are restricted to the genes ``idx`` of a block."""

    def __init__(self, net: nn.Module, idx: Tensor) -> None:
        super().__init__()
        self.net = net
        self.idx = idx

    def forward(self, *args: object) -> Tensor:
        head = getattr(self.net, "head", None)
        if getattr(head, "gene_ar", None) is None:
            return self.net(*args)
        sliced = {"head.gene_ar": head.gene_ar[self.idx],
                  "head.gene_bias": head.gene_bias[self.idx]}
        return torch.func.functional_call(self.net, sliced, args)


class MiniBatchSTEPmr(STEPmr):
    """STEPmr trained on mini-batches: chronological chunks of ``batch_windows`` windows x
    ``gene_blocks`` contiguous gene blocks (induced sub-graphs), on ``device``.

    Everything but the training loop is STEPmr's (graph tensors, residual skip choice, nets,
    forward pass). The graph stays an ``edge_index``: no N x N matrix. With
    ``batch_windows=None`` and ``gene_blocks=1`` it is exactly :class:`hicexpr.forecast.STEPmr`
    with the same ``sparse_matmul`` (same updates). Early stopping uses the validation MSE on
    the whole graph; prediction runs in chunks of ``batch_windows`` windows (to bound memory:
    each window is forecast on its own, so chunking does not change the forecasts).

    Args:
        batch_windows: windows per step (None: all); gene_blocks: gene blocks per window batch.
        device: ``cpu``, ``cuda``, ``cuda:N``, ``mps`` or ``auto``.
        n_threads: torch threads; keep 1 on a shared machine (two threads on 2 busy cores
            were 3.6x slower, docs/scale.md). Other args: see STEPmr.
    """

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
        batch_windows: int | None = None,
        gene_blocks: int = 1,
        device: str = "cpu",
        sparse_matmul: bool = True,
    ) -> None:
        super().__init__(hidden=hidden, K=K, dropout=dropout, lr=lr, weight_decay=weight_decay,
                         max_epochs=max_epochs, patience=patience, loss=loss,
                         loss_weights=loss_weights, n_ensemble=n_ensemble,
                         per_gene_ar=per_gene_ar, skip=skip, seed=seed, n_threads=n_threads,
                         sparse_matmul=sparse_matmul)
        self.batch_windows = batch_windows
        self.gene_blocks = gene_blocks
        self.device = device

    def _to_device(self) -> torch.device:
        """Move the fitted graph tensors to ``device`` (idempotent)."""
        dev = resolve_device(self.device)
        for name in ("edge_index_", "edge_weight_", "node_features_", "stats_", "base_coef_"):
            value = getattr(self, name, None)
            if isinstance(value, Tensor) and value.device != dev:
                setattr(self, name, value.to(dev))
        return dev

    def _train_net(self, net: nn.Module, train: tuple[Tensor, Tensor],
                   val: tuple[Tensor, Tensor] | None) -> TrainResult:
        """Adam over window chunks x gene blocks; keep the best validation-MSE weights (the
        untrained net, epoch 0, competes as in STEPmr)."""
        dev = self._to_device()
        net.to(dev)
        train = (train[0].to(dev), train[1].to(dev))
        val = None if val is None else (val[0].to(dev), val[1].to(dev))
        n = train[0].shape[2]
        self.blocks_ = [self._block(b, dev) for b in gene_blocks(n, self.gene_blocks)]
        rng = np.random.default_rng(self.seed + len(getattr(self, "nets_", [])))
        opt = torch.optim.Adam(net.parameters(), lr=self.lr, weight_decay=self.weight_decay)
        loss_fn = self._loss_fn()
        X, y = train
        batches = window_batches(X.shape[0], self.batch_windows)
        best, best_epoch, best_state, wait = float("inf"), 0, None, 0
        if val is not None:
            best, best_state = self._val_mse(net, val), copy.deepcopy(net.state_dict())
        history: list[tuple[float, float]] = []
        epoch = 0
        for epoch in range(1, self.max_epochs + 1):
            net.train()
            losses = []
            for b in rng.permutation(len(batches)) if len(batches) > 1 else [0]:
                rows = batches[b]
                xb, yb = (X, y) if len(rows) == X.shape[0] else (X[rows], y[rows])
                for k in rng.permutation(len(self.blocks_)) if len(self.blocks_) > 1 else [0]:
                    block = self.blocks_[k]
                    idx = block["idx"]
                    xs, ys = (xb, yb) if idx is None else (xb[..., idx], yb[..., idx])
                    opt.zero_grad()
                    loss = loss_fn(self._forward_block(net, xs, block), ys, xs[:, -1, :])
                    loss.backward()
                    opt.step()
                    losses.append(float(loss.detach()))
            val_mse = float("nan")
            if val is not None:
                val_mse = self._val_mse(net, val)
                if val_mse < best - 1e-7:
                    best, best_epoch, wait = val_mse, epoch, 0
                    best_state = copy.deepcopy(net.state_dict())
                else:
                    wait += 1
            history.append((float(np.mean(losses)), val_mse))
            if val is not None and wait >= self.patience:
                break
        if best_state is not None:
            net.load_state_dict(best_state)
        net.eval()
        return TrainResult(best_epoch, best, epoch, history)

    def _block(self, nodes: np.ndarray, dev: torch.device) -> dict[str, object]:
        """Induced sub-graph, features and connectivity stats of one gene block."""
        from torch_geometric.utils import subgraph

        if len(nodes) == self.stats_.shape[0]:  # the whole graph: the tensors themselves
            return {"idx": None, "edge_index": self.edge_index_, "edge_weight": self.edge_weight_,
                    "features": self.node_features_, "stats": self.stats_}
        idx = torch.as_tensor(nodes, dtype=torch.long, device=dev)
        ei, w = subgraph(idx, self.edge_index_, self.edge_weight_, relabel_nodes=True,
                         num_nodes=int(self.stats_.shape[0]))
        feats = None if self.node_features_ is None else self.node_features_[idx]
        return {"idx": idx, "edge_index": ei, "edge_weight": w, "features": feats,
                "stats": self.stats_[idx]}

    @contextlib.contextmanager
    def _on_block(self, block: dict[str, object]) -> Iterator[None]:
        """Temporarily make one gene block the graph STEPmr's forward pass sees."""
        names = ("edge_index_", "edge_weight_", "node_features_", "stats_")
        saved = [getattr(self, n) for n in names]
        for n, key in zip(names, ("edge_index", "edge_weight", "features", "stats"), strict=True):
            setattr(self, n, block[key])
        try:
            yield
        finally:
            for n, value in zip(names, saved, strict=True):
                setattr(self, n, value)

    def _forward_block(self, net: nn.Module, x: Tensor, block: dict[str, object]) -> Tensor:
        """STEPmr's forward pass on a gene block (per-gene parameters sliced to the block)."""
        if block["idx"] is None:
            return self._forward(net, x)
        with self._on_block(block):
            return self._forward(_GeneSlice(net, block["idx"]), x)

    def _val_mse(self, net: nn.Module, val: tuple[Tensor, Tensor]) -> float:
        """Validation MSE on the whole graph (window chunks, no gradients)."""
        net.eval()
        with torch.no_grad():
            pred = torch.cat([self._forward(net, val[0][rows])
                              for rows in window_batches(val[0].shape[0], self.batch_windows)])
            return float(mse(pred, val[1]))

    def _predict(self, X: np.ndarray) -> np.ndarray:
        dev = self._to_device()
        x = torch.as_tensor(X, dtype=torch.float32, device=dev)
        torch.set_num_threads(self.n_threads)
        preds = []
        with torch.no_grad():
            for net in self.nets_:
                net.to(dev).eval()
                parts = [self._forward(net, x[rows]).cpu().numpy()
                         for rows in window_batches(x.shape[0], self.batch_windows)]
                preds.append(np.concatenate(parts))
        return np.mean(preds, axis=0).astype(np.float64)


__all__ = ["MiniBatchSTEPmr", "gene_blocks", "resolve_device", "window_batches"]

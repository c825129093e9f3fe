"""The forecaster contract shared by every baseline and neural model (scikit-learn style).

``__init__`` only stores hyper-parameters; ``fit`` learns attributes ending in ``_`` and returns
``self``; ``predict`` refuses to run before ``fit``; ``get_params``/``set_params`` come from
:class:`sklearn.base.BaseEstimator`, so models clone for cross-validation. Inputs are windows:

- ``X``: ``[W, L, N]`` the last L (scaled) values of N genes, oldest first;
- ``y``: ``[W, H, N]`` targets at horizons 1..H (NaN = not available for training);
- ``graph``: optional gene graph (``torch_geometric.data.Data`` with ``edge_index``,
  ``edge_weight`` and optionally static node features ``x`` ``[N, F]``);
- ``validation``: optional ``(X_val, y_val)`` or :class:`~hicexpr.evaluate.windows.WindowSet`,
  used only for early stopping / hyper-parameter choice.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import numpy as np
import torch
from sklearn.base import BaseEstimator
from sklearn.exceptions import NotFittedError

from hicexpr.lib import atomic
from hicexpr.lib.errors import InputError

log = logging.getLogger(__name__)
ArrayPair = tuple[np.ndarray, np.ndarray]
F = TypeVar("F", bound="Forecaster")


def as_arrays(X: Any, y: Any = None) -> ArrayPair:
    """Unpack a WindowSet (anything with ``.X`` and ``.y``) or an ``(X, y)`` pair into arrays."""
    if hasattr(X, "X") and hasattr(X, "y"):
        X, y = X.X, X.y
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 3:
        raise InputError("X", "shape", "windows [W, L, N]", X.shape)
    if not np.isfinite(X).all():  # targets may be NaN, inputs may not
        raise InputError("X", "", "finite inputs (fill gaps first, e.g. "
                         "hicexpr.evaluate.windows.fill_missing)", "NaN or inf")
    if y is not None:
        y = np.asarray(y, dtype=np.float64)
        if y.ndim != 3 or y.shape[0] != X.shape[0] or y.shape[2] != X.shape[2]:
            raise InputError("y", "shape", f"targets [W={X.shape[0]}, H, N={X.shape[2]}]", y.shape)
    return X, y


def as_validation(validation: Any, X: np.ndarray, y: np.ndarray) -> ArrayPair | None:
    """The validation windows, checked against the training windows ``X`` and targets ``y``."""
    if validation is None:
        return None
    Xv, yv = as_arrays(validation) if hasattr(validation, "X") else as_arrays(*validation)
    if yv is None or (Xv.shape[1], Xv.shape[2], yv.shape[1]) != (X.shape[1], X.shape[2],
                                                                 y.shape[1]):
        got = None if yv is None else (Xv.shape[1], Xv.shape[2], yv.shape[1])
        raise InputError("validation", "windows", "the training windows' input length, genes "
                         f"and horizon {(X.shape[1], X.shape[2], y.shape[1])}", got)
    if not np.isfinite(yv).any():
        raise InputError("validation", "y", "at least one finite target", "all NaN")
    return Xv, yv


def check_graph(graph: Any, n_nodes: int, model: str, uses_graph: bool) -> None:
    """Refuse a graph that is not a PyG-style graph on the ``n_nodes`` genes or has non-finite
    edge weights; warn when a model that uses a graph gets none, or one without edges."""
    if graph is None:
        if uses_graph:
            log.warning("%s: no graph given: fitted without Hi-C neighbours", model)
        return
    if getattr(graph, "edge_index", None) is None:
        raise InputError("graph", "", "a PyG Data with edge_index (hicexpr.graph."
                         "build_gene_graph)", type(graph).__name__)
    edges = check_nodes(graph, n_nodes)
    weight = getattr(graph, "edge_weight", None)
    if weight is not None and not np.isfinite(_numpy(weight)).all():
        raise InputError("graph", "edge_weight", "finite edge weights", "NaN or inf")
    if uses_graph and edges.size == 0:
        log.warning("%s: the graph has no edges: fitted without Hi-C neighbours", model)


def check_nodes(graph: Any, n_nodes: int) -> np.ndarray:
    """The graph's ``edge_index`` ``[2, E]`` as numpy; :class:`InputError` unless the graph
    is on ``n_nodes`` nodes (one per gene)."""
    edges = _numpy(graph.edge_index)
    nodes = getattr(graph, "num_nodes", None)
    if (nodes is not None and nodes != n_nodes) or (edges.size and edges.max() >= n_nodes):
        raise InputError("graph", "num_nodes", f"{n_nodes} nodes (one per gene)",
                         nodes if nodes is not None else int(edges.max()) + 1)
    return edges


def _numpy(values: Any) -> np.ndarray:
    """A torch tensor (any device) or array-like as a numpy array."""
    return np.asarray(values.detach().cpu() if hasattr(values, "detach") else values)


class Forecaster(BaseEstimator):
    """Base class: subclasses implement ``_fit(X, y, graph, validation)`` and ``_predict(X)``."""

    uses_graph: ClassVar[bool] = False
    # hyper-parameters / fitted attributes added after a release, with the values that give the
    # earlier behaviour: a model saved before they existed loads (and refits) as it was fitted
    legacy_params: ClassVar[dict[str, Any]] = {}
    legacy_state: ClassVar[dict[str, Any]] = {}

    def fit(self: F, X: Any, y: Any = None, *, graph: Any = None, validation: Any = None) -> F:
        """Fit on windows ``X`` ``[W, L, N]`` and targets ``y`` ``[W, H, N]``; returns self."""
        from hicexpr.forecast.registry import check_params

        name = check_params(self)
        X, y = as_arrays(X, y)
        if y is None:
            raise InputError("y", "", "targets [W, H, N]", None)
        if not np.isfinite(y).any():
            raise InputError("y", "", "at least one finite target", "all NaN")
        check_graph(graph, X.shape[2], name, self.uses_graph)
        validation = as_validation(validation, X, y)
        self.n_genes_ = X.shape[2]
        self.input_length_ = X.shape[1]
        self.horizon_ = y.shape[1]
        self._fit(X, y, graph, validation)
        self.is_fitted_ = True
        return self

    def predict(self, X: Any) -> np.ndarray:
        """Forecast ``[W, H, N]`` for windows ``X`` ``[W, L, N]``."""
        if not getattr(self, "is_fitted_", False):
            raise NotFittedError(f"{type(self).__name__} is not fitted yet; call fit first")
        X, _ = as_arrays(X)
        if X.shape[1:] != (self.input_length_, self.n_genes_):
            raise InputError(
                "X", "shape", f"[W, {self.input_length_}, {self.n_genes_}]", tuple(X.shape)
            )
        return self._predict(X)

    def refit(self: F, X: Any, y: Any = None, *, graph: Any = None) -> F:
        """Refit on more windows (e.g. train + validation) keeping what validation chose
        (ridge alpha, number of epochs); returns self. The windows must have the fitted shape
        (L, N and H)."""
        if not getattr(self, "is_fitted_", False):
            raise NotFittedError(f"{type(self).__name__} is not fitted yet; call fit first")
        X, y = as_arrays(X, y)
        if y is None or (X.shape[1], X.shape[2], y.shape[1]) != \
                (self.input_length_, self.n_genes_, self.horizon_):
            got = None if y is None else (X.shape[1], X.shape[2], y.shape[1])
            raise InputError("refit", "windows", "the fitted input length, genes and horizon "
                             f"{(self.input_length_, self.n_genes_, self.horizon_)}", got)
        check_graph(graph, X.shape[2], type(self).__name__, False)
        self._refit(X, y, graph)
        return self

    def _refit(self, X: np.ndarray, y: np.ndarray, graph: Any) -> None:
        self._fit(X, y, graph, None)

    def _fit(self, X: np.ndarray, y: np.ndarray, graph: Any, validation: ArrayPair | None) -> None:
        raise NotImplementedError

    def _predict(self, X: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write hyper-parameters and fitted state to ``path`` (a torch pickle)."""
        state = {k: v for k, v in self.__dict__.items() if k.endswith("_")}
        payload = {"class": type(self).__name__, "params": self.get_params(), "state": state}
        with atomic.atomic_path(path) as tmp:
            torch.save(payload, tmp)
        return Path(path)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Forecaster:
        """Read a model written by :meth:`save` (only load files you trust: it is a pickle).

        Tensors are read onto the CPU, so a model fitted on a GPU loads on any machine; a
        model with a ``device`` parameter moves back to it when it next predicts or fits.
        """
        from hicexpr.forecast.registry import MODELS

        try:
            payload = torch.load(path, weights_only=False, map_location="cpu")
        except (OSError, RuntimeError, EOFError) as exc:
            raise InputError(path, "", "a model file written by save()", str(exc)) from None
        kind = MODELS.get(payload.get("class", ""), None)
        if kind is None:
            kind = next((m for m in MODELS.values() if m.__name__ == payload["class"]), None)
        if kind is None or not issubclass(kind, cls):
            raise InputError(path, "class", f"a {cls.__name__}", payload.get("class"))
        model = kind(**{**kind.legacy_params, **payload["params"]})
        model.__dict__.update({**kind.legacy_state, **payload["state"]})
        return model

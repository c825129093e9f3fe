"""Graph ensemble: the equal-weight mean of diverse graph forecasters.

Default members, all using the Hi-C gene graph, from three model families:

- ``stepmr``: ST-GCN blocks (Chebyshev graph conv) + connectivity attention (deep);
- ``graph_gru``: a GRU over each gene's own and Hi-C neighbours' history + one message-passing
  step (recurrent);
- ``graph_ar``: pooled AR on own / neighbours' recent changes with graph-smoothed per-gene
  deviations (linear, :class:`~hicexpr.forecast.graph_ar.GraphAR`).

(Chosen on the development region, see docs/forecasting.md "Ensemble members re-checked":
until session 9 the members were ``stepmr`` and ``graph_ar``.)

Each member is fitted as on its own (validation for its own early stopping / choices, refit
keeps them); the weights are fixed (1 / number of members), not fitted: estimated combination
weights on a handful of validation windows are noisier than the gain they promise (the
"forecast combination puzzle"). Every member gets the ensemble's seed.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from hicexpr.forecast.base import ArrayPair, Forecaster
from hicexpr.lib.errors import InputError

MEMBERS = ("stepmr", "graph_gru", "graph_ar")


class GraphEnsemble(Forecaster):
    """Equal-weight mean of ``members`` (model names), each fitted on the same windows.

    Args:
        members: model names from the registry (not ``graph_ensemble`` itself).
        member_params: optional ``{name: {param: value}}`` for the members.
        seed: passed to every member that has a ``seed`` parameter.
    """

    uses_graph = True

    def __init__(self, members: tuple[str, ...] = MEMBERS,
                 member_params: dict[str, dict[str, Any]] | None = None, seed: int = 0) -> None:
        self.members = members
        self.member_params = member_params
        self.seed = seed

    def _make_members(self) -> list[Forecaster]:
        from hicexpr.forecast.registry import make_model

        if not self.members or "graph_ensemble" in self.members:
            raise InputError("members", "", "model names other than graph_ensemble",
                             self.members)
        models = []
        for name in self.members:
            model = make_model(name, **(self.member_params or {}).get(name, {}))
            if "seed" in model.get_params():
                model.set_params(seed=self.seed)
            models.append(model)
        return models

    def _fit(self, X: np.ndarray, y: np.ndarray, graph: Any,
             validation: ArrayPair | None) -> None:
        self.members_ = [m.fit(X, y, graph=graph, validation=validation)
                         for m in self._make_members()]

    def _refit(self, X: np.ndarray, y: np.ndarray, graph: Any) -> None:
        for member in self.members_:
            member.refit(X, y, graph=graph)

    def _predict(self, X: np.ndarray) -> np.ndarray:
        return np.mean([m.predict(X) for m in self.members_], axis=0)

"""Do a map's contacts carry co-expression? A check of the gene graph on training times only.

A graph model can only gain from Hi-C edges if genes in contact change together (or in
opposition) more than other genes do. For every gene pair of a pair table this module computes
the pair's co-expression (|Pearson r| of the two genes' changes ``x[t+1] - x[t]`` over the fit
times; r itself with ``signed=True``) and relates it to each contact measure. With ``lag=1``
co-expression is what a one-step forecaster can use: |r| of one gene's next change with the
other's current change, averaged over both directions (coupled dynamics ``x[t+1] = A x[t]``
show here even when simultaneous changes are uncorrelated).

- ``spearman``: rank correlation of the measure with co-expression (co-expression ranked over
  all pairs, the measure over the pairs where it is defined);
- ``spearman_same_distance``: the same after removing the genomic-distance effect (ranks
  centred within distance deciles; trans pairs form one more stratum), so a contact measure
  that only restates linear proximity scores about 0;
- ``p_value``: one-sided gene-permutation p of ``spearman_same_distance`` (the expression
  series are shuffled between genes; contacts, distances and the co-expression structure stay
  as they are, only the link between them is broken);
- ``coexpr_high`` / ``coexpr_low``: mean co-expression of pairs in the measure's top decile
  (True, for yes/no measures) and of the rest.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import rankdata
from torch_geometric.data import Data

from hicexpr.graph.build import graph_pairs
from hicexpr.lib.errors import InputError
from hicexpr.lib.progress import track

#: pair-table columns tested when present (``proximity`` = -log10 distance, cis pairs only).
MEASURES = ("contact", "oe", "same_tad", "same_compartment", "insulation_mean")
COLUMNS = ("measure", "n_pairs", "spearman", "spearman_same_distance", "p_value",
           "coexpr_high", "coexpr_low")


def contact_coexpression(
    values: np.ndarray,
    genes: Sequence[str] | pd.Index,
    pairs: pd.DataFrame,
    fit_times: np.ndarray,
    graph: Data | None = None,
    n_distance_bins: int = 10,
    n_perm: int = 99,
    seed: int = 0,
    signed: bool = False,
    lag: int = 0,
) -> pd.DataFrame:
    """How much each contact measure tells about the co-expression of a gene pair.

    Args:
        values: expression [T, N] (columns in ``genes`` order); only ``fit_times`` are read.
        genes: gene ids of the columns.
        pairs: pair table (``gene1, gene2`` + measure columns, ``distance_bp`` for cis pairs;
            a :func:`hicexpr.contacts.gene_pair_contacts` table works too).
        fit_times: time indices that may be used (a split's training times); changes are taken
            between consecutive indices that are both in it.
        graph: the model's gene graph; adds the yes/no measure ``in_graph``.
        n_distance_bins: distance strata for ``spearman_same_distance``.
        n_perm: gene permutations for ``p_value`` (0: no p-value).
        seed: permutation seed.
        signed: co-expression is r (genes that rise and fall together); default |r|
            (together or in opposition: either helps a forecaster).
        lag: 0 = simultaneous changes; k > 0 = a gene's change k steps after its partner's
            (both directions averaged).

    Returns:
        One row per measure with :data:`COLUMNS` (see the module docstring).
    """
    pairs = graph_pairs(pairs)
    later, earlier = _standardised_changes(values, fit_times, len(genes), lag)
    valid = np.flatnonzero((np.isfinite(later) & np.isfinite(earlier)).all(axis=0))
    i, j = _pair_index(genes, pairs, valid)  # valid: not constant, no missing value
    table = pairs.iloc[np.flatnonzero(i >= 0)].reset_index(drop=True)
    i, j = i[i >= 0], j[i >= 0]
    coexpr = _pair_correlation(later, earlier, i, j, signed)
    strata = _distance_strata(table, n_distance_bins)
    measures = [_Measure.of(name, m, strata)
                for name, m in _measures(table, graph, i, j).items()]
    coexpr_rank = rankdata(coexpr)
    rows = [m.describe(coexpr, coexpr_rank) for m in measures]
    rng = np.random.default_rng(seed)
    null = np.full((n_perm, len(measures)), np.nan)
    for k in track(range(n_perm), "contact vs co-expression: gene permutations"):
        order = _shuffle(later.shape[1], valid, rng)
        ranks = rankdata(_pair_correlation(later[:, order], earlier[:, order], i, j, signed))
        null[k] = [m.statistic(ranks) for m in measures]
    for row, column in zip(rows, null.T, strict=True):
        row["p_value"] = _permutation_p(row["spearman_same_distance"], column)
    return pd.DataFrame(rows, columns=list(COLUMNS))


def _shuffle(n: int, valid: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Column order with the valid genes' series permuted among themselves."""
    order = np.arange(n)
    order[valid] = rng.permutation(valid)
    return order


def _standardised_changes(values: np.ndarray, fit_times: np.ndarray, n_genes: int, lag: int
                          ) -> tuple[np.ndarray, np.ndarray]:
    """Changes ``lag`` steps apart, ``[K, N]`` each, standardised per gene (NaN: constant).

    Only changes between consecutive fit times count, and both changes of a sample must be
    among them; with ``lag = 0`` the two arrays are the same.
    """
    X = np.asarray(values, dtype=float)
    if X.ndim != 2 or X.shape[1] != n_genes:
        raise InputError("values", "shape", f"[time points, {n_genes} genes]", X.shape)
    if lag < 0:
        raise InputError("contact_coexpression", "lag", "0 or a positive number of steps", lag)
    t = np.unique(np.asarray(fit_times, dtype=int))
    if t.size and (t[0] < 0 or t[-1] >= X.shape[0]):
        raise InputError("fit_times", "index", f"time indices in [0, {X.shape[0]})", t[-1])
    fit = np.zeros(X.shape[0] + lag + 1, dtype=bool)
    fit[t] = True
    start = np.flatnonzero(fit[: X.shape[0]] & fit[1 : X.shape[0] + 1]
                           & fit[lag : X.shape[0] + lag] & fit[lag + 1 : X.shape[0] + lag + 1])
    if start.size < 3:
        raise InputError("fit_times", "consecutive time points",
                         f"at least 3 changes between consecutive fit times ({lag} apart)",
                         start.size)
    earlier = _z(X[start + 1] - X[start])
    return (_z(X[start + lag + 1] - X[start + lag]) if lag else earlier), earlier


def _z(d: np.ndarray) -> np.ndarray:
    sd = d.std(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(sd > 0, (d - d.mean(axis=0)) / sd, np.nan)


def _pair_index(genes: Sequence[str] | pd.Index, pairs: pd.DataFrame, valid: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray]:
    """Column indices of each pair's genes; -1 in both unless two distinct valid genes."""
    missing = [c for c in ("gene1", "gene2") if c not in pairs.columns]
    if missing:
        raise InputError("pairs", f"column '{missing[0]}'", "a gene-pair table",
                         list(pairs.columns))
    index = pd.Index([str(g) for g in genes])
    i = index.get_indexer(pairs["gene1"].astype(str))
    j = index.get_indexer(pairs["gene2"].astype(str))
    usable = np.isin(i, valid) & np.isin(j, valid) & (i != j)
    return np.where(usable, i, -1), np.where(usable, j, -1)


#: pairs per block of :func:`_pair_correlation` (bounds the temporary [T, block] arrays)
PAIR_BLOCK = 100_000


def _pair_correlation(later: np.ndarray, earlier: np.ndarray, i: np.ndarray, j: np.ndarray,
                      signed: bool) -> np.ndarray:
    """Pearson r (``signed``) or |r| of each pair's standardised changes, in blocks of pairs;
    lagged (``later`` is not ``earlier``): the mean over both directions."""
    lagged = later is not earlier
    r = np.empty(len(i))
    for start in range(0, len(i), PAIR_BLOCK):
        b = slice(start, start + PAIR_BLOCK)
        one = np.einsum("tp,tp->p", later[:, i[b]], earlier[:, j[b]]) / later.shape[0]
        two = (np.einsum("tp,tp->p", later[:, j[b]], earlier[:, i[b]]) / later.shape[0]
               if lagged else one)
        r[b] = (one + two) / 2 if signed else (np.abs(one) + np.abs(two)) / 2
    return r


def _measures(table: pd.DataFrame, graph: Data | None, i: np.ndarray, j: np.ndarray
              ) -> dict[str, np.ndarray]:
    out = {m: table[m].to_numpy(dtype=float) for m in MEASURES if m in table.columns}
    if "distance_bp" in table.columns:
        dist = table["distance_bp"].to_numpy(dtype=float)
        with np.errstate(invalid="ignore", divide="ignore"):
            out["proximity"] = np.where(dist > 0, -np.log10(dist), np.nan)
    if graph is not None:
        ei = graph.edge_index.numpy().astype(np.int64)
        n = int(graph.num_nodes)
        out["in_graph"] = np.isin(i.astype(np.int64) * n + j, ei[0] * n + ei[1]).astype(float)
    return out


def _distance_strata(table: pd.DataFrame, n_bins: int) -> np.ndarray:
    """Distance decile of each cis pair; every pair without a distance in stratum -1."""
    if "distance_bp" not in table.columns:
        return np.full(len(table), -1)
    dist = table["distance_bp"].to_numpy(dtype=float)
    cis = np.isfinite(dist) & (dist > 0)
    strata = np.full(len(table), -1)
    if cis.sum() >= n_bins:
        strata[cis] = pd.qcut(np.log10(dist[cis]), n_bins, labels=False, duplicates="drop")
    return strata


@dataclass(frozen=True)
class _Measure:
    """One measure on the pairs where it is defined, ranked and centred within distance strata."""

    name: str
    have: np.ndarray  # pairs where the measure is defined
    values: np.ndarray
    strata: np.ndarray  # stratum codes 0..K-1 of those pairs
    centred: np.ndarray | None  # None: not tested within distance strata (proximity itself)

    @classmethod
    def of(cls, name: str, m: np.ndarray, strata: np.ndarray) -> _Measure:
        have = np.isfinite(m)
        codes = np.unique(strata[have], return_inverse=True)[1]
        usable = have.sum() >= 3 and np.ptp(m[have]) > 0 and name != "proximity"
        centred = _centre(rankdata(m[have]), codes) if usable else None
        return cls(name, have, m[have], codes, centred)

    def statistic(self, coexpr_rank: np.ndarray) -> float:
        """Rank correlation with co-expression within distance strata."""
        if self.centred is None:
            return np.nan
        return _corr(self.centred, _centre(coexpr_rank[self.have], self.strata))

    def describe(self, coexpr: np.ndarray, coexpr_rank: np.ndarray) -> dict[str, Any]:
        row: dict[str, Any] = {"measure": self.name, "n_pairs": int(self.have.sum())}
        m, r = self.values, coexpr[self.have]
        if m.size < 3 or np.ptp(m) == 0:
            return row | dict.fromkeys(COLUMNS[2:], np.nan)
        row["spearman"] = _corr(rankdata(m), coexpr_rank[self.have])
        row["spearman_same_distance"] = self.statistic(coexpr_rank)
        high = m > 0.5 if set(np.unique(m)) <= {0.0, 1.0} else m >= np.quantile(m, 0.9)
        row["coexpr_high"] = float(r[high].mean()) if high.any() else np.nan
        row["coexpr_low"] = float(r[~high].mean()) if (~high).any() else np.nan
        return row


def _permutation_p(observed: float, null: np.ndarray) -> float:
    """One-sided: the share of permutations at least as high as ``observed`` (+1 smoothing)."""
    if not null.size or not np.isfinite(observed) or not np.isfinite(null).all():
        return np.nan
    return float((1 + np.sum(null >= observed)) / (1 + null.size))


def _centre(x: np.ndarray, strata: np.ndarray) -> np.ndarray:
    """``x`` minus the mean of its stratum (``strata``: codes 0..K-1)."""
    means = np.bincount(strata, weights=x) / np.maximum(np.bincount(strata), 1)
    return x - means[strata]


def _corr(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a - a.mean(), b - b.mean()
    denom = np.sqrt((a @ a) * (b @ b))
    return float(a @ b / denom) if denom > 0 else np.nan

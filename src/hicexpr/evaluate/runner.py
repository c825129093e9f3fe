"""Multi-seed evaluation of forecasters under a protocol (the loop every run and benchmark uses).

For each seed and split: fit a per-gene scaler on the split's scaler times (``scaling``: see
:mod:`hicexpr.evaluate.scaling`), fill missing inputs from the past only, cut train /
validation / test windows (training targets restricted to training times; validation targets
before the first test target: never at or after test times, also in a rolling-origin fold whose
test block is followed by later folds'), fit each model on train (validation only for early
stopping / alpha), predict test windows, undo the scaling and score on the original scale.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from hicexpr.evaluate.metrics import SUMMARY_METRICS, forecast_metrics, per_gene_metrics
from hicexpr.evaluate.protocols import Split, make_splits
from hicexpr.evaluate.scaling import GeneScaler, check_scaling, gene_means
from hicexpr.evaluate.windows import WindowSet, fill_missing, make_windows
from hicexpr.forecast.base import Forecaster
from hicexpr.forecast.registry import make_model
from hicexpr.lib.errors import InputError
from hicexpr.lib.progress import track

log = logging.getLogger(__name__)

GraphSource = Any | Callable[[np.ndarray], Any]


@dataclass
class ForecastResult:
    """Everything one evaluation produced (tables follow docs/run_folder.md)."""

    protocol: str
    leaky: bool
    seeds: list[int]
    predictions: pd.DataFrame
    per_gene: pd.DataFrame
    per_seed: pd.DataFrame
    summary: pd.DataFrame
    timings: pd.DataFrame
    extra: dict[str, Any] = field(default_factory=dict)

    def metric(self, model: str, name: str = "skill") -> float:
        """Mean over seeds of one summary metric of one model."""
        row = self.summary[(self.summary.model == model) & (self.summary.metric == name)]
        return float(row["mean"].iloc[0]) if len(row) else float("nan")


@dataclass
class _Fold:
    split: Split
    scaler: GeneScaler
    inputs: np.ndarray
    targets: np.ndarray


def _prepare(values: np.ndarray, split: Split, scaling: str = "standard") -> _Fold:
    scaler = GeneScaler(scaling).fit(values, split.scaler_times)
    scaled = scaler.transform(values)
    return _Fold(split, scaler, fill_missing(scaled), scaled)


def _graph_for(graph: GraphSource, split: Split) -> Any:
    if graph is None or hasattr(graph, "edge_index"):
        return graph
    return graph(split.train_times)


def fit_on_split(
    name: str,
    params: dict[str, Any],
    values: np.ndarray,
    split: Split,
    input_length: int = 3,
    horizon: int = 1,
    seed: int = 0,
    graph: Any = None,
    refit: bool = True,
    scaling: str = "standard",
) -> tuple[Forecaster, WindowSet, GeneScaler]:
    """Fit one model on one split of ``values`` ``[T, N]``.

    Returns the fitted model, the (scaled) test windows and the scaler. Only training windows
    (targets at training times) and validation windows (targets before the first test target)
    reach ``fit``, so changing test (or later) values cannot change the fitted model.
    """
    fold = _prepare(values, split, check_scaling(scaling))
    model, test, _ = _fit_fold(name, params, fold, graph, input_length, horizon, seed, refit)
    return model, test, fold.scaler


def _fit_fold(name: str, params: dict[str, Any], fold: _Fold, graph: Any, L: int, H: int,
              seed: int, refit: bool = True) -> tuple[Forecaster, WindowSet, float]:
    split = fold.split
    n_times = fold.inputs.shape[0]
    val_times = _validation_times(split, n_times)
    train = make_windows(fold.inputs, fold.targets, split.train, L, H, split.train_times)
    val = make_windows(fold.inputs, fold.targets, split.val, L, H, val_times)
    test = make_windows(fold.inputs, fold.targets, split.test, L, H)
    model = make_model(name, **params)
    if "seed" in model.get_params():
        model.set_params(seed=seed)
    start = time.perf_counter()
    model.fit(train, graph=graph, validation=val)
    if refit and len(val):
        both = make_windows(fold.inputs, fold.targets, np.concatenate([split.train, split.val]),
                            L, H, val_times if not split.leaky else split.train_times)
        model.refit(both, graph=graph)
    return model, test, time.perf_counter() - start


def _validation_times(split: Split, n_times: int) -> np.ndarray:
    """Time indices whose values may be validation (and refit) targets: those before the
    split's first test target. A rolling-origin fold's test block is not the end of the
    series: the times after it are later folds' test targets, and a validation window's
    horizons past the block would reach them. Leaky step-random: every time but the test
    targets (validation never equals test)."""
    test_targets = np.unique(split.test + 1)
    if split.leaky:
        return np.setdiff1d(np.arange(n_times), test_targets)
    return np.arange(int(test_targets.min()))


def _fit_predict(name: str, params: dict[str, Any], fold: _Fold, graph: Any, L: int, H: int,
                 seed: int, refit: bool) -> tuple[np.ndarray, float]:
    model, test, seconds = _fit_fold(name, params, fold, graph, L, H, seed, refit)
    start = time.perf_counter()
    pred = model.predict(test.X)
    return pred, seconds + time.perf_counter() - start


def _cached_fit_predict(cache: Any, name: str, params: dict[str, Any], fold: _Fold, graph: Any,
                        L: int, H: int, seed: int, refit: bool) -> tuple[np.ndarray, float]:
    """:func:`_fit_predict` through ``cache`` (keyed by everything the fit sees), if given."""
    def compute() -> tuple[np.ndarray, float]:
        return _fit_predict(name, params, fold, graph, L, H, seed, refit)

    if cache is None:
        return compute()
    graph_parts = graph.to_dict() if hasattr(graph, "to_dict") else graph
    parts = {"model": name, "params": params, "inputs": fold.inputs, "targets": fold.targets,
             "split": fold.split, "graph": graph_parts, "L": L, "H": H, "seed": seed,
             "refit": refit}
    try:
        return cache.get_or_compute(f"fit/{name}/seed{seed}/fold{fold.split.fold}", parts,
                                    compute)
    except TypeError:  # something in the key cannot be fingerprinted: no caching
        log.debug("fit of %s not cached (unhashable inputs)", name)
        return compute()


def check_times(times: np.ndarray, n_times: int) -> None:
    """Raise :class:`InputError` unless ``times`` has one strictly increasing value per row."""
    if len(times) != n_times:
        raise InputError("times", "", f"{n_times} time points (one per row)", len(times))
    step = np.diff(times)
    if not np.all(np.isfinite(times)) or np.any(step <= 0):
        i = int(np.flatnonzero(~(step > 0))[0]) + 1 if np.any(step <= 0) else 0
        raise InputError("times", f"time point {i + 1}", "strictly increasing, finite times",
                         f"{times[i]:g} after {times[i - 1]:g}" if i else f"{times[0]:g}")


def check_horizon(horizon: int, splits: Sequence[Split], n_times: int) -> None:
    """Raise :class:`InputError` unless every horizon 1..``horizon`` has an observed target
    after the earliest test origin."""
    room = n_times - 1 - min(int(s.test.min()) for s in splits)
    if horizon > room:
        raise InputError("horizon", "", f"at most {room} (the time points after the first "
                         "test origin)", horizon)


def evaluate_forecasters(
    expression: np.ndarray,
    models: dict[str, dict[str, Any]] | Sequence[str],
    *,
    graph: GraphSource = None,
    protocol: str = "chronological",
    input_length: int = 3,
    horizon: int = 1,
    seeds: Sequence[int] = (0, 1, 2, 3, 4),
    test_fraction: float = 0.2,
    val_fraction: float = 0.15,
    n_folds: int = 3,
    genes: Sequence[str] | None = None,
    times: Sequence[float] | None = None,
    refit: bool = True,
    cache: Any = None,
    scaling: str = "standard",
) -> ForecastResult:
    """Fit and score every model for every seed under ``protocol``.

    Args:
        expression: ``[T, N]`` time points x genes (NaN = missing), time-sorted.
        models: names (default hyper-parameters) or ``{name: params}``.
        graph: a PyG ``Data`` gene graph, or a callable ``train_times -> Data`` for graphs /
            embeddings that must be fitted on training time points only.
        seeds: seeds (step-random splits and neural initialisations depend on them).
        refit: after validation chose alpha / epochs, refit on train + validation windows.
        cache: a :class:`hicexpr.lib.cache.Cache`: each model x seed x fold prediction is
            stored there, so an interrupted run resumes without refitting finished models.
        scaling: per-gene scaling fitted on each split's scaler times: ``standard`` (centre
            and sd), ``scale`` (root mean square only) or ``none`` (for log ratios against a
            reference, whose natural level is 0).
    """
    values = _expression_matrix(expression)
    specs = {m: {} for m in models} if not isinstance(models, dict) else dict(models)
    genes, times = _gene_and_time_labels(genes, times, values.shape)
    check_scaling(scaling)
    tables, leaky = _Tables(), False
    folds_by_seed: dict[int, list[tuple[_Fold, Any]]] = {}
    for seed, name in track([(s, m) for s in seeds for m in specs], f"forecast ({protocol})"):
        if seed not in folds_by_seed:
            folds_by_seed[seed] = _seed_folds(values, graph, seed, protocol, input_length,
                                              horizon, test_fraction, val_fraction, n_folds,
                                              scaling)
        folds = folds_by_seed[seed]
        leaky = leaky or any(fold.split.leaky for fold, _ in folds)
        fit = partial(_cached_fit_predict, cache, name, specs[name], L=input_length, H=horizon,
                      seed=seed, refit=refit)
        tables.add(name, seed, _pooled_test_windows(values, folds, horizon, fit), genes, times)
    return tables.result(protocol, leaky, list(seeds))


def _expression_matrix(expression: np.ndarray) -> np.ndarray:
    """``expression`` as a float ``[T, N]`` array (:class:`InputError` if not 2-D)."""
    values = np.asarray(expression, dtype=np.float64)
    if values.ndim != 2:
        raise InputError("expression", "shape", "a [time points, genes] matrix", values.shape)
    return values


def _gene_and_time_labels(genes: Sequence[str] | None, times: Sequence[float] | None,
                          shape: tuple[int, ...]) -> tuple[list[str], np.ndarray]:
    """Gene names (``g0``, ``g1``, ... by default) and checked times (row indices by default)."""
    n_times, n_genes = shape
    genes = list(genes) if genes is not None else [f"g{i}" for i in range(n_genes)]
    times = np.asarray(times if times is not None else np.arange(n_times), dtype=float)
    check_times(times, n_times)
    return genes, times


def _seed_folds(values: np.ndarray, graph: GraphSource, seed: int, protocol: str,
                input_length: int, horizon: int, test_fraction: float, val_fraction: float,
                n_folds: int, scaling: str) -> list[tuple[_Fold, Any]]:
    """Every split of ``seed``, prepared (scaled, gaps filled), with its graph."""
    n_times = values.shape[0]
    splits = make_splits(n_times, protocol, input_length, test_fraction, val_fraction, n_folds,
                         seed)
    check_horizon(horizon, splits, n_times)
    return [(_prepare(values, s, scaling), _graph_for(graph, s)) for s in splits]


@dataclass
class _TestWindows:
    """One model x seed's test windows, pooled over folds, on the original scale."""

    origins: np.ndarray  # [W] time index of each window's last input
    observed: np.ndarray  # [W, H, N] (NaN for targets past the series end)
    predicted: np.ndarray  # [W, H, N]
    last: np.ndarray  # [W, N] last input
    train_mean: np.ndarray  # [W, N] the fold scaler's mean
    wall_s: float


def _observed_targets(values: np.ndarray, origins: np.ndarray, horizon: int) -> np.ndarray:
    """``[W, H, N]``: ``values[origin + h]`` for h = 1..``horizon`` (NaN past the series end)."""
    n_times, n_genes = values.shape
    obs = np.full((len(origins), horizon, n_genes), np.nan)
    for h in range(1, horizon + 1):
        ok = origins + h < n_times
        obs[ok, h - 1] = values[origins[ok] + h]
    return obs


def _pooled_test_windows(values: np.ndarray, folds: list[tuple[_Fold, Any]], horizon: int,
                         fit: Callable[[_Fold, Any], tuple[np.ndarray, float]]) -> _TestWindows:
    """Fit and predict every fold with ``fit(fold, graph) -> (pred, seconds)``; pool the tests."""
    obs_parts, pred_parts, last_parts, mean_parts, origin_parts = [], [], [], [], []
    wall = 0.0
    for fold, fold_graph in folds:
        pred, seconds = fit(fold, fold_graph)
        wall += seconds
        pred_parts.append(fold.scaler.inverse_transform(pred))
        origins = fold.split.test
        obs_parts.append(_observed_targets(values, origins, horizon))
        last_parts.append(fold.scaler.inverse_transform(fold.inputs[origins]))
        # deviations are from the training mean, not the scaler's (0 unless ``standard``)
        train_mean = gene_means(values, fold.split.scaler_times)
        mean_parts.append(np.broadcast_to(train_mean, (len(origins), values.shape[1])))
        origin_parts.append(origins)
    return _TestWindows(np.concatenate(origin_parts), np.concatenate(obs_parts),
                        np.concatenate(pred_parts), np.concatenate(last_parts),
                        np.concatenate(mean_parts), wall)


@dataclass
class _Tables:
    """Rows of the result tables, collected one model x seed at a time."""

    predictions: list[pd.DataFrame] = field(default_factory=list)
    per_gene: list[pd.DataFrame] = field(default_factory=list)
    per_seed: list[dict[str, Any]] = field(default_factory=list)
    timings: list[dict[str, Any]] = field(default_factory=list)

    def add(self, name: str, seed: int, windows: _TestWindows, genes: list[str],
            times: np.ndarray) -> None:
        """Score one model x seed: metrics per horizon, per-gene metrics at horizon 1."""
        self.timings.append({"model": name, "seed": seed, "wall_s": windows.wall_s})
        last, tmean = windows.last, windows.train_mean
        for h in range(1, windows.observed.shape[1] + 1):
            suffix = "" if h == 1 else f"_h{h}"
            o, p = windows.observed[:, h - 1], windows.predicted[:, h - 1]
            for metric, value in forecast_metrics(o, p, last, tmean).items():
                self.per_seed.append({"model": name, "seed": seed, "metric": metric + suffix,
                                      "value": value})
            if h == 1:
                table = per_gene_metrics(o, p, last, tmean)
                table.insert(0, "gene", genes)
                table.insert(1, "model", name)
                table.insert(2, "seed", seed)
                self.per_gene.append(table)
            self.predictions.append(
                _prediction_rows(genes, times, windows.origins, h, name, seed, o, p))

    def result(self, protocol: str, leaky: bool, seeds: list[int]) -> ForecastResult:
        per_seed = pd.DataFrame(self.per_seed)
        return ForecastResult(
            protocol=protocol,
            leaky=leaky,
            seeds=seeds,
            predictions=pd.concat(self.predictions, ignore_index=True),
            per_gene=pd.concat(self.per_gene, ignore_index=True),
            per_seed=per_seed,
            summary=summarise(per_seed),
            timings=pd.DataFrame(self.timings),
        )


def _prediction_rows(genes: list[str], times: np.ndarray, origins: np.ndarray, h: int, name: str,
                     seed: int, obs: np.ndarray, pred: np.ndarray) -> pd.DataFrame:
    """One row per gene x test origin whose target ``origin + h`` lies inside the series
    (later targets have no time and no observation: they are left out, unscored anyway)."""
    n_genes = len(genes)
    ok = origins + h < len(times)
    return pd.DataFrame({
        "gene": np.tile(genes, int(ok.sum())),
        "time": np.repeat(times[origins[ok] + h], n_genes),
        "split": "test",
        "horizon": h,
        "model": name,
        "seed": seed,
        "observed": obs[ok].ravel(),
        "predicted": pred[ok].ravel(),
    })


def summarise(per_seed: pd.DataFrame) -> pd.DataFrame:
    """Mean, sd (ddof 1; 0 for one seed) and n over seeds per model x metric, in metric order."""
    grouped = per_seed.groupby(["model", "metric"], sort=False)["value"]
    out = grouped.agg(["mean", "std", "count"]).reset_index()
    out = out.rename(columns={"std": "sd", "count": "n"})
    out["sd"] = out["sd"].fillna(0.0)
    order = {m: i for i, m in enumerate(SUMMARY_METRICS)}
    out["_o"] = out["metric"].map(lambda m: order.get(m.split("_h")[0], 99))
    models = {m: i for i, m in enumerate(per_seed["model"].unique())}
    out["_m"] = out["model"].map(models)
    return out.sort_values(["_m", "_o"]).drop(columns=["_o", "_m"]).reset_index(drop=True)

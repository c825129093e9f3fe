"""Paired comparisons of forecasters on the same test windows, with bootstrap CIs over genes.

Skill is ``1 - SSE_model / SSE_reference`` summed over one seed's test windows and genes
(:func:`hicexpr.evaluate.metrics.forecast_metrics`), averaged over seeds. The difference of two
models' skills is resampled by gene (a gene keeps all its test windows and seeds), so the CI
says how much the comparison depends on which genes were measured; the test time points are
fixed, as they are in the protocol.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from hicexpr.lib.errors import InputError

PREDICTION_COLUMNS = ("gene", "time", "horizon", "model", "seed", "observed", "predicted")


def gene_squared_errors(predictions: pd.DataFrame, model: str, horizon: int = 1
                        ) -> pd.DataFrame:
    """``[seed x gene]`` sums of squared errors of ``model`` at ``horizon`` over its test
    windows with an observed value (a predictions table: :data:`PREDICTION_COLUMNS`)."""
    missing = [c for c in PREDICTION_COLUMNS if c not in predictions.columns]
    if missing:
        raise InputError("predictions", "columns", ", ".join(PREDICTION_COLUMNS), missing)
    rows = predictions[(predictions.model == model) & (predictions.horizon == horizon)]
    rows = rows[np.isfinite(rows.observed.to_numpy(dtype=float))]
    if rows.empty:
        models = sorted(predictions.model.unique())
        raise InputError("predictions", "model", f"test rows of one of {models} at horizon "
                         f"{horizon}", model)
    errors = (rows.predicted.to_numpy(dtype=float) - rows.observed.to_numpy(dtype=float)) ** 2
    keyed = rows[["seed", "gene", "time"]].assign(sq=errors)
    if keyed.duplicated(["seed", "gene", "time"]).any():
        raise InputError("predictions", model, "one row per seed x gene x time", "duplicates")
    table = keyed.pivot_table(index="seed", columns="gene", values="sq", aggfunc="sum",
                              fill_value=0.0, sort=True)
    # order-free fingerprint of the scored (seed, gene, time) rows, to check pairing
    hashes = pd.util.hash_pandas_object(keyed[["seed", "gene", "time"]], index=False)
    table.attrs["windows"] = (len(keyed), int(hashes.to_numpy().sum(dtype=np.uint64)))
    return table


def _aligned(tables: Sequence[pd.DataFrame], names: Sequence[str]) -> list[np.ndarray]:
    first = tables[0]
    for table, name in zip(tables[1:], names[1:], strict=True):
        same = (table.index.equals(first.index) and table.columns.equals(first.columns)
                and table.attrs.get("windows") == first.attrs.get("windows"))
        if not same:
            raise InputError("predictions", name, f"the same seeds, genes and test windows as "
                             f"'{names[0]}'", "a different set")
    return [t.to_numpy(dtype=float) for t in tables]


def _skills(counts: np.ndarray, sse: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """``[B]`` seed-mean skills, one per row of gene weights ``counts`` ``[B, G]`` (``sse`` and
    ``reference``: ``[S, G]``)."""
    num, den = counts @ sse.T, counts @ reference.T
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.nanmean(np.where(den > 1e-12, 1.0 - num / den, np.nan), axis=1)


def paired_skill_delta(predictions: pd.DataFrame, model: str, baseline: str,
                       reference: str = "persistence", horizon: int = 1, n_boot: int = 1000,
                       seed: int = 0, level: float = 0.95) -> dict[str, float | int | str]:
    """Skill(``model``) - skill(``baseline``) (both vs ``reference``) on the same test windows,
    with a percentile bootstrap CI over genes, the share of resamples where ``model`` is not
    better (``p_not_better``) and a :func:`verdict`."""
    _check_bootstrap(n_boot, level)
    errors = _errors(predictions, (model, baseline, reference), horizon)
    counts = _resamples(errors[model].shape[1], n_boot, seed)
    return _compare(errors, model, baseline, reference, horizon, counts, level)


def _check_bootstrap(n_boot: int, level: float) -> None:
    if isinstance(n_boot, bool) or not isinstance(n_boot, (int, np.integer)) or n_boot < 1:
        raise InputError("bootstrap", "n_boot", "a whole number of resamples >= 1", n_boot)
    if isinstance(level, bool) or not isinstance(level, (float, int, np.number)) \
            or not 0.0 < level < 1.0:
        raise InputError("bootstrap", "level", "a confidence level between 0 and 1 (0.95 for "
                         "95%)", level)


def _errors(predictions: pd.DataFrame, names: Sequence[str], horizon: int
            ) -> dict[str, np.ndarray]:
    """Each named model's ``[seed x gene]`` squared errors, checked to pair with the first."""
    unique = list(dict.fromkeys(names))
    tables = [gene_squared_errors(predictions, n, horizon) for n in unique]
    return dict(zip(unique, _aligned(tables, unique), strict=True))


def _resamples(n_genes: int, n_boot: int, seed: int) -> np.ndarray:
    """``[n_boot, n_genes]`` bootstrap counts of each gene."""
    rng = np.random.default_rng(seed)
    return rng.multinomial(n_genes, np.full(n_genes, 1.0 / n_genes), size=n_boot)


def _compare(errors: dict[str, np.ndarray], model: str, baseline: str, reference: str,
             horizon: int, counts: np.ndarray, level: float) -> dict[str, float | int | str]:
    sse_m, sse_b, sse_r = errors[model], errors[baseline], errors[reference]
    ones = np.ones((1, sse_m.shape[1]))
    delta = float((_skills(ones, sse_m, sse_r) - _skills(ones, sse_b, sse_r))[0])
    boot = _skills(counts, sse_m, sse_r) - _skills(counts, sse_b, sse_r)
    tail = (1.0 - level) / 2.0 * 100.0
    low, high = np.nanpercentile(boot, [tail, 100.0 - tail])
    return {"model": model, "baseline": baseline, "reference": reference, "horizon": horizon,
            "delta_skill": delta, "ci_low": float(low), "ci_high": float(high),
            "p_not_better": float(np.mean(boot <= 0.0)), "verdict": verdict(low, high),
            "n_genes": int(sse_m.shape[1]), "n_seeds": int(sse_m.shape[0])}


def verdict(ci_low: float, ci_high: float) -> str:
    """``ahead`` (CI above 0), ``behind`` (below 0) or ``no clear difference``."""
    return "ahead" if ci_low > 0 else "behind" if ci_high < 0 else "no clear difference"


def compare_to_baselines(predictions: pd.DataFrame, models: Sequence[str],
                         baselines: Sequence[str], reference: str = "persistence",
                         horizon: int = 1, n_boot: int = 1000, seed: int = 0,
                         level: float = 0.95) -> pd.DataFrame:
    """One :func:`paired_skill_delta` row per model x baseline (a model is not compared with
    itself; ``reference`` as the baseline gives the model's own skill with its CI at
    ``level``)."""
    columns = ["model", "baseline", "reference", "horizon", "delta_skill", "ci_low", "ci_high",
               "p_not_better", "verdict", "n_genes", "n_seeds"]
    _check_bootstrap(n_boot, level)
    pairs = [(m, b) for m in models for b in baselines if b != m]
    if not pairs:
        return pd.DataFrame([], columns=columns)
    # each model's errors and the resampled genes once, shared by every pair
    errors = _errors(predictions, [n for pair in pairs for n in pair] + [reference], horizon)
    counts = _resamples(errors[pairs[0][0]].shape[1], n_boot, seed)
    rows = [_compare(errors, m, b, reference, horizon, counts, level) for m, b in pairs]
    return pd.DataFrame(rows, columns=columns)

"""Chromosome hold-out splits, metrics and paired bootstrap CIs for SpEx models."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from scipy import stats
from sklearn.base import BaseEstimator, clone

from hicexpr.io.chroms import chrom_key
from hicexpr.lib.errors import InputError

PSEUDOCOUNT = 1e-4


def log_expression(values: np.ndarray, pseudocount: float = PSEUDOCOUNT) -> np.ndarray:
    """SpEx/ExPecto target: ``log(expr + pseudocount)``."""
    return np.log(np.asarray(values, dtype=np.float64) + pseudocount)


def chromosome_split(chroms: pd.Series | np.ndarray, test: Sequence[str] | str = ("chr8",),
                     val: Sequence[str] | str = ("chr9",)) -> np.ndarray:
    """``train`` / ``val`` / ``test`` label per gene from its chromosome (``8`` and ``chr8``
    name the same chromosome; ``test="chr8"`` is the list ``["chr8"]``)."""
    chroms = np.asarray(chroms).astype(str)
    test, val = _named_as(test, chroms), _named_as(val, chroms)
    overlap = set(test) & set(val)
    if overlap:
        raise InputError("split", "test/val chromosomes", "disjoint sets", sorted(overlap))
    split = np.full(chroms.shape, "train", dtype=object)
    split[np.isin(chroms, list(val))] = "val"
    split[np.isin(chroms, list(test))] = "test"
    for name, wanted in (("test", test), ("val", val)):
        if wanted and not (split == name).any():
            present = ", ".join(list(dict.fromkeys(chroms))[:6])
            raise InputError("split", f"{name} chromosomes",
                             f"chromosomes present in the genes ({present}, ...)", list(wanted))
    return split


def chromosome_folds(chroms: pd.Series | np.ndarray, k: int = 5,
                     val: Sequence[str] | str = ("chr9",)) -> list[np.ndarray]:
    """k chromosome-grouped folds with balanced gene counts.

    Each fold validates on ``val``; a fold that tests ``val`` validates instead on the largest
    chromosome of another fold.
    """
    chroms = np.asarray(chroms).astype(str)
    val = _named_as(val, chroms)
    names, counts = np.unique(chroms, return_counts=True)
    if k < 2 or k > names.size:
        raise InputError("folds", "", f"2 to {names.size} folds (one per chromosome at most)", k)
    load = np.zeros(k)
    fold_of: dict[str, int] = {}
    for i in np.argsort(-counts, kind="stable"):
        f = int(np.argmin(load))
        fold_of[names[i]] = f
        load[f] += counts[i]
    by_size = [names[i] for i in np.argsort(-counts, kind="stable")]
    out = []
    for f in range(k):
        test = [c for c, j in fold_of.items() if j == f]
        v = [c for c in val if c not in test and c in fold_of]
        v = v or [next(c for c in by_size if fold_of[c] != f)]
        out.append(chromosome_split(chroms, test, v))
    return out


def _named_as(wanted: Sequence[str] | str, chroms: np.ndarray) -> list[str]:
    """``wanted`` chromosome names spelt as in ``chroms`` (``8`` -> ``chr8``), where they match
    (one name may be given as a plain string)."""
    wanted = [wanted] if isinstance(wanted, str) else list(wanted)
    by_key = {chrom_key(c): c for c in np.unique(chroms)}
    return [by_key.get(chrom_key(w), w) for w in wanted]


def scores(y: np.ndarray, pred: np.ndarray) -> dict[str, float]:
    """Spearman, Pearson and RMSE."""
    y, pred = np.asarray(y, float), np.asarray(pred, float)
    return {
        "spearman": float(stats.spearmanr(y, pred).statistic),
        "pearson": float(stats.pearsonr(y, pred).statistic),
        "rmse": float(np.sqrt(np.mean((y - pred) ** 2))),
    }


def bootstrap_delta(y: np.ndarray, pred_a: np.ndarray, pred_b: np.ndarray, n_boot: int = 1000,
                    seed: int = 0, level: float = 0.95) -> dict[str, float]:
    """Spearman(b) - Spearman(a) on the same genes, with a paired bootstrap CI over genes
    (NaN bounds when ``n_boot`` is 0)."""
    y, a, b = (np.asarray(v, float) for v in (y, pred_a, pred_b))
    point = scores(y, b)["spearman"] - scores(y, a)["spearman"]
    if n_boot < 1:
        return {"delta": float(point), "ci_low": float("nan"), "ci_high": float("nan")}
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, y.size, size=(n_boot, y.size))
    ry = stats.rankdata(y[idx], axis=1)
    ra = stats.rankdata(a[idx], axis=1)
    rb = stats.rankdata(b[idx], axis=1)
    delta = _rowcorr(ry, rb) - _rowcorr(ry, ra)
    lo, hi = np.nanquantile(delta, [(1 - level) / 2, 1 - (1 - level) / 2])
    return {"delta": float(point), "ci_low": float(lo), "ci_high": float(hi)}


def _rowcorr(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a = a - a.mean(axis=1, keepdims=True)
    b = b - b.mean(axis=1, keepdims=True)
    return (a * b).sum(1) / np.sqrt((a * a).sum(1) * (b * b).sum(1))


def fit_predict(head: BaseEstimator, X: np.ndarray, y: np.ndarray, split: np.ndarray
                ) -> tuple[np.ndarray, BaseEstimator]:
    """Fit a clone of ``head`` on train (val for tuning / early stopping); predict all genes."""
    model = clone(head)
    tr, va = split == "train", split == "val"
    model.fit(X[tr], y[tr], X_val=X[va] if va.any() else None, y_val=y[va] if va.any() else None)
    return model.predict(X), model


def fit_predict_many(head: BaseEstimator, X: np.ndarray, Y: np.ndarray, split: np.ndarray,
                     n_jobs: int = 2) -> np.ndarray:
    """One model per column of ``Y`` (e.g. per cell type), in parallel: predictions (genes, k)."""
    preds = Parallel(n_jobs=n_jobs)(
        delayed(_fit_column)(head, X, Y[:, j], split) for j in range(Y.shape[1]))
    return np.column_stack(preds)


def _fit_column(head: BaseEstimator, X: np.ndarray, y: np.ndarray, split: np.ndarray
                ) -> np.ndarray:
    return fit_predict(head, X, y, split)[0]


def summary(y: np.ndarray, preds: dict[str, np.ndarray], split: np.ndarray,
            reference: str, n_boot: int = 1000, seed: int = 0) -> list[dict[str, Any]]:
    """Test-set scores for each setting, and its bootstrap Spearman gain over ``reference``."""
    test = split == "test"
    rows = []
    for name, pred in preds.items():
        row: dict[str, Any] = {"setting": name, "n_test": int(test.sum()),
                               **scores(y[test], pred[test])}
        if name != reference:
            row.update(bootstrap_delta(y[test], preds[reference][test], pred[test], n_boot, seed))
        rows.append(row)
    return rows

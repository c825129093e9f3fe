"""Per-gene standardisation fitted on training time points only."""

from __future__ import annotations

import numpy as np


class GeneScaler:
    """Standardise each gene with the mean and sd of its *training* time points.

    Attributes (after :meth:`fit`):
        mean_, scale_: ``[N]`` per-gene statistics (sd 0 replaced by 1).
        fit_times_: the time indices the statistics were computed on.
    """

    def fit(self, values: np.ndarray, times: np.ndarray) -> GeneScaler:
        """Learn statistics from ``values[times]`` (``values``: ``[T, N]``, NaN ignored)."""
        sub = np.asarray(values, dtype=np.float64)[np.asarray(times, dtype=int)]
        mean = np.nanmean(sub, axis=0) if np.isfinite(sub).any() else np.zeros(sub.shape[1])
        sd = np.nanstd(sub, axis=0)
        self.mean_ = np.nan_to_num(mean, nan=0.0)
        self.scale_ = np.where(np.isfinite(sd) & (sd > 1e-12), sd, 1.0)
        self.fit_times_ = np.asarray(times, dtype=int)
        return self

    def transform(self, values: np.ndarray) -> np.ndarray:
        return (values - self.mean_) / self.scale_

    def inverse_transform(self, values: np.ndarray) -> np.ndarray:
        return values * self.scale_ + self.mean_

"""Per-gene scaling fitted on training time points only.

Three modes (``SCALINGS``), chosen per dataset:

- ``standard``: subtract each gene's training mean, divide by its training sd. For absolute
  levels (log expression, counts), where genes differ mostly by their level.
- ``scale``: divide by the training root mean square, no centring.
- ``none``: values used as they are.

``scale`` and ``none`` suit values that are already relative to a reference (log ratios
such as the yeast cell-cycle arrays): 0 is then each gene's natural level, and centring on the
mean of a few training points (part of a cycle) only adds a biased level that mean-reverting
models pull towards.
"""

from __future__ import annotations

import numpy as np

from hicexpr.lib.errors import InputError

SCALINGS = ("standard", "scale", "none")


def check_scaling(name: str) -> str:
    """Return ``name`` if it is one of :data:`SCALINGS`, else raise :class:`InputError`."""
    if name not in SCALINGS:
        raise InputError("scaling", "", f"one of {', '.join(SCALINGS)}", name)
    return name


def gene_means(values: np.ndarray, times: np.ndarray) -> np.ndarray:
    """Each gene's mean over ``values[times]`` (``[T, N]``, NaN ignored; 0 for a gene without
    a value there): the training mean that ``standard`` scaling removes and that deviation
    correlations are taken from, whatever the scaling."""
    sub = np.asarray(values, dtype=np.float64)[np.asarray(times, dtype=int)]
    seen = np.isfinite(sub).any(axis=0)
    mean = np.zeros(sub.shape[1])
    mean[seen] = np.nanmean(sub[:, seen], axis=0)
    return mean


class GeneScaler:
    """Scale each gene with statistics of its *training* time points.

    Args:
        mode: one of :data:`SCALINGS` (``standard`` by default).

    Attributes (after :meth:`fit`):
        mean_, scale_: ``[N]`` per-gene statistics (``mean_`` is 0 unless ``standard``; a
            scale of 0 is replaced by 1).
        fit_times_: the time indices the statistics were computed on.
    """

    def __init__(self, mode: str = "standard") -> None:
        self.mode = check_scaling(mode)

    def fit(self, values: np.ndarray, times: np.ndarray) -> GeneScaler:
        """Learn statistics from ``values[times]`` (``values``: ``[T, N]``, NaN ignored)."""
        values = np.asarray(values, dtype=np.float64)
        times = np.asarray(times, dtype=int)
        if values.ndim != 2:
            raise InputError("values", "shape", "[T time points, N genes]", values.shape)
        if times.size == 0 or times.min() < -values.shape[0] or times.max() >= values.shape[0]:
            raise InputError("times", "", f"indices of the {values.shape[0]} time points",
                             times.tolist()[:10])
        sub = values[times]
        n_genes = sub.shape[1]
        seen = np.isfinite(sub).any(axis=0)
        mean = np.zeros(n_genes)
        scale = np.ones(n_genes)
        if self.mode == "standard":
            mean = gene_means(values, times)
            scale[seen] = np.nanstd(sub[:, seen], axis=0)
        elif self.mode == "scale":
            scale[seen] = np.sqrt(np.nanmean(sub[:, seen] ** 2, axis=0))
        self.mean_ = mean
        self.scale_ = np.where(np.isfinite(scale) & (scale > 1e-12), scale, 1.0)
        self.fit_times_ = np.asarray(times, dtype=int)
        return self

    def transform(self, values: np.ndarray) -> np.ndarray:
        """``values`` ``[..., N]`` scaled with the fitted statistics."""
        return (self._checked(values) - self.mean_) / self.scale_

    def inverse_transform(self, values: np.ndarray) -> np.ndarray:
        """Scaled ``values`` ``[..., N]`` back on the original scale."""
        return self._checked(values) * self.scale_ + self.mean_

    def _checked(self, values: np.ndarray) -> np.ndarray:
        values = np.asarray(values, dtype=np.float64)
        if values.ndim == 0 or values.shape[-1] != self.mean_.shape[0]:
            raise InputError("values", "shape", f"[..., N={self.mean_.shape[0]}] (the genes the "
                             "scaler was fitted on)", values.shape)
        return values

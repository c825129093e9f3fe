"""ExPecto's spatial transform: profiles at 200 positions around each TSS -> decay-weighted sums.

Positions ``s_j`` (bp, in transcription orientation; negative = upstream) carry windows of
``width`` bp centred at ``TSS + strand * s_j``. With rates ``a_k`` (per ``step`` bp) the bases are

    W[k, j] = exp(-a_k |s_j| / step) * [s_j <= 0]      (upstream, k < K)
    W[K + k, j] = exp(-a_k |s_j| / step) * [s_j >= 0]  (downstream)

so the TSS position counts on both sides, and features = W @ P for each gene's profile matrix
P (positions x profiles): one einsum over all genes of a chromosome.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
import pandas as pd

from hicexpr.lib.errors import InputError
from hicexpr.lib.progress import track
from hicexpr.spex.profiles import ProfileSource

log = logging.getLogger(__name__)

DEFAULT_RATES = (0.01, 0.02, 0.05, 0.1, 0.2)


def tss_offsets(half_width: int = 20_000, step: int = 200) -> np.ndarray:
    """Window-centre offsets from the TSS: ``-half_width, ..., half_width - step``."""
    if half_width <= 0 or step <= 0 or half_width % step:
        raise InputError("spatial", "half_width/step", "positive, half_width a multiple of step",
                         f"{half_width}/{step}")
    return np.arange(-half_width, half_width, step, dtype=np.int64)


def exponential_bases(offsets: np.ndarray, rates: Sequence[float] = DEFAULT_RATES,
                      step: int = 200) -> np.ndarray:
    """Decay bases W of shape (2 * len(rates), len(offsets)): upstream rows, then downstream."""
    a = np.asarray(rates, dtype=np.float64)[:, None]
    s = np.asarray(offsets, dtype=np.float64)[None, :]
    decay = np.exp(-a * np.abs(s) / step)
    return np.concatenate([decay * (s <= 0), decay * (s >= 0)]).astype(np.float32)


def basis_names(rates: Sequence[float] = DEFAULT_RATES) -> list[str]:
    return [f"up{r:g}" for r in rates] + [f"down{r:g}" for r in rates]


def spatial_transform(profiles: np.ndarray, bases: np.ndarray) -> np.ndarray:
    """(genes, positions, profiles) x (bases, positions) -> (genes, bases, profiles)."""
    return np.einsum("kj,gjp->gkp", bases, profiles, optimize=True)


def local_features(
    genes: pd.DataFrame,
    source: ProfileSource,
    half_width: int = 20_000,
    step: int = 200,
    width: int = 2_000,
    rates: Sequence[float] = DEFAULT_RATES,
    chunk: int = 1_000,
) -> pd.DataFrame:
    """ExPecto features for every gene: one column per (profile, basis), index = ``gene_id``.

    Args:
        genes: ``chrom, gene_id, strand, tss`` (see :func:`hicexpr.spex.data.read_gene_table`).
        source: profile source (measured tracks or a sequence model).
        half_width, step: window centres at ``tss_offsets(half_width, step)``.
        width: window width in bp.
        rates: decay rates per ``step`` bp.
        chunk: genes per einsum (bounds memory: chunk x positions x profiles floats).
    """
    offsets = tss_offsets(half_width, step)
    bases = exponential_bases(offsets, rates, step)
    n_prof = len(source.names)
    out = np.zeros((len(genes), bases.shape[0], n_prof), dtype=np.float32)
    sign = np.where(genes["strand"].to_numpy() == "-", -1, 1)
    tss = genes["tss"].to_numpy(dtype=np.int64)
    rows_by_chrom = list(genes.groupby("chrom", sort=False).indices.items())
    for chrom, rows in track(rows_by_chrom, "local profile features"):
        for lo in range(0, len(rows), chunk):
            idx = rows[lo: lo + chunk]
            centers = tss[idx, None] + sign[idx, None] * offsets[None, :]
            prof = source.windows(str(chrom), centers.ravel(), width)
            out[idx] = spatial_transform(prof.reshape(len(idx), offsets.size, n_prof), bases)
    names = [f"{p}|{b}" for b in basis_names(rates) for p in source.names]
    index = pd.Index(genes["gene_id"], name="gene_id")
    return pd.DataFrame(out.reshape(len(genes), -1), index=index, columns=names)

"""Chromatin profiles behind one interface: the mean of each profile over genomic windows.

A profile source answers ``windows(chrom, centers, width) -> (n, n_profiles)``: the mean of
every profile over ``[center - width // 2, center - width // 2 + width)``. Measured tracks
(peaks, bigWig, segmentation states) use exact, vectorised interval overlap; a sequence model
(:class:`hicexpr.spex.beluga.BelugaProfiles`) predicts the same matrix from DNA.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np
import pandas as pd

from hicexpr.io import tracks
from hicexpr.io.chroms import named_as
from hicexpr.lib.errors import InputError
from hicexpr.lib.progress import track

log = logging.getLogger(__name__)
PathLike = str | os.PathLike[str]


class ProfileSource(Protocol):
    """Anything giving the mean of ``n_profiles`` chromatin profiles over windows."""

    names: list[str]

    def windows(self, chrom: str, centers: np.ndarray, width: int) -> np.ndarray:
        """Mean profile values over windows centred on ``centers``: shape (n, n_profiles)."""
        ...


@dataclass
class _Cumulative:
    """Value-weighted interval ends on one chromosome, for the integral C(x) of coverage."""

    starts: np.ndarray
    cum_v_start: np.ndarray
    cum_vs_start: np.ndarray
    ends: np.ndarray
    cum_v_end: np.ndarray
    cum_ve_end: np.ndarray

    @classmethod
    def build(cls, start: np.ndarray, end: np.ndarray, value: np.ndarray) -> _Cumulative:
        s_order, e_order = np.argsort(start, kind="stable"), np.argsort(end, kind="stable")
        s, vs = start[s_order].astype(np.float64), value[s_order].astype(np.float64)
        e, ve = end[e_order].astype(np.float64), value[e_order].astype(np.float64)
        return cls(s, _cumsum0(vs), _cumsum0(vs * s), e, _cumsum0(ve), _cumsum0(ve * e))

    def integral(self, x: np.ndarray) -> np.ndarray:
        """C(x) = sum_k v_k * |[s_k, e_k) & [0, x)| for every position in ``x`` (float64)."""
        i = np.searchsorted(self.starts, x, side="left")
        j = np.searchsorted(self.ends, x, side="left")
        return (x * self.cum_v_start[i] - self.cum_vs_start[i]) - (
            x * self.cum_v_end[j] - self.cum_ve_end[j])


def _cumsum0(x: np.ndarray) -> np.ndarray:
    return np.concatenate([np.zeros(1), np.cumsum(x)])


@dataclass
class IntervalProfiles:
    """Profiles from interval tracks (peaks, bigWig intervals, segmentation states).

    ``windows`` returns the value-weighted fraction of each window covered by each profile
    (for binary peaks: the fraction of the window inside peaks).
    """

    names: list[str] = field(default_factory=list)
    _data: list[dict[str, _Cumulative]] = field(default_factory=list, repr=False)

    def add(self, name: str, intervals: pd.DataFrame) -> None:
        """Add one profile from ``chrom, start, end, value`` intervals."""
        per_chrom: dict[str, _Cumulative] = {}
        for chrom, df in intervals.groupby("chrom", sort=False):
            per_chrom[str(chrom)] = _Cumulative.build(
                df["start"].to_numpy(), df["end"].to_numpy(), df["value"].to_numpy())
        self.names.append(name)
        self._data.append(per_chrom)

    @property
    def chroms(self) -> set[str]:
        return set().union(*[d.keys() for d in self._data]) if self._data else set()

    def windows(self, chrom: str, centers: np.ndarray, width: int) -> np.ndarray:
        """Mean of each profile over ``[c - width//2, c - width//2 + width)``: (n, n_profiles)."""
        centers = np.asarray(centers, dtype=np.int64)
        left = centers - width // 2
        points, inverse = np.unique(np.concatenate([left, left + width]), return_inverse=True)
        x = points.astype(np.float64)
        n = centers.size
        out = np.zeros((n, len(self.names)), dtype=np.float32)
        for k, per_chrom in enumerate(self._data):
            cum = per_chrom.get(chrom)
            if cum is None:
                continue
            c = cum.integral(x)[inverse]
            out[:, k] = (c[n:] - c[:n]) / width
        return out


def from_tracks(
    peaks: Sequence[PathLike] = (),
    segmentations: Sequence[PathLike] = (),
    bigwigs: Sequence[PathLike] = (),
    peak_value: str = "binary",
    chroms: Sequence[str] | None = None,
) -> IntervalProfiles:
    """Build profiles from measured tracks: one per peak/bigWig file, one per segment state.

    Args:
        peaks: narrowPeak / broadPeak / BED files (one mark or factor each).
        segmentations: ChromHMM-style segmentations (one profile per state name).
        bigwigs: bigWig signal files.
        peak_value: ``binary`` (coverage), ``signal`` (narrowPeak signalValue) or ``score``.
        chroms: keep only these chromosomes (saves memory).
    """
    profiles = IntervalProfiles()
    keep = sorted(set(chroms)) if chroms is not None else None
    for path in track(list(peaks), "reading peak tracks"):
        profiles.add(tracks.track_name(path),
                     _on_chroms(tracks.read_peaks(path, peak_value), keep, path))
    for path in segmentations:
        seg = _on_chroms(tracks.read_segmentation(path), keep, path)
        for state, df in seg.groupby("name", sort=True):
            profiles.add(f"{Path(path).name.split('_')[0]}:{state}", df)
    for path in bigwigs:
        signal = tracks.read_bigwig(path, keep)
        if keep is not None and signal.empty:
            raise InputError(path, "chromosome names", f"signal on the genes' chromosomes "
                             f"({', '.join(keep[:4])}, ...)", "none")
        profiles.add(tracks.track_name(path), signal)
    if not profiles.names:
        raise InputError("tracks", "", "at least one peak, segmentation or bigWig file", "none")
    _check_unique(profiles.names)
    log.info("profiles: %d from %d peak, %d segmentation, %d bigWig files", len(profiles.names),
             len(peaks), len(segmentations), len(bigwigs))
    return profiles


def _on_chroms(intervals: pd.DataFrame, chroms: list[str] | None,
               path: PathLike) -> pd.DataFrame:
    """Intervals on ``chroms`` (the genes' chromosomes), renamed as there (``1`` / ``chrI`` ->
    ``chr1``); a track with none there is refused (it would be a profile of zeros)."""
    if chroms is None:
        return intervals
    out = intervals.assign(chrom=named_as(intervals["chrom"], chroms)).dropna(subset=["chrom"])
    if out.empty:
        names = ", ".join(sorted(intervals["chrom"].unique())[:4])
        raise InputError(path, "chromosome names", f"intervals on the genes' chromosomes "
                         f"({', '.join(chroms[:4])}, ...)", f"none (the file has {names})")
    return out


def _check_unique(names: list[str]) -> None:
    seen: set[str] = set()
    for i, name in enumerate(names):
        if name in seen:
            names[i] = f"{name}#{i}"
        seen.add(names[i])

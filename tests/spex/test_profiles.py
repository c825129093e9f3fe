import numpy as np
import pandas as pd
import pytest

from hicexpr.spex.profiles import IntervalProfiles, from_tracks


def _brute(intervals: pd.DataFrame, chrom: str, centers: np.ndarray, width: int) -> np.ndarray:
    cov = np.zeros(200_000)
    for r in intervals[intervals["chrom"] == chrom].itertuples():
        cov[r.start:r.end] += r.value
    left = centers - width // 2
    return np.array([cov[max(a, 0):a + width].sum() / width for a in left])


def test_windows_match_brute_force_with_overlaps_and_values():
    rng = np.random.default_rng(0)
    starts = rng.integers(0, 150_000, 300)
    iv = pd.DataFrame({"chrom": "chr1", "start": starts,
                       "end": starts + rng.integers(1, 3000, 300),
                       "value": rng.uniform(0.5, 3, 300)})
    prof = IntervalProfiles()
    prof.add("a", iv)
    prof.add("b", iv.assign(value=1.0))
    centers = rng.integers(2_000, 190_000, 500)
    got = prof.windows("chr1", centers, 2000)
    assert got.shape == (500, 2)
    np.testing.assert_allclose(got[:, 0], _brute(iv, "chr1", centers, 2000), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got[:, 1], _brute(iv.assign(value=1.0), "chr1", centers, 2000),
                               rtol=1e-5, atol=1e-6)


def test_window_fraction_and_missing_chromosome():
    prof = IntervalProfiles()
    prof.add("p", pd.DataFrame({"chrom": ["chr1"], "start": [1000], "end": [1500], "value": [1.0]}))
    got = prof.windows("chr1", np.array([1000, 5000, 1500]), 1000)
    np.testing.assert_allclose(got[:, 0], [0.5, 0.0, 0.5])
    assert prof.windows("chr9", np.array([1000]), 1000)[0, 0] == 0.0


def test_from_tracks_segmentation_states(tmp_path):
    seg = tmp_path / "E1_states.bed"
    seg.write_text("chr1\t0\t1000\t1_TssA\nchr1\t1000\t3000\t2_Quies\n1\t3000\t4000\t1_TssA\n")
    prof = from_tracks(segmentations=[seg])
    assert prof.names == ["E1:1_TssA", "E1:2_Quies"]
    got = prof.windows("chr1", np.array([1000, 3500]), 2000)
    np.testing.assert_allclose(got, [[0.5, 0.5], [0.5, 0.25]])


def test_from_tracks_requires_a_file():
    from hicexpr.lib.errors import InputError

    with pytest.raises(InputError, match="at least one"):
        from_tracks()

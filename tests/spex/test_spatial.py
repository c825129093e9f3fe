import numpy as np
import pandas as pd

from hicexpr.spex.profiles import IntervalProfiles
from hicexpr.spex.spatial import (
    basis_names,
    exponential_bases,
    local_features,
    spatial_transform,
    tss_offsets,
)


def test_offsets_and_bases_follow_expecto():
    off = tss_offsets()
    assert off.size == 200 and off[0] == -20_000 and off[-1] == 19_800 and 0 in off
    W = exponential_bases(off)
    assert W.shape == (10, 200)
    j0 = int(np.flatnonzero(off == 0)[0])
    assert np.all(W[:, j0] == 1.0)  # the TSS counts on both sides
    assert np.all(W[:5, off > 0] == 0) and np.all(W[5:, off < 0] == 0)
    np.testing.assert_allclose(W[0, off == -200], np.exp(-0.01))
    np.testing.assert_allclose(W[9, off == 1000], np.exp(-0.2 * 5))
    assert basis_names()[0] == "up0.01" and basis_names()[-1] == "down0.2"


def test_spatial_transform_is_matrix_product():
    rng = np.random.default_rng(0)
    P = rng.random((3, 200, 4)).astype(np.float32)
    W = exponential_bases(tss_offsets())
    out = spatial_transform(P, W)
    assert out.shape == (3, 10, 4)
    np.testing.assert_allclose(out[1], W @ P[1], rtol=1e-5)


def test_local_features_are_strand_aware():
    # one peak at 44-46 kb: 5 kb upstream of a + gene at 50 kb and of a - gene at 40 kb,
    # 5 kb downstream of a - gene at 50 kb
    prof = IntervalProfiles()
    prof.add("mark", pd.DataFrame({"chrom": ["chr1"], "start": [44_000], "end": [46_000],
                                   "value": [1.0]}))
    genes = pd.DataFrame({"chrom": "chr1", "gene_id": ["plus", "minus_up", "minus_down"],
                          "strand": ["+", "-", "-"], "tss": [50_000, 40_000, 50_000]})
    F = local_features(genes, prof)
    assert F.shape == (3, 10)
    for gene in ("plus", "minus_up"):
        assert F.loc[gene, "mark|up0.01"] > 0 and F.loc[gene, "mark|down0.01"] == 0
    assert F.loc["minus_down", "mark|down0.01"] > 0 and F.loc["minus_down", "mark|up0.01"] == 0
    np.testing.assert_allclose(F.loc["plus", "mark|up0.05"], F.loc["minus_down", "mark|down0.05"],
                               rtol=1e-6)
    # faster decay -> smaller weight for a peak 5 kb away
    assert F.loc["plus", "mark|up0.2"] < F.loc["plus", "mark|up0.01"]

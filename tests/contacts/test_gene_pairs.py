"""Gene-pair contacts: exact against a dense lookup, O/E against cooltools, trans, top-k."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hicexpr.contacts import contact_to_distance, gene_bins, gene_pair_contacts, top_partners
from hicexpr.io.contacts import open_contacts
from hicexpr.lib.errors import InputError


@pytest.fixture(scope="module")
def chr22_pairs(chr22, hg19_genes):
    mapped = gene_bins(chr22, hg19_genes[hg19_genes["chrom"] == "chr22"])
    return mapped, gene_pair_contacts(chr22, mapped, max_distance=1_000_000, chunk_bins=97)


def test_pairs_match_dense_matrix(chr22, chr22_pairs):
    mapped, pairs = chr22_pairs
    raw = chr22.matrix(balance=False)[:, :]
    bal = chr22.matrix(balance=True)[:, :]
    assert len(pairs) > 5000
    np.testing.assert_array_equal(pairs["count"], raw[pairs["bin1"], pairs["bin2"]])
    np.testing.assert_allclose(pairs["balanced"], bal[pairs["bin1"], pairs["bin2"]], rtol=1e-9)
    assert (pairs["distance"] <= 1_000_000).all()
    # every gene pair within 1 Mb whose bins have a non-zero pixel is listed exactly once
    inside = mapped[mapped["in_coverage"]].reset_index(drop=True)
    b, t = inside["bin_id"].to_numpy(), inside["tss"].to_numpy()
    i, j = np.triu_indices(len(inside), k=1)
    lo, hi = np.minimum(b[i], b[j]), np.maximum(b[i], b[j])
    near = (np.abs(t[i] - t[j]) <= 1_000_000) & (raw[lo, hi] > 0)
    assert len(pairs) == near.sum()
    assert not pairs.duplicated(["gene1", "gene2"]).any()


def test_contacts_decay_with_distance(chr22_pairs):
    _, pairs = chr22_pairs
    near = pairs.loc[pairs["distance"] < 100_000, "balanced"].median()
    mid = pairs.loc[pairs["distance"].between(300_000, 500_000), "balanced"].median()
    far = pairs.loc[pairs["distance"] > 800_000, "balanced"].median()
    assert near > 2 * mid > 2 * far


def test_oe_matches_cooltools_expected(chr22, chr22_pairs):
    from cooltools import expected_cis

    _, pairs = chr22_pairs
    exp = expected_cis(chr22, ignore_diags=0, smooth=False, aggregate_smoothed=False)
    avg = exp.set_index("dist")["balanced.avg"]
    sel = pairs[pairs["oe"].notna()]
    want = sel["balanced"].to_numpy() / avg.loc[(sel["bin2"] - sel["bin1"]).to_numpy()].to_numpy()
    np.testing.assert_allclose(sel["oe"], want, rtol=1e-6)
    assert 0.5 < np.median(sel["oe"]) < 2.0


def test_trans_pairs_and_raw_mode(synthetic_cool):
    path = synthetic_cool({"chrA": 400_000, "chrB": 300_000}, 10_000, trans=True)
    clr = open_contacts(path)
    genes = pd.DataFrame({"chrom": ["chrA", "chrA", "chrB"], "start": [5_000, 55_000, 15_000],
                          "end": [6_000, 56_000, 16_000], "gene_id": ["a1", "a2", "b1"],
                          "symbol": ["a1", "a2", "b1"], "strand": ["+", "+", "-"]})
    genes["tss"] = np.where(genes["strand"] == "-", genes["end"] - 1, genes["start"])
    with pytest.raises(InputError, match="hicexpr contacts balance"):
        gene_pair_contacts(clr, genes)
    pairs = gene_pair_contacts(clr, genes, balance=False, trans=True)
    raw = clr.matrix(balance=False)[:, :]
    assert set(map(tuple, pairs[["gene1", "gene2"]].to_numpy())) == {("a1", "a2"), ("a1", "b1"),
                                                                     ("a2", "b1")}
    np.testing.assert_array_equal(pairs["count"], raw[pairs["bin1"], pairs["bin2"]])
    assert pairs["balanced"].isna().all()
    trans = pairs[pairs["chrom1"] != pairs["chrom2"]]
    assert trans["distance"].isna().all() and (trans["oe"] > 0).all()
    cis = pairs[pairs["chrom1"] == pairs["chrom2"]]
    assert cis["count"].iloc[0] > trans["count"].max()  # cis contacts dominate trans


def test_top_partners_ranks(chr22_pairs):
    _, pairs = chr22_pairs
    top = top_partners(pairs, k=3, max_distance=500_000)
    assert top.groupby("gene")["rank"].max().max() == 3
    assert (top["distance"] <= 500_000).all()
    first = top[top["rank"] == 1].set_index("gene")["balanced"]
    third = top[top["rank"] == 3].set_index("gene")["balanced"]
    common = first.index.intersection(third.index)
    assert (first[common] >= third[common]).all()
    with pytest.raises(InputError, match="k: expected a positive number of partners, got 0"):
        top_partners(pairs, k=0)


def test_contact_to_distance_is_monotone():
    d = contact_to_distance(np.array([100.0, 10.0, 1.0, 0.0, np.nan]), alpha=1 / 3)
    assert d[0] == 1.0
    assert d[0] < d[1] < d[2] and np.isinf(d[3]) and np.isinf(d[4])
    np.testing.assert_allclose(d[1], 10 ** (1 / 3))
    with pytest.raises(InputError, match="alpha: expected a positive exponent, got 0"):
        contact_to_distance(np.ones(3), alpha=0)

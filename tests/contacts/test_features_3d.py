"""Insulation, boundaries, TADs and compartments: biology that must hold on real maps."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hicexpr.contacts import (
    boundaries,
    compartments,
    gene_bins,
    gene_features,
    insulation,
    pair_flags,
    tad_domains,
)
from hicexpr.contacts.features import cis_e1
from hicexpr.io.contacts import open_contacts
from hicexpr.lib.errors import InputError


@pytest.fixture(scope="module")
def chr22_feats(chr22, hg19_genes):
    mapped = gene_bins(chr22, hg19_genes[hg19_genes["chrom"] == "chr22"])
    ins = insulation(chr22, 250_000)
    comp = compartments(chr22, genes=mapped)
    return mapped, ins, comp, gene_features(chr22, mapped, ins=ins, comp=comp)


def test_boundaries_are_insulation_minima(chr22_feats):
    _, ins, _, _ = chr22_feats
    b = boundaries(ins)
    assert 20 < len(b) < 120  # ~ one per 0.3-1.5 Mb over 35 Mb of chr22
    score = ins["insulation"].to_numpy()
    idx = ins.index[ins["is_boundary"]].to_numpy()
    local_min = [score[i] <= np.nanmin(score[max(i - 1, 0):i + 2]) for i in idx]
    assert np.mean(local_min) == 1.0
    assert np.nanmedian(score[idx]) < np.nanmedian(score) - 0.3


def test_tads_tile_between_boundaries(chr22_feats):
    _, ins, _, _ = chr22_feats
    tads = tad_domains(ins)
    assert (tads["end"] > tads["start"]).all()
    assert (tads["start"].to_numpy()[1:] == tads["end"].to_numpy()[:-1]).all()  # contiguous
    cuts = set(boundaries(ins)["start"])
    inner = tads[~tads["edge"]]
    assert set(inner["start"]) <= cuts and set(inner["end"]) <= cuts


def test_a_compartment_is_gene_dense(chr22_feats):
    mapped, _, comp, feats = chr22_feats
    density = np.bincount(mapped.loc[mapped["in_coverage"], "bin_id"], minlength=len(comp))
    a = density[comp["compartment"] == "A"].mean()
    b = density[comp["compartment"] == "B"].mean()
    assert a > 2 * b
    counts = feats.loc[feats["in_coverage"], "compartment"].value_counts()
    assert counts["A"] > counts["B"]


def test_compartments_phase_with_track(chr22):
    comp = compartments(chr22)
    track = comp[["chrom", "start", "end"]].assign(value=-comp["E1"].fillna(0))
    flipped = compartments(chr22, phasing_track=track)
    ok = comp["E1"].notna()
    # two eigen-solves: ARPACK's random start vector moves E1 by ~1e-15 (docs/contacts.md)
    np.testing.assert_allclose(flipped.loc[ok, "E1"].abs(), comp.loc[ok, "E1"].abs(), atol=1e-12)
    assert (np.sign(flipped.loc[ok, "E1"]) == -np.sign(comp.loc[ok, "E1"])).mean() > 0.99


def test_gene_features_columns_and_distances(chr22_feats):
    _, ins, _, feats = chr22_feats
    inside = feats[feats["in_coverage"]]
    assert (inside.loc[inside["is_boundary"], "boundary_distance"] == 0).all()
    assert (inside["boundary_distance"] == inside["boundary_distance_bins"] * 50_000).all()
    assert inside["tad_id"].str.startswith("chr22:").mean() > 0.95
    assert set(inside["compartment"]) <= {"A", "B", ""}
    assert feats.loc[~feats["in_coverage"], "insulation"].isna().all()


def test_pair_flags(chr22_feats):
    _, _, _, feats = chr22_feats
    pairs = pd.DataFrame({"gene1": [feats.iloc[0]["gene_id"]] * 2,
                          "gene2": [feats.iloc[0]["gene_id"], "absent"]})
    flagged = pair_flags(pairs, feats)
    assert flagged["same_tad"].tolist()[1] is False or not flagged["same_tad"].iloc[1]
    inside = feats[feats["in_coverage"] & (feats["tad_id"] != "")]
    same = inside.groupby("tad_id").filter(lambda d: len(d) > 1).iloc[:2]
    out = pair_flags(pd.DataFrame({"gene1": [same.iloc[0]["gene_id"]],
                                   "gene2": [same.iloc[1]["gene_id"]]}), feats)
    assert out["same_tad"].iloc[0]


def test_raw_maps_need_weights_or_raw_mode(data_dir):
    raw = open_contacts(data_dir / "human_gm12878_hg19/hic/GM12878_Rao2014_rep_chr22_50kb.cool")
    with pytest.raises(InputError, match="hicexpr contacts balance"):
        insulation(raw)
    ins = insulation(raw, weight=None)
    assert ins["insulation"].notna().sum() > 500


def test_empty_chromosome_gets_nan(synthetic_cool):
    import cooler

    from hicexpr.io.contacts import balance_contacts

    path = synthetic_cool({"chrA": 3_000_000, "chrE": 1_000_000}, 50_000, empty=("chrE",))
    balance_contacts(path)
    clr = cooler.Cooler(str(path))
    ins = insulation(clr, 250_000)
    comp = compartments(clr)
    on_e = ins["chrom"] == "chrE"
    assert ins.loc[on_e, "insulation"].isna().all() and ins.loc[~on_e, "insulation"].notna().any()
    assert (comp.loc[comp["chrom"] == "chrE", "compartment"] == "").all()


def test_window_must_be_a_multiple_of_bins(chr22):
    with pytest.raises(InputError, match="multiple of the bin size"):
        insulation(chr22, 120_000)


@pytest.mark.slow
def test_cis_e1_equals_cooltools(data_dir):
    """Our numpy O/E gives cooltools.eigs_cis's E1 (cooltools JIT-compiles: slow)."""
    from cooltools.api.eigdecomp import cis_eig

    clr = open_contacts(data_dir / "step/hic_mESC_HindIII_1mb")
    for chrom in ("chr14", "chr19"):
        mat = clr.matrix(balance=True).fetch(chrom)
        _, vecs = cis_eig(mat, n_eigs=3, ignore_diags=2, clip_percentile=99.9)
        np.testing.assert_allclose(np.abs(cis_e1(mat, 2)), np.abs(vecs[0]), atol=1e-10)

import cooler
import numpy as np
import pandas as pd
import pytest

from hicexpr.lib.errors import InputError
from hicexpr.spex import partners as pa
from hicexpr.spex.profiles import IntervalProfiles

GENES = pd.DataFrame({"chrom": ["chr1", "chr1", "chr1"], "gene_id": ["g1", "g2", "g3"],
                      "strand": ["+", "-", "+"], "tss": [100_500, 300_500, 700_500]})


def _profiles() -> IntervalProfiles:
    prof = IntervalProfiles()
    prof.add("mark", pd.DataFrame({"chrom": ["chr1", "chr1"], "start": [199_000, 500_000],
                                   "end": [201_000, 502_000], "value": [1.0, 3.0]}))
    return prof


def test_links_min_distance_and_sides():
    links = pd.DataFrame({"chrom": "chr1", "start": [199_000, 110_000, 500_000],
                          "end": [201_000, 111_000, 502_000], "gene_id": ["g1", "g1", "g2"]})
    p = pa.partners_from_links(GENES, links)
    assert sorted(p["gene_id"]) == ["g1", "g2"]  # the 10 kb link of g1 is dropped
    assert set(p["pos"]) == {200_000, 501_000}
    F = pa.partner_features(GENES, p, _profiles(), "sides")
    # g1 (+): partner downstream; g2 (-) at 300 kb: partner at 501 kb is upstream
    assert F.loc["g1", "mark|down"] == pytest.approx(1.0)
    assert F.loc["g1", "mark|up"] == 0
    assert F.loc["g2", "mark|up"] == pytest.approx(3.0)
    assert F.loc["g3"].sum() == 0  # no partners: zeros, kept
    act = pa.partner_features(GENES, p, None, "activity")
    assert act.loc["g1", "n_partners"] == 1 and act.loc["g3", "n_partners"] == 0


def test_distance_bins_and_weighted_mean():
    p = pd.DataFrame({"gene_id": ["g1", "g1"], "chrom": "chr1", "pos": [200_000, 501_000],
                      "weight": [1.0, 3.0]})
    F = pa.partner_features(GENES, p, _profiles(), "distance_bins")
    assert F.loc["g1", "mark|d20000-100000"] == pytest.approx(1.0)  # 99.5 kb away
    assert F.loc["g1", "mark|d100000-500000"] == pytest.approx(3.0)  # 400.5 kb away
    assert F.loc["g1", "mark|d500000-inf"] == 0
    W = pa.partner_features(GENES, p, _profiles(), "weighted_mean")
    assert W.loc["g1", "mark|wmean"] == pytest.approx((1 * 1.0 + 3 * 3.0) / 4)
    with pytest.raises(InputError, match="aggregation: expected one of sides, distance_bins, "
                       "weighted_mean, activity, got 'median'"):
        pa.partner_features(GENES, p, _profiles(), "median")


def test_loops_both_anchors():
    loops = pd.DataFrame({"chrom1": ["chr1"], "start1": [100_000], "end1": [105_000],
                          "chrom2": ["chr1"], "start2": [300_000], "end2": [305_000],
                          "count": [42.0]})
    p = pa.partners_from_loops(GENES, loops, slop=0)
    got = p.set_index("gene_id")
    assert got.loc["g1", "pos"] == 302_500 and got.loc["g1", "weight"] == 42.0
    assert got.loc["g2", "pos"] == 102_500


def _cooler(tmp_path) -> cooler.Cooler:
    bins = pd.DataFrame({"chrom": "1", "start": np.arange(0, 1_000_000, 50_000)})
    bins["end"] = bins["start"] + 50_000
    pix = pd.DataFrame({"bin1_id": [2, 2, 2, 0, 6], "bin2_id": [2, 4, 10, 2, 14],
                        "count": [100, 5, 2, 7, 9]})
    path = str(tmp_path / "m.cool")
    cooler.create_cooler(path, bins, pix)
    return cooler.Cooler(path)


def test_cooler_row_and_column_pixels(tmp_path):
    clr = _cooler(tmp_path)  # chromosome named "1": matched to the genes' "chr1"
    p = pa.partners_from_cooler(GENES, clr)
    g1 = p[p["gene_id"] == "g1"].sort_values("pos")
    # TSS bin 2: row pixels to bins 4, 10, column pixel from bin 0; the diagonal is not a partner
    assert g1["pos"].tolist() == [25_000, 225_000, 525_000]
    assert g1["weight"].tolist() == [7.0, 5.0, 2.0]
    assert set(p["chrom"]) == {"chr1"}
    strict = pa.partners_from_cooler(GENES, clr, min_count=4)
    assert sorted(strict.loc[strict["gene_id"] == "g1", "weight"]) == [5.0, 7.0]
    g3 = p[p["gene_id"] == "g3"]  # TSS bin 14: pixel (6, 14)
    assert g3["pos"].tolist() == [325_000]
    with pytest.raises(InputError, match="leave out --balance for raw counts"):
        pa.partners_from_cooler(GENES, clr, balance=True)  # the map has no weights


def test_controls_keep_counts():
    p = pd.DataFrame({"gene_id": ["g1"] * 3 + ["g2"], "chrom": "chr1",
                      "pos": [200_000, 400_000, 600_000, 900_000], "weight": 1.0})
    r = pa.random_partners(p, GENES, seed=1)
    assert r.groupby("gene_id").size().to_dict() == {"g1": 3, "g2": 1}
    assert not np.array_equal(r["pos"], p["pos"])
    tss = GENES.set_index("gene_id")["tss"]
    assert np.all(np.abs(r["pos"].to_numpy() - tss.loc[r["gene_id"]].to_numpy()) >= 20_000)
    s = pa.shuffle_partners(p, GENES, seed=3)
    assert sorted(s.groupby("gene_id").size().tolist()) == [1, 3]
    assert set(s["pos"]) == set(p["pos"])


def test_partner_table_order_does_not_depend_on_input_order():
    links = pd.DataFrame({"chrom": "chr1", "start": [900_000, 200_000, 600_000, 400_000],
                          "end": [901_000, 201_000, 601_000, 401_000],
                          "gene_id": ["g2", "g1", "g1", "g3"]})
    a = pa.partners_from_links(GENES, links)
    b = pa.partners_from_links(GENES, links.iloc[::-1])
    pd.testing.assert_frame_equal(a, b)  # so seeded random controls are reproducible
    pd.testing.assert_frame_equal(pa.random_partners(a, GENES, seed=0),
                                  pa.random_partners(b, GENES, seed=0))


def test_cooler_partners_show_progress_per_chromosome(tmp_path, monkeypatch):
    shown: list[tuple[str, int]] = []

    def track(items, description, total=None):
        items = list(items)
        shown.append((description, len(items)))
        yield from items

    monkeypatch.setattr(pa, "track", track)
    pa.partners_from_cooler(GENES, _cooler(tmp_path))
    assert len(shown) == 1 and shown[0][0].startswith("3D partners from ")
    assert shown[0][1] == GENES["chrom"].nunique()

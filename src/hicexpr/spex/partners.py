"""3D partner loci of each gene, and partner features (SpEx and variants).

A partner table has one row per (gene, partner locus): ``gene_id, chrom, pos, weight``
(``pos`` = partner centre, ``weight`` = contact count or link weight). Sources: contact maps
(every non-zero pixel in the TSS bin's row and column on the same chromosome), loop lists
(HiCCUPS BEDPE: a gene whose TSS lies in one anchor gets the other anchor) and link tables
(BENGI). Partners closer than ``min_distance`` to the TSS are dropped.

Aggregations (genes without partners get zeros and are kept):

- ``sides``: SpEx - partner profiles summed upstream / downstream (transcription orientation).
- ``distance_bins``: partner profiles summed per TSS-distance bin.
- ``weighted_mean``: contact-weighted mean partner profile.
- ``activity``: partner count and log1p total contact (an activity proxy, no profiles).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import bioframe
import cooler
import numpy as np
import pandas as pd
from scipy import sparse

from hicexpr.io.chroms import chrom_mapping, named_as
from hicexpr.lib.errors import InputError
from hicexpr.lib.progress import track
from hicexpr.spex.profiles import ProfileSource

log = logging.getLogger(__name__)

PARTNER_COLUMNS = ["gene_id", "chrom", "pos", "weight"]
AGGREGATIONS = ("sides", "distance_bins", "weighted_mean", "activity")
DEFAULT_DISTANCE_BINS = (20_000, 100_000, 500_000)


def _finish(df: pd.DataFrame, genes: pd.DataFrame, min_distance: int) -> pd.DataFrame:
    """Keep same-chromosome partners at least ``min_distance`` from the gene's TSS."""
    g = genes[["gene_id", "chrom", "tss"]].rename(columns={"chrom": "gene_chrom"})
    df = df.merge(g, on="gene_id", how="inner")
    df = df[(df["chrom"] == df["gene_chrom"]) & ((df["pos"] - df["tss"]).abs() >= min_distance)]
    # sorted: a fixed row order keeps the seeded controls reproducible across processes
    df = df.groupby(["gene_id", "chrom", "pos"], as_index=False, sort=True)["weight"].sum()
    return df[PARTNER_COLUMNS].reset_index(drop=True)


def on_gene_chroms(table: pd.DataFrame, columns: list[str], genes: pd.DataFrame
                   ) -> pd.DataFrame:
    """``table`` with its chromosome ``columns`` named as the genes' (``chr1`` -> ``chrI``)."""
    targets = [str(c) for c in genes["chrom"].unique()]
    out = table.copy()
    for col in columns:
        out[col] = named_as(out[col], targets).fillna(out[col])
    return out


def empty_partners() -> pd.DataFrame:
    return pd.DataFrame({"gene_id": pd.Series(dtype=str), "chrom": pd.Series(dtype=str),
                         "pos": pd.Series(dtype=np.int64), "weight": pd.Series(dtype=float)})


def partners_from_links(genes: pd.DataFrame, links: pd.DataFrame,
                        min_distance: int = 20_000) -> pd.DataFrame:
    """Partners from an enhancer-gene link table (``chrom, start, end, gene_id[, weight]``)."""
    for col in ("chrom", "start", "end", "gene_id"):
        if col not in links.columns:
            raise InputError("links", f"column '{col}'", "chrom, start, end, gene_id", None)
    links = on_gene_chroms(links, ["chrom"], genes)
    df = pd.DataFrame({
        "gene_id": links["gene_id"].astype(str), "chrom": links["chrom"].astype(str),
        "pos": ((links["start"] + links["end"]) // 2).astype(np.int64),
        "weight": links["weight"].astype(float) if "weight" in links else 1.0,
    })
    return _finish(df, genes, min_distance)


def partners_from_loops(genes: pd.DataFrame, loops: pd.DataFrame, slop: int = 0,
                        min_distance: int = 20_000) -> pd.DataFrame:
    """Partners from loops: a TSS inside one anchor (+- ``slop``) gets the other anchor's centre,
    weighted by the loop's ``count``."""
    loops = on_gene_chroms(loops, ["chrom1", "chrom2"], genes)
    tss = pd.DataFrame({"chrom": genes["chrom"], "start": genes["tss"],
                        "end": genes["tss"] + 1, "gene_id": genes["gene_id"]})
    frames = []
    for a, b in (("1", "2"), ("2", "1")):
        anchors = pd.DataFrame({
            "chrom": loops[f"chrom{a}"], "start": loops[f"start{a}"] - slop,
            "end": loops[f"end{a}"] + slop, "p_chrom": loops[f"chrom{b}"],
            "pos": (loops[f"start{b}"] + loops[f"end{b}"]) // 2, "weight": loops["count"],
        })
        hit = bioframe.overlap(tss, anchors, how="inner", suffixes=("", "_a"))
        frames.append(pd.DataFrame({"gene_id": hit["gene_id"], "chrom": hit["p_chrom_a"],
                                    "pos": hit["pos_a"].astype(np.int64),
                                    "weight": hit["weight_a"].astype(float)}))
    return _finish(pd.concat(frames, ignore_index=True), genes, min_distance)


def partners_from_cooler(genes: pd.DataFrame, clr: cooler.Cooler, balance: bool = False,
                         min_count: float = 0.0, min_oe: float | None = None,
                         min_distance: int = 20_000) -> pd.DataFrame:
    """Partners from a contact map: every non-zero pixel in the TSS bin's row and column.

    Args:
        balance: use balanced values (the map needs a ``weight`` column) instead of raw counts.
        min_count: keep pixels with value > ``min_count``.
        min_oe: keep pixels whose observed / expected (mean of that diagonal) is >= this.
        min_distance: drop partners closer than this to the TSS (bp).
    """
    if balance and "weight" not in clr.bins().columns:
        raise InputError(clr.filename, "weight column 'weight'", "a balanced map for --balance "
                         "(run `hicexpr contacts balance MAP`, or leave out --balance for raw "
                         "counts)", "no such column")
    frames = []
    binsize = clr.binsize
    names = chrom_mapping([str(c) for c in genes["chrom"].unique()], list(clr.chromnames))
    groups = list(genes.groupby("chrom", sort=False))
    for chrom, g in track(groups, f"3D partners from {clr.filename} (chromosomes)"):
        if str(chrom) not in names:
            continue
        px = _cooler_chrom(clr, names[str(chrom)], g, binsize, balance, min_count, min_oe)
        frames.append(px.assign(chrom=str(chrom)))
    if not frames:
        log.warning("%s: no gene chromosome in the map", clr.filename)
        return empty_partners()
    return _finish(pd.concat(frames, ignore_index=True), genes, min_distance)


def _cooler_chrom(clr: cooler.Cooler, chrom: str, g: pd.DataFrame, binsize: int, balance: bool,
                  min_count: float, min_oe: float | None) -> pd.DataFrame:
    pix = clr.matrix(balance=balance, as_pixels=True, join=False).fetch(chrom)
    value = pix["balanced"].to_numpy() if balance else pix["count"].to_numpy(dtype=float)
    offset = clr.offset(chrom)
    b1, b2 = pix["bin1_id"].to_numpy() - offset, pix["bin2_id"].to_numpy() - offset
    keep = np.isfinite(value) & (value > min_count) & (b1 != b2)
    if min_oe is not None:
        n_bins = int(clr.extent(chrom)[1] - offset)
        diag = b2 - b1
        total = np.bincount(diag[keep], weights=value[keep], minlength=n_bins)
        expected = total / np.maximum(n_bins - np.arange(n_bins), 1)
        keep &= value >= min_oe * expected[diag]
    b1, b2, value = b1[keep], b2[keep], value[keep]
    tss_bin = (g["tss"].to_numpy() // binsize).astype(np.int64)
    gene_of_bin = pd.DataFrame({"bin": tss_bin, "gene_id": g["gene_id"].to_numpy()})
    rows = []
    for mine, other in ((b1, b2), (b2, b1)):
        px = pd.DataFrame({"bin": mine, "other": other, "weight": value})
        hit = gene_of_bin.merge(px, on="bin", how="inner")
        rows.append(pd.DataFrame({"gene_id": hit["gene_id"], "chrom": chrom,
                                  "pos": hit["other"] * binsize + binsize // 2,
                                  "weight": hit["weight"]}))
    return pd.concat(rows, ignore_index=True)


def random_partners(partners: pd.DataFrame, genes: pd.DataFrame, min_distance: int = 20_000,
                    seed: int = 0) -> pd.DataFrame:
    """Control: the same number of partners per gene, at uniformly random positions of the same
    chromosome (within the span of its genes and partners), at least ``min_distance`` away."""
    rng = np.random.default_rng(seed)
    tss = genes.set_index("gene_id")["tss"]
    out = partners.copy()
    for chrom, idx in out.groupby("chrom", sort=False).indices.items():
        on = np.concatenate([genes.loc[genes["chrom"] == chrom, "tss"].to_numpy(),
                             out["pos"].to_numpy()[idx]])
        lo, hi = int(on.min()), int(on.max()) + 1
        gene_tss = tss.loc[out["gene_id"].to_numpy()[idx]].to_numpy()
        pos = rng.integers(lo, hi, size=idx.size)
        for _ in range(100):
            bad = np.abs(pos - gene_tss) < min_distance
            if not bad.any():
                break
            pos[bad] = rng.integers(lo, hi, size=int(bad.sum()))
        out.loc[out.index[idx], "pos"] = pos
    return out


def shuffle_partners(partners: pd.DataFrame, genes: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    """Control: each gene's partner set moved to a random gene of the same chromosome
    (a permutation of all genes there, with or without partners)."""
    rng = np.random.default_rng(seed)
    mapping: dict[str, str] = {}
    for _, ids in genes.groupby("chrom", sort=False)["gene_id"]:
        arr = ids.to_numpy()
        mapping.update(zip(arr, rng.permutation(arr), strict=True))
    out = partners.copy()
    out["gene_id"] = out["gene_id"].map(mapping)
    return out.dropna(subset=["gene_id"]).reset_index(drop=True)


def partner_features(
    genes: pd.DataFrame,
    partners: pd.DataFrame,
    source: ProfileSource | None,
    how: str = "sides",
    width: int = 2_000,
    distance_bins: Sequence[int] = DEFAULT_DISTANCE_BINS,
) -> pd.DataFrame:
    """Aggregate partner profiles per gene (see module docstring); index = ``gene_id``."""
    if how not in AGGREGATIONS:
        raise InputError("aggregation", "", f"one of {', '.join(AGGREGATIONS)}", how)
    index = pd.Index(genes["gene_id"], name="gene_id")
    row = pd.Series(np.arange(len(genes)), index=genes["gene_id"].to_numpy())
    p = partners[partners["gene_id"].isin(row.index)]
    gi = row.loc[p["gene_id"].to_numpy()].to_numpy()
    weight = p["weight"].to_numpy(dtype=float)
    if how == "activity":
        count = np.bincount(gi, minlength=len(genes)).astype(float)
        total = np.bincount(gi, weights=weight, minlength=len(genes))
        return pd.DataFrame({"n_partners": count, "log1p_contact": np.log1p(total)}, index=index)
    if source is None:
        raise InputError("aggregation", how, "a profile source for partner profiles", None)
    prof = _partner_profiles(p, source, width)
    names = source.names
    if how == "weighted_mean":
        total = np.bincount(gi, weights=weight, minlength=len(genes))
        m = sparse.csr_matrix((weight, (gi, np.arange(gi.size))), shape=(len(genes), gi.size))
        agg = (m @ prof) / np.maximum(total, 1e-12)[:, None]
        return pd.DataFrame(agg, index=index, columns=[f"{n}|wmean" for n in names])
    tss = genes["tss"].to_numpy()[gi]
    sign = np.where(genes["strand"].to_numpy()[gi] == "-", -1, 1)
    rel = (p["pos"].to_numpy() - tss) * sign
    if how == "sides":
        group, labels = (rel > 0).astype(int), ["up", "down"]
    else:
        edges = np.asarray(list(distance_bins)[1:], dtype=float)
        group = np.searchsorted(edges, np.abs(rel), side="right")
        bounds = [*distance_bins, None]
        labels = [f"d{bounds[i]}-{bounds[i + 1] or 'inf'}" for i in range(len(distance_bins))]
    blocks = []
    for k in range(len(labels)):
        sel = group == k
        m = sparse.csr_matrix((np.ones(sel.sum()), (gi[sel], np.flatnonzero(sel))),
                              shape=(len(genes), gi.size))
        blocks.append(np.asarray(m @ prof))
    cols = [f"{n}|{lab}" for lab in labels for n in names]
    return pd.DataFrame(np.hstack(blocks), index=index, columns=cols)


def _partner_profiles(p: pd.DataFrame, source: ProfileSource, width: int) -> np.ndarray:
    prof = np.zeros((len(p), len(source.names)), dtype=np.float32)
    for chrom, idx in p.groupby("chrom", sort=False).indices.items():
        pos = p["pos"].to_numpy()[idx]
        uniq, inv = np.unique(pos, return_inverse=True)
        prof[idx] = source.windows(str(chrom), uniq, width)[inv]
    return prof

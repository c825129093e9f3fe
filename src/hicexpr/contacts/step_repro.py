"""Reproduce STEP's Hi-C preprocessing from its 1 Mb mESC maps and gene coordinates.

STEP's interaction CSVs carry, per gene, a 1 Mb bin, A/B compartment, insulation score and
distance to a TAD boundary, and per pair the Hi-C value. :func:`reproduce_step` recomputes them
with hicexpr (cooler + cooltools methods) and compares: bins and contact values exactly,
compartments as % agreement, insulation and boundary distance by Spearman correlation. Genes
beyond the map's coverage (the maps stop about half-way along each chromosome; STEP snapped such
genes to the last bin) are reported and excluded, never snapped.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import cooler
import numpy as np
import pandas as pd
from scipy.stats import spearmanr

from hicexpr.contacts.features import compartments, gene_features, insulation
from hicexpr.contacts.mapping import gene_bins
from hicexpr.io.contacts import open_contacts
from hicexpr.io.step import read_step_csv
from hicexpr.lib.errors import InputError
from hicexpr.lib.paths import shared_data_dir

log = logging.getLogger(__name__)

STEP_TABLES = ("interaction_mrna.csv", "interaction_mirna.csv")
_GENE_FIELDS = ["Chromosome", "Start", "End", "Bin", "Compartment", "Insulation_Score",
                "TAD_Boundary_Distance"]


def step_dir_default() -> Path:
    """``<shared data>/step``."""
    return shared_data_dir() / "step"


def read_step_pairs(path: str | os.PathLike[str]) -> pd.DataFrame:
    """The non-expression columns of a STEP interaction CSV."""
    file = Path(path)
    df = read_step_csv(file, usecols=lambda c: "Time" not in c)
    need = ["Gene1", "Gene2", "HiC_Interaction"] + [f"Gene1_{f}" for f in _GENE_FIELDS]
    missing = [c for c in need if c not in df.columns]
    if missing:
        raise InputError(file, "header", "STEP's interaction columns", f"no {missing[0]}")
    df["Gene1_Chromosome"] = "chr" + df["Gene1_Chromosome"].astype(str)
    df["Gene2_Chromosome"] = "chr" + df["Gene2_Chromosome"].astype(str)
    return df


def _record_key(pairs: pd.DataFrame, side: str) -> pd.Series:
    """``gene@chrom:start``: STEP's mRNA table gives some genes two different coordinates."""
    return (pairs[side].astype(str) + "@" + pairs[f"{side}_Chromosome"].astype(str) + ":"
            + pairs[f"{side}_Start"].astype(str))


def step_genes(pairs: pd.DataFrame) -> pd.DataFrame:
    """One row per gene record (gene, chromosome, start) with STEP's per-gene columns.

    ``gene_id`` is ``gene@chrom:start`` and ``gene`` the name: 34 genes of STEP's mRNA table
    appear with two different coordinates (e.g. VIM at chr2:13.58 Mb and 27.96 Mb), so each
    coordinate is compared as STEP used it in that row.
    """
    parts = []
    for side in ("Gene1", "Gene2"):
        cols = {side: "gene", **{f"{side}_{f}": f"step_{f.lower()}" for f in _GENE_FIELDS}}
        part = pairs[list(cols)].rename(columns=cols)
        parts.append(part.assign(gene_id=_record_key(pairs, side)))
    genes = pd.concat(parts).drop_duplicates("gene_id").reset_index(drop=True)
    genes = genes.rename(columns={"step_chromosome": "chrom"})
    genes["start"] = genes["step_start"].astype(np.int64)
    genes["end"] = genes["step_end"].astype(np.int64)
    genes["symbol"] = genes["gene"]
    genes["strand"] = "."
    genes["tss"] = genes["start"]  # STEP binned by gene start; no strand in its tables
    return genes


def reproduce_step(step_dir: str | os.PathLike[str] | None = None, assembly: str = "mm9",
                   windows_bins: tuple[int, ...] = (2, 3, 5, 8, 10),
                   window_bins: int = 5) -> dict[str, pd.DataFrame]:
    """Recompute STEP's columns; returns ``genes``, ``pairs`` and ``summary`` tables.

    ``summary`` rows: quantity, ours (method), n, agreement, measure.
    """
    root = Path(step_dir) if step_dir is not None else step_dir_default()
    clr = open_contacts(root / "hic_mESC_HindIII_1mb", assembly=assembly)
    pairs = pd.concat([read_step_pairs(root / t).assign(table=t.split("_")[1].split(".")[0])
                       for t in STEP_TABLES], ignore_index=True)
    genes = gene_bins(clr, step_genes(pairs), source=str(root))
    genes["our_bin"] = np.where(genes["bin_id"] >= 0, genes["start"] // clr.binsize
                                * clr.binsize, -1)
    ins_tables = {w: insulation(clr, w * clr.binsize) for w in windows_bins}
    comp = compartments(clr)
    feats = gene_features(clr, genes, ins=ins_tables[window_bins], comp=comp)
    genes = genes.merge(feats[["gene_id", "insulation", "boundary_distance_bins", "E1",
                               "compartment"]], on="gene_id")
    pairs = _pair_values(clr, pairs, genes)
    summary = _summary(clr, genes, pairs, ins_tables, window_bins)
    return {"genes": genes, "pairs": pairs, "summary": summary}


def _pair_values(clr: cooler.Cooler, pairs: pd.DataFrame, genes: pd.DataFrame) -> pd.DataFrame:
    """Our balanced value at the two genes' bins (NaN when either gene is outside coverage)."""
    ok = genes.set_index("gene_id")["in_coverage"]
    bid = genes.set_index("gene_id")["bin_id"]
    k1, k2 = _record_key(pairs, "Gene1"), _record_key(pairs, "Gene2")
    b1, b2 = k1.map(bid).to_numpy(), k2.map(bid).to_numpy()
    both = (k1.map(ok) & k2.map(ok)).to_numpy(bool)
    values = np.full(len(pairs), np.nan)
    mat = clr.matrix(balance=True, sparse=True)[:, :].tocsr()
    values[both] = np.asarray(mat[np.minimum(b1[both], b2[both]),
                                  np.maximum(b1[both], b2[both])]).ravel()
    return pairs.assign(both_in_coverage=both, our_hic=values)


def _summary(clr: cooler.Cooler, genes: pd.DataFrame, pairs: pd.DataFrame,
             ins_tables: dict[int, pd.DataFrame], window_bins: int) -> pd.DataFrame:
    inside = genes[genes["in_coverage"]]
    rows = [
        ("gene records", "in map coverage", len(genes), len(inside) / len(genes), "fraction"),
        ("Gene_Bin", "start // 1 Mb", len(inside),
         float((inside["our_bin"] == inside["step_bin"]).mean()), "exact"),
    ]
    sel = pairs[pairs["both_in_coverage"]]
    exact = np.isclose(sel["our_hic"], sel["HiC_Interaction"], rtol=0, atol=5e-5)
    rows.append(("HiC_Interaction", "map value at the two bins", len(sel), float(exact.mean()),
                 "exact"))
    lab = inside["compartment"]
    ok = lab != ""
    agree = (lab[ok] == inside.loc[ok, "step_compartment"])
    rows.append(("Compartment", "E1 > 0, no phasing track (sign arbitrary)", int(ok.sum()),
                 float(agree.mean()), "agreement"))
    best = inside[ok].assign(a=agree).groupby("chrom")["a"].agg(["sum", "size"])
    best_frac = float(np.maximum(best["sum"], best["size"] - best["sum"]).sum() / ok.sum())
    rows.append(("Compartment", "E1 sign chosen per chromosome to match STEP (upper bound)",
                 int(ok.sum()), best_frac, "agreement"))
    for w, ins in ins_tables.items():
        x = ins["insulation"].to_numpy()[inside["bin_id"].to_numpy()]
        good = np.isfinite(x)
        rho = spearmanr(x[good], inside["step_insulation_score"].to_numpy()[good]).statistic
        label = f"cooltools log2 insulation, window {w} bins" + (" (default)" if
                                                                 w == window_bins else "")
        rows.append(("Insulation_Score", label, int(good.sum()), float(rho), "spearman"))
    dist = inside["boundary_distance_bins"].to_numpy()
    good = np.isfinite(dist)
    step_d = inside["step_tad_boundary_distance"].to_numpy()
    rho = spearmanr(dist[good], step_d[good]).statistic
    rows.append(("TAD_Boundary_Distance", f"bins to nearest cooltools boundary "
                 f"(window {window_bins} bins)", int(good.sum()), float(rho), "spearman"))
    rows.append(("TAD_Boundary_Distance", "same, exact", int(good.sum()),
                 float((dist[good] == step_d[good]).mean()), "exact"))
    outside = genes[~genes["in_coverage"]]
    rows.append(("genes outside coverage", "STEP snapped them to the last bin; we exclude",
                 len(outside), float((outside["step_bin"] > 0).mean()) if len(outside) else 0,
                 "fraction with a STEP bin"))
    return pd.DataFrame(rows, columns=["quantity", "ours", "n", "value", "measure"])


def summary_markdown(summary: pd.DataFrame) -> str:
    """The summary as a Markdown table (for docs/step_reproduction.md)."""
    lines = ["| STEP column | our method | n | value | measure |", "|---|---|---|---|---|"]
    for r in summary.itertuples(index=False):
        lines.append(f"| {r.quantity} | {r.ours} | {r.n} | {r.value:.3f} | {r.measure} |")
    return "\n".join(lines) + "\n"

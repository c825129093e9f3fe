"""A small synthetic genome for SpEx tests: genes whose expression follows a promoter mark."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

CHROMS = ("chrA", "chrB", "chrC", "chrD")
CHROM_LEN = 3_000_000


def make_world(seed: int = 0, n_per_chrom: int = 60) -> dict[str, pd.DataFrame]:
    """Genes, a promoter peak track (upstream of active TSSs), a noise track and expression."""
    rng = np.random.default_rng(seed)
    genes, peaks, noise = [], [], []
    for c, chrom in enumerate(CHROMS):
        tss = np.sort(rng.choice(np.arange(100_000, CHROM_LEN - 100_000, 5_000), n_per_chrom,
                                 replace=False))
        strand = rng.choice(["+", "-"], n_per_chrom)
        activity = rng.uniform(0, 1, n_per_chrom)
        for i, (t, s, a) in enumerate(zip(tss, strand, activity, strict=True)):
            gid = f"ENSG{c:05d}{i:06d}"  # an accession, so that "ENSG....1" loses its ".1"
            start, end = (t, t + 3000) if s == "+" else (t - 2999, t + 1)
            genes.append((chrom, start, end, gid, gid, s, t, a))
            width = int(200 + 1800 * a)  # stronger promoters -> wider peaks, upstream of TSS
            up = t - width if s == "+" else t + 1
            peaks.append((chrom, up, up + width, 1.0))
        for p in rng.integers(0, CHROM_LEN - 500, 40):
            noise.append((chrom, int(p), int(p) + 500, 1.0))
    g = pd.DataFrame(genes, columns=["chrom", "start", "end", "gene_id", "symbol", "strand",
                                     "tss", "activity"])
    cols = ["chrom", "start", "end", "value"]
    expr = np.round(np.exp(8 * g["activity"].to_numpy() - 3) + rng.gamma(1, 0.05, len(g)), 4)
    return {"genes": g, "peaks": pd.DataFrame(peaks, columns=cols),
            "noise": pd.DataFrame(noise, columns=cols), "expression": expr}


def write_world(world: dict, folder: Path) -> dict[str, Path]:
    """Write the world as files: genes BED (Ensembl-style id in column 7), peaks, expression."""
    g = world["genes"]
    genes = folder / "genes.bed"
    bed = pd.DataFrame({"chrom": g["chrom"], "start": g["start"], "end": g["end"],
                        "name": g["symbol"], "score": 0, "strand": g["strand"],
                        "id": g["gene_id"] + ".1", "type": "protein_coding"})
    bed.to_csv(genes, sep="\t", header=False, index=False)
    paths = {"genes": genes}
    for name in ("peaks", "noise"):
        path = folder / f"{name}.narrowPeak"
        df = world[name]
        pd.DataFrame({"c": df["chrom"], "s": df["start"], "e": df["end"], "n": ".", "sc": 0,
                      "st": ".", "sig": 5.0, "p": -1, "q": -1, "pk": -1}).to_csv(
            path, sep="\t", header=False, index=False)
        paths[name] = path
    expr = folder / "expr.tsv.gz"
    rng = np.random.default_rng(1)
    pd.DataFrame({"gene_id": g["gene_id"], "S1": world["expression"],
                  "S2": world["expression"] * rng.uniform(0.5, 2, len(g))}).to_csv(
        expr, sep="\t", index=False, float_format="%.4f")
    paths["expression"] = expr
    return paths

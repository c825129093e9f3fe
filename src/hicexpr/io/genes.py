"""Gene annotations -> ``chrom, start, end, gene_id, symbol, strand, tss`` (+ ``gene_type``).

Formats: BED6+ (e.g. ABC's CollapsedGeneBounds: name = symbol, column 7 = gene id, column 8 =
gene type), GTF, GFF3, SGD_features.tab (yeast) and STEP's interaction CSV. Coordinates are
0-based half-open; ``tss`` is the 0-based TSS (``start`` on +, ``end - 1`` on -; ``start`` when
the strand is unknown). Duplicate gene ids keep their first row (``duplicates="first"``, logged),
get a ``_2``, ``_3`` suffix (``"suffix"``) or raise (``"error"``).
"""

from __future__ import annotations

import io
import logging
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from hicexpr.io.step import read_step_csv
from hicexpr.io.text import GZIP_ERRORS, corrupt_gzip, finite_numbers, open_text, to_numbers
from hicexpr.lib.errors import InputError

log = logging.getLogger(__name__)

COLUMNS = ["chrom", "start", "end", "gene_id", "symbol", "strand", "tss"]
FORMATS = ("bed", "gtf", "gff3", "sgd", "step")
_SGD_TYPES = {
    "ORF", "ncRNA_gene", "snoRNA_gene", "snRNA_gene", "tRNA_gene", "rRNA_gene",
    "telomerase_RNA_gene", "transposable_element_gene", "blocked_reading_frame", "pseudogene",
}
_GFF_GENE_TYPES = {"gene", "ncRNA_gene", "pseudogene", "tRNA_gene", "rRNA_gene", "snoRNA_gene",
                   "snRNA_gene", "transposable_element_gene", "blocked_reading_frame"}


def read_genes(path: str | os.PathLike[str], fmt: str = "auto",
               duplicates: str = "first") -> pd.DataFrame:
    """Read a gene annotation into the standard gene table (see module docstring).

    Args:
        path: BED/GTF/GFF3/SGD_features.tab/STEP CSV file (optionally gzipped).
        fmt: one of ``auto, bed, gtf, gff3, sgd, step``.
        duplicates: ``first``, ``suffix`` or ``error`` for repeated gene ids.
    """
    file = Path(path)
    if duplicates not in ("first", "suffix", "error"):
        raise InputError("duplicates", "", "first, suffix or error", duplicates)
    if not file.is_file():
        raise InputError(file, "", "an existing gene annotation file", "no such file")
    fmt = detect_format(file) if fmt == "auto" else fmt.lower()
    if fmt not in FORMATS:
        raise InputError(file, "format", f"one of {', '.join(FORMATS)}", fmt)
    reader = {"bed": _read_bed, "gtf": _read_gtf, "gff3": _read_gff3, "sgd": _read_sgd,
              "step": _read_step}[fmt]
    genes = reader(file)
    if genes.empty:
        raise InputError(file, "", f"at least one gene ({fmt} format)", "none")
    genes = _finish(genes, file, duplicates)
    genes.attrs["source"] = str(file)
    return genes


def detect_format(file: Path) -> str:
    """Guess the annotation format from the name, then from the first data line."""
    name = file.name.lower().removesuffix(".gz")
    if name.endswith(".gtf"):
        return "gtf"
    if name.endswith((".gff3", ".gff")):
        return "gff3"
    if "sgd_features" in name:
        return "sgd"
    first = next((ln for ln in _lines(file, 50) if ln and not ln.startswith(("#", "track"))), "")
    if name.endswith(".csv") and "Gene1_Chromosome" in first:
        return "step"
    if name.endswith(".bed") or name.endswith(".txt") or name.endswith(".tsv"):
        return "bed"
    if name.endswith(".csv"):
        raise InputError(file, "line 1", "a STEP interaction CSV header (Gene1_Chromosome, ...); "
                         "other tables: .bed/.gtf/.gff3", first[:60] or "an empty file")
    raise InputError(file, "format", f"a file ending in .bed/.gtf/.gff3/.csv or fmt= one of "
                     f"{', '.join(FORMATS)}", file.name)


def _checked(lines: Iterable[str], file: Path) -> Iterator[str]:
    """Iterate lines; a truncated/corrupt gzip becomes an InputError."""
    try:
        yield from lines
    except GZIP_ERRORS as exc:
        raise corrupt_gzip(file, exc) from None


def _lines(file: Path, n: int) -> list[str]:
    with open_text(file, errors="replace") as fh:
        out = []
        for i, line in enumerate(_checked(fh, file)):
            if i >= n:
                break
            out.append(line.rstrip("\n"))
        return out


def _read_table(file: Path, min_cols: int, what: str) -> pd.DataFrame:
    """Tab-separated table; comment/track/browser lines and a BED column-name line
    (``chrom start end ...``) skipped."""
    rows: list[list[str]] = []
    with open_text(file, errors="replace") as fh:
        for lineno, line in enumerate(_checked(fh, file), start=1):
            if not line.strip() or line.startswith(("#", "track", "browser")):
                continue
            if not rows and what == "BED" and _is_bed_header(line):
                continue
            parts = line.rstrip("\n\r").split("\t")
            if len(parts) < min_cols:
                raise InputError(file, f"line {lineno}", f"{what} ({min_cols}+ tab-separated "
                                 "columns)", f"{len(parts)} column(s): {line.strip()[:60]}")
            parts.append(str(lineno))
            rows.append(parts)
    width = max((len(r) for r in rows), default=min_cols + 1)
    rows = [r[:-1] + [""] * (width - len(r)) + [r[-1]] for r in rows]
    df = pd.DataFrame(rows, columns=[*range(width - 1), "lineno"])
    return df


def _is_bed_header(line: str) -> bool:
    parts = [p.strip().lower() for p in line.split("\t")]
    return len(parts) >= 3 and parts[0] in ("chrom", "chr", "chromosome", "seqnames") \
        and not parts[1].isdigit()


def _int_column(df: pd.DataFrame, col: int | str, file: Path, what: str) -> np.ndarray:
    values, i = finite_numbers(df[col])
    if i is not None:
        raise InputError(file, f"line {df['lineno'].iloc[i]}", f"an integer {what}",
                         df[col].iloc[i])
    return values.to_numpy(dtype=np.int64)


def _read_bed(file: Path) -> pd.DataFrame:
    df = _read_table(file, 3, "BED")
    start = _int_column(df, 1, file, "start (column 2)")
    end = _int_column(df, 2, file, "end (column 3)")
    ncol = df.shape[1] - 1
    name = df[3] if ncol > 3 else pd.Series([f"gene{i}" for i in range(len(df))])
    strand = df[5] if ncol > 5 else pd.Series(["."] * len(df))
    extra_id = ncol > 6 and not _is_bed12(df)  # ABC's column 7 = id; BED12's = thickStart
    gene_id = df[6].where(df[6] != "", name) if extra_id else name
    out = pd.DataFrame({"chrom": df[0], "start": start, "end": end, "gene_id": gene_id,
                        "symbol": name, "strand": strand, "lineno": df["lineno"]})
    if extra_id and ncol > 7:
        out["gene_type"] = df[7]
    return out


def _is_bed12(df: pd.DataFrame) -> bool:
    """thickStart / thickEnd (columns 7-8) integers within start-end, blockCount (10) an
    integer and blockSizes (11) a comma list: not an integer id in column 7."""
    if df.shape[1] - 1 < 12:
        return False
    if not all(df[c].str.fullmatch(r"\d+").all() for c in (1, 2, 6, 7, 9)):
        return False
    start, end = df[1].astype(np.int64), df[2].astype(np.int64)
    thick = (df[6].astype(np.int64) >= start) & (df[7].astype(np.int64) <= end)
    return bool(thick.all() and df[10].str.fullmatch(r"[\d,]+").all())


def _attr(attrs: pd.Series, key: str, gff: bool = False) -> pd.Series:
    pattern = rf"(?:^|;)\s*{key}=([^;]+)" if gff else rf'(?:^|;)\s*{key} "([^"]*)"'
    return attrs.str.extract(pattern, expand=False)


def _read_gtf(file: Path) -> pd.DataFrame:
    df = _read_table(file, 9, "GTF")
    genes = df[df[2] == "gene"]
    if genes.empty:
        genes = df[df[2].isin(["transcript", "exon"])]
    attrs = genes[8]
    out = pd.DataFrame({
        "chrom": genes[0], "start": _int_column(genes, 3, file, "start (column 4)") - 1,
        "end": _int_column(genes, 4, file, "end (column 5)"),
        "gene_id": _attr(attrs, "gene_id"), "strand": genes[6], "lineno": genes["lineno"],
    })
    if out["gene_id"].isna().any():
        i = int(np.flatnonzero(out["gene_id"].isna().to_numpy())[0])
        raise InputError(file, f"line {out['lineno'].iloc[i]}", 'a gene_id "..." attribute',
                         attrs.iloc[i][:60])
    out["symbol"] = _attr(attrs, "gene_name").fillna(out["gene_id"])
    gtype = _attr(attrs, "gene_type").combine_first(_attr(attrs, "gene_biotype"))
    if gtype.notna().any():
        out["gene_type"] = gtype
    if (df[2] == "gene").any():
        return out
    agg = {"chrom": "first", "start": "min", "end": "max", "strand": "first", "symbol": "first",
           "lineno": "first"}
    if "gene_type" in out:
        agg["gene_type"] = "first"
    return out.groupby("gene_id", sort=False).agg(agg).reset_index()


def _read_gff3(file: Path) -> pd.DataFrame:
    df = _read_table(file, 9, "GFF3")
    genes = df[df[2].isin(_GFF_GENE_TYPES)]
    attrs = genes[8]
    gid = _attr(attrs, "ID", gff=True).str.replace(r"^gene:", "", regex=True)
    out = pd.DataFrame({
        "chrom": genes[0], "start": _int_column(genes, 3, file, "start (column 4)") - 1,
        "end": _int_column(genes, 4, file, "end (column 5)"), "gene_id": gid,
        "strand": genes[6], "lineno": genes["lineno"],
    })
    if out["gene_id"].isna().any():
        i = int(np.flatnonzero(out["gene_id"].isna().to_numpy())[0])
        raise InputError(file, f"line {out['lineno'].iloc[i]}", "an ID= attribute",
                         attrs.iloc[i][:60])
    out["symbol"] = _attr(attrs, "Name", gff=True).fillna(out["gene_id"])
    gtype = _attr(attrs, "biotype", gff=True).combine_first(_attr(attrs, "gene_type", gff=True))
    out["gene_type"] = gtype.fillna(genes[2])
    return out


def _read_sgd(file: Path) -> pd.DataFrame:
    df = _read_table(file, 12, "SGD_features.tab")
    keep = df[1].isin(_SGD_TYPES) & df[6].str.startswith("chromosome") & (df[9] != "")
    df = df[keep]
    a = _int_column(df, 9, file, "start (column 10)")
    b = _int_column(df, 10, file, "stop (column 11)")
    chrom_num = to_numbers(df[8], errors="coerce")
    roman = ["", "I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII",
             "XIII", "XIV", "XV", "XVI"]
    chrom = [f"chr{roman[int(n)]}" if 0 < n <= 16 else "chrM" for n in chrom_num.fillna(17)]
    gtype = (df[1] + np.where(df[2] != "", "|" + df[2], "")).to_numpy()
    return pd.DataFrame({
        "chrom": chrom, "start": np.minimum(a, b) - 1, "end": np.maximum(a, b),
        "gene_id": df[3].to_numpy(), "symbol": df[4].where(df[4] != "", df[3]).to_numpy(),
        "strand": df[11].map({"W": "+", "C": "-"}).fillna(".").to_numpy(),
        "gene_type": gtype, "lineno": df["lineno"].to_numpy(),
    })


def _read_step(file: Path) -> pd.DataFrame:
    """Unique genes of a STEP interaction CSV (Gene1*/Gene2* columns; strand unknown)."""
    df = read_step_csv(file, usecols=lambda c: "Time" not in c)
    parts = []
    for side in ("Gene1", "Gene2"):
        cols = [side, f"{side}_Chromosome", f"{side}_Start", f"{side}_End"]
        missing = [c for c in cols if c not in df.columns]
        if missing:
            raise InputError(file, "header", f"STEP columns {', '.join(cols)}",
                             f"missing {missing[0]}")
        part = df[cols].set_axis(["gene_id", "chrom", "start", "end"], axis=1)
        part["lineno"] = (df.index + 2).astype(str)
        parts.append(part)
    genes = pd.concat(parts).drop_duplicates("gene_id")
    starts = to_numbers(genes["start"], errors="coerce")
    if starts.isna().any():
        i = int(np.flatnonzero(starts.isna().to_numpy())[0])
        raise InputError(file, f"line {genes['lineno'].iloc[i]}", "a numeric gene start",
                         genes["start"].iloc[i])
    genes["start"] = starts.astype(np.int64)
    genes["end"] = to_numbers(genes["end"], errors="coerce").fillna(starts).astype(np.int64)
    genes["chrom"] = "chr" + genes["chrom"].astype(str).str.removeprefix("chr")
    genes["symbol"] = genes["gene_id"]
    genes["strand"] = "."
    return genes


def _finish(genes: pd.DataFrame, file: Path, duplicates: str) -> pd.DataFrame:
    """Validate coordinates, compute the TSS, handle duplicate ids, order columns."""
    genes = genes.reset_index(drop=True)
    bad = (genes["start"] < 0) | (genes["end"] < genes["start"])
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(file, f"line {genes['lineno'].iloc[i]}", "0 <= start <= end",
                         f"start {genes['start'].iloc[i]}, end {genes['end'].iloc[i]}")
    strand = genes["strand"].where(genes["strand"].isin(["+", "-"]), ".")
    genes["strand"] = strand
    genes["tss"] = np.where(strand == "-", genes["end"] - 1, genes["start"]).astype(np.int64)
    genes["chrom"] = genes["chrom"].astype(str)
    genes["gene_id"] = genes["gene_id"].astype(str)
    genes["symbol"] = genes["symbol"].fillna(genes["gene_id"]).astype(str)
    genes = _dedupe(genes, file, duplicates)
    cols = COLUMNS + (["gene_type"] if "gene_type" in genes else [])
    return genes[cols].reset_index(drop=True)


def _dedupe(genes: pd.DataFrame, file: Path, duplicates: str) -> pd.DataFrame:
    dup = genes["gene_id"].duplicated()
    if not dup.any():
        return genes
    if duplicates == "error":
        i = int(np.flatnonzero(dup.to_numpy())[0])
        raise InputError(file, f"line {genes['lineno'].iloc[i]}", "unique gene ids",
                         f"'{genes['gene_id'].iloc[i]}' again")
    if duplicates == "suffix":
        rank = genes.groupby("gene_id").cumcount() + 1
        genes["gene_id"] = genes["gene_id"].where(rank == 1, genes["gene_id"] + "_" +
                                                  rank.astype(str))
        log.warning("%s: %d duplicate gene ids renamed with a _N suffix", file, int(dup.sum()))
        return genes
    if duplicates != "first":
        raise InputError("duplicates", "", "one of first, suffix, error", duplicates)
    log.warning("%s: %d rows repeat an earlier gene id; kept the first", file, int(dup.sum()))
    return genes[~dup]


def genes_from_text(text: str, fmt: str, name: str = "genes.bed") -> pd.DataFrame:
    """Parse annotation ``text`` (used by tests and small inputs) through a temporary file."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_text(text)
        return read_genes(path, fmt)


__all__ = ["read_genes", "detect_format", "genes_from_text", "COLUMNS", "io"]

"""Readers for STEP's published tables (mouse lung mRNA / miRNA-target time courses + Hi-C).

``interaction_mrna.csv`` / ``interaction_mirna.csv`` hold one row per gene pair with both genes'
coordinates, 1 Mb bin, Hi-C contact, compartment, insulation, distance to a TAD boundary and a
``Gene{1,2}_Time_{t}`` expression series. Traps handled here (see ``docs/step_data.md``):

- the same gene can carry different series in different rows (some rows hold another gene's
  series): :func:`read_step_pairs` keeps the most frequent series and reports the others in
  ``StepPairs.conflicts``; prefer :func:`read_step_mrna_raw` for the mRNA time course;
- the 160 "times" of the miRNA table are NanoString samples in the column order of
  ``raw/mirna.txt`` (3-5 replicates per day, one blank column, six E16.5 samples last): they are
  averaged per day here.

Embryonic days are put on STEP's postnatal axis as ``E - 21`` (E16.5 -> -4.5, as in its tables).
"""

from __future__ import annotations

import io
import logging
import os
import re
import warnings
import zlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd

from hicexpr.io.expression import expression_anndata, parse_numbers
from hicexpr.io.text import compression, open_text, to_numbers
from hicexpr.io.timelabels import EMBRYONIC_OFFSET
from hicexpr.lib.errors import InputError, first_line

log = logging.getLogger(__name__)

PathLike = str | os.PathLike[str]
_SIDE_FIELDS = {
    "Chromosome": "chrom",
    "Start": "start",
    "End": "end",
    "Bin": "bin",
    "Compartment": "compartment",
    "Insulation_Score": "insulation",
    "TAD_Boundary_Distance": "tad_distance",
}
_DAY = re.compile(r"^\s*([EePp])\s*(\d+(?:\.5)?)")
_MIRNA_ANNOTATION_COLUMNS = 4


@dataclass
class StepPairs:
    """A STEP interaction table, split into its parts.

    Attributes:
        pairs: one row per CSV row: ``gene1, gene2, chrom1, start1, end1, bin1, chrom2, ...,
            hic, compartment1/2, insulation1/2, tad_distance1/2, line`` (CSV line number).
        genes: one row per gene (index ``gene_id``): ``chrom, start, end, strand, tss, symbol,
            bin, compartment, insulation, tad_distance, name`` (original CSV names, ``|``-joined).
        expression: AnnData (obs = time points, var = genes) of the most frequent CSV series.
        conflicts: one row per (gene, distinct series) for genes whose rows disagree.
        source: the CSV path.
    """

    pairs: pd.DataFrame
    genes: pd.DataFrame
    expression: ad.AnnData
    conflicts: pd.DataFrame
    source: str = ""
    extra: dict[str, object] = field(default_factory=dict)


def clean_step_name(name: str) -> str:
    """STEP gene label -> gene id: drop notes in brackets and after a double space.

    ``'EGFR (Epidermal growth factor receptor) (PMID ...)'`` -> ``'EGFR'``,
    ``'GUCY1A2  sGC(soluble ...)'`` -> ``'GUCY1A2'``, ``'Aqp5(Aquaporin)'`` -> ``'Aqp5'``.
    """
    text = str(name).split("(")[0]
    text = re.split(r"\s{2,}", text.strip())[0]
    return text.strip() or str(name).strip()


def step_sample_day(label: str) -> float | None:
    """Day of a STEP sample label on the postnatal axis (``P3b-5.7`` -> 3.0, ``E16.5`` -> -4.5).

    Numeric labels are returned as they are; unparseable labels give None.
    """
    try:
        return float(label)
    except ValueError:
        pass
    match = _DAY.match(str(label))
    if match is None:
        return None
    day = float(match.group(2))
    return day - EMBRYONIC_OFFSET if match.group(1) in "Ee" else day


def read_step_pairs(
    csv: PathLike,
    reference: ad.AnnData | None = None,
    raw_mirna: PathLike | None = None,
    tol: float = 1e-6,
) -> StepPairs:
    """Read a STEP ``interaction_*.csv``.

    Each side of a row (gene label, coordinates, series) is a *record*. Without ``reference``
    a gene's series is its most frequent one. With ``reference`` (an independent expression
    AnnData on the same time points, e.g. :func:`read_step_mrna_raw`), a record whose series
    equals another gene's reference series (max abs difference < ``tol``) is relabelled to that
    gene: such rows carry another gene's coordinates and series under a wrong name.

    Args:
        csv: the table.
        reference: expression used to resolve mislabelled records (optional).
        raw_mirna: ``raw/mirna.txt`` giving the day of each of the 160 miRNA sample columns
            (default: ``raw/mirna.txt`` next to the CSV). Used only for the miRNA layout.
        tol: largest absolute difference for two series to count as the same.

    Returns:
        :class:`StepPairs`; ``pairs`` has ``gene1/gene2`` (resolved), ``label1/label2`` (as
        written) and ``status1/status2`` (``own``, ``relabelled``, ``unmatched`` or
        ``unchecked`` without a reference).
    """
    file = Path(csv)
    table = _read_csv(file)
    time_cols = _time_columns(file, table)
    sides, values = _records(table, time_cols)
    ref = _reference_matrix(reference, values.shape[1]) if reference is not None else None
    if ref is not None:
        _resolve_labels(sides, values, ref, tol)
    keep_rows, conflicts = _consensus(sides, values, ref, tol)
    genes = _genes_frame(sides.loc[keep_rows])
    pairs = _pairs_frame(table, sides)
    series = pd.DataFrame(values[keep_rows], index=sides.loc[keep_rows, "gene"].to_numpy())
    expression = _kept_expression(file, series, genes, time_cols, raw_mirna)
    if len(conflicts):
        log.warning("%s: %d gene labels carry conflicting series in different rows", file,
                    conflicts["gene"].nunique())
    return StepPairs(pairs, genes, expression, conflicts, str(file))


def _records(table: pd.DataFrame, time_cols: list[str]) -> tuple[pd.DataFrame, np.ndarray]:
    """Both sides of every row as records (side 1 rows first): ``gene, chrom, start, end, bin,
    compartment, insulation, tad_distance, name, line, label, status``, and their series
    ``[2 x rows, times]``."""
    sides = pd.concat([_side(table, 1), _side(table, 2)], ignore_index=True)
    values = np.vstack([
        table[[f"Gene{s}_Time_{c}" for c in time_cols]].to_numpy(dtype=float) for s in (1, 2)
    ])
    sides["line"] = np.tile(np.arange(len(table)) + 2, 2)
    sides["label"] = sides["gene"]
    sides["status"] = "unchecked"
    return sides, values


def _kept_expression(file: Path, series: pd.DataFrame, genes: pd.DataFrame,
                     time_cols: list[str], raw_mirna: PathLike | None) -> ad.AnnData:
    """AnnData of the kept ``series`` (genes x time columns) with the genes' coordinates.

    miRNA sample columns become days (:func:`_mirna_days`); time points without any value
    are dropped.
    """
    frame = series.reindex(genes.index)
    frame.columns = list(time_cols)
    labels = [float(c) for c in time_cols]
    provenance: dict[str, object] = {"table": str(file), "series": "resolved CSV series"}
    if _is_sample_indexed(labels):
        labels, frame, note = _mirna_days(file, frame, labels, raw_mirna)
        provenance["aggregation_note"] = note
    keep = ~frame.isna().all(axis=0)
    frame = frame.loc[:, keep.to_numpy()]
    labels = [t for t, k in zip(labels, keep, strict=True) if k]
    expression = expression_anndata(frame, labels, source=str(file), provenance=provenance)
    coords = genes[["chrom", "start", "end", "strand", "tss", "symbol"]]
    expression.var = expression.var.join(coords)
    return expression


def read_step_mrna_raw(path: PathLike) -> ad.AnnData:
    """Read STEP's raw mRNA table (``mRNAnorm.txt`` or ``mRNA.txt``) as per-day means.

    The header holds numeric days (``mRNAnorm.txt``) or sample names such as ``E16.5-031``,
    ``P0.5-a8`` (``mRNA.txt``); replicates of one day are averaged. ``var["name"]`` keeps
    the original labels, the index is :func:`clean_step_name` of them.
    """
    file = Path(path)
    raw = _read_text_table(file)
    header = [h.strip() for h in raw.iloc[0, 1:].tolist()]
    body = raw.iloc[1:]
    body = body[body.iloc[:, 0].str.strip() != ""]
    days = _days(file, header, first_column=2)
    values = _numeric(file, body.iloc[:, 1:], first_line=2, first_column=2)
    names = body.iloc[:, 0].str.strip().tolist()
    frame = pd.DataFrame(values, index=_unique_ids(names), columns=header)
    keep = [d is not None for d in days]
    frame = frame.loc[:, keep]
    adata = expression_anndata(
        frame, [d for d in days if d is not None], source=str(file),
        provenance={"days": "E day - 21 for embryonic samples (E16.5 -> -4.5)"},
    )
    adata.var["name"] = names
    return adata


def read_step_mirna(path: PathLike, raw_mirna: PathLike | None = None) -> ad.AnnData:
    """STEP miRNA expression aggregated to days.

    Args:
        path: ``interaction_mirna.csv`` (the target genes' series, columns = samples of
            ``raw/mirna.txt``) or the raw NanoString table ``raw/mirna.txt`` / ``mirnanorm.txt``
            (rows = probes, four annotation columns, then one column per sample).
        raw_mirna: raw table giving the sample days when ``path`` is the CSV.
    """
    file = Path(path)
    if file.suffix.lower() == ".csv":
        return read_step_pairs(file, raw_mirna=raw_mirna).expression
    raw = _read_text_table(file)
    header = [h.strip() for h in raw.iloc[0].tolist()]
    body = raw.iloc[1:]
    body = body[body.iloc[:, 0].str.strip() != ""]
    first = _MIRNA_ANNOTATION_COLUMNS
    days = _days(file, header[first:], first_column=first + 1, allow_blank=True)
    values = _numeric(file, body.iloc[:, first:], first_line=2, first_column=first + 1)
    names = body.iloc[:, 0].str.strip().tolist()
    sample_names = [f"{h}#{i + 1}" for i, h in enumerate(header[first:])]
    frame = pd.DataFrame(values, index=_unique_ids(names), columns=sample_names)
    keep = [d is not None for d in days]
    frame = frame.loc[:, keep]
    adata = expression_anndata(
        frame, [d for d in days if d is not None], source=str(file),
        provenance={"days": "sample columns averaged per day; blank columns dropped"},
    )
    adata.var["accession"] = body.iloc[:, 1].str.strip().to_numpy()
    adata.var["class"] = body.iloc[:, 3].str.strip().to_numpy()
    return adata


def mirna_sample_days(raw_mirna: PathLike) -> list[float | None]:
    """Day of each sample column of ``raw/mirna.txt`` (None for the blank column)."""
    file = Path(raw_mirna)
    raw = _read_text_table(file, nrows=1)
    header = [h.strip() for h in raw.iloc[0].tolist()][_MIRNA_ANNOTATION_COLUMNS:]
    return _days(file, header, first_column=_MIRNA_ANNOTATION_COLUMNS + 1, allow_blank=True)


# --- CSV parsing ---------------------------------------------------------------------------


def read_step_csv(file: Path, usecols: Callable[[str], bool] | None = None) -> pd.DataFrame:
    """A STEP interaction CSV as pandas reads it (gzip by content; ``usecols`` as there).

    Raises:
        InputError: missing, empty, truncated or unparsable file.
    """
    if not file.is_file():
        raise InputError(file, "", "an existing STEP interaction CSV", "no such file")
    try:
        text = pd.read_csv(file, usecols=usecols, compression=compression(file), dtype=str)
    except (OSError, EOFError, zlib.error, pd.errors.ParserError, pd.errors.EmptyDataError,
            UnicodeDecodeError) as exc:
        raise InputError(file, "", "a STEP interaction CSV", first_line(exc)) from None
    return text.apply(_numeric_if_possible)


def _numeric_if_possible(column: pd.Series) -> pd.Series:
    """A text column as numbers when every cell is one (as read_csv's own inference, with the
    same parser, so values are those read_csv gives), else unchanged."""
    try:
        return to_numbers(column, errors="raise")
    except (ValueError, TypeError):
        return column


def _read_csv(file: Path) -> pd.DataFrame:
    table = read_step_csv(file)
    table = table.loc[:, ~table.columns.str.startswith("Unnamed")]
    required = ["Gene1", "Gene2", "HiC_Interaction"] + [
        f"Gene{s}_{k}" for s in (1, 2) for k in ("Chromosome", "Start", "End", "Bin")
    ]
    missing = [c for c in required if c not in table.columns]
    if missing:
        raise InputError(file, "line 1", f"column '{missing[0]}'", "a header without it")
    for col in ["HiC_Interaction"] + [c for c in required if c.endswith(("Start", "End", "Bin"))]:
        bad = to_numbers(table[col], errors="coerce").isna()
        if bad.any():
            line = int(np.argmax(bad.to_numpy())) + 2
            got = table[col][bad].iloc[0]
            raise InputError(file, f"line {line}, column '{col}'", "a number", got)
    return table


def _time_columns(file: Path, table: pd.DataFrame) -> list[str]:
    cols = [c[len("Gene1_Time_"):] for c in table.columns if c.startswith("Gene1_Time_")]
    if not cols:
        raise InputError(file, "line 1", "Gene1_Time_<t> expression columns", "none")
    for c in cols:
        try:
            float(c)
        except ValueError:
            raise InputError(file, "line 1", "numeric times in Gene1_Time_<t>", c) from None
        if f"Gene2_Time_{c}" not in table.columns:
            raise InputError(file, "line 1", f"column 'Gene2_Time_{c}'", "a header without it")
    return cols


def _side(table: pd.DataFrame, s: int) -> pd.DataFrame:
    out = pd.DataFrame({"gene": table[f"Gene{s}"].astype(str).map(clean_step_name)})
    for raw, name in _SIDE_FIELDS.items():
        col = f"Gene{s}_{raw}"
        out[name] = table[col].to_numpy() if col in table.columns else np.nan
    out["chrom"] = out["chrom"].map(_chrom_name)
    for name in ("start", "end", "bin"):
        out[name] = to_numbers(out[name]).astype("int64")
    out["name"] = table[f"Gene{s}"].astype(str).to_numpy()
    return out


def _chrom_name(value: object) -> str:
    text = str(value).strip()
    text = text[:-2] if text.endswith(".0") else text
    return text if text.startswith("chr") else f"chr{text}"


def _pairs_frame(table: pd.DataFrame, sides: pd.DataFrame) -> pd.DataFrame:
    n = len(table)
    a, b = sides.iloc[:n].reset_index(drop=True), sides.iloc[n:].reset_index(drop=True)
    pairs = pd.DataFrame({"gene1": a["gene"], "gene2": b["gene"]})
    for name in ("chrom", "start", "end", "bin"):
        pairs[f"{name}1"], pairs[f"{name}2"] = a[name], b[name]
    pairs["hic"] = to_numbers(table["HiC_Interaction"]).astype(float).to_numpy()
    for name in ("compartment", "insulation", "tad_distance", "label", "status"):
        pairs[f"{name}1"], pairs[f"{name}2"] = a[name], b[name]
    pairs["line"] = np.arange(n) + 2
    return pairs


def _genes_frame(records: pd.DataFrame) -> pd.DataFrame:
    """One row per gene from the records that carry its kept series (first one)."""
    names = records.groupby("gene")["name"].agg(lambda s: "|".join(sorted(set(s))))
    first = records.drop_duplicates("gene").set_index("gene")
    cols = ["chrom", "start", "end", "bin", "compartment", "insulation", "tad_distance"]
    genes = first[cols].assign(strand=".", tss=first["start"], symbol=first.index, name=names)
    genes.index.name = "gene_id"
    return genes.sort_index()


def _resolve_labels(sides: pd.DataFrame, values: np.ndarray, ref: pd.DataFrame,
                    tol: float) -> None:
    """Relabel records whose series is another gene's reference series ``ref`` (genes x
    times), in place; a record without any value stays ``unmatched``."""
    ref_genes = list(ref.index)
    R = ref.to_numpy()
    for i in range(len(sides)):
        with np.errstate(invalid="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN rows
            diff = np.nanmax(np.abs(R - values[i][None, :]), axis=1)
        if not np.isfinite(diff).any():
            sides.at[i, "status"] = "unmatched"
            continue
        label = sides.at[i, "gene"]
        own = ref_genes.index(label) if label in ref_genes else -1
        if own >= 0 and diff[own] < tol:
            sides.at[i, "status"] = "own"
            continue
        j = int(np.nanargmin(diff))
        if diff[j] < tol:
            sides.at[i, "gene"] = ref_genes[j]
            sides.at[i, "status"] = "relabelled"
        else:
            sides.at[i, "status"] = "unmatched"


def _reference_matrix(reference: ad.AnnData, n_times: int) -> pd.DataFrame | None:
    """The reference as genes x times, or None (with a warning) on other time points."""
    if reference.n_obs != n_times:
        log.warning("reference has %d times, the table %d: not used", reference.n_obs, n_times)
        return None
    X = np.asarray(reference.X, dtype=float).T
    return pd.DataFrame(X, index=[str(g) for g in reference.var_names])


def _max_abs_diff(a: np.ndarray, b: np.ndarray) -> float:
    """Largest absolute difference over the time points both series have (NaN: none)."""
    diff = np.abs(a - b)
    diff = diff[np.isfinite(diff)]
    return float(diff.max()) if diff.size else float("nan")


def _series_key(values: np.ndarray) -> bytes:
    return np.round(np.nan_to_num(values, nan=-1e30), 6).tobytes()


def _consensus(
    sides: pd.DataFrame, values: np.ndarray, ref: pd.DataFrame | None, tol: float
) -> tuple[np.ndarray, pd.DataFrame]:
    """Row index of one record per gene (its kept series) and the table of conflicting labels.

    Kept series: the one equal to the gene's reference series when there is one, else the most
    frequent (first seen on ties). Conflicts are reported per label as written in the CSV.
    """
    keys = [_series_key(v) for v in values]
    keep: dict[str, int] = {}
    for gene, idx in sides.groupby("gene", sort=False).groups.items():
        idx = list(idx)
        counts = Counter(keys[i] for i in idx)
        best = counts.most_common(1)[0][0]
        if ref is not None and gene in ref.index:
            own = [i for i in idx if _max_abs_diff(values[i], ref.loc[gene].to_numpy()) < tol]
            best = keys[own[0]] if own else best
        keep[gene] = next(i for i in idx if keys[i] == best)
    owner: dict[bytes, list[str]] = {}
    for gene, i in keep.items():
        owner.setdefault(keys[i], []).append(gene)
    rows = []
    for label, idx in sides.groupby("label", sort=True).groups.items():
        by_key: dict[bytes, list[int]] = {}
        for i in idx:
            by_key.setdefault(keys[i], []).append(i)
        if len(by_key) < 2:
            continue
        kept_key = keys[keep[label]] if label in keep else None
        ordered = sorted(by_key.items(), key=lambda kv: (kv[0] != kept_key, -len(kv[1])))
        for v, (key, members) in enumerate(ordered):
            first = members[0]
            rows.append({
                "gene": label,
                "variant": v,
                "n_records": len(members),
                "lines": ",".join(map(str, sorted(int(sides.at[i, "line"]) for i in members))),
                "kept": key == kept_key,
                "series_of": ",".join(g for g in owner.get(key, []) if g != label),
                "chrom": sides.at[first, "chrom"],
                "start": int(sides.at[first, "start"]),
                "status": sides.at[first, "status"],
                "max_abs_diff_to_kept": _max_abs_diff(values[first], values[keep[label]])
                if label in keep else np.nan,
            })
    return np.array(sorted(keep.values())), pd.DataFrame(rows)


def _is_sample_indexed(labels: list[float]) -> bool:
    return len(labels) > 100 and labels == [float(i) for i in range(1, len(labels) + 1)]


def _mirna_days(
    file: Path, frame: pd.DataFrame, labels: list[float], raw_mirna: PathLike | None
) -> tuple[list[float], pd.DataFrame, str]:
    raw = Path(raw_mirna) if raw_mirna is not None else file.parent / "raw" / "mirna.txt"
    if not raw.is_file():
        raise InputError(
            file, "Gene1_Time_<k> columns",
            f"the raw sample table {raw} to map the {len(labels)} sample columns to days",
            "no such file",
        )
    days = mirna_sample_days(raw)
    if len(days) != len(labels):
        raise InputError(raw, "line 1", f"{len(labels)} sample columns", len(days))
    keep = [d is not None for d in days]
    frame = frame.loc[:, keep]
    note = f"CSV columns 1..{len(labels)} are the samples of {raw.name}, averaged per day"
    return [d for d in days if d is not None], frame, note


# --- raw text tables -----------------------------------------------------------------------


def _read_text_table(file: Path, nrows: int | None = None) -> pd.DataFrame:
    if not file.is_file():
        raise InputError(file, "", "an existing tab-separated table", "no such file")
    try:
        with open_text(file, errors="replace") as fh:
            text = fh.read()
    except (OSError, EOFError, zlib.error) as exc:
        raise InputError(file, "", "a readable file", first_line(exc)) from None
    text = text.replace("\r\n", "\n").replace("\r", "\n")  # STEP's raw files use old-Mac CR
    return pd.read_csv(
        io.StringIO(text), sep="\t", header=None, dtype=str, keep_default_na=False, nrows=nrows
    )


def _days(
    file: Path, header: list[str], first_column: int, allow_blank: bool = False
) -> list[float | None]:
    days = []
    for i, label in enumerate(header):
        day = step_sample_day(label)
        if day is None and not (allow_blank and label == ""):
            raise InputError(
                file, f"line 1, column {first_column + i}", "a day label such as P3 or E16.5", label
            )
        days.append(day)
    return days


def _numeric(file: Path, values: pd.DataFrame, first_line: int, first_column: int) -> np.ndarray:
    return parse_numbers(file, values, first_line, first_column)


def _unique_ids(names: list[str]) -> list[str]:
    cleaned = [clean_step_name(n) for n in names]
    counts = Counter(cleaned)
    return [c if counts[c] == 1 else n for c, n in zip(cleaned, names, strict=True)]

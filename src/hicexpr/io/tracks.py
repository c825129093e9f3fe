"""Readers for 1D genomic tracks: narrowPeak / BED peaks, bigWig signal, segmentations (ChromHMM).

Every reader returns a DataFrame in bioframe's interval form: ``chrom, start, end, value``
(0-based half-open), plus ``name`` for segmentations. Chromosome names are harmonised to the
``chr`` prefix (``10`` -> ``chr10``, ``MT`` -> ``chrM``).
"""

from __future__ import annotations

import gzip
import os
import zlib
from pathlib import Path

import numpy as np
import pandas as pd

from hicexpr.io.chroms import chrom_mapping
from hicexpr.io.text import compression, finite_numbers, open_text
from hicexpr.lib.errors import InputError, first_line

PathLike = str | os.PathLike[str]

# narrowPeak columns after chrom/start/end (ENCODE spec); value = signalValue (column 7).
_NARROWPEAK_SIGNAL_COL = 6


def harmonise_chrom(names: pd.Series) -> pd.Series:
    """Add the ``chr`` prefix where missing (``1`` -> ``chr1``, ``MT`` -> ``chrM``)."""
    text = names.astype(str)
    text = text.where(text.str.lower().str.startswith("chr"), "chr" + text)  # Chr1 stays
    return text.replace({"chrMT": "chrM"})


_BINARY_TRACKS = {b"\x26\xfc\x8f\x88": "a bigWig (pass it as a bigWig track)",
                  b"\xeb\xf2\x89\x87": "a bigBed (convert it with bigBedToBed)"}


def _read_columns(path: Path, min_cols: int) -> pd.DataFrame:
    """Read a headerless, tab-separated interval file (track/browser/# lines skipped)."""
    if not path.is_file():
        raise InputError(path, "", "an existing file", "not found")
    with open(path, "rb") as fh:
        magic = fh.read(4)
    if magic in _BINARY_TRACKS:
        raise InputError(path, "", "a text interval file (BED, narrowPeak)",
                         _BINARY_TRACKS[magic])
    try:
        skip = _header_lines(path)
        df = pd.read_csv(path, sep="\t", header=None, skiprows=skip, dtype=str,
                         compression=compression(path), engine="c")
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise InputError(path, "", "a complete gzip file", f"corrupt gzip ({exc})") from None
    except pd.errors.EmptyDataError:
        raise InputError(path, "", "at least one interval", "an empty file") from None
    except pd.errors.ParserError as exc:
        raise InputError(path, "", "tab-separated columns", first_line(exc)) from None
    except UnicodeDecodeError:
        raise InputError(path, "", "a text interval file (BED, narrowPeak)", "binary data") \
            from None
    if df.shape[1] < min_cols:
        raise InputError(path, f"line {skip + 1}", f"at least {min_cols} columns",
                         f"{df.shape[1]}")
    if df.empty:
        raise InputError(path, "", "at least one interval", "an empty file")
    return df


def _header_lines(path: Path) -> int:
    n = 0
    with open_text(path, errors="replace") as fh:
        for line in fh:
            if line.startswith(("#", "track", "browser")):
                n += 1
            else:
                break
    return n


def _coords(df: pd.DataFrame, path: Path) -> pd.DataFrame:
    (start, bad_start), (end, bad_end) = finite_numbers(df[1]), finite_numbers(df[2])
    first_bad = [i for i in (bad_start, bad_end) if i is not None]
    if first_bad:
        i = min(first_bad)
        raise InputError(path, f"row {i + 1}", "integer start and end",
                         f"{df[1].iloc[i]} {df[2].iloc[i]}")
    start, end = start.astype(np.int64), end.astype(np.int64)
    bad = np.flatnonzero((end < start).to_numpy())
    if bad.size:
        i = int(bad[0])
        raise InputError(path, f"row {i + 1}", "end >= start", f"{start[i]}-{end[i]}")
    return pd.DataFrame({"chrom": harmonise_chrom(df[0]), "start": start, "end": end})


_BEDGRAPH_SUFFIXES = (".bedgraph", ".bdg", ".bg")


def is_bedgraph(path: Path) -> bool:
    """A bedGraph by its name (``.bedGraph``, ``.bdg``, ``.bg``, gzipped or not) or its
    ``track type=bedGraph`` line."""
    if path.name.lower().removesuffix(".gz").endswith(_BEDGRAPH_SUFFIXES):
        return True
    with open_text(path, errors="replace") as fh:
        first = fh.readline()
    return first.startswith("track") and "type=bedgraph" in first.lower().replace('"', "")


def read_peaks(path: PathLike, value: str = "binary") -> pd.DataFrame:
    """Read a narrowPeak / broadPeak / BED file as ``chrom, start, end, value``.

    A bedGraph (:func:`is_bedgraph`) always gives its signal (column 4): covering the genome,
    its intervals carry no information as binary peaks.

    Args:
        path: peak file (gzip or plain).
        value: ``"binary"`` (every peak 1.0), ``"signal"`` (narrowPeak signalValue, column 7)
            or ``"score"`` (BED column 5).
    """
    file = Path(path)
    df = _read_columns(file, 3)
    out = _coords(df, file)
    if is_bedgraph(file):
        return out.assign(value=_numbers(df, 3, file, "bedGraph value"))
    if value == "binary":
        out["value"] = 1.0
    elif value in ("signal", "score"):
        col = _NARROWPEAK_SIGNAL_COL if value == "signal" else 4
        out["value"] = _numbers(df, col, file, value)
    else:
        raise InputError("value", "", "'binary', 'signal' or 'score'", value)
    return out


def _numbers(df: pd.DataFrame, col: int, file: Path, what: str) -> np.ndarray:
    """Column ``col`` (0-based) as floats; InputError naming the first cell that is not one."""
    if df.shape[1] <= col:
        raise InputError(file, f"column {col + 1}", f"a {what} column", f"{df.shape[1]} columns")
    vals, bad = finite_numbers(df[col])
    if bad is not None:
        raise InputError(file, f"row {bad + 1}, column {col + 1}", "a finite number",
                         df[col].iloc[bad])
    return vals.astype(float).to_numpy()


def read_segmentation(path: PathLike) -> pd.DataFrame:
    """Read a segmentation BED (e.g. ChromHMM mnemonics): ``chrom, start, end, name``."""
    file = Path(path)
    df = _read_columns(file, 4)
    out = _coords(df, file)
    out["name"] = df[3].astype(str).to_numpy()
    out["value"] = 1.0
    return out


def read_bigwig(path: PathLike, chroms: list[str] | None = None) -> pd.DataFrame:
    """Read a bigWig's intervals as ``chrom, start, end, value``; with ``chroms``, only those
    chromosomes, named as there (``1``, ``chrI`` in the file match ``chr1`` in ``chroms``)."""
    import pyBigWig

    file = Path(path)
    if not file.is_file():
        raise InputError(file, "", "an existing bigWig file", "not found")
    try:
        bw = pyBigWig.open(str(file))
    except RuntimeError:
        raise InputError(file, "", "a readable bigWig file", "unreadable") from None
    frames = []
    try:
        available = [str(c) for c in bw.chroms()]
        if chroms is None:
            names = {str(harmonise_chrom(pd.Series([c]))[0]): c for c in available}
        else:
            names = {target: c for c, target in chrom_mapping(available, list(chroms)).items()}
        for chrom, raw in names.items():
            iv = bw.intervals(raw) or []
            if not iv:
                continue
            arr = np.asarray(iv, dtype=float)
            frames.append(pd.DataFrame({
                "chrom": chrom, "start": arr[:, 0].astype(np.int64),
                "end": arr[:, 1].astype(np.int64), "value": arr[:, 2],
            }))
    finally:
        bw.close()
    if not frames:
        return pd.DataFrame({"chrom": [], "start": [], "end": [], "value": []})
    return pd.concat(frames, ignore_index=True)


def track_name(path: PathLike) -> str:
    """A short profile name from a file name (suffixes such as ``.narrowPeak.gz`` removed)."""
    name = Path(path).name
    for suffix in (".gz", ".narrowPeak", ".broadPeak", ".bedGraph", ".bdg", ".bg", ".bed",
                   ".bigWig", ".bw", "UniPk", "_peaks"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
    return name.replace("wgEncodeAwgTfbs", "").replace("wgEncodeAwg", "")

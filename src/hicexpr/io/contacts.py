"""Open any contact map as a :class:`cooler.Cooler`.

Accepted: ``.cool``; ``.mcool`` with ``resolution=N`` or ``file.mcool::resolutions/N``; ``.hic``
(read with hictkpy); STEP's per-chromosome sparse text (``bin1_start bin2_start value``, one
``*chrN*`` file per chromosome, a folder or one file); a HiC-Pro sparse ``.matrix`` (``bin_i bin_j
count``) with its ``_abs.bed`` bins (:mod:`hicexpr.io.hicpro`); a 4DN ``.pairs`` file binned at
``resolution`` (:mod:`hicexpr.io.pairs`); a dense matrix TSV whose first column (and optional
header) are bin labels ``chrom:start-end``. Non-cooler inputs are converted
once to a cached ``.cool`` under ``$HICEXPR_CACHE`` (default ``~/.cache/hicexpr``).

Balanced versus raw is explicit: :func:`require_balanced` raises when a weight column is missing
and points to ``hicexpr contacts balance``. STEP's text maps are already normalised: their
``.cool`` stores the values as counts and a ``weight`` of 1 on every bin with data, so balanced
values equal the published ones; so do HiC-Pro ``_iced`` matrices (or any HiC-Pro matrix with
non-integer values), while raw HiC-Pro counts are stored as integer counts without weights.
"""

from __future__ import annotations

import hashlib
import itertools
import logging
import math
import os
import re
import shutil
import warnings
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import cooler
import numpy as np
import pandas as pd

from hicexpr.io import hicpro, pairs
from hicexpr.io.chroms import EXTENT_KEY, natural_sorted
from hicexpr.io.text import (
    GZIP_ERRORS,
    SAFE_FLOAT_PRECISION,
    compression,
    corrupt_gzip,
    finite_numbers,
    to_numbers,
)
from hicexpr.lib.atomic import atomic_path, scratch_folder
from hicexpr.lib.errors import InputError
from hicexpr.lib.paths import user_cache_dir

log = logging.getLogger(__name__)

_CACHE_VERSION = "2"  # 2: .hic weights marked multiplicative (divisive_weights = False)
_DENSE_SUFFIXES = (".tsv", ".tsv.gz", ".matrix", ".matrix.gz", ".mat")
_LABEL = re.compile(r"^(?P<chrom>[^:\s]+):(?P<start>\d+)-(?P<end>\d+)$")
#: Weight columns cooler reads as divisive by name (4DN / hic2cool); cooltools refuses them.
DIVISIVE_WEIGHT_NAMES = ("KR", "VC", "VC_SQRT")


def cache_dir() -> Path:
    """Folder for converted maps: ``$HICEXPR_CACHE`` or ``~/.cache/hicexpr``."""
    path = user_cache_dir()
    path.mkdir(parents=True, exist_ok=True)
    return path


def contact_format(path: Path) -> str:
    """``cool``, ``mcool``, ``hic``, ``step``, ``hicpro``, ``pairs`` or ``dense`` from the file
    name / folder; a ``.matrix`` is HiC-Pro when an ``_abs.bed`` lies beside it or its first line is
    three numbers (``bin_i bin_j count``), else a dense TSV."""
    name = path.name.lower()
    if path.is_dir():
        return "step"
    if name.endswith(".mcool"):
        return "mcool"
    if name.endswith(".cool"):
        return "cool"
    if name.endswith(".hic"):
        return "hic"
    if pairs.has_pairs_name(path):
        return "pairs"
    if hicpro.has_matrix_name(path) and (hicpro.sibling_bins(path) is not None
                                         or hicpro.looks_sparse(path)):
        return "hicpro"
    if name.endswith(_DENSE_SUFFIXES):
        return "dense"
    if name.endswith(".txt") or name.endswith(".txt.gz"):
        return "step"
    raise InputError(path, "", "a .cool, .mcool, .hic, STEP text folder/.txt, HiC-Pro .matrix, "
                     ".pairs or dense .tsv map", path.name)


def _map_format(file: Path, bins: str | os.PathLike[str] | None) -> str:
    """:func:`contact_format`; with an explicit HiC-Pro ``bins`` file, any sparse three-number
    text map is read as HiC-Pro, and other maps are refused."""
    fmt = contact_format(file)
    if bins is None or fmt == "hicpro":
        return fmt
    if fmt in ("step", "dense") and file.is_file() and hicpro.looks_sparse(file):
        return "hicpro"
    raise InputError(file, "bins", "a HiC-Pro sparse matrix (bin_i bin_j count) with a bins "
                     "file", f"a {fmt} map")


def open_contacts(path: str | os.PathLike[str], resolution: int | None = None, *,
                  assembly: str | None = None,
                  bins: str | os.PathLike[str] | None = None) -> cooler.Cooler:
    """Open a contact map of any supported format as a Cooler (see module docstring).

    Args:
        path: map path; ``file.mcool::resolutions/N`` (or ``file.hic::resolutions/N``)
            selects a resolution.
        resolution: bin size in bp; required for multi-resolution files, checked otherwise.
        assembly: genome assembly (e.g. ``mm9``) for STEP/dense maps, which do not store one:
            chromosome lengths then come from bioframe; without it they are the data's extent.
        bins: HiC-Pro bins file (``_abs.bed``) of a sparse ``.matrix``; without it the
            matrix's ``<sample>_<res>_abs.bed`` sibling is used.
    """
    text = str(path)
    uri_group = None
    if "::" in text:
        text, uri_group = text.split("::", 1)
    file = Path(text)
    if not file.exists():
        raise InputError(file, "", "an existing contact map", "no such file or folder")
    fmt = _map_format(file, bins)
    if fmt in ("cool", "mcool"):
        return _open_cooler(file, fmt, uri_group, resolution)
    if uri_group is not None:
        resolution = _group_resolution(str(path), uri_group, resolution)
    return cooler.Cooler(str(_cached_cool(file, fmt, resolution, assembly, bins)))


_RESOLUTION_GROUP = re.compile(r"^/?resolutions/(\d+)$")


def _group_resolution(uri: str, group: str, resolution: int | None) -> int:
    """The N of ``file.hic::resolutions/N`` (the only group a non-cooler map can name); it
    must agree with ``resolution`` when both are given."""
    file = uri.split("::", 1)[0]
    match = _RESOLUTION_GROUP.match(group)
    if match is None:
        raise InputError(file, f"group '{group}'", "file::resolutions/N", group)
    chosen = int(match.group(1))
    if resolution is not None and resolution != chosen:
        raise InputError(uri, "resolution", f"{chosen} (the path's resolution) or none",
                         resolution)
    return chosen


def _open_cooler(file: Path, fmt: str, group: str | None, resolution: int | None) -> cooler.Cooler:
    if group is None and fmt == "cool":
        try:
            root = cooler.Cooler(str(file))
        except (KeyError, ValueError, OSError):
            root = None  # not a single-resolution cooler at the root: look for resolutions
        if root is not None:
            return _check_resolution(root, file, resolution)
    try:
        groups = cooler.fileops.list_coolers(str(file))
    except OSError as exc:
        raise InputError(file, "", "a readable cooler (HDF5) file", str(exc)[:60]) from None
    if group is None:
        group = _resolution_group(file, groups, resolution)
    try:
        clr = cooler.Cooler(f"{file}::{group}")
    except (KeyError, ValueError, OSError) as exc:
        listed = "/" + group.lstrip("/") in groups
        raise InputError(file, group, f"a cooler group (one of {', '.join(groups)})",
                         str(exc)[:60] if listed else "no such group") from None
    return _check_resolution(clr, file, resolution)


def _resolution_group(file: Path, groups: list[str], resolution: int | None) -> str:
    """The group of ``resolution`` in a multi-resolution file (a root cooler: ``/``)."""
    res = {int(g.rsplit("/", 1)[-1]): g for g in groups if g.startswith("/resolutions/")}
    if not res and "/" in groups:  # a single cooler at the root of an .mcool
        return "/"
    if not res:
        raise InputError(file, "", "a cooler file (.cool or .mcool)", "no cooler inside")
    if resolution is None:
        raise InputError(file, "resolution", "--resolution N or file.mcool::resolutions/N "
                         f"(available: {', '.join(map(str, sorted(res)))})")
    if resolution in res:
        return res[resolution]
    unlisted = _unlisted_resolution(file, resolution)
    if unlisted is None:
        raise InputError(file, "resolution", f"one of {', '.join(map(str, sorted(res)))}",
                         resolution)
    return unlisted


def _unlisted_resolution(file: Path, resolution: int) -> str | None:
    """``/resolutions/N`` when it exists although cooler does not list it (e.g. a group
    copied from an old format-version-2 cooler by ``cooler zoomify``), else None."""
    import h5py

    group = f"/resolutions/{resolution}"
    with h5py.File(file, "r") as h5:
        return group if isinstance(h5.get(group), h5py.Group) else None


def _check_resolution(clr: cooler.Cooler, file: Path, resolution: int | None) -> cooler.Cooler:
    if resolution is not None and clr.binsize != resolution:
        raise InputError(file, "resolution", f"the map's bin size {clr.binsize}", resolution)
    return clr


def require_balanced(clr: cooler.Cooler, path: str | os.PathLike[str] | None = None,
                     weight: str = "weight") -> None:
    """Raise :class:`InputError` unless the map has the balancing weight column ``weight``."""
    columns = list(clr.bins().columns)
    if weight not in columns:
        others = [c for c in columns if c not in ("chrom", "start", "end", "size")]
        hint = f" (it has: {', '.join(others)}; pass --weight NAME)" if others else ""
        raise InputError(path or clr.filename, f"weight column '{weight}'",
                         "a balanced map: run `hicexpr contacts balance MAP` or ask for raw "
                         f"counts{hint}", "no such column")
    if needs_multiplicative_copy(clr, weight):  # callers convert with multiplicative_weights
        raise InputError(path or clr.filename, f"weight column '{weight}'",
                         "multiplicative weights (cooltools refuses divisive or KR/VC/VC_SQRT "
                         "columns; convert with hicexpr.io.contacts.multiplicative_weights)",
                         "divisive weights")


def is_divisive(clr: cooler.Cooler, weight: str) -> bool:
    """Whether ``bins/<weight>`` divides counts: its ``divisive_weights`` attribute, else
    cooler's convention (``KR``, ``VC``, ``VC_SQRT`` are divisive)."""
    attrs = clr._load_attrs(f"bins/{weight}")
    if "divisive_weights" in attrs:
        return bool(attrs["divisive_weights"])
    return weight in DIVISIVE_WEIGHT_NAMES


def needs_multiplicative_copy(clr: cooler.Cooler, weight: str) -> bool:
    """Whether cooltools would refuse ``weight`` (a divisive column or a reserved name)."""
    return weight in DIVISIVE_WEIGHT_NAMES or is_divisive(clr, weight)


def multiplicative_weights(clr: cooler.Cooler, weight: str) -> tuple[cooler.Cooler, str]:
    """``(clr, weight)``, or for divisive / reserved-name weights (e.g. Juicer ``KR``) a cached
    copy of the map with a multiplicative column ``weight_<name>`` (1 / divisive weight)."""
    if weight not in clr.bins().columns or not needs_multiplicative_copy(clr, weight):
        return clr, weight
    name = f"weight_{weight}"
    src = Path(clr.filename)
    key = hashlib.sha1(f"{clr.uri}|{weight}|{src.stat().st_mtime_ns}|{_CACHE_VERSION}".encode())
    target = cache_dir() / f"{src.stem}.{key.hexdigest()[:16]}.{name}.cool"
    if not target.is_file():
        log.info("%s: divisive weights '%s' stored as multiplicative '%s' in a cached copy %s",
                 clr.uri, weight, name, target)
        values = clr.bins()[weight][:].to_numpy(np.float64)
        if is_divisive(clr, weight):
            with np.errstate(divide="ignore"):
                values = 1.0 / values
        values[~np.isfinite(values)] = np.nan
        with atomic_path(target) as tmp:
            cooler.fileops.cp(clr.uri, str(tmp))
            cooler.create.append(str(tmp), "bins", {name: values})
            _mark_multiplicative(tmp, [name])
    return cooler.Cooler(str(target)), name


def _mark_multiplicative(path: Path, columns: list[str]) -> None:
    """Set ``divisive_weights = False`` on the given bin columns (cooler's attribute)."""
    import h5py

    with h5py.File(path, "r+") as h5:
        for col in columns:
            h5["bins"][col].attrs["divisive_weights"] = False


def _source_key(file: Path, resolution: int | None, assembly: str | None,
                extra: Path | None = None) -> str:
    """Cache key of a converted map: path, resolution, assembly and the name, size and mtime
    of every source file (``extra``: a HiC-Pro bins file)."""
    files = sorted(file.iterdir()) if file.is_dir() else [file]
    parts = [str(file.resolve()), str(resolution), str(assembly), _CACHE_VERSION]
    if extra is not None:
        files.append(extra)
        parts.append(str(extra.resolve()))
    parts += [f"{f.name}:{f.stat().st_size}:{f.stat().st_mtime_ns}" for f in files]
    return hashlib.sha1("|".join(parts).encode()).hexdigest()[:16]


def _cached_cool(file: Path, fmt: str, resolution: int | None, assembly: str | None,
                 bins: str | os.PathLike[str] | None = None) -> Path:
    stem = re.sub(r"[^A-Za-z0-9_.-]", "_", file.name)
    extra = hicpro.resolve_bins(file, bins) if fmt == "hicpro" else None
    target = cache_dir() / f"{stem}.{_source_key(file, resolution, assembly, extra)}.cool"
    if not target.is_file():
        log.info("converting %s (%s) to %s", file, fmt, target)
        convert_contacts(file, target, resolution=resolution, assembly=assembly, bins=extra)
    return target


def convert_contacts(src: str | os.PathLike[str], out: str | os.PathLike[str],
                     resolution: int | None = None, assembly: str | None = None,
                     bins: str | os.PathLike[str] | None = None) -> Path:
    """Write any supported map as a ``.cool`` (``cooler.create_cooler``) with assembly metadata,
    or, when ``out`` ends in ``.mcool``, as a multi-resolution file (:func:`_write_mcool`).
    ``bins``: the HiC-Pro bins file of a sparse ``.matrix`` (default: its ``_abs.bed``
    sibling)."""
    text = str(src)
    target = Path(out)
    if not target.name.lower().endswith((".cool", ".mcool")):  # before any work
        raise InputError(target, "", "an output name ending in .cool or .mcool", target.name)
    file = Path(text.split("::", 1)[0])
    if not file.exists():
        raise InputError(file, "", "an existing contact map", "no such file or folder")
    fmt = _map_format(file, bins)
    if target.name.lower().endswith(".mcool"):
        return _write_mcool(text, target, resolution, assembly, bins)
    if fmt in ("cool", "mcool"):
        clr = open_contacts(text, resolution)
        with atomic_path(target) as tmp:
            cooler.fileops.cp(clr.uri, str(tmp))
        return target
    if fmt == "step":
        with atomic_path(target) as tmp:
            _write_step_cool(file, tmp, resolution, assembly)
        return target
    if fmt == "pairs":
        with atomic_path(target) as tmp:
            _write_pairs_cool(file, tmp, resolution, assembly)
        return target
    if fmt == "hicpro":
        bed = hicpro.resolve_bins(file, bins)
        with atomic_path(target) as tmp:
            _write_hicpro_cool(file, bed, tmp, resolution, assembly)
        return target
    if fmt == "hic":
        bins, pixels, meta, asm = _hic_source(file, resolution)
    else:
        bins, pixels, meta, asm = _dense_source(file, resolution, assembly)
    meta = {"source": str(file), "format": fmt, **meta}
    with atomic_path(target) as tmp:
        cooler.create_cooler(str(tmp), bins, pixels, assembly=asm, metadata=meta,
                             dtypes={"count": pixels_dtype(fmt)}, ordered=True)
        if fmt == "hic":  # hictkpy gave multiplicative weights under names like KR, VC
            _mark_multiplicative(tmp, [c for c in bins.columns
                                       if c not in ("chrom", "start", "end")])
    return target


#: Bins per side of a tile: zoom levels stop once the genome fits in one (as `cooler zoomify`).
_TILE_BINS = 256


def zoom_resolutions(clr: cooler.Cooler) -> list[int]:
    """The map's bin size and coarser "nice" multiples (x2, x5, x10, ...) down to a genome of
    about 256 bins (``cooler zoomify``'s default stopping point), and at least up to x10."""
    base = int(clr.binsize)
    top = max(10 * base, math.ceil(int(clr.chromsizes.sum()) / _TILE_BINS))
    from cooler._reduce import preferred_sequence  # what `cooler zoomify -r N` uses

    return preferred_sequence(base, top, "nice")


def _write_mcool(src: str, target: Path, resolution: int | None, assembly: str | None,
                 bins: str | os.PathLike[str] | None = None) -> Path:
    """A real ``.mcool``: the map at its own bin size (``resolutions/<binsize>``, weights kept)
    plus coarser levels summed by ``cooler.zoomify_cooler`` (balance those with ``hicexpr
    contacts balance file.mcool::resolutions/N``)."""
    with scratch_folder(target) as tmpdir:  # a killed conversion's scratch is removed first
        base = convert_contacts(src, tmpdir / "base.cool", resolution, assembly, bins)
        clr = cooler.Cooler(str(base))
        if clr.binsize is None:
            raise InputError(src, "bins", "fixed-size bins (for an .mcool)", "variable bins")
        with atomic_path(target) as tmp:
            cooler.zoomify_cooler(str(base), str(tmp), zoom_resolutions(clr),
                                  chunksize=10_000_000)
    return target


def pixels_dtype(fmt: str) -> type:
    """Count dtype: integers for .hic, floats for (normalised) text inputs."""
    return np.int32 if fmt == "hic" else np.float64


# --- .hic --------------------------------------------------------------------------------------


def _hic_source(file: Path, resolution: int | None
                ) -> tuple[pd.DataFrame, Iterator[pd.DataFrame], Mapping[str, object], str]:
    import hictkpy

    try:
        available = sorted(hictkpy.MultiResFile(str(file)).resolutions())
    except RuntimeError as exc:
        raise InputError(file, "", "a readable .hic file", str(exc)[:60]) from None
    if resolution is None:
        if len(available) > 1:
            raise InputError(file, "resolution", "--resolution N (available: "
                             f"{', '.join(map(str, available))})")
        resolution = available[0]
    if resolution not in available:
        raise InputError(file, "resolution", f"one of {', '.join(map(str, available))}",
                         resolution)
    hic = hictkpy.File(str(file), int(resolution))
    bins = hic.bins().to_df()[["chrom", "start", "end"]]
    bins = bins.assign(chrom=bins["chrom"].astype(str), start=bins["start"].astype(np.int64),
                       end=bins["end"].astype(np.int64))
    for norm in hic.avail_normalizations():
        weights = hic.weights(norm, divisive=False)
        if weights is not None and len(weights) == len(bins):
            bins[norm] = weights
    chroms = list(hic.chromosomes())

    def pixels() -> Iterator[pd.DataFrame]:
        for i, c1 in enumerate(chroms):
            parts = [hic.fetch(c1, c2).to_df() for c2 in chroms[i:]]
            df = pd.concat(parts, ignore_index=True)
            if len(df):
                yield df.sort_values(["bin1_id", "bin2_id"], kind="stable")

    asm = str(hic.attributes().get("assembly") or "unknown")
    return bins, pixels(), {"normalisations": list(hic.avail_normalizations())}, asm


# --- STEP text -----------------------------------------------------------------------------------

_CHROM_IN_NAME = re.compile(r"(chr[0-9A-Za-z]+?)(?:[_.]|$)")


def _step_files(file: Path) -> dict[str, Path]:
    files = sorted(file.glob("*.txt*")) if file.is_dir() else [file]
    found: dict[str, Path] = {}
    for f in files:
        match = _CHROM_IN_NAME.search(f.name)
        if match is None:
            raise InputError(f, "file name", "a chromosome in the name (e.g. ..chr1_1mb..)",
                             f.name)
        found[match.group(1)] = f
    if not found:
        raise InputError(file, "", "STEP contact files (*chrN*.txt)", "none")
    return {name: found[name] for name in natural_sorted(found)}


STEP_CHUNK_ROWS = 250_000  # text rows parsed at a time: memory stays bounded whatever the size
STEP_MERGE_ROWS = 1_000_000  # unsorted input: pixels per temporary cooler (merged on disk)
_STEP_EXPECTED = "3 columns: bin1_start bin2_start value"
_NO_PIXELS = pd.DataFrame({"bin1_id": np.zeros(0, np.int64), "bin2_id": np.zeros(0, np.int64),
                           "count": np.zeros(0), "n": np.zeros(0, np.int64)})


def _step_chunks(f: Path, chunksize: int | None = None) -> Iterator[pd.DataFrame]:
    """Validated ``pos1, pos2, count`` chunks of one STEP text file (gzip allowed)."""
    first = 0
    try:
        for df in pd.read_csv(f, sep=r"\s+", header=None, comment="#", compression=compression(f),
                              chunksize=chunksize or STEP_CHUNK_ROWS,
                              float_precision=SAFE_FLOAT_PRECISION):
            if df.shape[1] != 3:
                raise InputError(f, f"line {first + 1}", _STEP_EXPECTED, f"{df.shape[1]} columns")
            df.columns = ["pos1", "pos2", "count"]
            for col in df.columns:
                values, i = finite_numbers(df[col])
                if i is not None:
                    raise InputError(f, f"line {first + i + 1}",
                                     f"a finite number in column {col}", df[col].iloc[i])
                df[col] = values
            first += len(df)
            yield df
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InputError(f, "", _STEP_EXPECTED, str(exc)[:60]) from None
    except GZIP_ERRORS as exc:
        raise corrupt_gzip(f, exc) from None


def _lex_sorted(lo: np.ndarray, hi: np.ndarray, strict: bool = False) -> bool:
    """Whether the pairs ``(lo, hi)`` are in (strictly, i.e. also without repeats)
    increasing lexicographic order."""
    dlo, dhi = np.diff(lo), np.diff(hi)
    return bool(((dlo > 0) | ((dlo == 0) & ((dhi > 0) if strict else (dhi >= 0)))).all())


def _pairs_sorted(lo: np.ndarray, hi: np.ndarray, last: tuple[int, int] | None) -> bool:
    """Whether the pairs ``(lo, hi)`` are in non-decreasing order, continuing from ``last``."""
    if last is not None:
        lo, hi = np.r_[last[0], lo], np.r_[last[1], hi]
    return _lex_sorted(lo, hi)


def _step_extent(files: dict[str, Path],
                 binsize: int | None) -> tuple[dict[str, int], int | None, bool]:
    """First pass: largest position per chromosome, the gcd of all position differences and
    whether each file lists its pixels (upper bin, then lower bin at ``binsize``, or positions
    when no bin size is given yet) in sorted order."""
    extent: dict[str, int] = {}
    step, origin, ordered = 0, None, True
    for chrom, f in files.items():
        top, last = 0, None
        for df in _step_chunks(f):
            p1, p2 = df["pos1"].to_numpy().astype(np.int64), df["pos2"].to_numpy().astype(np.int64)
            origin = int(p1[0]) if origin is None else origin
            for pos in (p1, p2):
                step = math.gcd(step, int(np.gcd.reduce(np.abs(pos - origin))))
                top = max(top, int(pos.max()))
            if ordered:
                lo, hi = np.minimum(p1, p2) // (binsize or 1), np.maximum(p1, p2) // (binsize or 1)
                ordered = _pairs_sorted(lo, hi, last)
                last = (int(lo[-1]), int(hi[-1]))
        extent[chrom] = top
    return extent, step or None, ordered


def _write_step_cool(file: Path, target: Path, resolution: int | None,
                     assembly: str | None) -> None:
    """Stream STEP text into the .cool ``target`` in chunks (bounded memory at any file size).

    Repeated cells (e.g. both triangles of a symmetric map) get the mean of their values: the
    chunks carry a sum and a count per pixel, divided at the end. Files whose lines are sorted
    by (upper bin, lower bin) (checked in the first pass) are written in one ordered stream;
    other files (e.g. STEP's full symmetric matrices, row by row) go through cooler's on-disk
    sort and merge of 1 M-pixel blocks.
    """
    files = _step_files(file)
    extent, step, ordered = _step_extent(files, resolution)
    binsize = int(resolution or step or 0)
    if binsize <= 0 or (step and step % binsize):
        raise InputError(file, "resolution", f"a bin size dividing the coordinates ({step})",
                         resolution)
    sizes, meta = _chromsizes_for(extent, binsize, assembly, file)
    bins = cooler.binnify(sizes, binsize)
    offsets = np.r_[0, np.cumsum(np.ceil(sizes.to_numpy() / binsize).astype(np.int64))]
    has_data = np.zeros(len(bins), dtype=bool)

    def cells() -> Iterator[pd.DataFrame]:
        for i, (chrom, f) in enumerate(files.items()):
            for t in _step_chunks(f):
                b1 = (t["pos1"].to_numpy() // binsize).astype(np.int64) + offsets[i]
                b2 = (t["pos2"].to_numpy() // binsize).astype(np.int64) + offsets[i]
                if (np.maximum(b1, b2) >= offsets[i + 1]).any():
                    raise InputError(tables_path(file, chrom), "coordinates",
                                     f"positions within {chrom} ({int(sizes[chrom]):,} bp)",
                                     f"{int(max(t['pos1'].max(), t['pos2'].max())):,}")
                keep = np.isfinite(t["count"].to_numpy(float)) & (t["count"].to_numpy() != 0)
                b1, b2 = b1[keep], b2[keep]
                df = pd.DataFrame({"bin1_id": np.minimum(b1, b2), "bin2_id": np.maximum(b1, b2),
                                   "count": t["count"].to_numpy(float)[keep], "n": 1})
                has_data[b1] = True
                has_data[b2] = True
                if len(df):
                    yield _sum_repeats(df)

    meta.update({"source": str(file), "format": "step",
                 "normalisation": "input values already normalised; weight = 1 on bins with "
                 "data, so balanced values equal the input values"})
    options = {"columns": ["count", "n"], "dtypes": {"count": np.float64, "n": np.int64},
               "assembly": assembly or "unknown", "metadata": meta}
    _write_pixels(target, bins, cells(), file, ordered, _NO_PIXELS, options)
    _mean_of_repeats(Path(target), np.where(has_data, 1.0, np.nan))


def _write_pixels(target: Path, bins: pd.DataFrame, cells: Iterator[pd.DataFrame], file: Path,
                  ordered: bool, empty: pd.DataFrame, options: dict) -> None:
    """``cooler.create_cooler`` from chunks of pixels (repeats summed): one ordered stream when
    the first pass found the input sorted, else cooler's on-disk sort and merge of blocks."""
    chunks = _in_order(cells, file) if ordered else _blocks(cells)
    first = next(chunks, None)
    if first is None:  # no non-zero value at all: an empty map
        cooler.create_cooler(str(target), bins, empty, ordered=True, **options)
    elif ordered:  # one pass, no temporary files: memory is one parsed chunk
        cooler.create_cooler(str(target), bins, itertools.chain([first], chunks), ordered=True,
                             **options)
    else:
        with warnings.catch_warnings():  # cooler: "N merge epochs will require buffering more..."
            warnings.filterwarnings("ignore", ".*merge epochs", UserWarning)
            cooler.create_cooler(str(target), bins, itertools.chain([first], chunks),
                                 ordered=False, mergebuf=STEP_MERGE_ROWS,
                                 temp_dir=str(Path(target).parent), **options)


def _in_order(chunks: Iterator[pd.DataFrame], file: Path) -> Iterator[pd.DataFrame]:
    """Sorted unique-pixel chunks that continue each other; a pixel whose lines fall in two
    chunks is held back and summed, so every pixel is written once."""
    carry: pd.DataFrame | None = None
    for df in chunks:
        if carry is not None:
            key, first = _pixel_key(carry, -1), _pixel_key(df, 0)
            if first < key:  # the first pass found the file sorted: it changed since
                raise InputError(file, "", "pixels sorted by (bin1, bin2), as in the first pass",
                                 f"pixel {first} after {key}")
            if first == key:
                for col in _value_columns(df):
                    df.loc[0, col] += carry[col].iat[0]
            else:
                df = pd.concat([carry, df], ignore_index=True)
        carry = df.iloc[-1:]
        if len(df) > 1:
            yield df.iloc[:-1]
    if carry is not None:
        yield carry


def _pixel_key(df: pd.DataFrame, row: int) -> tuple[int, int]:
    return int(df["bin1_id"].iat[row]), int(df["bin2_id"].iat[row])


def _blocks(chunks: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
    """Unsorted input: blocks of about ``STEP_MERGE_ROWS`` pixels, each sorted and summed."""
    block: list[pd.DataFrame] = []
    rows = 0
    for df in chunks:
        block.append(df)
        rows += len(df)
        if rows >= STEP_MERGE_ROWS:
            yield _sum_repeats(pd.concat(block, ignore_index=True))
            block, rows = [], 0
    if block:
        yield _sum_repeats(pd.concat(block, ignore_index=True))


def _value_columns(df: pd.DataFrame) -> list[str]:
    """The summed columns of a pixel chunk (``count``, and ``n`` for STEP text)."""
    return [c for c in df.columns if c not in ("bin1_id", "bin2_id")]


def _sum_repeats(df: pd.DataFrame) -> pd.DataFrame:
    """One row per pixel: summed ``count`` (and ``n``) (sorted by pixel; a sorted ``df`` without
    repeats, e.g. a chunk of sorted STEP text, is returned as it is)."""
    if _lex_sorted(df["bin1_id"].to_numpy(), df["bin2_id"].to_numpy(), strict=True):
        return df.reset_index(drop=True)
    return df.groupby(["bin1_id", "bin2_id"], sort=True, as_index=False)[_value_columns(df)].sum()


def _mean_of_repeats(path: Path, weight: np.ndarray, chunk: int = STEP_MERGE_ROWS) -> None:
    """``count = sum / n`` in place (chunked), drop ``n``, store the ``weight`` bin column."""
    import h5py

    with h5py.File(path, "r+") as h5:
        pixels = h5["pixels"]
        total, n = pixels["count"], pixels["n"]
        for lo in range(0, len(n), chunk):  # n >= 1 on every stored pixel
            total[lo:lo + chunk] = total[lo:lo + chunk] / n[lo:lo + chunk]
        del pixels["n"]
        h5["bins"].create_dataset("weight", data=weight, compression="gzip",
                                  compression_opts=6, shuffle=True)


def tables_path(file: Path, chrom: str) -> Path:
    return _step_files(file)[chrom] if file.is_dir() else file


def _chromsizes_for(extent_pos: dict[str, int], binsize: int, assembly: str | None,
                    file: Path) -> tuple[pd.Series, dict]:
    extent = {c: top + binsize for c, top in extent_pos.items()}
    if assembly is None:
        log.warning("%s: no assembly given; chromosome lengths are the data's extent", file)
        return pd.Series(extent, dtype="int64"), {EXTENT_KEY: "data-extent"}
    import bioframe

    try:
        known = bioframe.assembly_info(assembly).chromsizes
    except (ValueError, KeyError) as exc:
        raise InputError("assembly", "", "an assembly bioframe knows (e.g. mm9, mm10, hg19, hg38,"
                         " sacCer3)", assembly) from exc
    sizes = {}
    for chrom, ext in extent.items():
        if chrom not in known.index:
            raise InputError(file, chrom, f"a chromosome of {assembly}", chrom)
        if ext - binsize >= known[chrom]:
            raise InputError(file, chrom, f"positions within {assembly} {chrom} "
                             f"({int(known[chrom]):,} bp)", f"{ext - binsize:,}")
        sizes[chrom] = int(known[chrom])
    return pd.Series(sizes, dtype="int64"), {EXTENT_KEY: f"assembly {assembly}"}


def _no_counts(dtype: type) -> pd.DataFrame:
    """An empty pixel table with one ``count`` column of ``dtype`` (HiC-Pro and pairs maps)."""
    return _NO_PIXELS.drop(columns="n").astype({"count": dtype})


# --- HiC-Pro ------------------------------------------------------------------------------------


def _write_hicpro_cool(file: Path, bed: Path, target: Path, resolution: int | None,
                       assembly: str | None) -> None:
    """Stream a HiC-Pro matrix into the .cool ``target`` over the bins of ``bed``.

    A first pass checks every line and whether the pixels are sorted (HiC-Pro writes them so:
    then one ordered stream, else cooler's on-disk merge); repeated pixels are summed. Raw
    counts are stored as integers without weights (balance with ``hicexpr contacts balance``);
    an ``_iced`` matrix, or one with non-integer values, is already normalised: its values are
    stored as counts with ``weight = 1`` on bins with data, as for STEP text.
    """
    bins = hicpro.read_bins(bed)
    _check_hicpro_resolution(file, bins, resolution)
    has_data, ordered, integral = _hicpro_first_pass(file, bed, len(bins))
    normalised = hicpro.is_iced_name(file) or not integral
    if normalised:
        bins["weight"] = np.where(has_data, 1.0, np.nan)
    dtype = np.float64 if normalised else np.int64
    meta = {"source": str(file), "bins_file": str(bed), "format": "hicpro",
            "normalisation": "input values already normalised; weight = 1 on bins with data, "
            "so balanced values equal the input values" if normalised else "raw counts"}
    options = {"columns": ["count"], "dtypes": {"count": dtype}, "metadata": meta,
               "assembly": assembly or "unknown"}
    _write_pixels(target, bins, _hicpro_pixels(file, bed, len(bins), dtype), file, ordered,
                  _no_counts(dtype), options)


def _check_hicpro_resolution(file: Path, bins: pd.DataFrame, resolution: int | None) -> None:
    """``resolution``, when given, must be the bins' size (the first bin's)."""
    if resolution is not None and len(bins):
        size = int(bins["end"].iat[0] - bins["start"].iat[0])
        if size != resolution:
            raise InputError(file, "resolution", f"the bin size of its bins file {size}",
                             resolution)


def _hicpro_first_pass(file: Path, bed: Path, n_bins: int) -> tuple[np.ndarray, bool, bool]:
    """Check every line; return the bins with data, whether the pixels are sorted and whether
    every value is a whole number."""
    has_data = np.zeros(n_bins, dtype=bool)
    ordered, integral, last = True, True, None
    for df in hicpro.matrix_chunks(file, n_bins, bed):
        df = df[df["count"] != 0]
        if not len(df):
            continue
        b1, b2 = df["bin1_id"].to_numpy(), df["bin2_id"].to_numpy()
        has_data[b1] = True
        has_data[b2] = True
        integral = integral and bool((df["count"].to_numpy() % 1 == 0).all())
        ordered = ordered and _pairs_sorted(b1, b2, last)
        last = (int(b1[-1]), int(b2[-1]))
    return has_data, ordered, integral


def _hicpro_pixels(file: Path, bed: Path, n_bins: int, dtype: type) -> Iterator[pd.DataFrame]:
    for df in hicpro.matrix_chunks(file, n_bins, bed):
        df = df[df["count"] != 0]
        if len(df):
            yield _sum_repeats(df.astype({"count": dtype}))


# --- 4DN pairs -----------------------------------------------------------------------------------


def _write_pairs_cool(file: Path, target: Path, resolution: int | None,
                      assembly: str | None) -> None:
    """Bin a ``.pairs`` file at ``resolution`` into the .cool ``target`` with cooler's record
    binner (``cooler.create.sanitize_records`` + ``aggregate_records``, as ``cooler cload
    pairs``): lower-triangle pairs are reflected, each pixel counts its pairs (raw counts, no
    weights). Chunks of pairs are summed in on-disk sorted blocks; memory stays bounded."""
    if resolution is None:
        raise InputError(file, "resolution", "--resolution N, the bin size (bp) to bin the "
                         "pairs at", "none")
    header = pairs.read_header(file)
    bins = cooler.binnify(header.chromsizes, resolution)
    sanitize = cooler.create.sanitize_records(bins, schema="pairs", is_one_based=True,
                                              sort=False, validate=True)
    aggregate = cooler.create.aggregate_records(count=True, sort=True)

    def cells() -> Iterator[pd.DataFrame]:
        for chunk in pairs.pair_chunks(file, header):
            if len(chunk):
                yield aggregate(sanitize(chunk))[["bin1_id", "bin2_id", "count"]]

    meta = {"source": str(file), "format": "pairs", "normalisation": "raw counts (pairs per "
            "pixel)"}
    options = {"columns": ["count"], "dtypes": {"count": np.int64}, "metadata": meta,
               "assembly": assembly or header.assembly or "unknown"}
    _write_pixels(target, bins, cells(), file, False, _no_counts(np.int64), options)


# --- dense TSV -----------------------------------------------------------------------------------


def _dense_source(file: Path, resolution: int | None, assembly: str | None
                  ) -> tuple[pd.DataFrame, Iterator[pd.DataFrame], Mapping[str, object], str]:
    try:
        df = pd.read_csv(file, sep="\t", header=None, comment="#", dtype=str,
                         compression=compression(file))
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InputError(file, "", "a dense matrix TSV", str(exc)[:60]) from None
    except GZIP_ERRORS as exc:
        raise corrupt_gzip(file, exc) from None
    header = 1 if df.shape[0] > 0 and _LABEL.match(str(df.iloc[0, -1]).strip() or "") else 0
    labels = df.iloc[header:, 0].astype(str).str.strip()
    parsed = labels.str.extract(_LABEL)
    if parsed.isna().any(axis=None):
        i = int(np.flatnonzero(parsed.isna().any(axis=1).to_numpy())[0])
        raise InputError(file, f"line {i + header + 1}", "a first column label chrom:start-end",
                         labels.iloc[i])
    values = df.iloc[header:, 1:].apply(to_numbers).to_numpy(float)
    n = len(labels)
    if values.shape != (n, n):
        raise InputError(file, "shape", f"a square matrix ({n} x {n} values)", str(values.shape))
    starts = parsed["start"].astype(np.int64).to_numpy()
    ends = parsed["end"].astype(np.int64).to_numpy()
    empty = np.flatnonzero(ends <= starts)
    if empty.size:  # e.g. a label cut short: chr1:3000-4
        i = int(empty[0])
        raise InputError(file, f"line {i + header + 1}", "a bin label chrom:start-end with "
                         "start < end", labels.iloc[i])
    binsize = int(resolution or (ends[0] - starts[0]))
    if ((ends - starts) > binsize).any() or (starts % binsize).any():
        raise InputError(file, "bin labels", f"bins of {binsize} bp on a regular grid",
                         f"{labels.iloc[0]}")
    chroms = parsed["chrom"]
    extent = pd.Series(ends, index=chroms).groupby(level=0, sort=False).max()
    sizes = extent.astype("int64")
    bins = cooler.binnify(sizes, binsize)
    offsets = pd.Series(np.r_[0, np.cumsum(np.ceil(sizes / binsize).astype(np.int64))][:-1],
                        index=sizes.index)
    gid = offsets[chroms].to_numpy() + starts // binsize
    i, j = np.nonzero(np.isfinite(values) & (values != 0))
    b1, b2 = gid[i], gid[j]
    keep = b1 <= b2
    pixels = pd.DataFrame({"bin1_id": b1[keep], "bin2_id": b2[keep], "count": values[i, j][keep]})
    pixels = pixels.sort_values(["bin1_id", "bin2_id"])
    meta = {EXTENT_KEY: "data-extent"} if assembly is None else {}
    return bins, iter([pixels]), meta, assembly or "unknown"


# --- balancing -----------------------------------------------------------------------------------


def balance_contacts(path: str | os.PathLike[str], out: str | os.PathLike[str] | None = None,
                     weight_name: str = "weight", resolution: int | None = None,
                     cis_only: bool = False, ignore_diags: int = 2, min_nnz: int = 10,
                     mad_max: int = 5) -> Path:
    """Matrix-balance a map (``cooler.balance_cooler``, ICE) and store ``weight_name``.

    A ``.cool`` is balanced in place unless ``out`` is given (then copied first); other formats
    balance their cached ``.cool`` (or ``out``). Returns the balanced ``.cool`` path.
    """
    clr = open_contacts(path, resolution)
    _check_has_contacts(clr, path)
    options = {"cis_only": cis_only, "ignore_diags": ignore_diags, "min_nnz": min_nnz,
               "mad_max": mad_max}
    if out is None:
        _require_writable(Path(clr.filename), path)
        _balance_checked(clr, path, weight_name, options)
        return Path(clr.filename)
    target = Path(out)
    with atomic_path(target) as tmp:  # nothing is left at ``out`` when balancing fails
        cooler.fileops.cp(clr.uri, str(tmp))
        _balance_checked(cooler.Cooler(str(tmp)), path, weight_name, options)
    return target


def _require_writable(file: Path, path: str | os.PathLike[str]) -> None:
    """Refuse to balance a read-only map in place (its mode is checked too: root may write
    any file, and shared data is often protected by its mode alone)."""
    if not os.access(file, os.W_OK) or not file.stat().st_mode & 0o222:
        raise InputError(path, "", "a writable map to balance in place (or --out COPY.cool)",
                         "a read-only file")


def _check_has_contacts(clr: cooler.Cooler, path: str | os.PathLike[str]) -> None:
    """Refuse a map without any non-zero pixel (nothing to balance)."""
    pixels = clr.pixels()
    if int(clr.info.get("nnz", 0)) == 0 or not any(
            (chunk["count"] != 0).any() for chunk in _chunks(pixels, int(clr.info["nnz"]))):
        raise InputError(path, "pixels", "a map with contacts to balance",
                         "no non-zero contact (an all-zero map)")


def _chunks(selector: cooler.core.RangeSelector1D, n: int,
            size: int = STEP_MERGE_ROWS) -> Iterator[pd.DataFrame]:
    for lo in range(0, n, size):
        yield selector[lo:lo + size]


def _balance_checked(clr: cooler.Cooler, path: str | os.PathLike[str], weight_name: str,
                     options: dict) -> None:
    """``cooler.balance_cooler`` storing ``weight_name``; refuses a result with every bin
    masked (all weights NaN)."""
    bias, stats, unconverged = balance_quietly(clr, store=False, **options)
    if not np.isfinite(bias).any():
        raise InputError(path, f"weight column '{weight_name}'", "at least one bin kept by "
                         "balancing", f"every bin masked (min_nnz {options['min_nnz']}, "
                         f"mad_max {options['mad_max']})")
    _warn_unconverged(path, unconverged)
    with clr.open("r+") as grp:  # as balance_cooler(store=True) stores it
        if weight_name in grp["bins"]:
            del grp["bins"][weight_name]
        grp["bins"].create_dataset(weight_name, data=bias, compression="gzip",
                                   compression_opts=6)
        grp["bins"][weight_name].attrs.update(stats)


def balance_quietly(clr: cooler.Cooler, **options: Any
                    ) -> tuple[np.ndarray, dict[str, Any], list[str]]:
    """``cooler.balance_cooler(clr, **options)`` without its per-chromosome
    ``ConvergenceWarning``s: returns the weights, cooler's stats and where balancing did not
    converge (chromosome names with ``cis_only``, else ``["genome-wide"]``), for one log line."""
    from cooler._balance import ConvergenceWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        bias, stats = cooler.balance_cooler(clr, **options)
    converged = np.atleast_1d(stats.get("converged", True))
    names = clr.chromnames if options.get("cis_only") else ["genome-wide"]
    return bias, stats, [str(n) for n, ok in zip(names, converged, strict=True) if not ok]


def _warn_unconverged(path: str | os.PathLike[str], chroms: list[str]) -> None:
    """One warning naming where balancing ``path`` did not converge (nothing when it did)."""
    if chroms:
        log.warning("%s: balancing did not converge on %s (weights stored anyway)", path,
                    ", ".join(chroms))


def balanced_copy(clr: cooler.Cooler, weight_name: str = "weight") -> cooler.Cooler:
    """A cached balanced copy of ``clr`` (for maps without weights); original left untouched."""
    src = Path(clr.filename)
    key = hashlib.sha1(f"{clr.uri}|{src.stat().st_mtime_ns}|{_CACHE_VERSION}".encode())
    target = cache_dir() / f"{src.stem}.{key.hexdigest()[:16]}.balanced.cool"
    if not target.is_file():
        log.info("%s has no '%s' column: balancing a cached copy %s", clr.uri, weight_name, target)
        with atomic_path(target) as tmp:
            cooler.fileops.cp(clr.uri, str(tmp))
            _, _, unconverged = balance_quietly(cooler.Cooler(str(tmp)), store=True,
                                                store_name=weight_name)
        _warn_unconverged(target, unconverged)
    return cooler.Cooler(str(target))


def copy_file(src: Path, dst: Path) -> None:
    """Copy a file atomically (helper for callers that keep originals untouched)."""
    with atomic_path(dst) as tmp:
        shutil.copyfile(src, tmp)

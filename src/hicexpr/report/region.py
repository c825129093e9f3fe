"""The ``--region`` of the report's contact-map figure: checked before any work, and its
chromosome matched to the map's names (``chr8`` <-> ``8``)."""

from __future__ import annotations

import bioframe
import cooler

from hicexpr.io.chroms import chrom_mapping
from hicexpr.lib.errors import InputError

_EXPECTED = "a region chrom:start-end with start < end (e.g. chr8:60000000-61000000) or chrom"


def check_region(region: str | None) -> tuple[str, int, int | None] | None:
    """``(chrom, start, end)`` of a UCSC region string (end None: to the chromosome end)."""
    if region is None:
        return None
    try:
        chrom, start, end = bioframe.parse_region(region)
    except ValueError as exc:
        raise InputError("--region", "", _EXPECTED, f"{region} ({exc})") from None
    if end is not None and end <= start:
        raise InputError("--region", "", _EXPECTED, region)
    return str(chrom), int(start), None if end is None else int(end)


def region_on_map(region: str, clr: cooler.Cooler, source: str) -> str:
    """``region`` with its chromosome named as in the map ``clr`` and within that chromosome."""
    parsed = check_region(region)
    assert parsed is not None
    chrom, start, end = parsed
    target = chrom_mapping([chrom], list(clr.chromnames)).get(chrom)
    if target is None:
        names = ", ".join(list(clr.chromnames)[:5])
        raise InputError("--region", "chromosome", f"a chromosome of the map {source} "
                         f"(e.g. {names})", chrom)
    size = int(clr.chromsizes[target])
    end = size if end is None else end
    if start >= size or end > size:
        raise InputError("--region", target, f"positions within {target} of the map {source} "
                         f"({size:,} bp)", region)
    return f"{target}:{start}-{end}"

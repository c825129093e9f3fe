"""Chromosome names: harmonise a gene table's names with a contact map's (chr1/1, chrM/MT/Mito,
chrI/chr1 for yeast when the sizes fit) and refuse annotations from another assembly."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

import cooler
import pandas as pd

from hicexpr.lib.errors import InputError

log = logging.getLogger(__name__)

_MITO = {"m", "mt", "mito", "mitochondrion", "chrm", "chrmt", "chrmito", "mtdna", "chrmtdna"}
_ROMAN = {
    "i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5, "vi": 6, "vii": 7, "viii": 8, "ix": 9,
    "x": 10, "xi": 11, "xii": 12, "xiii": 13, "xiv": 14, "xv": 15, "xvi": 16,
}
#: Metadata key written by :mod:`hicexpr.io.contacts` when chromosome lengths are only the
#: extent of the data (STEP text maps without a named assembly): sizes cannot be checked then.
EXTENT_KEY = "hicexpr-chromsizes"


def chrom_key(name: str) -> str:
    """Canonical key of a chromosome name: no ``chr`` prefix, lower case, mito -> ``m``."""
    text = str(name).strip()
    low = text.lower()
    if low in _MITO:
        return "m"
    low = re.sub(r"^(chromosome[ _]?|chr)", "", low)
    return "m" if low in _MITO else low


def natural_sorted(names: Iterable[str]) -> list[str]:
    """``names`` in natural order: numbered chromosomes by number (``chr2 < chr10``; roman
    numerals too when the set is roman-numbered, ``chrV < chrIX``, so human chrX stays a
    letter), then the others by name (``X``, ``Y``), mitochondria last."""
    names = list(names)
    roman = _numbering(names) == "roman"

    def order(name: str) -> tuple[int, int, str]:
        key = chrom_key(name)
        number = key if key.isdigit() else _roman_key(key) if roman else None
        if number is not None:
            return (0, int(number), "")
        return (2, 0, key) if key == "m" else (1, 0, key)

    return sorted(names, key=order)


def _roman_key(key: str) -> str | None:
    """Arabic key of a roman-numeral key (``xvi`` -> ``16``), None when not roman."""
    value = _ROMAN.get(key)
    return str(value) if value is not None else None


def _chromsizes(clr_or_sizes: cooler.Cooler | pd.Series | dict) -> tuple[pd.Series, bool, str]:
    """(sizes, sizes_are_authoritative, label) of a Cooler or a chromsizes mapping."""
    if isinstance(clr_or_sizes, cooler.Cooler):
        meta = clr_or_sizes.info.get("metadata") or {}
        exact = not (isinstance(meta, dict) and meta.get(EXTENT_KEY) == "data-extent")
        # a map converted to a cached .cool (.hic, text) is named by the file the user gave
        converted = isinstance(meta, dict) and meta.get("format") in ("hic", "step", "dense")
        source = meta.get("source") if converted else None
        label = f"{source or clr_or_sizes.filename} " \
            f"(assembly {clr_or_sizes.info.get('genome-assembly')})"
        return clr_or_sizes.chromsizes, exact, label
    return pd.Series(clr_or_sizes, dtype="int64"), True, "chromsizes"


def _numbering(names: list[str]) -> str:
    """``roman`` (chrI..chrXVI), ``arabic`` (chr1..), ``mixed`` (e.g. chr1..chr22 + chrX) or
    ``neutral``; names that are neither (scaffolds, chrY, mito) do not count, and a lone chrX
    (human X or worm X?) says nothing."""
    keys = {chrom_key(n) for n in names}
    numbered = {k for k in keys if k in _ROMAN or k.isdigit()}
    if not numbered or numbered == {"x"}:
        return "neutral"
    if all(k in _ROMAN for k in numbered):
        return "roman"
    if all(k.isdigit() for k in numbered):
        return "arabic"
    return "mixed"


def chrom_mapping(names: list[str], targets: list[str], max_end: dict[str, int] | None = None,
                  sizes: pd.Series | None = None) -> dict[str, str]:
    """Map each of ``names`` onto one of ``targets`` (exact, then key, then roman/arabic).

    Roman <-> arabic renaming (``chrI`` <-> ``chr1``) is used only between a roman-numbered
    and an arabic-numbered set (never for a human ``chrX`` next to ``chr1``), where the other
    side has no direct match and, when ``max_end``/``sizes`` are given, the genes fit.
    """
    by_key = {chrom_key(t): t for t in targets}
    target_set = set(targets)
    numbering = {_numbering(names), _numbering(targets)}
    roman = numbering == {"roman", "arabic"}
    # yeast chrI..chrXVI against a human map: chrX is yeast chromosome 10, not human X
    numbered_differ = numbering == {"roman", "mixed"}
    out: dict[str, str] = {}
    for name in names:
        if name in target_set and not numbered_differ:
            out[name] = name
            continue
        key = chrom_key(name)
        if numbered_differ and (key in _ROMAN or key.isdigit()):
            continue
        if key in by_key:
            out[name] = by_key[key]
            continue
        if not roman:
            continue
        alt = _roman_key(key)
        if alt is None:  # arabic name -> maybe a roman target
            alt = next((r for r, v in _ROMAN.items() if str(v) == key), None)
        if alt is not None and alt in by_key:
            target = by_key[alt]
            fits = max_end is None or sizes is None or max_end.get(name, 0) <= sizes[target]
            if fits:
                out[name] = target
    return out


def named_as(chroms: pd.Series, targets: list[str]) -> pd.Series:
    """``chroms`` spelt as in ``targets`` (:func:`chrom_mapping`); NaN where none matches."""
    text = chroms.astype(str)
    return text.map(chrom_mapping(sorted(text.unique()), list(targets)))


def harmonise_chroms(
    genes: pd.DataFrame,
    clr_or_chromsizes: cooler.Cooler | pd.Series | dict,
    source: str = "genes",
) -> pd.DataFrame:
    """Rename the gene table's chromosomes to the map's names.

    Genes on chromosomes the map does not have keep their name (``gene_bins`` flags them as
    outside coverage). Raises :class:`InputError` when no chromosome matches, or when genes run
    past the end of a map chromosome (the annotation is from another assembly).
    """
    sizes, exact, label = _chromsizes(clr_or_chromsizes)
    names = [str(c) for c in pd.unique(genes["chrom"])]
    max_end = genes.groupby("chrom", observed=True)["end"].max().to_dict()
    max_end = {str(k): int(v) for k, v in max_end.items()}
    mapping = chrom_mapping(names, list(sizes.index), max_end, sizes)
    if all(chrom_key(name) == "m" for name in mapping):  # mitochondria alone prove nothing
        raise InputError(
            source, "chromosome names",
            f"names matching the map {label} (e.g. {', '.join(list(sizes.index)[:3])})",
            ", ".join(names[:5]),
        )
    if exact:
        _check_sizes(mapping, max_end, sizes, source, label)
    absent = sorted(set(names) - set(mapping))
    if absent:
        n = int(genes["chrom"].astype(str).isin(absent).sum())
        log.warning("%d genes on %d chromosomes absent from the map (%s): flagged, not used",
                    n, len(absent), ", ".join(absent[:5]))
        for name, target in size_mismatches(absent, sizes, max_end).items():
            log.warning("%s: genes on %s end at %s bp but the map's %s is %s bp long; the "
                        "annotation and the map look like different assemblies (%s not used)",
                        source, name, f"{max_end[name]:,}", target, f"{int(sizes[target]):,}",
                        name)
    out = genes.copy()
    out["chrom"] = out["chrom"].astype(str).map(lambda c: mapping.get(c, c))
    return out


def size_mismatches(absent: list[str], sizes: pd.Series,
                    max_end: dict[str, int]) -> dict[str, str]:
    """Unmatched chromosomes that match a map chromosome by name alone (roman/arabic), i.e.
    were rejected only because their genes do not fit: ``{gene chrom: map chrom}``."""
    loose = chrom_mapping(absent, list(sizes.index))
    return {name: target for name, target in loose.items() if name in max_end}


def _check_sizes(mapping: dict[str, str], max_end: dict[str, int], sizes: pd.Series,
                 source: str, label: str) -> None:
    for name, target in mapping.items():
        if max_end.get(name, 0) > int(sizes[target]):
            raise InputError(
                source, f"chromosome {name}",
                f"genes within {target} of the map {label}, {int(sizes[target]):,} bp long "
                "(annotation and map from the same assembly)",
                f"a gene ending at {max_end[name]:,} bp",
            )

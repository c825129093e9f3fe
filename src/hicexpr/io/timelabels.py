"""Sample labels -> sample times.

Recognised, in this order (case-insensitive; a replicate mark after the time is ignored):

- a number with a unit after it: ``10min``, ``10 min``, ``2h``, ``1.5_hours``, ``3d``, ``30s``,
  ``24hpf`` / ``3dpi`` (hours / days post fertilisation, infection, ...);
- a unit or time word before the number: ``day3``, ``D_3``, ``h2``, ``ZT4`` / ``CT12``
  (circadian hours), ``t10``, ``T_10``, ``time10``, ``tp3`` (the last four carry no unit);
  these two come first, so ``P1_2h`` (patient 1) is 2 hours, not postnatal day 1; ``day-3``
  is day 3, or day -3 when the same table also has ``day3``;
- developmental stages: ``E16.5`` (embryonic day), ``P0.5-a8``, ``lung_P3_rep1`` (postnatal
  day; at the start of a label STEP's replicate suffixes such as ``P0.54.311`` too); embryonic days
  go on the postnatal axis as ``E - EMBRYONIC_OFFSET`` (STEP's convention, E16.5 -> -4.5);
- a plain number (``35``) or a trailing number (``alpha_35``, ``cdc15_290``, ``alpha_35_rep2``);
  not in database accessions (``GSM1500014``, ``SRR8769554``: give a sample_times table).

Labels of one table with different units are converted to the smallest of them
(:func:`label_times`); labels with and without a unit cannot be mixed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

EMBRYONIC_OFFSET = 21.0
#: ``dpn``: days after birth, the unit of developmental stages (``P3`` = 3, ``E16.5`` = -4.5).
UNIT_SECONDS = {"s": 1.0, "min": 60.0, "h": 3600.0, "d": 86400.0, "dpn": 86400.0,
                "week": 604800.0}
UNIT_NAMES = {"s": "seconds", "min": "minutes", "h": "hours", "d": "days",
              "dpn": f"postnatal days; E = P - {EMBRYONIC_OFFSET:g}", "week": "weeks"}
_UNIT_WORDS = {
    "s": ("s", "sec", "secs", "second", "seconds"),
    "min": ("m", "min", "mins", "minute", "minutes"),
    "h": ("h", "hr", "hrs", "hour", "hours", "hpf", "hpi", "hpa", "hps"),
    "d": ("d", "day", "days", "dpf", "dpi", "dpa"),
    "week": ("w", "wk", "wks", "week", "weeks"),
}
_PREFIX_UNITS = {"day": "d", "d": "d", "hour": "h", "hr": "h", "h": "h", "zt": "h", "ct": "h",
                 "min": "min", "week": "week", "wk": "week",
                 "t": None, "tp": None, "time": None, "timepoint": None}
_NUM = r"(-?\d+(?:\.\d+)?)"
_WORD_TO_UNIT = {w: u for u, words in _UNIT_WORDS.items() for w in words}
_ALTERNATION = "|".join(sorted(_WORD_TO_UNIT, key=len, reverse=True))
_PREFIXES = "|".join(sorted(_PREFIX_UNITS, key=len, reverse=True))
# a stage at the start may run into replicate digits (STEP's P0.54.311 is P0.5) or carry one
# lower-case replicate letter (P3b); elsewhere it must stand alone; never a gene (E2F1)
_STAGE_START = re.compile(r"^([ep])(\d+(?:\.5)?)(?!(?-i:[A-Z])|[a-z]{2})", re.IGNORECASE)
_STAGE = re.compile(r"(?<![a-z])([ep])(\d+(?:\.\d+)?)(?![\d.])(?=$|[^a-z]|(?-i:[a-z])(?![a-z]))",
                    re.IGNORECASE)
_NUMBER_UNIT = re.compile(rf"(?<![a-z\d.]){_NUM}[\s_]?({_ALTERNATION})(?![a-z])", re.IGNORECASE)
_UNIT_NUMBER = re.compile(rf"(?<![a-z])({_PREFIXES})[\s_\-]?{_NUM}(?![\d.])", re.IGNORECASE)
_REPLICATE = re.compile(r"[\s_\-.](?:rep|r|replicate|bio|br|tr)\s*\d+$", re.IGNORECASE)
_TRAILING = re.compile(rf"^.*?[_\-:]?{_NUM}$")
# database accessions end in a number that is not a time (GSM1500014, SRR8769554, ENCFF001ABC)
_ACCESSION = re.compile(
    r"^(?:GS[MEP]|[SED]R[RXSP]|ENC(?:FF|SR|LB|BS)|SAM[NED]A?|ENS[A-Z]*G)\d+[A-Z]{0,3}$",
    re.IGNORECASE)


@dataclass(frozen=True)
class TimeLabel:
    """A parsed sample time: ``value`` in ``unit`` (None: the label names no unit)."""

    value: float
    unit: str | None


def parse_time_label(label: str) -> TimeLabel | None:
    """The time in one sample label (see the module docstring); None when it has none."""
    text = str(label).strip()
    try:
        return TimeLabel(float(text), None)
    except ValueError:
        pass
    if match := _NUMBER_UNIT.search(text):
        return TimeLabel(float(match.group(1)), _WORD_TO_UNIT[match.group(2).lower()])
    if match := _UNIT_NUMBER.search(text):
        return TimeLabel(float(match.group(2)), _PREFIX_UNITS[match.group(1).lower()])
    if match := _STAGE_START.match(text) or _STAGE.search(text):
        day = float(match.group(2))
        return TimeLabel(day - EMBRYONIC_OFFSET if match.group(1) in "Ee" else day, "dpn")
    if _ACCESSION.match(text):
        return None
    if match := _TRAILING.match(_REPLICATE.sub("", text)):
        return TimeLabel(float(match.group(1)), None)
    return None


class TimeLabelError(ValueError):
    """A label without a time (``index``) or a table mixing labels with and without units."""

    def __init__(self, index: int, expected: str) -> None:
        super().__init__(expected)
        self.index = index
        self.expected = expected


_DASHED = re.compile(rf"(?<![a-z\d.])(?:{_PREFIXES})-\d", re.IGNORECASE)  # not 1h-2


def _signed_dashes(labels: Sequence[str], times: list[TimeLabel]) -> list[TimeLabel]:
    """``day-3`` is day 3 on its own, but day -3 in a table that also has ``day3``: a dash
    that would merge two time points is a minus sign."""
    dashed = [bool(_DASHED.search(str(label))) for label in labels]
    plain = {t for t, d in zip(times, dashed, strict=True) if not d}
    if not any(d and t in plain and t.value for t, d in zip(times, dashed, strict=True)):
        return times
    return [TimeLabel(-t.value, t.unit) if d else t for t, d in zip(times, dashed, strict=True)]


def label_times(labels: Sequence[str]) -> tuple[list[float], str | None]:
    """Times of ``labels`` in one unit (the smallest present; None when no label has one).

    Raises:
        TimeLabelError: naming the first label without a time, or the first label whose unit
            (or lack of one) differs from the first label's kind.
    """
    parsed = [parse_time_label(label) for label in labels]
    for i, time in enumerate(parsed):
        if time is None:
            raise TimeLabelError(i, "a sample time such as 35, alpha_35, 10min, day3, E16.5")
    times = _signed_dashes(labels, [t for t in parsed if t is not None])
    with_unit = [t.unit is not None for t in times]
    if any(with_unit) and not all(with_unit):
        first = with_unit.index(not with_unit[0])
        raise TimeLabelError(first, "every sample time with a unit (10min, 2h, day3) or none")
    units = {t.unit for t in times if t.unit is not None}
    if not units:
        return [t.value for t in times], None
    unit = min(units, key=lambda u: (UNIT_SECONDS[u], u))  # days before postnatal days
    scale = {u: UNIT_SECONDS[u] / UNIT_SECONDS[unit] for u in units}
    return [t.value * scale[t.unit] for t in times if t.unit is not None], unit

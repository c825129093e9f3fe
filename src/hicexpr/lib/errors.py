"""User-facing errors: one line naming the file, the place in it and what was expected."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from os import PathLike


class HicexprError(Exception):
    """Base class for every error hicexpr reports to a user (printed as one line by the CLI)."""


class InputError(HicexprError, ValueError):
    """Bad user input: ``{source}: {where}: expected {expected}, got {got}``.

    Args:
        source: file path (or config/field name) the problem is in.
        where: line, column, field or chromosome; empty when the whole source is wrong.
        expected: what a valid input looks like.
        got: what was found (optional).
    """

    def __init__(
        self,
        source: str | PathLike[str] | None,
        where: str = "",
        expected: str = "",
        got: object | None = None,
    ) -> None:
        self.source = str(source) if source is not None else ""
        self.where = where
        self.expected = expected
        self.got = got
        parts = [p for p in (self.source, where) if p]
        msg = ": ".join(parts)
        if expected:
            msg = f"{msg}: expected {expected}" if msg else f"expected {expected}"
        if got is not None:
            msg = f"{msg}, got {_short(got)}"
        super().__init__(msg)


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message (its type's name when the message is empty),
    for the ``got`` of an :class:`InputError`."""
    return (str(exc).splitlines() or [type(exc).__name__])[0]


def closest(name: str, choices: Iterable[str]) -> str | None:
    """The closest valid name to ``name`` (for 'did you mean' hints), or None."""
    matches = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.5)
    return matches[0] if matches else None


def _short(value: object, limit: int = 80) -> str:
    text = repr(value) if not isinstance(value, str) else f"'{value}'"
    return text if len(text) <= limit else text[: limit - 3] + "..."

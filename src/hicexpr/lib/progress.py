"""Progress bars (rich) for long steps; silenced globally by ``--quiet`` or by the environment
variable ``HICEXPR_QUIET=1`` (read when a bar starts: Dask sets it in worker processes after
they have imported hicexpr)."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from typing import TypeVar

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

T = TypeVar("T")

_QUIET: bool | None = None  # None: follow $HICEXPR_QUIET


def set_quiet(quiet: bool | None) -> None:
    """Turn every progress bar off (``True``) or on, whatever ``$HICEXPR_QUIET`` says; ``None``:
    follow ``$HICEXPR_QUIET`` again."""
    global _QUIET
    _QUIET = quiet


def is_quiet() -> bool:
    """``set_quiet``'s choice, else whether ``$HICEXPR_QUIET`` is set (and not ``0``)."""
    if _QUIET is not None:
        return _QUIET
    return os.environ.get("HICEXPR_QUIET", "") not in ("", "0")


def track(iterable: Iterable[T], description: str, total: int | None = None) -> Iterator[T]:
    """Iterate over ``iterable`` showing a progress bar on stderr (nothing when quiet)."""
    if is_quiet():
        yield from iterable
        return
    if total is None and hasattr(iterable, "__len__"):
        total = len(iterable)  # type: ignore[arg-type]
    columns = [
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    ]
    with Progress(*columns, console=Console(stderr=True), transient=False) as bar:
        task = bar.add_task(description, total=total)
        for item in iterable:
            yield item
            bar.advance(task)

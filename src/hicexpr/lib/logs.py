"""Logging helpers shared by the workflows and the report."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator


@contextlib.contextmanager
def only_errors(logger_name: str) -> Iterator[None]:
    """Log only errors of ``logger_name`` inside the block: for a file read a second time,
    whose warnings the first read already gave."""
    logger = logging.getLogger(logger_name)
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


__all__ = ["only_errors"]

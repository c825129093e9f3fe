"""The local workers' plugin: WARNING-level root logging, a frozen collector only on close."""

from __future__ import annotations

import gc
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from types import SimpleNamespace

import pytest
from distributed.core import Status

from hicexpr.lib.dask_worker import WorkerHygiene


@contextmanager
def bare_root() -> Iterator[logging.Logger]:
    """The root logger without handlers at INFO (a fresh worker after cooltools' import);
    restored afterwards (pytest's capture handlers included)."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    root.handlers[:] = []
    root.setLevel(logging.INFO)
    try:
        yield root
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)


def test_setup_quiets_info_and_blocks_basic_config() -> None:
    with bare_root() as root:
        WorkerHygiene().setup(SimpleNamespace(status=Status.running))
        assert root.level == logging.WARNING and len(root.handlers) == 1
        logging.basicConfig(level=logging.INFO)  # what cooltools.api.insulation does at import
        assert root.level == logging.WARNING and len(root.handlers) == 1


@pytest.mark.parametrize(("status", "frozen"), [(Status.closing, True), (Status.running, False)])
def test_teardown_freezes_the_collector_only_when_the_worker_closes(status, frozen) -> None:
    gc.unfreeze()
    try:
        WorkerHygiene().teardown(SimpleNamespace(status=status))
        assert (gc.get_freeze_count() > 0) is frozen
    finally:
        gc.unfreeze()

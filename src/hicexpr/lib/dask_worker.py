"""Worker-side hygiene of hicexpr's local Dask clusters (imported only when one starts).

A worker process that has imported torch, pandas and cooltools spends seconds in the
interpreter's final garbage collections when it exits. The nanny allows 4 s (``close`` timeout
5 s x 0.8) before killing it: on a busy machine it kills the workers, logs "Worker process still
alive after 4.0 seconds, killing" and the severed connections surface as ``CommClosedError`` /
"Stream is closed". :class:`WorkerHygiene` freezes the garbage collector when the worker closes
(the process exits right after, so the memory goes back to the OS anyway, as a forked process's
``os._exit`` would) and gives the worker's root logger one WARNING handler, so libraries that
call ``logging.basicConfig(level=INFO)`` at import (cooltools) do not print INFO lines.
"""

from __future__ import annotations

import gc
import logging

from distributed.core import Status
from distributed.diagnostics.plugin import WorkerPlugin

#: Format of worker log lines (as the CLI's own handler).
LOG_FORMAT = "%(levelname)s %(name)s: %(message)s"


def quiet_root_logging() -> None:
    """Root logger at WARNING with one stderr handler (basicConfig then adds none)."""
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter(LOG_FORMAT))
        root.addHandler(handler)
    root.setLevel(logging.WARNING)


class WorkerHygiene(WorkerPlugin):
    """Quiet INFO logging on start, a prompt process exit on close."""

    name = "hicexpr-worker-hygiene"

    def setup(self, worker: object) -> None:
        quiet_root_logging()

    def teardown(self, worker: object) -> None:
        # closing: the process exits next, skip the final collections over every object (a
        # plugin merely removed from a running worker leaves its collector alone)
        if getattr(worker, "status", None) == Status.closing:
            gc.freeze()


__all__ = ["LOG_FORMAT", "WorkerHygiene", "quiet_root_logging"]

"""Wall time and peak resident memory of a block of code (psutil sampling thread)."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import psutil


@dataclass
class Measurement:
    wall_s: float = 0.0
    peak_rss_mb: float = 0.0


@contextlib.contextmanager
def measure(interval_s: float = 0.05) -> Iterator[Measurement]:
    """Measure wall seconds and peak RSS (MB, this process and its children) of the block."""
    result = Measurement()
    proc = psutil.Process()
    stop = threading.Event()
    peak = [_rss(proc)]

    def sample() -> None:
        while not stop.wait(interval_s):
            peak[0] = max(peak[0], _rss(proc))

    thread = threading.Thread(target=sample, daemon=True)
    start = time.perf_counter()
    thread.start()
    try:
        yield result
    finally:
        stop.set()
        thread.join()
        result.wall_s = round(time.perf_counter() - start, 3)
        result.peak_rss_mb = round(max(peak[0], _rss(proc)) / 2**20, 1)


def _rss(proc: psutil.Process) -> int:
    total = proc.memory_info().rss
    for child in proc.children(recursive=True):
        with contextlib.suppress(psutil.Error):
            total += child.memory_info().rss
    return total

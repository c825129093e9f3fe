"""Large inputs are streamed: converting a 2 GB STEP sparse-text map keeps peak memory bounded.

A synthetic STEP-style text map (``pos1 pos2 value``, 29 bytes a line, sorted upper band of
mm9 chr1 at 1 kb) is converted to .cool in a subprocess that reports its own peak RSS. Sorted
STEP text is written to the .cool in one ordered stream of 250,000-line chunks (no temporary
coolers, no merge), so memory does not depend on the file size: the 2,030 MB file (70 M lines,
the default; ``HICEXPR_MEMTEST_LINES`` changes it) must peak under a quarter of its size and
within ``CONSTANT_MB`` of the 58 MB file's peak. Both files live in pytest's ``tmp_path`` and
the large ones are deleted at the end.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.slow

LINE_BYTES = 29
BINSIZE = 1000
BAND = 200  # pixels per row of the band: line i is pixel (i // band, i // band + i % band)
MAX_ROWS = 190_000  # band rows that fit on mm9 chr1 at 1 kb
LARGE_LINES = int(os.environ.get("HICEXPR_MEMTEST_LINES", 70_000_000))  # 2,030 MB
SMALL_LINES = 2_000_000  # 58 MB: already 8 parsed chunks
CONSTANT_MB = 48  # allowed peak growth from the small to the large file


def _digits(x: np.ndarray, width: int) -> np.ndarray:
    out = np.empty((len(x), width), dtype=np.uint8)
    for k in range(width):
        out[:, width - 1 - k] = (x // 10**k) % 10 + ord("0")
    return out


def _values(i: np.ndarray) -> np.ndarray:
    """The value written on line ``i`` (``NNNN.D``), as a float."""
    return (i % 997 + 1) + (i % 10) / 10


def write_step_text(path: Path, n_lines: int, block: int = 1_000_000) -> None:
    """``n_lines`` fixed-width lines ``pos1 pos2 NNNN.D`` written block by block."""
    col = np.full((block, 1), ord(" "), dtype=np.uint8)
    band = max(BAND, -(-n_lines // MAX_ROWS))  # wider band for huge files: stays on chr1
    with open(path, "wb") as fh:
        for start in range(0, n_lines, block):
            i = np.arange(start, min(start + block, n_lines), dtype=np.int64)
            b1, b2 = i // band, i // band + i % band
            sep = col[: len(i)]
            line = np.concatenate([
                _digits(b1 * BINSIZE, 10), sep, _digits(b2 * BINSIZE, 10), sep,
                _digits(i % 997 + 1, 4), np.full_like(sep, ord(".")), _digits(i % 10, 1),
                np.full_like(sep, ord("\n")),
            ], axis=1)
            fh.write(line.tobytes())


# Peak RSS from VmHWM, the high-water mark of this interpreter's own memory: ru_maxrss of a
# subprocess also counts the parent's peak (Linux keeps it across fork + exec), so under pytest
# it reported the test process's peak (409 MiB for both files after tests/io had run).
_CONVERT = """
import json, sys
from hicexpr.io.contacts import convert_contacts
import cooler
clr = cooler.Cooler(str(convert_contacts(sys.argv[1], sys.argv[2], resolution=1000,
                                         assembly="mm9")))
px = clr.pixels()[:5]
with open("/proc/self/status") as fh:
    hwm = next(int(line.split()[1]) for line in fh if line.startswith("VmHWM:"))
print(json.dumps({"peak_mb": hwm / 1024, "nnz": int(clr.info["nnz"]),
                  "first": px["count"].tolist(), "bin2": px["bin2_id"].tolist()}))
"""


def convert_and_measure(src: Path, out: Path) -> dict:
    """Convert in a fresh interpreter; its own peak RSS (MiB), nnz and first pixels."""
    proc = subprocess.run([sys.executable, "-c", _CONVERT, str(src), str(out)],
                          capture_output=True, text=True, timeout=900,
                          env={**os.environ, "HICEXPR_QUIET": "1"})
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_generator_writes_the_documented_lines(tmp_path: Path) -> None:
    path = tmp_path / "chr1_1kb.txt"
    write_step_text(path, 203, block=100)
    lines = path.read_text().splitlines()
    assert len(lines) == 203 and path.stat().st_size == 203 * LINE_BYTES
    assert lines[0] == "0000000000 0000000000 0001.0"
    assert lines[201] == "0000001000 0000002000 0202.1"  # line 201: pixel (1, 2)


def test_large_step_text_converts_with_bounded_memory(tmp_path: Path) -> None:
    need = LARGE_LINES * LINE_BYTES * 1.2
    assert shutil.disk_usage(tmp_path).free > need, f"needs {need / 2**30:.1f} GiB free disk"
    small, large = tmp_path / "small_chr1_1kb.txt", tmp_path / "large_chr1_1kb.txt"
    try:
        write_step_text(small, SMALL_LINES)
        write_step_text(large, LARGE_LINES)
        small_mb, size_mb = small.stat().st_size / 2**20, large.stat().st_size / 2**20
        low = convert_and_measure(small, tmp_path / "small.cool")
        high = convert_and_measure(large, tmp_path / "large.cool")
    finally:
        for path in (small, large, tmp_path / "large.cool"):
            path.unlink(missing_ok=True)
    # every line is its own pixel, values as written
    assert high["nnz"] == LARGE_LINES and low["nnz"] == SMALL_LINES
    np.testing.assert_allclose(high["first"], _values(np.arange(5)))
    assert high["bin2"] == [0, 1, 2, 3, 4]
    print(f"input {size_mb:.0f} MiB: peak RSS {high['peak_mb']:.0f} MiB "
          f"(input {small_mb:.0f} MiB: {low['peak_mb']:.0f} MiB)")
    # constant memory: 35x the input, the same peak (measured: 307 vs 303 MiB)
    assert high["peak_mb"] - low["peak_mb"] < CONSTANT_MB, (high["peak_mb"], low["peak_mb"])
    if size_mb > 1024:  # the 2 GB-class default
        assert high["peak_mb"] < 0.25 * size_mb, (high["peak_mb"], size_mb)

"""A number with a 10+ digit exponent ("1e16739914952") in any input never crashes hicexpr.

pandas 2.3's C float parser (``pd.to_numeric``, ``read_csv``'s default converter) dies with a
segmentation fault on such a cell; the fuzz tests met one in a corrupted STEP text map. Each
reader runs in a subprocess here, so a crash fails this test instead of killing pytest.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from hicexpr.io.text import to_numbers

HUGE = "1e16739914952"  # crashed pd.to_numeric and read_csv in pandas 2.3.3

# reader call -> file name and text holding HUGE where the reader parses numbers itself
CASES = {
    "convert_contacts(p, p.parent / 'out.cool')":
        ("mESC_chr2_1mb.txt", f"0\t0\t1.0\n0\t1000\t{HUGE}\n1000\t1000\t2.0\n"),
    "read_peaks(p, 'signal')":
        ("peaks.narrowPeak", f"chr1\t10\t20\t.\t0\t.\t{HUGE}\t1\t1\t5\n"),
    "read_peaks(p)": ("track.bedGraph", f"chr1\t10\t20\t{HUGE}\n"),
    "read_genes(p)": ("genes.bed", f"chr1\t10\t{HUGE}\tg1\t0\t+\n"),
    "read_loops(p)": ("loops.bedpe", f"chr1\t0\t10\tchr1\t{HUGE}\t30\n"),
    "convert_contacts(p, p.parent / 'dense.cool', resolution=10)":
        ("dense.tsv", f"\tchr1:0-10\tchr1:10-20\nchr1:0-10\t1\t{HUGE}\nchr1:10-20\t{HUGE}\t1\n"),
    "read_step_csv(p)": ("interaction_mrna.csv", f"Gene1,HiC_Interaction\nA,{HUGE}\n"),
    "convert_contacts(p, p.parent / 'pairs.cool', resolution=10)":
        ("s.pairs", f"#chromsize: chr1 100\nr1\tchr1\t1\tchr1\t{HUGE}\n"),
    "read_bins(p)": ("s_1000_abs.bed", f"chr1\t0\t{HUGE}\t1\n"),
    "list(matrix_chunks(p, 3, p))": ("s_1000.matrix", f"1\t1\t1.0\n1\t2\t{HUGE}\n"),
}

_RUN = """
import sys
from pathlib import Path
from hicexpr.io.contacts import convert_contacts
from hicexpr.io.genes import read_genes
from hicexpr.io.hicpro import matrix_chunks, read_bins
from hicexpr.io.links import read_loops
from hicexpr.io.step import read_step_csv
from hicexpr.io.tracks import read_peaks
from hicexpr.lib.errors import InputError
p = Path(sys.argv[1])
try:
    eval(sys.argv[2])
    print("ok")
except InputError as exc:
    print("InputError:", exc)
"""


@pytest.mark.parametrize("call", sorted(CASES))
def test_reader_survives_a_huge_exponent(call: str, tmp_path: Path) -> None:
    name, text = CASES[call]
    path = tmp_path / name
    path.write_text(text)
    proc = subprocess.run([sys.executable, "-c", _RUN, str(path), call], capture_output=True,
                          text=True, timeout=120, env={"HICEXPR_QUIET": "1", "PATH": ""})
    assert proc.returncode == 0, proc.stderr[-2000:]  # -11: the interpreter crashed
    out = proc.stdout.strip().splitlines()
    assert len(out) == 1 and (out[0] == "ok" or out[0].startswith("InputError: ")), out


def test_to_numbers_parses_long_exponents_with_python_float() -> None:
    got = to_numbers(pd.Series([HUGE, "-" + HUGE, "1e-16739914952", "2.5", "x", None,
                                HUGE + "x"], dtype=object))
    assert got.tolist()[:4] == [float("inf"), float("-inf"), 0.0, 2.5]
    assert got.iloc[4:].isna().all()
    with pytest.raises(ValueError):
        to_numbers(pd.Series([HUGE + "x"]), errors="raise")

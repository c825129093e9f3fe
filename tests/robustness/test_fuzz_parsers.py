"""Property-based fuzzing of every parser (hypothesis).

For each format: random valid files round-trip (the parsed values equal the generated ones), and
random corruptions of a valid file (characters replaced, inserted or deleted, lines cut, gzip
truncated) either still parse or raise ``InputError``, never any other exception.
"""

from __future__ import annotations

import gzip
import tempfile
from collections.abc import Callable
from pathlib import Path

import cooler
import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hicexpr.config import SimulateConfig, load_config
from hicexpr.io.contacts import convert_contacts
from hicexpr.io.expression import read_expression, read_sample_times
from hicexpr.io.genes import read_genes
from hicexpr.io.links import read_bengi, read_loops
from hicexpr.io.tracks import read_peaks
from hicexpr.lib.errors import InputError

FUZZ = settings(max_examples=20, deadline=None, database=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
FEW = settings(FUZZ, max_examples=6)

# pandas' fast float parser may differ from Python's float() in the last bit: compare to 1 ulp
ULP = 4e-16
CHROMS = ["chr1", "chr2", "chrX"]
NOISE = ["\t", " ", ",", "\n", "x", "-", ".", "#", '"', "0", "9", "e", ";", "=", "\x00", "é",
         "nan", "inf", "-1", "\r"]


# --- generic corruption -------------------------------------------------------------------------


@st.composite
def corruptions(draw: st.DrawFn, text: str) -> str:
    """``text`` with 1-4 random edits (replace / insert / delete a span / cut the tail)."""
    out = text
    for _ in range(draw(st.integers(1, 4))):
        pos = draw(st.integers(0, max(len(out) - 1, 0)))
        op = draw(st.sampled_from(["replace", "insert", "delete", "cut"]))
        noise = draw(st.sampled_from(NOISE))
        if op == "replace":
            out = out[:pos] + noise + out[pos + 1:]
        elif op == "insert":
            out = out[:pos] + noise + out[pos:]
        elif op == "delete":
            out = out[:pos] + out[pos + draw(st.integers(1, 12)):]
        else:
            out = out[:pos]
    return out


def parses_or_input_error(parse: Callable[[Path], object], path: Path) -> None:
    """``parse(path)`` may succeed or raise InputError; anything else fails the test."""
    try:
        parse(path)
    except InputError as exc:
        assert str(exc) and "\n" not in str(exc)


def _write(folder: str, name: str, text: str | bytes) -> Path:
    path = Path(folder) / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


# --- genes: BED, GTF, SGD -------------------------------------------------------------------------

gene_rows = st.lists(
    st.tuples(st.sampled_from(CHROMS), st.integers(0, 10**7), st.integers(1, 10**5),
              st.sampled_from("+-")),
    min_size=1, max_size=15,
)


def _bed_text(rows: list[tuple[str, int, int, str]]) -> str:
    return "".join(f"{c}\t{s}\t{s + n}\tG{i}\t0\t{d}\n" for i, (c, s, n, d) in enumerate(rows))


@FUZZ
@given(gene_rows)
def test_bed_genes_round_trip(rows) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        genes = read_genes(_write(tmp, "genes.bed", _bed_text(rows)))
    assert genes["gene_id"].tolist() == [f"G{i}" for i in range(len(rows))]
    assert genes["chrom"].tolist() == [r[0] for r in rows]
    assert genes["start"].tolist() == [r[1] for r in rows]
    assert genes["end"].tolist() == [r[1] + r[2] for r in rows]
    tss = [s if d == "+" else s + n - 1 for _, s, n, d in rows]
    assert genes["tss"].tolist() == tss


@FUZZ
@given(st.data())
def test_bed_genes_corrupted(data) -> None:
    text = data.draw(corruptions(_bed_text(data.draw(gene_rows))))
    with tempfile.TemporaryDirectory() as tmp:
        parses_or_input_error(read_genes, _write(tmp, "genes.bed", text))


def _gtf_text(rows: list[tuple[str, int, int, str]]) -> str:
    return "".join(
        f'{c}\tsrc\tgene\t{s + 1}\t{s + n}\t.\t{d}\t.\tgene_id "G{i}"; gene_name "S{i}";\n'
        for i, (c, s, n, d) in enumerate(rows))


@FUZZ
@given(gene_rows)
def test_gtf_genes_round_trip(rows) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        genes = read_genes(_write(tmp, "genes.gtf", _gtf_text(rows)))
    assert genes["symbol"].tolist() == [f"S{i}" for i in range(len(rows))]
    assert genes["start"].tolist() == [r[1] for r in rows]  # GTF is 1-based closed
    assert genes["end"].tolist() == [r[1] + r[2] for r in rows]


@FUZZ
@given(st.data())
def test_gtf_genes_corrupted(data) -> None:
    text = data.draw(corruptions(_gtf_text(data.draw(gene_rows))))
    with tempfile.TemporaryDirectory() as tmp:
        parses_or_input_error(read_genes, _write(tmp, "genes.gtf", text))


def _sgd_text(rows: list[tuple[str, int, int, str]]) -> str:
    lines = []
    for i, (_, s, n, d) in enumerate(rows):
        a, b = (s + 1, s + n) if d == "+" else (s + n, s + 1)
        strand = "W" if d == "+" else "C"
        lines.append(f"S{i}\tORF\tVerified\tY{i}\tGENE{i}\t\tchromosome 4\t\t4\t{a}\t{b}\t"
                     f"{strand}\t\t2000-01-01\t2000-01-01|2000-01-01\tdescription\n")
    return "".join(lines)


@FUZZ
@given(gene_rows)
def test_sgd_genes_round_trip(rows) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        genes = read_genes(_write(tmp, "SGD_features.tab", _sgd_text(rows)))
    assert genes["gene_id"].tolist() == [f"Y{i}" for i in range(len(rows))]
    assert set(genes["chrom"]) == {"chrIV"}
    assert genes["start"].tolist() == [r[1] for r in rows]
    assert genes["strand"].tolist() == [r[3] for r in rows]


@FUZZ
@given(st.data())
def test_sgd_genes_corrupted(data) -> None:
    text = data.draw(corruptions(_sgd_text(data.draw(gene_rows))))
    with tempfile.TemporaryDirectory() as tmp:
        parses_or_input_error(read_genes, _write(tmp, "SGD_features.tab", text))


# --- expression tables and sample times -------------------------------------------------------

finite = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False, width=32)


@st.composite
def expression_tables(draw: st.DrawFn) -> tuple[list[float], np.ndarray]:
    times = draw(st.lists(st.integers(0, 500), min_size=1, max_size=6, unique=True))
    n_genes = draw(st.integers(1, 8))
    values = draw(st.lists(st.lists(finite, min_size=len(times), max_size=len(times)),
                           min_size=n_genes, max_size=n_genes))
    return [float(t) for t in times], np.asarray(values, dtype=float)


def _expression_text(times: list[float], values: np.ndarray) -> str:
    header = "gene\t" + "\t".join(format(t, "g") for t in times) + "\n"
    body = "".join(f"g{i}\t" + "\t".join(repr(float(v)) for v in row) + "\n"
                   for i, row in enumerate(values))
    return header + body


@FUZZ
@given(expression_tables())
def test_expression_round_trip(table) -> None:
    times, values = table
    with tempfile.TemporaryDirectory() as tmp:
        adata = read_expression(_write(tmp, "expression.tsv", _expression_text(times, values)))
    order = np.argsort(times)
    assert adata.obs["time"].tolist() == sorted(times)
    np.testing.assert_allclose(np.asarray(adata.X), values[:, order].T, rtol=ULP, atol=0)
    assert list(adata.var_names) == [f"g{i}" for i in range(len(values))]


@FUZZ
@given(st.data())
def test_expression_corrupted(data) -> None:
    text = data.draw(corruptions(_expression_text(*data.draw(expression_tables()))))
    with tempfile.TemporaryDirectory() as tmp:
        parses_or_input_error(read_expression, _write(tmp, "expression.tsv", text))


@FEW
@given(expression_tables(), st.integers(1, 1000))
def test_expression_truncated_gzip(table, cut) -> None:
    data = gzip.compress(_expression_text(*table).encode())
    with tempfile.TemporaryDirectory() as tmp:
        path = _write(tmp, "expression.tsv.gz", data[: min(cut, len(data) - 1)])
        parses_or_input_error(read_expression, path)


@FUZZ
@given(st.dictionaries(st.from_regex(r"[A-Za-z][A-Za-z0-9_]{0,8}", fullmatch=True), finite,
                       min_size=1, max_size=8))
def test_sample_times_round_trip(mapping) -> None:
    text = "".join(f"{k}\t{v!r}\n" for k, v in mapping.items())
    with tempfile.TemporaryDirectory() as tmp:
        parsed = read_sample_times(_write(tmp, "times.tsv", text))
    # the first line may be taken as a header only when its time is not a number
    assert parsed == {k: float(v) for k, v in mapping.items()}


# --- STEP sparse text and dense contact maps --------------------------------------------------


@st.composite
def step_maps(draw: st.DrawFn) -> tuple[int, dict[tuple[int, int], float]]:
    binsize = draw(st.sampled_from([1000, 5000, 1_000_000]))
    n_bins = draw(st.integers(2, 12))
    cells = draw(st.dictionaries(
        st.tuples(st.integers(0, n_bins - 1), st.integers(0, n_bins - 1)).map(sorted).map(tuple),
        st.floats(0.5, 1e4, allow_nan=False, width=32), min_size=2, max_size=30))
    cells[(0, 0)] = 1.0
    cells[(1, 1)] = 1.0  # positions 0 and binsize: the bin size is recoverable
    return binsize, cells


def _step_text(binsize: int, cells: dict[tuple[int, int], float]) -> str:
    return "".join(f"{i * binsize}\t{j * binsize}\t{v!r}\n" for (i, j), v in sorted(cells.items()))


@FEW
@given(step_maps())
def test_step_text_round_trip(step_map) -> None:
    binsize, cells = step_map
    with tempfile.TemporaryDirectory() as tmp:
        src = _write(tmp, "mESC_chr2_1mb.txt", _step_text(binsize, cells))
        clr = cooler.Cooler(str(convert_contacts(src, Path(tmp) / "out.cool")))
        assert clr.binsize == binsize and clr.chromnames == ["chr2"]
        pixels = clr.pixels()[:]
    got = {(int(a), int(b)): float(v)
           for a, b, v in pixels[["bin1_id", "bin2_id", "count"]].itertuples(index=False)}
    assert sorted(got) == sorted(cells)
    np.testing.assert_allclose([got[k] for k in sorted(cells)],
                               [cells[k] for k in sorted(cells)], rtol=ULP, atol=0)


@FEW
@given(st.data())
def test_step_text_corrupted(data) -> None:
    text = data.draw(corruptions(_step_text(*data.draw(step_maps()))))
    with tempfile.TemporaryDirectory() as tmp:
        src = _write(tmp, "mESC_chr2_1mb.txt", text)
        parses_or_input_error(lambda p: convert_contacts(p, Path(tmp) / "out.cool"), src)


def _dense_text(matrix: np.ndarray, binsize: int) -> str:
    labels = [f"chr1:{i * binsize}-{(i + 1) * binsize}" for i in range(len(matrix))]
    lines = ["\t" + "\t".join(labels)]
    lines += [lab + "\t" + "\t".join(repr(float(v)) for v in row)
              for lab, row in zip(labels, matrix, strict=True)]
    return "\n".join(lines) + "\n"


@st.composite
def dense_maps(draw: st.DrawFn) -> np.ndarray:
    n = draw(st.integers(2, 6))
    upper = np.asarray(draw(st.lists(st.floats(0.5, 100, width=32), min_size=n * n,
                                     max_size=n * n))).reshape(n, n)
    return np.triu(upper) + np.triu(upper, 1).T


@FEW
@given(dense_maps())
def test_dense_tsv_round_trip(matrix) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        src = _write(tmp, "map.tsv", _dense_text(matrix, 1000))
        clr = cooler.Cooler(str(convert_contacts(src, Path(tmp) / "out.cool")))
        dense = clr.matrix(balance=False)[:]
    np.testing.assert_allclose(dense, matrix, rtol=ULP, atol=0)


@FEW
@given(st.data())
def test_dense_tsv_corrupted(data) -> None:
    text = data.draw(corruptions(_dense_text(data.draw(dense_maps()), 1000)))
    with tempfile.TemporaryDirectory() as tmp:
        src = _write(tmp, "map.tsv", text)
        parses_or_input_error(lambda p: convert_contacts(p, Path(tmp) / "out.cool"), src)


# --- config YAML -----------------------------------------------------------------------------

config_values = st.fixed_dictionaries({}, optional={
    "seed": st.integers(0, 2**31), "n_genes": st.integers(1, 10**4),
    "n_times": st.integers(1, 500), "resolution": st.integers(1, 10**6),
    "max_distance": st.none() | st.integers(1, 10**8),
})


@FUZZ
@given(config_values)
def test_config_round_trip(values) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        cfg = load_config(SimulateConfig, _write(tmp, "config.yaml", yaml.safe_dump(values)))
    for key, value in values.items():
        assert getattr(cfg, key) == value


@FUZZ
@given(st.data())
def test_config_corrupted(data) -> None:
    text = data.draw(corruptions(yaml.safe_dump(data.draw(config_values) or {"seed": 1})))
    with tempfile.TemporaryDirectory() as tmp:
        parses_or_input_error(lambda p: load_config(SimulateConfig, p),
                              _write(tmp, "config.yaml", text))


# --- narrowPeak, loops, BENGI links -------------------------------------------------------------

peak_rows = st.lists(st.tuples(st.sampled_from(["chr1", "2", "chrX"]), st.integers(0, 10**8),
                               st.integers(1, 5000), st.floats(0, 1e3, width=32)),
                     min_size=1, max_size=12)


def _peak_text(rows) -> str:
    return "".join(f"{c}\t{s}\t{s + n}\tpeak{i}\t0\t.\t{v!r}\t-1\t-1\t{n // 2}\n"
                   for i, (c, s, n, v) in enumerate(rows))


@FUZZ
@given(peak_rows)
def test_narrowpeak_round_trip(rows) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        peaks = read_peaks(_write(tmp, "x.narrowPeak", _peak_text(rows)), value="signal")
    assert peaks["chrom"].tolist() == [c if c.startswith("chr") else f"chr{c}" for c, *_ in rows]
    assert peaks["start"].tolist() == [r[1] for r in rows]
    np.testing.assert_allclose(peaks["value"], [r[3] for r in rows], rtol=1e-6)


@FUZZ
@given(st.data())
def test_narrowpeak_corrupted(data) -> None:
    text = data.draw(corruptions(_peak_text(data.draw(peak_rows))))
    with tempfile.TemporaryDirectory() as tmp:
        parses_or_input_error(lambda p: read_peaks(p, value="signal"),
                              _write(tmp, "x.narrowPeak", text))


def _loop_text(rows) -> str:
    head = "chr1\tx1\tx2\tchr2\ty1\ty2\tcolor\to\n"
    return head + "".join(f"{c}\t{s}\t{s + n}\t{c}\t{s + 5 * n}\t{s + 6 * n}\t0,0,0\t{v!r}\n"
                          for c, s, n, v in rows)


@FUZZ
@given(peak_rows)
def test_loops_round_trip(rows) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        loops = read_loops(_write(tmp, "loops.txt", _loop_text(rows)))
    assert loops["start2"].tolist() == [s + 5 * n for _, s, n, _ in rows]
    np.testing.assert_allclose(loops["count"], [r[3] for r in rows], rtol=1e-6)


@FUZZ
@given(st.data())
def test_loops_corrupted(data) -> None:
    text = data.draw(corruptions(_loop_text(data.draw(peak_rows))))
    with tempfile.TemporaryDirectory() as tmp:
        parses_or_input_error(read_loops, _write(tmp, "loops.txt", text))


def _bengi_text(rows) -> str:
    return "".join(
        f"1\tE{i}\t{c}\t{s}\t{s + n}\tx\tx\tx\tx\t{c}:{s + 10 * n}-{s + 10 * n + 1}|GM12878|"
        f"ENSG{i:011d}.3|ENST{i:011d}.1|+\n" for i, (c, s, n, _) in enumerate(rows))


@FUZZ
@given(peak_rows)
def test_bengi_round_trip(rows) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        links = read_bengi(_write(tmp, "links.tsv", _bengi_text(rows)))
    assert links["gene_id"].tolist() == [f"ENSG{i:011d}" for i in range(len(rows))]
    assert links["tss"].tolist() == [s + 10 * n for _, s, n, _ in rows]


@FUZZ
@given(st.data())
def test_bengi_corrupted(data) -> None:
    text = data.draw(corruptions(_bengi_text(data.draw(peak_rows))))
    with tempfile.TemporaryDirectory() as tmp:
        parses_or_input_error(read_bengi, _write(tmp, "links.tsv", text))


# --- truncated gzip of line-based formats ---------------------------------------------------------


@pytest.mark.parametrize("name, text, parse", [
    ("genes.bed.gz", _bed_text([("chr1", i * 100, 50, "+") for i in range(3000)]), read_genes),
    ("peaks.narrowPeak.gz", _peak_text([("chr1", i * 100, 50, 1.0) for i in range(3000)]),
     read_peaks),
    ("mESC_chr1_1mb.txt.gz", _step_text(1000, {(i, i): 1.0 for i in range(3000)}),
     lambda p: convert_contacts(p, p.parent / "out.cool")),
])
def test_truncated_gzip_is_an_input_error(tmp_path: Path, name: str, text: str, parse) -> None:
    data = gzip.compress(text.encode())
    path = _write(str(tmp_path), name, data[: len(data) // 2])
    with pytest.raises(InputError, match="gzip"):
        parse(path)

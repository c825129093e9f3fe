"""4DN .pairs files binned into coolers: round trips and bad inputs."""

from __future__ import annotations

import gzip
from pathlib import Path

import cooler
import numpy as np
import pandas as pd
import pytest

from hicexpr.io import contacts, pairs
from hicexpr.io.contacts import contact_format, convert_contacts, open_contacts
from hicexpr.lib.errors import InputError

HEADER = ("## pairs format v1.0\n#genome_assembly: testgenome\n#chromsize: chr1 9500\n"
          "#chromsize: chr2 6000\n#columns: readID chr1 pos1 chr2 pos2 strand1 strand2\n")


pytestmark = pytest.mark.usefixtures("isolated_cache")


def _source(tmp_path: Path) -> cooler.Cooler:
    bins = cooler.binnify(pd.Series({"chr1": 9_500, "chr2": 6_000}), 1000)
    i, j = np.triu_indices(len(bins))
    pixels = pd.DataFrame({"bin1_id": i, "bin2_id": j, "count": 12 // (j - i + 1)})
    cooler.create_cooler(str(tmp_path / "src.cool"), bins, pixels[pixels["count"] > 0])
    return cooler.Cooler(str(tmp_path / "src.cool"))


def _pair_lines(clr: cooler.Cooler) -> list[str]:
    """One line per read pair of every pixel, at random positions in its bins; every other
    pair written lower-triangle (sides swapped), plus unmapped pairs; shuffled."""
    rng = np.random.default_rng(5)
    bins = clr.bins()[:]
    lines = []
    for b1, b2, n in clr.pixels()[:].itertuples(index=False):
        for k in range(n):
            sides = [(bins.chrom[b], rng.integers(bins.start[b], bins.end[b]) + 1)
                     for b in (b1, b2)]
            (c1, p1), (c2, p2) = sides[::-1] if k % 2 else sides
            lines.append(f"r{len(lines)}\t{c1}\t{p1}\t{c2}\t{p2}\t+\t-\n")
    lines += ["u1\t!\t0\tchr1\t5\t-\t+\n", "u2\tchr2\t7\t!\t0\t+\t-\n"]
    return [lines[k] for k in rng.permutation(len(lines))]


def _write_pairs(tmp_path: Path, name: str, body: list[str], header: str = HEADER) -> Path:
    path = tmp_path / name
    text = header + "".join(body)
    if name.endswith(".gz"):
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text)
    return path


def _same_pixels(clr: cooler.Cooler, src: cooler.Cooler) -> None:
    pd.testing.assert_frame_equal(clr.bins()[:], src.bins()[:])
    got, want = clr.pixels()[:], src.pixels()[:]
    np.testing.assert_array_equal(got.to_numpy(), want.to_numpy())


@pytest.mark.parametrize("name", ["s.pairs", "s.pairs.gz"])
def test_pairs_binned_like_the_source(tmp_path, monkeypatch, name):
    monkeypatch.setattr(pairs, "PAIRS_CHUNK_ROWS", 50)  # several chunks and merge blocks
    monkeypatch.setattr(contacts, "STEP_MERGE_ROWS", 40)
    src = _source(tmp_path)
    path = _write_pairs(tmp_path, name, _pair_lines(src))
    assert contact_format(path) == "pairs"
    clr = open_contacts(path, resolution=1000)
    _same_pixels(clr, src)
    assert clr.info["genome-assembly"] == "testgenome"
    assert "weight" not in clr.bins().columns  # raw counts: balance them
    coarse = convert_contacts(path, tmp_path / "c.cool", resolution=5000)
    assert cooler.Cooler(str(coarse)).binsize == 5000
    assert cooler.Cooler(str(coarse)).pixels()[:]["count"].sum() == src.pixels()[:]["count"].sum()


def test_columns_line_places_the_fields(tmp_path):
    src = _source(tmp_path)
    moved = [line.split("\t") for line in _pair_lines(src)]
    body = ["\t".join([f[0], f[5], f[1], f[2], f[3], f[4]]) + "\n" for f in moved]
    header = HEADER.replace("readID chr1 pos1 chr2 pos2 strand1 strand2",
                            "readID strand1 chr1 pos1 chr2 pos2")
    _same_pixels(open_contacts(_write_pairs(tmp_path, "m.pairs", body, header), 1000), src)


def _error(tmp_path: Path, body: str, header: str = HEADER, resolution: int | None = 1000) -> str:
    path = _write_pairs(tmp_path, "bad.pairs", [body], header)
    with pytest.raises(InputError) as err:
        open_contacts(path, resolution=resolution)
    return str(err.value).replace(f"{tmp_path}/", "")


def test_pairs_errors_are_one_line(tmp_path, monkeypatch):
    monkeypatch.setattr(pairs, "PAIRS_CHUNK_ROWS", 1)  # line numbers run on over chunks
    ok = "r1\tchr1\t5\tchr1\t10\t+\t+\n"
    assert _error(tmp_path, ok, resolution=None) == (
        "bad.pairs: resolution: expected --resolution N, the bin size (bp) to bin the pairs at, "
        "got 'none'")
    assert _error(tmp_path, ok, header="## pairs format v1.0\n") == (
        "bad.pairs: header: expected #chromsize: CHROM LENGTH lines (4DN pairs header), "
        "got 'none'")
    assert _error(tmp_path, ok + "r2\tchr3\t5\tchr1\t10\t+\t+\n") == (
        "bad.pairs: line 7: expected a chromosome with a #chromsize line in column chr1, "
        "got 'chr3'")
    assert _error(tmp_path, ok + "r2\tchr1\t5\tchr2\t6001\t+\t+\n") == (
        "bad.pairs: line 7: expected a 1-based position within chr2 in column pos2, got '6001'")
    assert _error(tmp_path, ok + "r2\tchr1\tx\tchr2\t6\t+\t+\n") == (
        "bad.pairs: line 7: expected a 1-based position within chr1 in column pos1, got 'x'")
    assert _error(tmp_path, ok, header=HEADER + "#chromsize: chr3 big\n") == (
        "bad.pairs: line 6: expected #chromsize: CHROM LENGTH (a positive integer), "
        "got 'chr3 big'")


def test_forecast_maps_bin_a_pairs_file_at_their_resolution(tmp_path):
    from hicexpr.datasets.forecasting import _open_map

    src = _source(tmp_path)
    _same_pixels(_open_map(_write_pairs(tmp_path, "s.pairs", _pair_lines(src)), 1000), src)

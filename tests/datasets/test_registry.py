"""Dataset registry: hashes match the shared copies; fetch --from verifies sha256; no network."""

from __future__ import annotations

import functools
import hashlib
import http.server
import logging
import re
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from hicexpr.datasets import registry
from hicexpr.datasets.registry import dataset_files, fetch_dataset, list_datasets
from hicexpr.lib.errors import InputError


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_registry_entries_are_well_formed() -> None:
    reg = registry.load_registry()["datasets"]
    paths = [f["path"] for d in reg.values() for f in d["files"]]
    assert len(paths) == len(set(paths))
    for entry in reg.values():
        assert entry["description"] and entry["origin"] and entry["license"]
        for f in entry["files"]:
            assert re.fullmatch(r"[0-9a-f]{64}", f["sha256"]), f["path"]
            assert f["size"] > 0
            assert f["url"] is None or f["url"].startswith("https://")
    assert {"step", "step_raw", "step_hic", "yeast", "gm12878", "formats"} <= set(reg)


def test_named_public_origins() -> None:
    urls = {f["path"]: f["url"] for d in ("step", "step_hic", "yeast", "gm12878")
            for f in dataset_files(d)}
    assert urls["step/interaction_mrna.csv"] == (
        "https://raw.githubusercontent.com/beyzoskaya/STEP/main/dataset/interaction_mrna.csv"
    )
    yeast = urls["yeast/hic/yeast.10kb.cool"]
    assert yeast.endswith("open2c/cooler/master/tests/data/yeast.10kb.cool")
    assert "ABC-Enhancer-Gene-Prediction" in urls[
        "human_gm12878_hg19/genes/CollapsedGeneBounds.hg19.bed"
    ]
    mesc = [u for p, u in urls.items() if p.startswith("step/hic_mESC")]
    assert len(mesc) == 20 and all("mESC_1mb_converted" in u for u in mesc)


def test_list_datasets_table() -> None:
    table = list_datasets()
    assert list(table.columns[:4]) == ["name", "files", "size_mb", "public_urls"]
    step = table.set_index("name").loc["step"]
    assert step["files"] == 2 and step["public_urls"] == 2
    assert (table["public_urls"] <= table["files"]).all()


def test_registry_matches_shared_data(data_dir: Path) -> None:
    for name in registry.load_registry()["datasets"]:
        for f in dataset_files(name):
            local = data_dir / f["path"]
            assert local.is_file(), f["path"]
            assert local.stat().st_size == f["size"], f["path"]
    shared = {str(p.relative_to(data_dir)) for p in data_dir.rglob("*")
              if p.is_file() and p.name != "README.md"}
    registered = {f["path"] for d in registry.load_registry()["datasets"]
                  for f in dataset_files(d)}
    assert shared <= registered


def test_sha256_of_shared_step_files(data_dir: Path) -> None:
    for name in ("step", "step_raw", "formats"):
        for f in dataset_files(name):
            assert _sha256(data_dir / f["path"]) == f["sha256"], f["path"]


@pytest.mark.parametrize("sub", ["", "step"])
def test_fetch_from_local_copy(data_dir: Path, tmp_path: Path, sub: str) -> None:
    out = fetch_dataset("step", source_dir=data_dir / sub, dest=tmp_path)
    assert sorted(p.relative_to(tmp_path).as_posix() for p in out) == [
        "step/interaction_mirna.csv", "step/interaction_mrna.csv",
    ]
    for p in out:
        assert _sha256(p) == _sha256(data_dir / "step" / p.name)
    again = fetch_dataset("step", source_dir=data_dir, dest=tmp_path)
    assert again == out


def test_fetch_rejects_modified_copy(data_dir: Path, tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    for f in dataset_files("step"):
        (src / Path(f["path"]).name).write_bytes((data_dir / f["path"]).read_bytes())
    bad = src / "interaction_mrna.csv"
    bad.write_bytes(bad.read_bytes()[:-10])
    expected = next(f["sha256"] for f in dataset_files("step") if f["path"].endswith("mrna.csv"))
    with pytest.raises(InputError) as err:
        fetch_dataset("step", source_dir=src, dest=tmp_path / "out")
    msg = str(err.value)
    assert str(bad) in msg and expected in msg and _sha256(bad) in msg
    assert not (tmp_path / "out" / "step" / "interaction_mrna.csv").exists()


def test_fetch_missing_local_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"step/interaction_mi?rna\.csv"):
        fetch_dataset("step", source_dir=tmp_path, dest=tmp_path / "out")


def test_unknown_dataset_suggests_closest() -> None:
    with pytest.raises(InputError, match="did you mean 'yeast'"):
        fetch_dataset("yeasts")


def test_no_public_url_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("tried to download")

    monkeypatch.setattr(registry.pooch, "create", no_network)
    with pytest.raises(InputError, match="--from DIR"):
        fetch_dataset("formats", dest=tmp_path)


def test_unreachable_url_is_a_one_line_error(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    entry = {"path": "x/maps.txt", "sha256": "0" * 64, "url": "http://127.0.0.1:9/maps.txt"}
    monkeypatch.setattr(registry, "dataset_files", lambda name: [entry])
    monkeypatch.setattr(registry.pooch, "create", functools.partial(registry.pooch.create,
                                                                    retry_if_failed=0))
    with pytest.raises(InputError, match=r"^http://127.0.0.1:9/maps.txt: expected a reachable "
                       r"URL \(offline: import a local copy with --from DIR\), got '.+") as err:
        fetch_dataset("step", dest=tmp_path)
    assert "\n" not in str(err.value)
    assert not list(tmp_path.rglob("maps.txt"))


def test_cache_dir_from_environment(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HICEXPR_CACHE", str(tmp_path / "cache"))
    assert registry.cache_dir() == tmp_path / "cache"
    out = fetch_dataset("step_reported", source_dir=data_dir)
    assert all(p.is_relative_to(tmp_path / "cache") for p in out)
    monkeypatch.delenv("HICEXPR_CACHE")
    assert registry.cache_dir() == Path.home() / ".cache" / "hicexpr"


def test_list_rows_agree_with_each_data_set_files() -> None:
    table = list_datasets().set_index("name")
    assert list(table.index) == list(registry.load_registry()["datasets"])
    for name, row in table.iterrows():
        files = dataset_files(name)
        assert row["files"] == len(files), name
        assert row["public_urls"] == sum(f["url"] is not None for f in files), name
        assert row["size_mb"] == pytest.approx(sum(f["size"] for f in files) / 1e6, abs=0.005)
    assert table.loc["step_hic", "files"] == 20 and table.loc["formats", "public_urls"] == 0


def test_fetch_from_a_file_says_it_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "copy.csv").write_text("x")
    with pytest.raises(InputError, match=r"copy\.csv: expected a folder holding local copies "
                       "of the data set, got 'a file'$"):
        fetch_dataset("step", source_dir=tmp_path / "copy.csv", dest=tmp_path / "out")


@pytest.mark.parametrize("download", [False, True])
def test_fetch_into_a_file_is_a_one_line_error(data_dir: Path, tmp_path: Path,
                                               download: bool) -> None:
    (tmp_path / "out").write_text("x")
    source = None if download else data_dir
    with pytest.raises(InputError, match=f"^{tmp_path}/out: expected a writable output folder, "
                       "got 'a file'$"):  # was a traceback (--from) or 'expected a reachable URL'
        fetch_dataset("step", source_dir=source, dest=tmp_path / "out")


@pytest.fixture
def local_server(tmp_path: Path) -> Iterator[str]:
    """An HTTP server on 127.0.0.1 serving ``tmp_path / 'www'`` (no network needed)."""
    root = tmp_path / "www"
    root.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    handler.log_message = lambda *args: None  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _served(tmp_path: Path, url: str, sha256: str | None = None) -> dict[str, object]:
    (tmp_path / "www" / "maps.txt").write_text("chr1 0 1.5\n")
    actual = _sha256(tmp_path / "www" / "maps.txt")
    return {"path": "x/maps.txt", "sha256": sha256 or actual, "url": f"{url}/maps.txt",
            "size": 11}


def test_download_repairs_a_corrupted_cache(tmp_path: Path, local_server: str,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    entry = _served(tmp_path, local_server)
    monkeypatch.setattr(registry, "dataset_files", lambda name: [entry])
    [path] = fetch_dataset("step", dest=tmp_path / "cache")
    path.write_text("half a fi")  # a corrupted cached copy is downloaded again
    assert fetch_dataset("step", dest=tmp_path / "cache") == [path]
    assert _sha256(path) == entry["sha256"]


def test_download_hash_mismatch_is_one_quiet_line(tmp_path: Path, local_server: str,
                                                  monkeypatch: pytest.MonkeyPatch,
                                                  caplog: pytest.LogCaptureFixture) -> None:
    entry = _served(tmp_path, local_server, sha256="0" * 64)
    monkeypatch.setattr(registry, "dataset_files", lambda name: [entry])
    monkeypatch.setattr(registry.pooch, "create", functools.partial(registry.pooch.create,
                                                                    retry_if_failed=0))
    caplog.set_level(logging.INFO, logger="hicexpr")
    with pytest.raises(InputError) as err:
        fetch_dataset("step", dest=tmp_path / "cache")
    actual = _sha256(tmp_path / "www" / "maps.txt")
    # the actual hash in full, as --from reports it (pooch's message cut it off)
    assert str(err.value) == f"{entry['url']}: sha256: expected {'0' * 64}, got '{actual}'"
    assert not list((tmp_path / "cache").rglob("maps.txt"))
    # pooch's own logger wrote 'Downloading file ...' on stderr whatever --quiet said: its
    # messages now go through hicexpr's logging (stderr with --verbose only)
    assert any(r.name == "hicexpr.datasets.registry" and "pooch: Downloading file" in r.message
               for r in caplog.records)
    assert not any(isinstance(h, registry._ToHicexprLog)
                   for h in registry.pooch.get_logger().handlers)  # pooch's handlers restored

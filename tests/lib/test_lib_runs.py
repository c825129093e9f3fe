"""Run folders: config, versions, metrics, log, COMPLETE marker written last."""

from __future__ import annotations

import json
import logging
import os
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

from hicexpr import __version__
from hicexpr.config import DemoConfig
from hicexpr.lib.errors import InputError
from hicexpr.lib.runs import (
    COMPLETE,
    RunFolder,
    is_complete,
    package_versions,
    record_outputs,
)


def test_run_folder_layout(tmp_path: Path) -> None:
    run = RunFolder(tmp_path / "run")
    assert run.plots_dir.is_dir() and (run.path / "run.log").is_file()
    run.write_config(DemoConfig(seed=4))
    run.write_versions({"seeds": [4]})
    run.write_metrics({"task": "forecast", "summary": [{"mean": float("nan")}]})
    run.write_table("predictions.tsv", pd.DataFrame({"gene": ["g"], "predicted": [1.0]}))
    logging.getLogger("hicexpr.test").info("hello from the run")
    assert not is_complete(run.path)
    run.complete()
    assert is_complete(run.path)
    assert yaml.safe_load((run.path / "config.yaml").read_text())["seed"] == 4
    versions = json.loads((run.path / "versions.json").read_text())
    assert versions["hicexpr"] == __version__ and versions["seeds"] == [4]
    assert json.loads((run.path / "metrics.json").read_text())["summary"][0]["mean"] is None
    assert "hello from the run" in (run.path / "run.log").read_text()


def test_reopening_removes_stale_complete(tmp_path: Path) -> None:
    run = RunFolder(tmp_path)
    run.complete()
    assert is_complete(tmp_path)
    again = RunFolder(tmp_path)
    assert not (tmp_path / COMPLETE).exists()
    again.close()


def test_log_handler_detached_after_close(tmp_path: Path) -> None:
    first = RunFolder(tmp_path / "a")
    first.close()  # a run that failed before complete()
    second = RunFolder(tmp_path / "b")
    logging.getLogger("hicexpr.test").info("only in b")
    second.complete()
    assert "only in b" not in (tmp_path / "a" / "run.log").read_text()
    assert "only in b" in (tmp_path / "b" / "run.log").read_text()
    handlers = logging.getLogger("hicexpr").handlers
    assert not [h for h in handlers if getattr(h, "baseFilename", "").startswith(str(tmp_path))]


def test_context_manager_closes_log(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError), RunFolder(tmp_path) as run:
        raise RuntimeError("failed run")
    assert run._handler not in logging.getLogger("hicexpr").handlers
    assert not is_complete(tmp_path)


def test_output_path_that_is_a_file(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(InputError, match="writable output folder"):
        RunFolder(blocker)


def test_read_only_output_folder(read_only_folder: Path) -> None:
    # os.access says yes to root in a chmod-555 folder: only a real write finds it
    with pytest.raises(InputError, match=f"^{read_only_folder}: expected a writable output "
                       "folder, got '(Permission denied|Operation not permitted)'$"):
        RunFolder(read_only_folder)


def test_package_versions_lists_tracked_packages() -> None:
    import platform
    import sys

    import cooler
    import numpy as np

    from hicexpr import __version__

    versions = package_versions()
    assert versions["numpy"] == np.__version__ and versions["cooler"] == cooler.__version__
    assert versions["hicexpr"] == __version__
    assert versions["python"] == platform.python_version() == "{}.{}.{}".format(*sys.version_info)


def test_a_new_run_removes_only_what_the_earlier_run_wrote(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine, there before")
    (tmp_path / "genes.tsv").write_text("mine, an input")
    run = RunFolder(tmp_path)
    run.write_config({"seed": 1})
    for name in ("scores.tsv", "genes.tsv", "edited.tsv"):  # genes.tsv: overwrote the input
        run.write_table(name, pd.DataFrame({"a": [1]}))
    (run.plots_dir / "old.png").write_bytes(b"png")
    (tmp_path / "map.mcool").write_bytes(b"map")  # an input given as map.mcool::resolutions/N
    run.complete()
    later = time.time() + 5
    os.utime(tmp_path / "edited.tsv", (later, later))  # the user changed it afterwards
    again = RunFolder(tmp_path, keep=[tmp_path / "genes.tsv",
                                      f"{tmp_path / 'map.mcool'}::resolutions/10000"])
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == ["edited.tsv", "genes.tsv", "map.mcool", "notes.txt", "plots", "run.log"]
    assert not any(again.plots_dir.iterdir())
    again.close()


def test_a_report_written_later_is_removed_by_the_next_run_too(tmp_path: Path) -> None:
    run = RunFolder(tmp_path)
    run.complete()
    started = time.time()
    (tmp_path / "report.html").write_text("<html>")  # hicexpr report, after COMPLETE
    record_outputs(tmp_path, started)
    RunFolder(tmp_path).close()
    assert not (tmp_path / "report.html").exists()


def test_a_new_run_removes_temporaries_a_killed_run_left(tmp_path: Path) -> None:
    out = tmp_path / "run"
    (out / ".cache").mkdir(parents=True)
    left = [out / ".metrics.json.k3_x9q2a.tmp", out / ".cache" / ".entry.pkl.a1b2c3d4.tmp"]
    for path in left:
        path.write_text("half written")
    (out / "my.tmp").write_text("keep")
    with RunFolder(out):
        pass
    assert not any(p.exists() for p in left)
    assert (out / "my.tmp").read_text() == "keep"

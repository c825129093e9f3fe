"""The command line through its real entry point: help, version, config errors, atomic runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import cooler
import pandas as pd
import pytest
import typer.main
import yaml

from hicexpr import __version__
from hicexpr.cli import app

CLI = [sys.executable, "-m", "hicexpr.cli"]
ENV = {**os.environ, "HICEXPR_QUIET": "1"}
SIM_SMALL = ["--n-genes", "40", "--n-times", "10", "--n-chroms", "1", "--genome-size", "2000000"]


def run_cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args], capture_output=True, text=True, timeout=timeout, env=ENV, check=False
    )


def command_paths() -> list[list[str]]:
    """Every command and sub-command of the app, e.g. ``["datasets", "fetch"]``."""
    paths: list[list[str]] = []

    def walk(cmd: object, prefix: list[str]) -> None:
        for name, sub in sorted(getattr(cmd, "commands", {}).items()):
            paths.append([*prefix, name])
            walk(sub, [*prefix, name])

    walk(typer.main.get_command(app), [])
    return paths


def test_root_help_and_version() -> None:
    res = run_cli("--help")
    assert res.returncode == 0, res.stderr
    for name in ("simulate", "datasets", "demo"):
        assert name in res.stdout
    res = run_cli("--version")
    assert res.returncode == 0 and res.stdout.strip() == f"hicexpr {__version__}"


def test_help_of_every_command() -> None:
    paths = command_paths()
    assert ["simulate"] in paths and ["datasets", "fetch"] in paths and ["demo"] in paths
    # one interpreter runs the real entry point (hicexpr.cli.main) once per command
    script = (
        "import sys, json, contextlib, io\n"
        "from hicexpr.cli import main\n"
        "out = {}\n"
        "for path in json.loads(sys.argv[1]):\n"
        "    sys.argv = ['hicexpr', *path, '--help']\n"
        "    buf = io.StringIO()\n"
        "    code = 0\n"
        "    with contextlib.redirect_stdout(buf):\n"
        "        try:\n"
        "            main()\n"
        "        except SystemExit as exc:\n"
        "            code = exc.code or 0\n"
        "    out[' '.join(path)] = [code, buf.getvalue()]\n"
        "print(json.dumps(out))\n"
    )
    res = subprocess.run(
        [sys.executable, "-c", script, json.dumps(paths)], capture_output=True, text=True,
        timeout=300, env=ENV, check=False,
    )
    assert res.returncode == 0, res.stderr
    results = json.loads(res.stdout.strip().splitlines()[-1])
    for name, (code, text) in results.items():
        assert code == 0, name
        assert "Usage" in text, name
    res = run_cli("datasets", "fetch", "--help")  # a sub-command through its own process
    assert res.returncode == 0 and "--from" in res.stdout


def test_unknown_config_key_is_one_line_error(tmp_path: Path) -> None:
    cfg = tmp_path / "sim.yaml"
    cfg.write_text("seed: 1\nn_gene: 50\n")
    res = run_cli("simulate", "--config", str(cfg), "--out", str(tmp_path / "out"))
    assert res.returncode == 2
    assert "Traceback" not in res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1
    assert str(cfg) in lines[0] and "'n_gene'" in lines[0] and "'n_genes'" in lines[0]
    assert not (tmp_path / "out").exists()


def test_invalid_config_value_and_bad_yaml(tmp_path: Path) -> None:
    cfg = tmp_path / "demo.yaml"
    cfg.write_text("seed: [1, 2]\n")
    res = run_cli("demo", "--config", str(cfg), "--out", str(tmp_path / "run"))
    assert res.returncode == 2 and "Traceback" not in res.stderr
    assert "seed" in res.stderr and len(res.stderr.strip().splitlines()) == 1
    cfg.write_text("seed: 1\nn_genes: [3\n")
    res = run_cli("demo", "--config", str(cfg), "--out", str(tmp_path / "run"))
    assert res.returncode == 2 and "line " in res.stderr and "Traceback" not in res.stderr


def test_input_errors_are_one_line(tmp_path: Path) -> None:
    res = run_cli("datasets", "fetch", "stepp", "--from", str(tmp_path))
    assert res.returncode == 2 and "Traceback" not in res.stderr
    assert res.stderr.strip() == (
        "error: datasets: name: expected a registered data set (did you mean 'step'?), "
        "got 'stepp'"
    )


def test_simulate_is_deterministic_and_config_merges(tmp_path: Path) -> None:
    cfg = tmp_path / "sim.yaml"
    cfg.write_text("seed: 4\nn_genes: 55\n")
    a = run_cli("simulate", "--out", str(tmp_path / "a"), "--seed", "4", *SIM_SMALL)
    b = run_cli("simulate", "--config", str(cfg), "--out", str(tmp_path / "b"), *SIM_SMALL)
    assert a.returncode == 0 and b.returncode == 0, a.stderr + b.stderr
    names = ["contacts.cool", "genes.bed", "expression.tsv", "truth.json"]
    for name in names:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    genes = pd.read_csv(tmp_path / "a" / "genes.bed", sep="\t", header=None)
    assert len(genes) == 40  # the flag overrides the YAML value (55)
    assert json.loads((tmp_path / "a" / "truth.json").read_text())["seed"] == 4



@pytest.mark.parametrize(("env", "flag", "bars"), [
    ({"HICEXPR_QUIET": "1"}, [], False),  # the environment silences the CLI too
    ({"HICEXPR_QUIET": "0"}, ["--quiet"], False),
    ({"HICEXPR_QUIET": "0"}, [], True),
])
def test_progress_bars_follow_quiet_flag_or_environment(tmp_path: Path, env, flag, bars) -> None:
    proc = subprocess.run([*CLI, *flag, "simulate", "--out", str(tmp_path / "s"), *SIM_SMALL],
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, **env}, check=False)
    assert proc.returncode == 0, proc.stderr
    assert ("simulating contacts" in proc.stderr) is bars

def _check_complete_or_absent(path: Path) -> None:
    """A final-named file must be whole: parse it according to its type."""
    if path.suffix == ".cool":
        clr = cooler.Cooler(str(path))
        assert clr.pixels()[:]["count"].sum() == clr.info["sum"]
    elif path.suffix == ".json":
        json.loads(path.read_text())
    elif path.suffix == ".yaml":
        assert isinstance(yaml.safe_load(path.read_text()), dict)
    elif path.suffix in (".tsv", ".bed"):
        df = pd.read_csv(path, sep="\t", header=None if path.suffix == ".bed" else 0)
        assert len(df) > 0 and not df.isna().all(axis=1).any()


@pytest.mark.slow
@pytest.mark.parametrize("delay", [2.0])
def test_kill_9_leaves_no_complete_marker_and_no_half_files(tmp_path: Path, delay: float) -> None:
    out = tmp_path / "run"
    proc = subprocess.Popen([*CLI, "demo", "--out", str(out)], env=ENV,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 90
        while not (out / "config.yaml").exists() and time.time() < deadline:
            time.sleep(0.05)
        time.sleep(delay)
        if proc.poll() is not None:
            pytest.skip("the run finished before it could be killed")
        proc.kill()  # SIGKILL: no cleanup handlers run
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -9
    assert not (out / "COMPLETE").exists()
    finals = [p for p in out.rglob("*") if p.is_file() and not p.name.startswith(".")]
    assert finals  # the run had started writing
    for path in finals:
        _check_complete_or_absent(path)

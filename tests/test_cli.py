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
from typer.testing import CliRunner

from hicexpr import __version__
from hicexpr.cli import app, main

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


def test_python_dash_m_hicexpr_is_the_cli() -> None:
    module = [sys.executable, "-m", "hicexpr"]  # no __main__.py: 'cannot be directly executed'
    res = subprocess.run([*module, "--version"], capture_output=True, text=True, timeout=120,
                         env=ENV, check=False)
    assert res.returncode == 0 and res.stdout.strip() == f"hicexpr {__version__}", res.stderr
    res = subprocess.run([*module, "datasets", "fetch", "stepp"], capture_output=True,
                         text=True, timeout=120, env=ENV, check=False)
    assert res.returncode == 2 and res.stderr.startswith("error: datasets: name: ")


def test_help_of_every_command() -> None:
    paths = command_paths()
    assert ["simulate"] in paths and ["datasets", "fetch"] in paths and ["demo"] in paths
    # one interpreter runs the real entry point (hicexpr.cli.main) once per command
    script = (
        "import sys, json, contextlib, io\n"
        "from hicexpr.cli import main\n"
        "out = {}\n"
        "for path, flag in json.loads(sys.argv[1]):\n"
        "    sys.argv = ['hicexpr', *path, flag]\n"
        "    buf = io.StringIO()\n"
        "    code = 0\n"
        "    with contextlib.redirect_stdout(buf):\n"
        "        try:\n"
        "            main()\n"
        "        except SystemExit as exc:\n"
        "            code = exc.code or 0\n"
        "    out[' '.join([*path, flag])] = [code, buf.getvalue()]\n"
        "print(json.dumps(out))\n"
    )
    runs = [[path, flag] for path in [[], *paths] for flag in ("--help", "-h")]
    res = subprocess.run(
        [sys.executable, "-c", script, json.dumps(runs)], capture_output=True, text=True,
        timeout=300, env=ENV, check=False,
    )
    assert res.returncode == 0, res.stderr
    results = json.loads(res.stdout.strip().splitlines()[-1])
    assert len(results) == len(runs)
    for name, (code, text) in results.items():
        assert code == 0, name  # -h was 'No such option' (exit code 2)
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


@pytest.mark.parametrize(("flag", "env", "bars"), [
    (None, "1", False),  # HICEXPR_QUIET=1 was overridden by the root callback's set_quiet(False)
    ("--quiet", "", False),
    (None, "", True),
])
def test_quiet_flag_and_environment(tmp_path: Path, flag: str | None, env: str,
                                    bars: bool) -> None:
    args = [*CLI, *([flag] if flag else []), "simulate", "--out", str(tmp_path / "s"), *SIM_SMALL]
    res = subprocess.run(args, capture_output=True, text=True, timeout=120, check=False,
                         env={**os.environ, "HICEXPR_QUIET": env})
    assert res.returncode == 0, res.stderr
    assert ("simulating contacts" in res.stderr) is bars, res.stderr


def _interrupt(*_args: object, **_kwargs: object) -> None:
    raise KeyboardInterrupt


def test_ctrl_c_in_demo_names_the_unfinished_folder(tmp_path: Path, monkeypatch,
                                                    capsys) -> None:
    import hicexpr.workflows.demo as demo

    monkeypatch.setattr(demo, "run_demo", _interrupt)
    monkeypatch.setattr(sys, "argv", ["hicexpr", "demo", "--out", str(tmp_path / "d")])
    with pytest.raises(SystemExit) as exit_info:
        main()
    assert exit_info.value.code == 130
    # docs/run_folder.md: 'interrupted: OUT left without COMPLETE' (was: 'interrupted')
    assert capsys.readouterr().err == f"interrupted: {tmp_path / 'd'} left without COMPLETE\n"


def test_simulate_large_passes_an_explicit_zero_on(monkeypatch) -> None:
    import hicexpr.workflows.scale as scale

    seen: dict[str, object] = {}

    def record(out: object, **kwargs: object) -> None:
        seen.update(kwargs)
        raise KeyboardInterrupt

    monkeypatch.setattr(scale, "simulate_large", record)
    args = ["simulate", "--large", "--out", "x", "--n-genes", "0", "--n-times", "0",
            "--seed", "0", "--resolution", "0", "--max-distance", "0"]
    CliRunner().invoke(app, args)
    # 'n_genes or 20_000' turned 0 into a 20,000-gene run; 0 now reaches the check (refused)
    assert seen == {"n_genes": 0, "n_times": 0, "seed": 0, "resolution": 0, "n_chroms": None,
                    "max_distance": 0}
    CliRunner().invoke(app, ["simulate", "--large", "--out", "x"])
    assert seen == {"n_genes": 20_000, "n_times": 100, "seed": 0, "resolution": 10_000,
                    "n_chroms": None, "max_distance": 2_000_000}


PROG = "python -m hicexpr.cli"  # click names the program as it was started


@pytest.mark.parametrize(("args", "command", "names"), [
    (["simulate", "--bogus"], f"{PROG} simulate", "--bogus"),
    (["simulate", "--n-genes", "abc"], f"{PROG} simulate", "--n-genes"),
    (["contacts", "features"], f"{PROG} contacts features", "--hic"),
    (["nosuch"], PROG, "nosuch"),
])
def test_usage_errors_are_one_line(tmp_path: Path, args: list[str], command: str,
                                   names: str) -> None:
    """click's usage errors were a boxed, multi-line message; now one line like ours."""
    res = subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=60,
                         cwd=tmp_path, env=ENV, check=False)
    assert res.returncode == 2
    assert res.stdout == ""
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    assert lines[0].startswith(f"error: {command}: ") and names in lines[0]
    assert lines[0].endswith(f"({command} -h for help)")


def test_bare_group_still_shows_its_help(tmp_path: Path) -> None:
    res = subprocess.run([*CLI, "contacts"], capture_output=True, text=True, timeout=60,
                         cwd=tmp_path, env=ENV, check=False)
    assert res.returncode == 2
    assert f"Usage: {PROG} contacts" in res.stdout and "features" in res.stdout


def test_end_of_input_at_a_prompt_is_a_one_line_abort(tmp_path: Path, monkeypatch,
                                                      capsys) -> None:
    import hicexpr.workflows.demo as demo

    def abort(*_args: object, **_kwargs: object) -> None:
        raise typer.Abort()

    monkeypatch.setattr(demo, "run_demo", abort)
    monkeypatch.setattr(sys, "argv", ["hicexpr", "demo", "--out", str(tmp_path / "d")])
    with pytest.raises(SystemExit) as exit_info:
        main()
    assert exit_info.value.code == 1
    assert capsys.readouterr().err == "aborted\n"

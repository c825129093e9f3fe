"""The commands and names the documentation shows exist: every `hicexpr ...` command line in
README.md and docs/*.md (fenced blocks and inline code) names real sub-commands and options,
and every `hicexpr.module.name` it cites imports. docs/benchmarks.md is generated: not checked."""

from __future__ import annotations

import importlib
import re
from pathlib import Path
from typing import Any

import pytest
import typer.main

from hicexpr.cli import app

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md",
        *sorted(p for p in (ROOT / "docs").glob("*.md") if p.name != "benchmarks.md")]
FENCE = re.compile(r"^\s*```[^\n]*\n(.*?)^\s*```", re.S | re.M)
INLINE = re.compile(r"`([^`]+)`")
COMMAND_START = re.compile(r"(?:^|\s)((?:\.venv/bin/)?hicexpr\s)")
DOTTED = re.compile(r"`[^`]*?\b(hicexpr(?:\.[A-Za-z_]\w*)+)")


def _line_of(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


def _block_commands(text: str, block: re.Match[str]) -> list[tuple[int, str]]:
    """Command lines of one fenced block: continuations joined, comments dropped."""
    first = _line_of(text, block.start(1))
    found: list[tuple[int, str]] = []
    pending, start = "", first
    for offset, line in enumerate(block.group(1).splitlines()):
        if not pending:
            start = first + offset
        pending += " " + line.rstrip().removesuffix("\\")
        if line.rstrip().endswith("\\"):
            continue
        command = pending.split(" #")[0].strip()
        pending = ""
        match = COMMAND_START.search(command)
        if match and command.startswith(match.group(1)):
            found.append((start, command))
    return found


def doc_commands(text: str) -> list[tuple[int, str]]:
    """``(line, command)`` for every hicexpr command line of a markdown text."""
    found: list[tuple[int, str]] = []
    for block in FENCE.finditer(text):
        found += _block_commands(text, block)
    outside = FENCE.sub(lambda m: "\n" * m.group(0).count("\n"), text)  # keeps line numbers
    for span in INLINE.finditer(outside):
        match = COMMAND_START.search(span.group(1))
        if match:
            command = " ".join(span.group(1)[match.start(1):].split())
            found.append((_line_of(outside, span.start()), command))
    return found


def _options(command: Any) -> set[str]:
    names = {"--help"}
    for param in command.params:
        names.update(param.opts)
        names.update(param.secondary_opts)
    return names


def command_problems(command_line: str) -> list[str]:
    """What in one documented command line the CLI does not have (empty: all there)."""
    tokens = re.sub(r"[\[\]]", " ", command_line).split()[1:]  # drop `hicexpr`
    command: Any = typer.main.get_command(app)  # typer's own (vendored) click classes
    problems: list[str] = []
    for token in tokens:
        if token.startswith("-"):
            name = token.split("=")[0].rstrip(",);")
            if re.fullmatch(r"--?[A-Za-z][\w-]*", name) and name not in _options(command):
                problems.append(f"{command.name or 'hicexpr'}: no option {name}")
        elif hasattr(command, "commands") and re.fullmatch(r"[a-z][\w-]*", token):
            if token not in command.commands:
                problems.append(f"{command.name or 'hicexpr'}: no command {token!r}")
                break
            command = command.commands[token]
        elif hasattr(command, "commands"):
            break  # a placeholder (`hicexpr COMMAND --help`, `hicexpr --quiet ...`)
    return problems


def dotted_name_problems(text: str) -> list[str]:
    """Every `hicexpr.a.b` in inline code that does not import (module, then attributes)."""
    problems = []
    for match in DOTTED.finditer(text):
        parts = match.group(1).split(".")
        for depth in range(len(parts), 0, -1):
            try:
                obj = importlib.import_module(".".join(parts[:depth]))
                break
            except ImportError:
                continue
        for attr in parts[depth:]:
            if not hasattr(obj, attr):
                problems.append(f"line {_line_of(text, match.start())}: {match.group(1)}")
                break
            obj = getattr(obj, attr)
    return problems


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_documented_commands_exist(doc: Path) -> None:
    text = doc.read_text(encoding="utf-8")
    problems = [f"{doc.name}:{line}: {problem} in `{cmd}`"
                for line, cmd in doc_commands(text) for problem in command_problems(cmd)]
    assert problems == []


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_documented_python_names_import(doc: Path) -> None:
    assert dotted_name_problems(doc.read_text(encoding="utf-8")) == []


def test_the_checks_find_commands_and_catch_misspellings() -> None:
    readme = doc_commands((ROOT / "README.md").read_text(encoding="utf-8"))
    assert len(readme) > 30  # fenced and inline commands are both read
    assert any("simulate --out big" in cmd for _, cmd in readme)  # inline, over two lines
    text = ("```bash\nhicexpr forecast --dataset step_mrna \\\n    --seed 3 --out r  # comment\n"
            "hicexpr contacts featurs --hic m.cool\n```\nand `hicexpr report RUN [--regoin X]`\n")
    found = doc_commands(text)
    assert [line for line, _ in found] == [2, 4, 6]
    assert [command_problems(cmd) for _, cmd in found] == [
        ["forecast: no option --seed"], ["contacts: no command 'featurs'"],
        ["report: no option --regoin"]]
    assert command_problems("hicexpr --quiet contacts features --hic M --out D --workers 2") == []
    assert dotted_name_problems("`hicexpr.contacts.gene_bins` `hicexpr.contacts.gene_bin`") == [
        "line 1: hicexpr.contacts.gene_bin"]

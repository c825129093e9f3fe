"""Command-line interface: a thin shell over the public Python API.

Every command parses arguments, calls one function from ``hicexpr`` and reports where the
results are. Errors derived from :class:`hicexpr.lib.errors.HicexprError` print as one line.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from hicexpr import __version__
from hicexpr.lib.errors import HicexprError
from hicexpr.lib.progress import set_quiet

app = typer.Typer(
    name="hicexpr",
    help="Predict gene expression from 3D genome organisation (Hi-C, Micro-C, ChIA-PET).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"hicexpr {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version and exit."
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars."),
) -> None:
    """hicexpr: contact maps -> 3D features -> gene graphs / spatial features -> expression."""
    set_quiet(quiet)


# Sub-command groups are registered below, one block per group.
# --- commands ------------------------------------------------------------------------------


def main() -> None:
    """Entry point: run the app, print HicexprError as one line (exit code 2)."""
    try:
        app()
    except HicexprError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(130)


__all__ = ["app", "main", "Path", "Optional"]

"""Where the shared real data lives (``$HICEXPR_DATA`` or ``../shared/data`` from the project),
the user cache, and output folders checked before anything is written into them."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from hicexpr.lib.errors import InputError, first_line

ENV_VAR = "HICEXPR_DATA"
CACHE_ENV = "HICEXPR_CACHE"


def user_cache_dir() -> Path:
    """hicexpr's cache folder (fetched data sets, converted maps): ``$HICEXPR_CACHE`` or
    ``~/.cache/hicexpr``; not created here."""
    env = os.environ.get(CACHE_ENV)
    return Path(env).expanduser() if env else Path.home() / ".cache" / "hicexpr"


def writable_folder(path: str | os.PathLike[str]) -> Path:
    """Create output folder ``path`` (and its parents) and check that files can be written in it.

    The check writes (and drops) a nameless temporary file, so a read-only folder or file system
    is found whoever runs the command (``os.access`` says yes to root even there).

    Raises:
        InputError: ``path`` is a file, lies under a file, or cannot be created or written to.
    """
    folder = Path(path)
    if folder.exists() and not folder.is_dir():
        raise InputError(folder, "", "a writable output folder", "a file")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        raise InputError(folder, "", "a writable output folder",
                         exc.strerror or first_line(exc)) from None
    return folder


def shared_data_dir(required: bool = True) -> Path | None:
    """The real-data folder: ``$HICEXPR_DATA`` when set, else ``<project>/../shared/data``.

    ``$HICEXPR_DATA`` may be any folder holding the data sets' files at their registry paths
    (``hicexpr datasets fetch NAME --out DIR`` writes one); without it, the first
    ``shared/data`` with a ``README.md`` above the package or the working directory is used.

    Args:
        required: raise :class:`InputError` when no folder is found (else return None).

    Raises:
        InputError: ``$HICEXPR_DATA`` is set but is not a folder (whatever ``required`` says:
            a mistyped path is never replaced by another folder).
    """
    env = os.environ.get(ENV_VAR)
    if env:
        if not Path(env).is_dir():
            raise InputError(f"${ENV_VAR}={env}", "", "a folder with the data sets' files",
                             "no such folder")
        return Path(env)
    here = Path(__file__).resolve()
    candidates = [p.parent / "shared" / "data" for p in here.parents]
    candidates.append(Path.cwd().parent / "shared" / "data")
    for path in candidates:
        if (path / "README.md").is_file():
            return path
    if required:
        raise InputError("../shared/data", "", f"the shared data folder (set ${ENV_VAR})",
                         "not found")
    return None

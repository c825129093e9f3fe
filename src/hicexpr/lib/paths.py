"""Where the shared real data lives: ``$HICEXPR_DATA`` or ``../shared/data`` from the project."""

from __future__ import annotations

import os
from pathlib import Path

from hicexpr.lib.errors import InputError

ENV_VAR = "HICEXPR_DATA"


def shared_data_dir(required: bool = True) -> Path | None:
    """The real-data folder, from ``$HICEXPR_DATA`` or ``<project>/../shared/data``.

    Args:
        required: raise :class:`InputError` when the folder does not exist (else return None).
    """
    env = os.environ.get(ENV_VAR)
    candidates = [Path(env)] if env else []
    here = Path(__file__).resolve()
    candidates += [p.parent / "shared" / "data" for p in here.parents]
    candidates.append(Path.cwd().parent / "shared" / "data")
    for path in candidates:
        if (path / "README.md").is_file():
            return path
    if required:
        where = env or "../shared/data"
        raise InputError(where, "", f"the shared data folder (set ${ENV_VAR})", "not found")
    return None

"""What the time points and values of the built-in forecasting datasets are (figures' axes).

Kept apart from the loaders so that the report can read it without importing them.
"""

from __future__ import annotations

#: dataset -> (unit of the time points as in :mod:`hicexpr.io.timelabels`, what the values are).
#: STEP's days are postnatal (``dpn``; embryonic day E - 21); Spellman's sample names are minutes.
BUILTIN_AXES = {
    "step_mrna": ("dpn", "mRNAnorm.txt values"),
    "step_mirna": ("dpn", "log2(1 + count)"),
    "yeast_alpha": ("min", "log2 ratio to reference"),
    "yeast_cdc15": ("min", "log2 ratio to reference"),
}


def builtin_axes(dataset: str) -> tuple[str | None, str | None]:
    """``(time unit, values)`` of built-in dataset ``dataset``; ``(None, None)`` for others."""
    return BUILTIN_AXES.get(str(dataset), (None, None))

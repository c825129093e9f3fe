"""Shared fixtures. Real-data tests use ``data_dir``: they skip when the data is absent,
and fail instead when ``HICEXPR_REQUIRE_DATA=1`` (as in CI)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from hicexpr.lib.paths import shared_data_dir


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The shared real-data folder (``$HICEXPR_DATA`` or ``../shared/data``)."""
    path = shared_data_dir(required=False)
    if path is None:
        if os.environ.get("HICEXPR_REQUIRE_DATA") == "1":
            pytest.fail("real data required (HICEXPR_REQUIRE_DATA=1) but ../shared/data is missing")
        pytest.skip("real data not found; set HICEXPR_DATA")
    return path

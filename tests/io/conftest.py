"""Fixtures of the reader tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def isolated_cache(tmp_path, monkeypatch):
    """Converted maps go to this test's own cache folder (``$HICEXPR_CACHE``)."""
    monkeypatch.setenv("HICEXPR_CACHE", str(tmp_path / "cache"))

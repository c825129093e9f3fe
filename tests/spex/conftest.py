"""Fixtures for SpEx tests (the synthetic genome lives in ``world.py``)."""

from __future__ import annotations

import pandas as pd
import pytest

from .world import make_world


@pytest.fixture(scope="session")
def world() -> dict[str, pd.DataFrame]:
    return make_world()

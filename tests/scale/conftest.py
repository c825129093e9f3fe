from __future__ import annotations

from typing import Any

import pytest

from .chain import chain_windows


@pytest.fixture(scope="module")
def chain_data() -> tuple[Any, ...]:
    """Train / validation / test windows and graph of :func:`chain.chain_windows`."""
    return chain_windows()

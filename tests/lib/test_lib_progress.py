"""Progress bars follow $HICEXPR_QUIET when it is set after import (as Dask does in workers)."""

from __future__ import annotations

import pytest

from hicexpr.lib import progress


def test_quiet_environment_read_when_a_bar_starts(monkeypatch, capsys) -> None:
    monkeypatch.setattr(progress, "_QUIET", None)  # nobody called set_quiet
    monkeypatch.setenv("HICEXPR_QUIET", "1")
    assert list(progress.track([1, 2], "quiet bar")) == [1, 2]
    assert "quiet bar" not in capsys.readouterr().err
    monkeypatch.setenv("HICEXPR_QUIET", "0")
    assert not progress.is_quiet()


@pytest.mark.parametrize("choice", [True, False])
def test_set_quiet_overrides_the_environment(monkeypatch, choice) -> None:
    monkeypatch.setattr(progress, "_QUIET", None)
    monkeypatch.setenv("HICEXPR_QUIET", "0" if choice else "1")
    progress.set_quiet(choice)
    assert progress.is_quiet() is choice

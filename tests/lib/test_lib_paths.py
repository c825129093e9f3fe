"""Where the real data is read from: $HICEXPR_DATA wins, and a wrong value is an error."""

from __future__ import annotations

from pathlib import Path

import pytest

from hicexpr.lib.errors import InputError
from hicexpr.lib.paths import ENV_VAR, shared_data_dir


def test_env_folder_wins_even_without_a_readme(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_VAR, str(tmp_path))  # e.g. written by `datasets fetch --out`
    assert shared_data_dir() == tmp_path


@pytest.mark.parametrize("required", [True, False])
def test_env_path_that_is_not_a_folder_is_an_error(tmp_path: Path, required: bool,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "typo"))
    with pytest.raises(InputError, match=rf"^\$HICEXPR_DATA={tmp_path}/typo: expected a folder "
                       "with the data sets' files, got 'no such folder'$"):
        shared_data_dir(required=required)

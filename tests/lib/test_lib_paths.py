"""Where the real data is read from: $HICEXPR_DATA wins, and a wrong value is an error."""

from __future__ import annotations

from pathlib import Path

import pytest

from hicexpr.lib.errors import InputError
from hicexpr.lib.paths import ENV_VAR, shared_data_dir, writable_folder


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


def test_writable_folder_creates_parents(tmp_path: Path) -> None:
    assert writable_folder(tmp_path / "a" / "b") == tmp_path / "a" / "b"
    assert (tmp_path / "a" / "b").is_dir() and not list((tmp_path / "a" / "b").iterdir())


def test_writable_folder_refuses_a_file_and_a_path_under_it(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    with pytest.raises(InputError, match=f"^{tmp_path}/f: expected a writable output folder, "
                       "got 'a file'$"):
        writable_folder(tmp_path / "f")
    with pytest.raises(InputError, match="f/sub: expected a writable output folder, "
                       "got 'Not a directory'$"):
        writable_folder(tmp_path / "f" / "sub")


def test_writable_folder_refuses_a_read_only_folder(read_only_folder: Path) -> None:
    # os.access says yes to root even here: the folder is probed with a real file
    with pytest.raises(InputError, match=f"^{read_only_folder}: expected a writable output "
                       "folder, got '(Permission denied|Operation not permitted)'$"):
        writable_folder(read_only_folder)
    with pytest.raises(InputError, match="ro/sub: expected a writable output folder"):
        writable_folder(read_only_folder / "sub")

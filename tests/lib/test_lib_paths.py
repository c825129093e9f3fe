"""Where the real data is read from: $HICEXPR_DATA wins, and a wrong value is an error."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
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


def _can_write(folder: Path) -> bool:
    try:
        (folder / "probe").touch()
    except OSError:
        return False
    (folder / "probe").unlink()
    return True


@pytest.fixture
def read_only_folder(tmp_path: Path) -> Iterator[Path]:
    """A folder nobody may write into: chmod 555, and for root (whom chmod does not stop) the
    immutable attribute; skipped where neither works."""
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    chattr = shutil.which("chattr")
    immutable = bool(chattr) and _can_write(folder) and subprocess.run(
        [str(chattr), "+i", str(folder)], capture_output=True, check=False).returncode == 0
    try:
        if _can_write(folder):
            pytest.skip("cannot make a read-only folder here")
        yield folder
    finally:
        if immutable:
            subprocess.run([str(chattr), "-i", str(folder)], check=True)
        folder.chmod(0o755)


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

"""Outputs appear whole or not at all, with ordinary permissions."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from assess.atomic import write_bytes, write_text


def test_written_file_has_the_umask_mode_and_no_temp_left(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        write_text(tmp_path / "a" / "out.txt", "内容")
    finally:
        os.umask(old)
    path = tmp_path / "a" / "out.txt"
    assert path.read_text(encoding="utf-8") == "内容"
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert [p.name for p in path.parent.iterdir()] == ["out.txt"]


def test_a_failed_write_keeps_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "out.bin"
    write_bytes(path, b"old")

    def broken(fd: int) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", broken)
    with pytest.raises(OSError, match="disk full"):
        write_bytes(path, b"new")
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.bin"]


def test_a_full_disk_names_the_output_and_leaves_no_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno

    from assess.atomic import atomic_stream, output_problem

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    target = tmp_path / "results.jsonl"
    with pytest.raises(OSError) as caught, atomic_stream(target) as fh:
        fh.write(b"x" * 100)
    assert caught.value.filename == str(target)
    line = output_problem(caught.value)
    assert line is not None and str(target) in line and "磁盘空间已满" in line
    assert list(tmp_path.iterdir()) == []


def test_an_error_a_user_cannot_fix_is_not_worded_as_one() -> None:
    import errno

    from assess.atomic import output_problem

    assert output_problem(OSError(errno.EBADF, "Bad file descriptor")) is None

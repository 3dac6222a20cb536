"""`assess score … --pdf` with WeasyPrint made ready in a forked child
(`assess.report.startup`): the same PDF, output and exit codes as writing it in the
process, and no child left behind whatever happens.

The file name puts it before the other test files: the writer forks only from a process
with no other threads, and the checks for children left behind count every child of the
test process, so it runs before tests that leave Dask threads or pool children behind.  The
test command's two processes (pytest-xdist) keep that: each is sent a run of consecutive
tests, the first process the first ones."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from assess import cli
from assess.report import startup

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "samples" / "strong.json"
FORKS = sys.platform.startswith("linux") and hasattr(os, "fork")


def _no_children() -> bool:
    try:
        os.waitpid(-1, os.WNOHANG)
    except ChildProcessError:
        return True
    return False


def _score(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        cli.main(args)
    out, err = capsys.readouterr()
    code = info.value.code
    return (code if isinstance(code, int) else 0), out, err


@pytest.mark.skipif(not FORKS, reason="the writer is forked on Linux only")
def test_the_forked_writer_writes_the_pdf_the_process_writes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[int] = []
    real_start = startup.PdfWriter.start.__func__  # type: ignore[attr-defined]

    def start(cls: type[startup.PdfWriter]) -> startup.PdfWriter | None:
        writer: startup.PdfWriter | None = real_start(cls)
        if writer is not None:
            started.append(writer.pid)
        return writer

    monkeypatch.setattr(startup.PdfWriter, "start", classmethod(start))
    forked = tmp_path / "forked.pdf"
    code, out_forked, err_forked = _score(["score", str(SAMPLE), "--pdf", str(forked)], capsys)
    assert code == 0 and len(started) == 1 and _no_children()

    monkeypatch.setattr(startup.PdfWriter, "start", classmethod(lambda cls: None))
    here = tmp_path / "here.pdf"
    code, out_here, err_here = _score(["score", str(SAMPLE), "--pdf", str(here)], capsys)
    assert code == 0
    assert forked.read_bytes() == here.read_bytes()
    assert out_forked == out_here
    assert err_forked.replace(str(forked), "X") == err_here.replace(str(here), "X")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["forked.pdf", "here.pdf"]


@pytest.mark.skipif(not FORKS, reason="the writer is forked on Linux only")
def test_a_pdf_that_cannot_be_written_is_one_line_from_the_parent(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        target = Path("/sys/assess-report.pdf")  # sysfs refuses new files even to root
    else:
        closed = tmp_path / "closed"
        closed.mkdir(mode=0o555)
        target = closed / "report.pdf"
    out = subprocess.run(
        [sys.executable, "-m", "assess", "score", str(SAMPLE), "--pdf", str(target)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert out.returncode == 2, out.stderr
    assert "Traceback" not in out.stderr
    [line] = [x for x in out.stderr.splitlines() if x.startswith("错误：")]
    assert str(target) in line and "没有写入权限" in line
    assert not target.exists()


@pytest.mark.skipif(not FORKS, reason="the writer is forked on Linux only")
def test_a_bad_firm_stops_the_writer_it_started(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "firm.json"
    bad.write_text("{not json", encoding="utf-8")
    code, _, err = _score(["score", str(bad), "--pdf", str(tmp_path / "r.pdf")], capsys)
    assert code == 2 and "错误" in err
    assert _no_children()
    assert not (tmp_path / "r.pdf").exists()


@pytest.mark.skipif(not FORKS, reason="the writer is forked on Linux only")
def test_an_error_in_the_child_is_raised_in_the_parent(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from assess.report import pdf

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("layout broke")

    monkeypatch.setattr(pdf, "write_pdf", broken)
    code, _, err = _score(["score", str(SAMPLE), "--pdf", str(tmp_path / "r.pdf")], capsys)
    assert code == 3
    assert "RuntimeError: layout broke" in err and "程序内部错误" in err
    assert _no_children()


def test_a_parse_that_fails_stops_a_writer_started_on_a_guess(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _score(["score", "--pdf", str(tmp_path / "r.pdf"), "--bogus"], capsys)
    assert code == 2 and "--bogus" in err
    assert _no_children()


@pytest.mark.parametrize(
    ("args", "wanted"),
    [
        (["score", "f.json", "--pdf", "r.pdf"], True),
        (["--lang", "en", "score", "f.json", "--pdf=r.pdf"], True),
        (["--lang=en", "score", "--pdf", "r.pdf", "f.xlsx"], True),
        (["score", "f.json"], False),
        (["score", "f.json", "--html", "r.html"], False),
        (["score", "--pdf", "r.pdf", "--help"], False),
        (["batch", "in.xlsx", "-o", "out", "--pdf"], False),
        (["rubrics"], False),
        ([], False),
    ],
)
def test_which_command_lines_start_a_writer(args: list[str], wanted: bool) -> None:
    assert cli.wants_pdf(args) is wanted


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="ldconfig is Linux's")
def test_library_lookup_answers_as_ldconfig_does() -> None:
    import ctypes.util

    find = startup._ldconfig_finder()
    for name in ("c", "m", "gobject-2.0", "fontconfig", "libgobject-2.0-0", "no-such-lib-x"):
        assert find(name) == ctypes.util._findSoname_ldconfig(name)  # type: ignore[attr-defined]


@pytest.mark.skipif(not FORKS, reason="the writer is forked on Linux only")
def test_a_failed_warm_up_still_writes_the_pdf(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(font_config: object) -> None:
        raise RuntimeError("warm-up broke")

    monkeypatch.setattr(startup, "_warm_up", broken)
    target = tmp_path / "r.pdf"
    code, _, err = _score(["score", str(SAMPLE), "--pdf", str(target)], capsys)
    assert code == 0, err
    assert target.read_bytes().startswith(b"%PDF-")
    assert _no_children()

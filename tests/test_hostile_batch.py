"""Nothing one applicant or one file contains can end a batch, and the batch's own faults
(a full disk, a read-only OUTDIR, a second batch on the same OUTDIR, Ctrl-C twice, SIGKILL)
end cleanly: each case runs `python -m assess batch` in a child (tests/hostile/harness.py)
under a time and a memory bound.

Where this machine cannot set a case up (no tmpfs mounts), the case is skipped with the
reason.  As root, chmod 000 does not stop reading, so the unreadable file and folder and
the folder without write permission are checked from a child that gave up root's right to
override file modes (`setpriv --bounding-set -dac_override,-dac_read_search`): a child
running as `nobody` cannot reach the interpreter under /root.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assess.batch.inputs import (
    FOLDER_LIKE_FILE,
    LINKED_FOLDER,
    LOOP,
    MISSING,
    NO_PERMISSION,
    NOT_REGULAR,
    UNLISTABLE,
)
from assess.batch.lock import busy
from assess.batch.outputs import read_results
from assess.batch.reader import CRASHED_EXCEL
from tests.hostile import make_batch
from tests.hostile.harness import ROOT, Ran, has_traceback, run_assess

pytestmark = pytest.mark.slow

SECONDS = 120  # per case, including the child's start
PEAK_MB = 1500


def _kill_loop() -> Any:
    spec = importlib.util.spec_from_file_location("kill_loop", ROOT / "scripts" / "kill_loop.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


kill_loop = _kill_loop()


def _bounded(ran: Ran) -> None:
    assert not has_traceback(ran), ran.describe()
    assert not ran.timed_out and ran.seconds < SECONDS, ran.describe()
    assert ran.peak_mb < PEAK_MB, ran.describe()


def _cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def _no_temp_files(outdir: Path) -> None:
    left = [p for p in outdir.rglob("*") if p.name.endswith(".tmp")]
    assert not left, left


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("hostile-batch")
    make_batch.write_all(folder)
    yield folder
    (folder / make_batch.ROUND / "locked").chmod(0o755)  # so the folder can be removed


def _by_file(outdir: Path) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for line in read_results(outdir / "results.jsonl"):
        out.setdefault(Path(line["applicant"]["source"]).name, []).append(line["applicant"])
    return out


def _problem(applicant: dict[str, Any]) -> str:
    return " ".join(p["message"] for p in applicant["problems"])


def test_every_poison_is_listed_and_the_round_completes(corpus: Path, tmp_path: Path) -> None:
    outdir = tmp_path / "第一批"
    ran = run_assess(
        [
            *("batch", corpus / make_batch.ROUND, corpus / "wide.xlsx", "-o", outdir),
            *("--workers", "2", "--reader-memory", "128"),
        ],
        timeout=SECONDS,
    )
    _bounded(ran)
    assert ran.code == 1, ran.describe()
    files = _by_file(outdir)
    expected_problems = {
        "linked-folder": LINKED_FOLDER,
        "x.xlsx": FOLDER_LIKE_FILE,
        "dangling.json": MISSING,
        "loop.xlsx": LOOP,
        "pipe.xlsx": NOT_REGULAR,
        "wide.xlsx": CRASHED_EXCEL,
    }
    for name, message in expected_problems.items():
        [applicant] = files[name]
        assert applicant["status"] == "rejected" and _problem(applicant) == message, applicant
        assert applicant["problems"][0]["where"].endswith(name)
    # refused by the intake, each with a Chinese reason naming what to change
    for name in ("dimension-bomb.xlsx", "surrogate.json", "long-name.json"):
        [applicant] = files[name]
        assert applicant["status"] == "rejected" and _cjk(_problem(applicant)), applicant
        assert name in applicant["problems"][0]["where"]
    scored = [*make_batch.GOOD, "traversal-1.json", "traversal-2.json", "traversal-3.json"]
    scored.append(make_batch.NOT_UTF8)
    for name in scored:
        assert files[name][0]["status"] == "scored", files[name]
    # as root, mode 000 does not stop reading: these two are scored here (see below)
    assert {files["unreadable.json"][0]["status"], files["inside.json"][0]["status"]} == {"scored"}
    # every applicant is in the summary too
    import openpyxl

    wb = openpyxl.load_workbook(outdir / "summary.xlsx", read_only=True)
    rows = list(wb["汇总"].iter_rows(values_only=True))
    wb.close()
    assert len(rows) - 1 == sum(len(v) for v in files.values())
    # reports stay inside reports/, one file each however the names collide once cleaned
    reports = [a["report"] for v in files.values() for a in v if a["report"]]
    assert len(reports) == len(scored) + 2
    assert len({r.casefold() for r in reports}) == len(reports)
    for report in reports:
        path = (outdir / report).resolve()
        assert path.parent == (outdir / "reports").resolve() and path.is_file()
    assert {p.name for p in outdir.iterdir()} == {
        "summary.xlsx",
        "results.jsonl",
        "cohort.pdf",
        "reports",
        ".assess-batch",
    }
    _no_temp_files(outdir)


def _restricted() -> list[str]:
    """How to start a child for which file modes hold: as root, a root that has given up
    the capabilities to override them (setpriv); otherwise this user already is one."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("as root, mode 000 does not stop reading and setpriv is not installed")
    return [setpriv, "--bounding-set", "-dac_override,-dac_read_search"]


def _run_restricted(args: list[str], timeout: float = SECONDS) -> Ran:
    """`python -m assess ARGS` in a child for which file modes hold (see `_restricted`)."""
    start = time.perf_counter()
    proc = subprocess.run(
        [*_restricted(), sys.executable, "-m", "assess", *args],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), "LANG": "C.UTF-8"},
        capture_output=True,
        timeout=timeout,
    )
    return Ran(
        tuple(args),
        proc.returncode,
        proc.stdout.decode("utf-8", "replace"),
        proc.stderr.decode("utf-8", "replace"),
        time.perf_counter() - start,
        0.0,
        False,
    )


def test_unreadable_file_and_folder_are_listed(tmp_path: Path) -> None:
    make_batch.write_round(tmp_path)
    outdir = tmp_path / "out"
    try:
        ran = _run_restricted(
            ["batch", str(tmp_path / make_batch.ROUND), "-o", str(outdir), "--no-pdf"]
        )
    finally:
        (tmp_path / make_batch.ROUND / "locked").chmod(0o755)
    _bounded(ran)
    assert ran.code == 1, ran.describe()
    files = _by_file(outdir)
    assert _problem(files["unreadable.json"][0]) == NO_PERMISSION
    assert _problem(files["locked"][0]) == UNLISTABLE
    assert "inside.json" not in files


def test_a_folder_without_write_permission_fails_with_one_line(tmp_path: Path) -> None:
    good = tmp_path / "good.json"
    good.write_text(json.dumps(make_batch.firm("良品企业", None)), encoding="utf-8")
    outdir = tmp_path / "closed"
    outdir.mkdir()
    outdir.chmod(0o555)
    ran = _run_restricted(["batch", str(good), "-o", str(outdir)])
    _bounded(ran)
    assert ran.code == 2, ran.describe()
    [line] = ran.stderr.strip().splitlines()
    assert "没有写入权限" in line and str(outdir) in line, line
    assert not any(outdir.iterdir())


def _mount_tmpfs(target: Path, options: str) -> None:
    target.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(target)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")


@pytest.fixture
def mounts() -> Iterator[list[Path]]:
    mounted: list[Path] = []
    yield mounted
    for target in reversed(mounted):
        subprocess.run(["umount", "-l", str(target)], capture_output=True)


def test_a_read_only_outdir_fails_with_one_line(
    corpus: Path, tmp_path: Path, mounts: list[Path]
) -> None:
    target = tmp_path / "ro"
    _mount_tmpfs(target, "ro,size=1m")
    mounts.append(target)
    ran = run_assess(
        ["batch", corpus / make_batch.ROUND / "good-1.json", "-o", target, "--no-pdf"],
        timeout=SECONDS,
    )
    _bounded(ran)
    assert ran.code == 2, ran.describe()
    [line] = ran.stderr.strip().splitlines()
    assert "只读" in line and str(target) in line, line
    assert not any(target.iterdir())


def test_a_full_disk_fails_with_one_line_and_no_half_written_file(
    corpus: Path, tmp_path: Path, mounts: list[Path]
) -> None:
    target = tmp_path / "full"
    _mount_tmpfs(target, "size=1m")
    mounts.append(target)
    # leave a few pages free: enough for the lock and the first journal lines, not for
    # the scores of every applicant and the outputs
    free = os.statvfs(target).f_bavail * os.statvfs(target).f_frsize
    (target / "filler").write_bytes(b"\0" * (free - 16 * 1024))
    outdir = target / "第一批"
    ran = run_assess(
        ["batch", corpus / make_batch.ROUND, "-o", outdir, "--workers", "2", "--no-pdf"],
        timeout=SECONDS,
    )
    _bounded(ran)
    assert ran.code == 2, ran.describe()
    lines = [x for x in ran.stderr.strip().splitlines() if x.startswith("错误：")]
    assert len(lines) == 1 and "磁盘空间已满" in lines[0], ran.describe()
    _no_temp_files(outdir)
    for name in ("summary.xlsx", "cohort.pdf"):  # whatever is there is whole
        if (outdir / name).exists():
            zipfile.ZipFile(outdir / name).testzip() if name.endswith("xlsx") else None
    if (outdir / "results.jsonl").exists():
        assert all(json.loads(x) for x in (outdir / "results.jsonl").read_text().splitlines())


def _default_sigint() -> None:
    """In the child: Ctrl-C does what it does at a terminal, even when the tests run with
    SIGINT ignored (started in the background by a shell without job control, which the
    child would inherit: the Ctrl-C test would then see a batch that never stops)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _start(args: list[str], **kw: Any) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "assess", *args],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), "LANG": "C.UTF-8"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=_default_sigint,
        **kw,
    )


def _wait_for(check: Any, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.05)


def _describe(pid: int) -> str:
    """A process as /proc shows it: its command line and state."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
        cmd = raw.replace(b"\0", b" ").decode("utf-8", "replace")
        state = Path(f"/proc/{pid}/stat").read_text(errors="replace").rsplit(")", 1)[1].split()[0]
    except OSError:
        return f"{pid} (gone)"
    return f"{pid} {state} {cmd[-90:]}"


def _wait_gone(pids: list[int], seconds: float, seen: dict[int, str] | None = None) -> None:
    """Wait until none of `pids` is running; else fail naming those left as /proc shows
    them (after what `seen` says they were)."""
    try:
        _wait_for(lambda: not any(kill_loop._alive(p) for p in pids), seconds)
    except AssertionError:
        left = [
            f"{seen[p]} now {_describe(p)}" if seen else _describe(p)
            for p in pids
            if kill_loop._alive(p)
        ]
        raise AssertionError(f"still running: {left}") from None


def _pdf_round(tmp_path: Path, count: int) -> Path:
    return kill_loop.build_round(tmp_path / "round.xlsx", count)  # type: ignore[no-any-return]


def test_a_second_batch_on_the_same_outdir_is_refused(tmp_path: Path) -> None:
    book = _pdf_round(tmp_path, 6)
    outdir = tmp_path / "第一批"
    first = _start(["batch", str(book), "-o", str(outdir), "--workers", "2"])
    lock = outdir / ".assess-batch" / "lock"
    try:
        _wait_for(lambda: lock.exists() and lock.read_text().strip() == str(first.pid), 30)
        second = run_assess(["batch", book, "-o", outdir, "--no-pdf"], timeout=SECONDS)
        _bounded(second)
        assert second.code == 2, second.describe()
        [line] = second.stderr.strip().splitlines()
        assert line == "错误：" + busy(outdir, str(first.pid))
        _, err = first.communicate(timeout=SECONDS)
    finally:
        first.kill()
    assert first.returncode in (0, 1), err.decode()
    assert len(list(read_results(outdir / "results.jsonl"))) == 6
    assert len(list((outdir / "reports").glob("*.pdf"))) == 6


def test_killing_the_batch_takes_its_workers_with_it(tmp_path: Path) -> None:
    book = _pdf_round(tmp_path, 8)
    proc = _start(["batch", str(book), "-o", str(tmp_path / "out"), "--workers", "2"])
    try:
        # the resource tracker, the forkserver, the reader and two workers
        _wait_for(lambda: len(kill_loop.descendants(proc.pid)) >= 5, 60)
        family = kill_loop.descendants(proc.pid)
        names = {p: _describe(p) for p in family}
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        _wait_gone(family, 15, names)
    finally:
        proc.kill()
        for pid in kill_loop.descendants(proc.pid):
            kill_loop._kill(pid)


# A batch killed while its forkserver is still starting Python, with a process asked of it.
# The forkserver has not yet asked to die with the batch, and the process it then forks
# holds the pipe that would tell it its batch is gone: a pool worker waits for the batch
# for ever, the forkserver for the worker.  A `sitecustomize` makes that start take 2 s.
_SLOW_START = """
import os, time
if os.environ.get("SLOW_START_CHILD_OF") == str(os.getppid()):
    time.sleep(2)
"""
_KILLED_WHILE_THE_FORKSERVER_STARTS = """
import os, signal, threading, time
from multiprocessing import forkserver
from assess.batch.executors import process_context
os.environ["SLOW_START_CHILD_OF"] = str(os.getpid())
context = process_context(pdf=False)
print(forkserver._forkserver._forkserver_pid, flush=True)
child = context.Process(target=time.sleep, args=(60,))
threading.Thread(target=child.start, daemon=True).start()
time.sleep(0.5)
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_a_forkserver_whose_batch_is_killed_while_it_starts_exits(tmp_path: Path) -> None:
    (tmp_path / "sitecustomize.py").write_text(_SLOW_START, encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, "-c", _KILLED_WHILE_THE_FORKSERVER_STARTS],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": os.pathsep.join((str(tmp_path), str(ROOT)))},
        stdout=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        assert proc.stdout is not None
        forkserver = int(proc.stdout.readline())  # not to the end: the forkserver holds it
        assert proc.wait(timeout=SECONDS) == -signal.SIGKILL
        _wait_gone([forkserver], 15)
    finally:
        with contextlib.suppress(OSError):
            os.killpg(proc.pid, signal.SIGKILL)  # what is left of its process group


_STARTED_AGAIN_BY_MULTIPROCESSING = """
import multiprocessing, os
from assess.batch import executors
context = multiprocessing.get_context("forkserver")
context.set_forkserver_preload(["assess.batch.forkserver"])
child = context.Process(target=os.getpid)
child.start()
child.join(60)
print(child.exitcode)
"""


def test_a_parent_pid_inherited_from_another_batch_is_not_taken_for_ours() -> None:
    """The pid a batch gives its forkserver, inherited by a process it started meanwhile,
    must not make that process's own forkserver exit: here one that multiprocessing
    starts by itself, without `executors.start_forkserver`."""
    from assess.batch.procs import PARENT_ENV

    out = subprocess.run(
        [sys.executable, "-c", _STARTED_AGAIN_BY_MULTIPROCESSING],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), PARENT_ENV: str(os.getpid())},
        capture_output=True,
        text=True,
        timeout=SECONDS,
    )
    assert out.returncode == 0 and out.stdout.split() == ["0"], out


def test_a_second_ctrl_c_still_leaves_a_consistent_outdir(tmp_path: Path) -> None:
    book = _pdf_round(tmp_path, 10)
    outdir = tmp_path / "第一批"
    proc = _start(["batch", str(book), "-o", str(outdir), "--workers", "2"], start_new_session=True)
    try:
        # Ctrl-C reaches the whole foreground group, workers included (they ignore it)
        done = outdir / ".assess-batch" / "done.jsonl"
        _wait_for(lambda: done.exists() and done.stat().st_size > 0, 60)
        os.killpg(proc.pid, signal.SIGINT)
        time.sleep(0.3)
        os.killpg(proc.pid, signal.SIGINT)
        _, err = proc.communicate(timeout=SECONDS)
    finally:
        proc.kill()
    text = err.decode("utf-8", "replace")
    assert proc.returncode == 130, text
    assert "Traceback" not in text, text
    state = json.loads((outdir / ".assess-batch" / "state.json").read_text("utf-8"))
    assert state["interrupted"]
    assert len(list(read_results(outdir / "results.jsonl"))) == 10
    import openpyxl

    wb = openpyxl.load_workbook(outdir / "summary.xlsx", read_only=True)
    assert len(list(wb["汇总"].iter_rows(values_only=True))) == 11
    wb.close()
    _no_temp_files(outdir)


def test_random_sigkills_with_resume_end_as_an_uninterrupted_run(tmp_path: Path) -> None:
    """The short version of `scripts/kill_loop.py` (its docstring has the full one)."""
    result = kill_loop.kill_loop(
        tmp_path, applicants=400, kills=3, pdf=False, seed=7, log=lambda _: None
    )
    assert result["identical"], result
    assert result["orphans"] == 0 and result["landed"] == 3, result

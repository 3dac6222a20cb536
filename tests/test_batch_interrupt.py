"""Ctrl-C while the local pool starts or replaces a worker, and while the forkserver
starts: nothing is left behind and nothing prints a traceback (`executors.Workers`,
`executors.start_forkserver`, `interrupt.sigint_held`).

Each case runs in a child process that reports what it saw as JSON on stdout; its stderr
is the user's terminal.  The Ctrl-C of the first two cases is a real SIGINT, raised in
the child at the very moment the forkserver has forked a worker and before the pool has
noted it (the forkserver's reply is read then): with the standard pool, a KeyboardInterrupt
there left a worker the pool did not know, which failed to open the semaphores of the
pool's queues once the pool had removed them and printed its traceback
(FileNotFoundError, multiprocessing/synchronize.py), or stayed behind.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from assess.batch.executors import TASKS_PER_CHILD_ENV
from assess.batch.outputs import read_results
from tests.hostile.harness import ROOT

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="forkserver, /proc"),
]

SECONDS = 120

# argv[1]: "start" (Ctrl-C while the first worker starts) or "recycle" (while the pool
# replaces a worker that left after its task); argv[2]: workers.
_POOL_CASE = r"""
import json, os, signal, sys, threading, time
from concurrent.futures import FIRST_COMPLETED, wait
from multiprocessing import forkserver
from assess.batch.executors import LocalPool

signal.signal(signal.SIGINT, signal.default_int_handler)  # whatever the parent ignores
mode, workers = sys.argv[1], int(sys.argv[2])
target = 1 if mode == "start" else workers + 1
starts = []
read_signed = forkserver.read_signed


def replied(fd):
    value = read_signed(fd)
    if sys._getframe(1).f_code.co_name == "_launch":  # the forkserver forked a worker
        starts.append(threading.current_thread() is threading.main_thread())
        if len(starts) == target:
            signal.raise_signal(signal.SIGINT)
    return value


forkserver.read_signed = replied
pool = None
interrupted = False
try:
    pool = LocalPool(workers, pdf=False)
    inflight = set()
    for _ in range(8 * workers):  # like the scheduler's reports: one job per worker
        inflight.add(pool.submit(time.sleep, 0.05))
        if len(inflight) >= workers:
            _, inflight = wait(inflight, return_when=FIRST_COMPLETED)
    wait(inflight)
    time.sleep(1)  # a Ctrl-C from the pool's own thread lands by then
except KeyboardInterrupt:
    interrupted = True
if pool is not None:
    pool.close(cancel=True)
del pool
import gc

gc.collect()  # the pool's queues and their semaphores are gone now


def children(pid):
    out = []
    for entry in os.listdir("/proc"):
        try:
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            out.append(int(entry))
    return out


server = forkserver._forkserver._forkserver_pid
time.sleep(0.5)  # a worker the pool does not know has started by now (or failed to)
print(json.dumps({"interrupted": interrupted, "starts": starts, "left": children(server)}))
"""


def _default_sigint() -> None:
    """In a child: Ctrl-C does what it does at a terminal, even when the tests run with
    SIGINT ignored (started in the background by a shell without job control)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _env(**extra: str) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "LANG": "C.UTF-8", **extra}


def _run_case(script: str, *args: str, **env: str) -> tuple[dict[str, Any], str]:
    proc = subprocess.run(
        [sys.executable, "-c", script, *args],
        cwd=ROOT,
        env=_env(**env),
        capture_output=True,
        timeout=SECONDS,
        preexec_fn=_default_sigint,
    )
    err = proc.stderr.decode("utf-8", "replace")
    assert proc.returncode == 0, err
    lines = proc.stdout.decode().strip().splitlines()
    assert lines, err
    return json.loads(lines[-1]), err


@pytest.mark.parametrize("workers", [1, 2])
def test_ctrl_c_while_the_pool_starts_a_worker_leaves_no_stray_worker(workers: int) -> None:
    seen, err = _run_case(_POOL_CASE, "start", str(workers))
    assert seen["interrupted"] and seen["starts"][0], seen  # at the first start, main thread
    assert "Traceback" not in err, err
    assert seen["left"] == [], seen  # every worker started was waited for


def test_ctrl_c_while_the_pool_replaces_a_worker_leaves_no_stray_worker() -> None:
    # every worker leaves after one task: the pool keeps replacing them
    seen, err = _run_case(_POOL_CASE, "recycle", "2", **{TASKS_PER_CHILD_ENV: "1"})
    assert seen["interrupted"] and len(seen["starts"]) >= 3, seen
    assert "Traceback" not in err, err
    assert seen["left"] == [], seen


# Ctrl-C sent to the forkserver again and again from the moment it is started, through its
# start-up (Python, its imports), then a job on a pool of its workers, and what a worker of
# a pool without an initializer starts with.
_FORKSERVER_CASE = r"""
import json, os, signal, sys, time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import forkserver
from assess.batch.executors import LocalPool, process_context

context = process_context(pdf=False)
forkserver.ensure_running()  # where the pool's first worker would start it
server = forkserver._forkserver._forkserver_pid
sent = 0
deadline = time.monotonic() + 3
while time.monotonic() < deadline:
    os.kill(server, signal.SIGINT)
    sent += 1
    time.sleep(0.002)
pool = LocalPool(1, pdf=False)
try:
    pool.submit(time.sleep, 0).result(timeout=60)
finally:
    pool.close()
with ProcessPoolExecutor(1, mp_context=context) as bare:
    handler = bare.submit(signal.getsignal, signal.SIGINT).result(timeout=60)
    blocked = bare.submit(signal.pthread_sigmask, signal.SIG_BLOCK, []).result(timeout=60)
print(json.dumps({
    "sent": sent,
    "same_server": forkserver._forkserver._forkserver_pid == server,
    "worker_ignores_sigint": handler == signal.SIG_IGN,
    "worker_blocks_sigint": signal.SIGINT in blocked,
}))
"""


def test_ctrl_c_while_the_forkserver_starts_is_ignored() -> None:
    seen, err = _run_case(_FORKSERVER_CASE)
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    assert seen["sent"] > 100 and seen["same_server"], seen  # it outlived every one
    # a worker ignores Ctrl-C from its first instruction, before any initializer
    assert seen["worker_ignores_sigint"], seen
    assert not seen["worker_blocks_sigint"], seen


def _pdf_round(tmp_path: Path, count: int) -> Path:
    from tests.test_hostile_batch import kill_loop

    return kill_loop.build_round(tmp_path / "round.xlsx", count)  # type: ignore[no-any-return]


def _batch(args: list[str], **env: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "assess", "batch", *args],
        cwd=ROOT,
        env=_env(**env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
        preexec_fn=_default_sigint,
    )


def test_ctrl_c_twice_while_workers_are_replaced_after_every_task(tmp_path: Path) -> None:
    """Every worker leaves after one task, so the pool is replacing one at almost any
    moment: Ctrl-C twice to the whole process group (workers and forkserver included)
    during the reports, then `--resume` finishes the round."""
    book = _pdf_round(tmp_path, 10)
    outdir = tmp_path / "第一批"
    args = [str(book), "-o", str(outdir), "--workers", "2"]
    proc = _batch(args, **{TASKS_PER_CHILD_ENV: "1"})
    try:
        reports = outdir / "reports"
        deadline = time.monotonic() + 60
        while not (reports.is_dir() and any(reports.glob("*.pdf"))):
            assert time.monotonic() < deadline and proc.poll() is None, "no report made"
            time.sleep(0.02)
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
    assert state["interrupted"] and state["phase"] == "reports", state
    made = {p.name for p in reports.glob("*.pdf")}
    results = list(read_results(outdir / "results.jsonl"))
    listed = {Path(a["applicant"]["report"]).name for a in results if a["applicant"]["report"]}
    assert len(results) == 10 and listed <= made, (made, listed)  # none listed but missing
    assert not [p for p in outdir.rglob("*") if p.name.endswith(".tmp")]

    resumed = _batch([*args, "--resume"], **{TASKS_PER_CHILD_ENV: "1"})
    _, err = resumed.communicate(timeout=SECONDS)
    text = err.decode("utf-8", "replace")
    assert resumed.returncode == 0, text
    assert "Traceback" not in text, text
    results = list(read_results(outdir / "results.jsonl"))
    assert len(results) == 10 and all(a["applicant"]["report"] for a in results), results
    assert len(list(reports.glob("*.pdf"))) == 10


_EXIT_CASE = r"""
import atexit, signal, sys
from assess.cli import main

signal.signal(signal.SIGINT, signal.default_int_handler)  # whatever the parent ignores
# registered first, so run last: after multiprocessing's and the pools' clean-up
atexit.register(lambda: print("sigint at exit:", signal.getsignal(signal.SIGINT)))
main(sys.argv[1:])
"""


def test_an_interrupted_batch_ignores_ctrl_c_while_it_exits(tmp_path: Path) -> None:
    """Once an interrupted batch has written its outputs, a further Ctrl-C would only
    raise KeyboardInterrupt inside the clean-up at exit (joining the pools' threads,
    multiprocessing's finalizers) and print its traceback: from then on it is ignored."""
    book = _pdf_round(tmp_path, 10)
    outdir = tmp_path / "out"
    args = ["batch", str(book), "-o", str(outdir), "--workers", "2", "--no-pdf"]
    proc = subprocess.run(
        [sys.executable, "-c", _EXIT_CASE, *args],
        cwd=ROOT,
        env=_env(ASSESS_BATCH_INTERRUPT_AFTER="1"),
        capture_output=True,
        timeout=SECONDS,
        preexec_fn=_default_sigint,
    )
    err = proc.stderr.decode("utf-8", "replace")
    assert proc.returncode == 130, err
    assert proc.stdout.decode().strip().splitlines()[-1] == f"sigint at exit: {signal.SIG_IGN}"
    assert json.loads((outdir / ".assess-batch" / "state.json").read_text("utf-8"))["interrupted"]

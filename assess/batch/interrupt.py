"""Ctrl-C while a batch writes its outputs: noted, not obeyed half-way.

The first Ctrl-C stops the scoring or the reports (the jobs in flight finish); from then
on, and while a batch that was not interrupted writes its outputs, a Ctrl-C only prints
that the outputs are being written, and the batch ends once they are whole.  (SIGKILL
still stops it at once: the outputs are each written atomically and `--resume` redoes
what is missing.)

A few steps must not be cut short at all, or the Ctrl-C would leave something behind that
prints a traceback later: a worker process being started (`sigint_held`), and the process
about to exit once an interrupted batch has written its outputs (`ignore_sigint`).
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator

from assess.batch.progress import Progress

AGAIN = (
    "已收到中断：正在等处理中的企业做完，并写出已完成部分的 summary.xlsx、results.jsonl 和 "
    "cohort.pdf，请稍候；再按 Ctrl-C 也会等写完，不会留下写了一半的文件"
)
WRITING = "正在写出全部结果，请稍候：写完后自动结束，不会留下写了一半的文件"


@contextlib.contextmanager
def sigint_deferred(progress: Progress, message: str) -> Iterator[list[bool]]:
    """While the block runs, Ctrl-C is noted (the list gets True) and `message` shown once,
    instead of stopping the outputs half written.  Only the main thread gets signals."""
    hit: list[bool] = []
    if threading.current_thread() is not threading.main_thread():
        yield hit
        return

    def later(signum: int, frame: object) -> None:
        if not hit:
            progress.say(message)
        hit.append(True)

    previous = signal.signal(signal.SIGINT, later)
    try:
        yield hit
    finally:
        signal.signal(signal.SIGINT, previous)


@contextlib.contextmanager
def sigint_held() -> Iterator[None]:
    """Ctrl-C while the block runs takes effect when it ends, whole: for a worker process
    being started.  A start cut short leaves a child that the forkserver has forked and
    the pool does not know; the pool, shutting down, removes the semaphores of its queues
    while that child still has to open them, and the child prints a traceback on the
    user's terminal.  Only the main thread gets signals; elsewhere this changes nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    hit: list[bool] = []

    def later(signum: int, frame: object) -> None:
        hit.append(True)

    previous = signal.signal(signal.SIGINT, later)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.SIG_DFL if previous is None else previous)
        if hit:  # now, to whatever handles Ctrl-C here (KeyboardInterrupt, as a rule)
            signal.raise_signal(signal.SIGINT)


def ignore_sigint() -> None:
    """For good, in a process that is about to exit: once an interrupted batch has written
    its outputs, a further Ctrl-C would only raise KeyboardInterrupt inside the exit's
    clean-up (joining the pools' threads, multiprocessing's finalizers) and print its
    traceback over the closing line."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)

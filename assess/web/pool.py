"""Process pools for the web mode: CPU work never runs on the event loop.

Two pools, so that a queue of PDFs (about a second each) never holds up scoring an upload
(tens of milliseconds): `score` reads and scores uploads and writes questionnaires,
`pdf` renders reports.  A job goes to a worker only when one is free.  Each job carries
its own time limit in CPU seconds (`work.limited`: a busy machine slows a job down, it does
not make it overrun); the server waits three times that in wall time and a little more: when
a worker is still busy after that (native code that ignored the signal, a job starved of
CPU), the pool is replaced and its processes killed, so one bad upload cannot keep a
worker forever.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import multiprocessing
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from assess.web.work import Overtime

R = TypeVar("R")

GRACE_SECONDS = 5.0  # the server's deadline beyond three times the job's own limit
QUEUE_SECONDS = 60.0  # the longest a job waits for a free worker before it is refused


class Busy(Exception):
    """The job did not finish in time (or its worker died); the request is refused."""


class Pool:
    """A restartable process pool of `size` spawned workers, each warmed by `warm`."""

    def __init__(self, size: int, warm: Callable[[], None]):
        self.size = size
        self.warm = warm
        self._lock = threading.Lock()
        self._executor: ProcessPoolExecutor | None = None
        # Jobs are handed to the executor only when a worker is free, so that the deadline
        # below measures a job's run and not its wait in the queue.
        self._free: asyncio.Semaphore | None = None

    def _make(self) -> ProcessPoolExecutor:
        # Spawned, not forked: the server process holds an event loop and threads.
        return ProcessPoolExecutor(
            max_workers=self.size,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=self.warm,
            max_tasks_per_child=500,  # bounds what a long-running worker can accumulate
        )

    def executor(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._executor is None:
                self._executor = self._make()
            return self._executor

    def start(self) -> None:
        """Start every worker now, so the first firm does not wait for the imports."""
        executor = self.executor()
        for future in [executor.submit(_nothing) for _ in range(self.size)]:
            future.result()

    async def run(self, seconds: float, fn: Callable[..., R], *args: Any) -> R:
        """`fn(*args, seconds)` in a worker, once one is free; `Busy` when none is free for
        `QUEUE_SECONDS`, when the job overruns its limit (CPU seconds, in the worker) or
        three times that in wall time (the server's deadline), or when its worker dies."""
        if self._free is None:
            self._free = asyncio.Semaphore(self.size)
        try:
            await asyncio.wait_for(self._free.acquire(), QUEUE_SECONDS)
        except TimeoutError:
            raise Busy from None
        try:
            executor = self.executor()
            loop = asyncio.get_running_loop()
            future = loop.run_in_executor(executor, functools.partial(fn, *args, seconds))
            try:
                return await asyncio.wait_for(future, 3 * seconds + GRACE_SECONDS)
            except TimeoutError:
                self._replace(executor)
                raise Busy from None
            except Overtime:  # the job's own limit: the worker is free again
                raise Busy from None
            except BrokenProcessPool:
                self._replace(executor)
                raise Busy from None
        finally:
            self._free.release()

    def _replace(self, broken: ProcessPoolExecutor) -> None:
        with self._lock:
            if self._executor is broken:
                self._executor = None
        processes = list((getattr(broken, "_processes", None) or {}).values())
        for process in processes:
            with contextlib.suppress(Exception):
                process.kill()
        broken.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)


def _nothing() -> None:
    return None

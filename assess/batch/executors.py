"""Where the per-applicant jobs run: in this process, in a local process pool, or on a Dask
cluster.  All three take the same functions (`task.score_jobs`, `task.render_reports`) and
give back concurrent.futures Futures, so the batch loop does not care which it has.

* `InlinePool` (`--workers 0`): one job after another in this process; for debugging.
* `LocalPool` (default): a `ProcessPoolExecutor` on the forkserver start method, which
  allows `max_tasks_per_child`: a worker is replaced after a number of jobs, so whatever
  WeasyPrint or fontconfig keep growing is given back.  The forkserver imports the scoring
  and report modules and loads the bundled rubrics once (`assess.batch.warm`), so each new
  worker starts warm; each worker keeps one WeasyPrint FontConfiguration for all the PDFs
  it renders (`assess.batch.cohort.font_config`).  Its workers start together, with
  Ctrl-C held off, before the first job, and only the pool's own thread replaces them
  (`Workers`): a Ctrl-C never cuts a worker's start short.
* `DaskPool` (`--scheduler tcp://host:8786`): `distributed.Client(...).get_executor()`.
  Dask workers may be on other machines, so they send PDFs back as bytes and this process
  writes them.  The workers need `assess` installed (the same version).
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from multiprocessing.context import BaseContext
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, cast

from assess.batch.interrupt import sigint_held
from assess.batch.procs import PARENT_ENV
from assess.batch.task import worker_init
from assess.catalog import t
from assess.errors import UserError

T = TypeVar("T")

# Tasks a local worker runs before it is replaced: a task is a chunk of applicants to score
# (which leaks nothing) or one PDF (WeasyPrint and fontconfig keep caches that grow).
TASKS_PER_CHILD_PDF = 40
TASKS_PER_CHILD = 1000
# Tests: a worker replaced after this many tasks in both phases (1: after every task).
TASKS_PER_CHILD_ENV = "ASSESS_BATCH_TASKS_PER_CHILD"
PRELOAD = [
    "assess.batch.forkserver",
    "assess.batch.task",
    "assess.engine",
    "assess.report.jsonout",
    "assess.batch.cohort",
    "assess.rubric.loader",
    "assess.batch.warm",
    "assess.intake",
    "assess.intake.labels",
    "assess.intake.form",
    "assess.batch.reader",
]
PRELOAD_PDF = ["assess.batch.warm_pdf", "assess.report.html", "assess.report.pdf"]
# A value inherited from a process that was starting its own forkserver names that
# process, not this one: a forkserver started here without `start_forkserver` (one
# multiprocessing starts again by itself) would take it for its parent and exit.
os.environ.pop(PARENT_ENV, None)


def process_context(*, pdf: bool) -> BaseContext:
    """How the batch's processes start (its pool's workers and its file reader alike):
    forked from one forkserver that has imported the scoring, intake and (with PDFs)
    report modules, or spawned where there is no forkserver (Windows, where spawn also
    allows max_tasks_per_child)."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        forkserver = multiprocessing.get_context("forkserver")
        # The forkserver starts once per process, with the preload of whoever starts it
        # first: the list is the same for the pool and the reader.
        forkserver.set_forkserver_preload(PRELOAD + (PRELOAD_PDF if pdf else []))
        start_forkserver()
        return forkserver
    return multiprocessing.get_context("spawn")


def start_forkserver() -> None:
    """Start the forkserver, if it is not running, with Ctrl-C blocked.  It inherits the
    block: a Ctrl-C in the second or so it takes to start Python and import what it
    preloads stays pending until `assess.batch.forkserver`, imported first, ignores it
    (a KeyboardInterrupt there would print its traceback and leave no forkserver).  In
    this process the block ends at once, and a Ctrl-C that came meanwhile is handled."""
    from multiprocessing import forkserver, resource_tracker

    if not hasattr(signal, "pthread_sigmask"):
        forkserver.ensure_running()
        return
    # The forkserver starts the resource tracker first if it is not running, and that
    # start unblocks Ctrl-C (after blocking it for the tracker): it is started before.
    resource_tracker.ensure_running()
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    # Who the forkserver must not outlive (`assess.batch.forkserver`), in its environment.
    os.environ[PARENT_ENV] = str(os.getpid())
    try:
        forkserver.ensure_running()
    finally:
        os.environ.pop(PARENT_ENV, None)
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)


class Workers(ProcessPoolExecutor):
    """A `ProcessPoolExecutor` whose workers are never started by a call that Ctrl-C can
    cut short.  The standard one starts workers as jobs are submitted, in the caller's
    thread; a KeyboardInterrupt there, after the forkserver forked the worker and before
    the pool noted it, leaves a child that the pool does not wait for: once the pool has
    shut down and removed its queues' semaphores, that child fails to open them and
    prints a traceback (FileNotFoundError, multiprocessing/synchronize.py).

    Here, the first `submit` starts every worker, and the thread that hands the pool's
    jobs out, with Ctrl-C held off (`interrupt.sigint_held`); a Ctrl-C that came
    meanwhile is raised once they are up, before the job is handed over (so no job is
    lost).  Later, only that thread, where no KeyboardInterrupt arrives, replaces a worker
    that left after `max_tasks_per_child` tasks; once the pool is shutting down (Ctrl-C,
    or the end of a phase), only when no worker is left for jobs already handed over."""

    _started = False
    _manager: threading.Thread | None = None
    if TYPE_CHECKING:  # the standard pool's, which typeshed leaves out
        _max_workers: int

        def _launch_processes(self) -> None: ...

        def _spawn_process(self) -> None: ...

    def start(self) -> None:
        """Every worker, and the thread that hands them their jobs, started now."""
        if self._started:
            return
        with sigint_held():
            self._started = True
            self._launch_processes()
            self._start_executor_manager_thread()
            self._manager = cast(threading.Thread, self._executor_manager_thread)

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        self.start()
        return super().submit(fn, *args, **kwargs)

    def _adjust_process_count(self) -> None:
        # Called with the pool's lock held, by `submit` and by the manager thread when a
        # worker has left after its last task.
        if threading.current_thread() is not self._manager:
            # `submit`: each worker was started by `start`, and is replaced by the manager
            # thread.  (The count of idle workers is kept as the standard pool keeps it.)
            self._idle_worker_semaphore.acquire(blocking=False)
            return
        if self._processes is None:  # shut down without waiting: its queues are let go
            return
        if self._shutdown_thread:
            waiting = getattr(self._manager, "pending_work_items", True)
            if self._processes or not waiting:
                return
        if len(self._processes) < self._max_workers:
            self._spawn_process()


def tasks_per_child(default: int) -> int:
    """`default`, or the tests' setting (`TASKS_PER_CHILD_ENV`)."""
    setting = os.environ.get(TASKS_PER_CHILD_ENV, "").strip()
    return int(setting) if setting.isdigit() and int(setting) > 0 else default


class Pool(Protocol):
    slots: int  # tasks worth keeping in flight
    workers: int
    shared_disk: bool  # whether the workers can write into the output folder

    def submit(self, fn: Callable[..., T], *args: Any) -> Future[T]: ...

    def reports_next(self) -> None: ...

    def restart(self) -> None: ...

    def close(self, *, cancel: bool = False) -> None: ...


class InlinePool:
    """Runs each job at once, in this process."""

    slots = 1
    workers = 1
    shared_disk = True

    def submit(self, fn: Callable[..., T], *args: Any) -> Future[T]:
        future: Future[T] = Future()
        try:
            future.set_result(fn(*args))
        except Exception as exc:  # the tasks catch per applicant; this is a bug in the loop
            future.set_exception(exc)
        return future

    def reports_next(self) -> None:
        pass

    def restart(self) -> None:
        pass

    def close(self, *, cancel: bool = False) -> None:
        pass


class LocalPool:
    """A process pool on this machine (see the module docstring)."""

    shared_disk = True

    def __init__(self, workers: int, *, pdf: bool):
        self.workers = workers
        self.slots = max(2, workers * 3)
        self._pdf = pdf
        self._tasks_per_child = tasks_per_child(TASKS_PER_CHILD)
        self._executor = self._make()

    def _make(self) -> Workers:
        return Workers(
            max_workers=self.workers,
            mp_context=process_context(pdf=self._pdf),
            initializer=worker_init,
            max_tasks_per_child=self._tasks_per_child,
        )

    def reports_next(self) -> None:
        """Between the phases: workers that render PDFs are replaced more often (a fresh
        pool: `max_tasks_per_child` is fixed when a pool is made; the forkserver stays)."""
        self._executor.shutdown(wait=True)
        self._tasks_per_child = tasks_per_child(TASKS_PER_CHILD_PDF)
        self._executor = self._make()

    def submit(self, fn: Callable[..., T], *args: Any) -> Future[T]:
        return self._executor.submit(fn, *args)

    def restart(self) -> None:
        """After a worker died (BrokenProcessPool): a fresh pool."""
        self._executor.shutdown(wait=False, cancel_futures=True)
        self._executor = self._make()

    def close(self, *, cancel: bool = False) -> None:
        # On Ctrl-C the jobs already running finish (their PDFs are written atomically)
        # and the queued ones are dropped; `--resume` picks them up.
        self._executor.shutdown(wait=True, cancel_futures=cancel)


class DaskPool:
    """Jobs on a Dask distributed cluster, through its concurrent.futures executor."""

    shared_disk = False

    def __init__(self, address: str, *, timeout: str = "15s"):
        try:
            from distributed import Client as client_type
        except ImportError:
            raise UserError(t("batch.dask_missing")) from None
        try:
            make: Any = client_type
            self._client: Any = make(address, timeout=timeout, set_as_default=False)
        except (OSError, TimeoutError) as exc:
            raise UserError(t("batch.dask_unreachable", address=address, reason=exc)) from None
        # pure=False: two applicants with the same data are still two tasks.
        self._executor: Executor = self._client.get_executor(pure=False)
        threads = sum(self._client.nthreads().values()) or 1
        self.workers = threads
        self.slots = max(2, threads * 3)

    def submit(self, fn: Callable[..., T], *args: Any) -> Future[T]:
        return self._executor.submit(fn, *args)

    def reports_next(self) -> None:
        pass

    def restart(self) -> None:
        pass  # the scheduler reschedules the tasks of a lost worker itself

    def close(self, *, cancel: bool = False) -> None:
        try:
            self._executor.shutdown(wait=not cancel)
        finally:
            self._client.close()


def make_pool(workers: int, *, pdf: bool, scheduler: str | None) -> Pool:
    if scheduler:
        return DaskPool(scheduler)
    if workers <= 0:
        return InlinePool()
    return LocalPool(workers, pdf=pdf)

"""Hands the batch's jobs to the pool and collects what comes back.

Phase 1 jobs (`task.Job`, scoring) go out in chunks, enough in flight that the workers keep
busy while this process reads the next file, few enough that the scores coming back do
not pile up in memory.  Phase 2 jobs (`task.ReportJob`, one PDF each) go out one per
worker.  A worker that dies (killed, out of memory, a crash in a C library) breaks the
local pool: the pool is made afresh and the jobs it held run again one by one, so a job
that breaks it twice fails alone and takes no other applicant with it.
"""

from __future__ import annotations

import contextlib
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, BrokenExecutor, CancelledError, Future, wait
from typing import Any

from assess.batch.executors import Pool
from assess.batch.task import (
    Context,
    Job,
    Rendered,
    ReportJob,
    Scored,
    describe_exception,
    failed_outcome,
    render_reports,
    score_jobs,
)
from assess.catalog import t
from assess.intake.places import place

MAX_CHUNK = 64  # applicants per round trip to a worker while scoring
AHEAD = 512  # applicants handed to the pool ahead of the workers while scoring


def _index(item: Job | ReportJob) -> int:
    return item.index if isinstance(item, Job) else item.job.index


def _first_index(task: tuple[str, list[Any]]) -> int:
    return _index(task[1][0])


class Scheduler:
    """The jobs in flight on one pool; `on_scored` and `on_rendered` take what finished,
    in input order among what finished together."""

    def __init__(
        self,
        pool: Pool,
        context: Context,
        on_scored: Callable[[Scored], None],
        on_rendered: Callable[[Rendered], None],
    ):
        self.pool = pool
        self.context = context
        self.on_scored = on_scored
        self.on_rendered = on_rendered
        self.queue: deque[Job] = deque()
        self.retry: deque[Any] = deque()
        self.inflight: dict[Future[Any], tuple[str, list[Any]]] = {}
        self.generation: dict[Future[Any], int] = {}
        self.pool_generation = 0
        self.broken: set[int] = set()

    @property
    def queued(self) -> int:
        """Applicants waiting to be handed to the pool."""
        return len(self.queue)

    @property
    def busy(self) -> bool:
        return bool(self.queue or self.retry or self.inflight)

    # -- phase 1 ---------------------------------------------------------------------------

    def add(self, job: Job) -> None:
        self.queue.append(job)

    def _limit(self) -> int:
        """Tasks in flight: enough chunks (about a second of work) that the workers keep
        scoring while this process is busy, few enough that the scores coming back do not
        pile up in memory before they are collected."""
        return max(self.pool.slots, AHEAD // MAX_CHUNK)

    def _chunk(self) -> list[Job]:
        if self.retry:  # a job whose worker died goes alone, so it cannot take others down
            return [self.retry.popleft()]
        # MAX_CHUNK while there is plenty; smaller ones when few are left (the tail, or a
        # small file while the workers wait), so that every worker gets a share.
        size = max(1, min(MAX_CHUNK, -(-len(self.queue) // (self.pool.workers * 4))))
        return [self.queue.popleft() for _ in range(min(size, len(self.queue)))]

    def pump(self, *, block: bool, final: bool = False, also: Future[Any] | None = None) -> None:
        """Hand out chunks up to the limit, then collect what came back; with `block`,
        wait for at least one chunk (or for `also`, the file being read)."""
        while (self.queue or self.retry) and len(self.inflight) < self._limit():
            if (
                not final
                and not self.retry
                and len(self.queue) < MAX_CHUNK
                and len(self.inflight) >= self.pool.workers
            ):
                break  # wait for a whole chunk while the workers are busy
            self._submit("score", self._chunk())
        self._wait(block=block, also=also)

    # -- phase 2 ---------------------------------------------------------------------------

    def reports(self, todo: Sequence[ReportJob]) -> None:
        """Render every report of `todo`.  One report per task and one task per worker: a
        report takes long enough that nothing is gained by queueing more, and Ctrl-C then
        waits for one report each."""
        self.retry = deque(todo)
        while self.retry or self.inflight:
            while self.retry and len(self.inflight) < self.pool.workers:
                self._submit("report", [self.retry.popleft()])
            self._wait(block=True)

    # -- both ------------------------------------------------------------------------------

    def _submit(self, kind: str, items: list[Any]) -> None:
        future: Future[Any]
        if kind == "score":
            future = self.pool.submit(score_jobs, items, self.context)
        else:
            future = self.pool.submit(render_reports, items, self.context)
        self.inflight[future] = (kind, items)
        self.generation[future] = self.pool_generation

    def _wait(self, *, block: bool, also: Future[Any] | None = None) -> None:
        waiting: list[Future[Any]] = list(self.inflight)
        if also is not None:
            waiting.append(also)
        if not waiting:
            return
        done, _ = wait(waiting, timeout=None if block else 0, return_when=FIRST_COMPLETED)
        done = {f for f in done if f in self.inflight}
        for future in sorted(done, key=lambda f: _first_index(self.inflight[f])):
            self._collect(future)

    def _collect(self, future: Future[Any]) -> None:
        kind, items = self.inflight.pop(future)
        generation = self.generation.pop(future, 0)
        try:
            value = future.result()
        except CancelledError:
            if kind == "score":
                self.queue.extendleft(reversed(items))
            else:
                self.retry.extendleft(reversed(items))
            return
        except BrokenExecutor as exc:
            # A worker process died.  Run its jobs again one by one in a fresh pool; a job
            # that breaks it twice fails.
            if generation == self.pool_generation:
                self.pool.restart()
                self.pool_generation += 1
            lost = []
            for item in items:
                index = _index(item)
                if index in self.broken:
                    lost.append(item)
                else:
                    self.broken.add(index)
                    self.retry.append(item)
            doing = "评分时" if kind == "score" else "生成 PDF 报告时"
            value = self._lost(kind, lost, f"{doing}工作进程异常退出（{exc}）")
        except Exception as exc:  # e.g. a Dask worker lost for good
            value = self._lost(kind, items, f"工作进程出错：{describe_exception(exc)}")
        self._deliver(kind, value)

    def _deliver(self, kind: str, value: Any) -> None:
        if kind == "score":
            self.on_scored(value)
        else:
            for rendered in value:
                self.on_rendered(rendered)

    def _lost(self, kind: str, items: Sequence[Any], message: str) -> Any:
        if kind == "score":
            return Scored([failed_outcome(job, message) for job in items], {})
        return [
            Rendered(
                item.job.index,
                item.job.report,
                t(
                    "batch.report_failed",
                    place=place(item.job.source, item.job.sheet, item.job.row),
                    reason=message,
                ),
            )
            for item in items
        ]

    def drain(self) -> None:
        """After Ctrl-C, once the pool is shut down: keep what finished meanwhile."""
        for future in sorted(self.inflight, key=lambda f: _first_index(self.inflight[f])):
            if future.done() and not future.cancelled() and future.exception() is None:
                kind, _ = self.inflight.pop(future)
                with contextlib.suppress(KeyboardInterrupt):
                    self._deliver(kind, future.result())

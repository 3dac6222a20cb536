"""Reading the input files of a batch into their applicants' records, handed over in
chunks as they are read, without ever raising: whatever a file contains becomes that
file's problem, never the end of the batch.

The files are untrusted, and a reader written in C or Rust can abort the whole process
on a hostile one (a sheet claiming a million rows by sixteen thousand columns asks for
hundreds of gigabytes).  So `Reader` reads them in a child process whose address space is
capped (`procs.limit_memory`): a file that makes the child die, or run out of its memory,
is that file's problem ("读取该文件时程序异常退出，已跳过…"), a fresh child reads the next,
and the batch carries on.

The child reads the files one after another and sends each file's records as it reads
them, `CHUNK` at a time (`Chunk`), then what became of the file (`Done`).  It is never
more than a chunk ahead of what the batch has taken: it waits, its chunk in hand, until
the batch asks for the next one (`Reader.next`).  So neither process holds a whole file's
records, and the batch holds no more than the applicants it has handed to its pool.

A file is refused whole (`Done.issues`, no record) for whatever is wrong with the file
itself: the intake says so before its first record (`intake.workbook.iter_workbook`).
When the child dies while reading a file, the file is read once more by a fresh child,
from the record after the last one handed over (the file read before it in the same
child may have been the one to kill it); dying twice makes the rest of it the file's
problem.  Only an unforeseen failure half way through a file (a bug, or memory running
out) leaves the records handed over before it standing, followed by the problem.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from assess.batch.inputs import Identify, Source
from assess.batch.options import READER_MEMORY_MB
from assess.batch.records import Issue
from assess.batch.task import describe_exception
from assess.catalog import Lang, language, t, using
from assess.errors import Problem, UserError
from assess.intake.firm import Record

if TYPE_CHECKING:
    from multiprocessing.connection import Connection
    from multiprocessing.process import BaseProcess

    from assess.intake.sheet import Read

# The reader's own refusals, worded by the catalog (assess/catalog/batch.yaml) in the
# language of the run; the Chinese text of a crash is kept here for tests and tools.
CRASHED_EXCEL_KEY = "batch.reader.crashed_excel"
CRASHED_OTHER_KEY = "batch.reader.crashed_other"
TOO_BIG_KEY = "batch.reader.too_big"
CRASHED_EXCEL = t(CRASHED_EXCEL_KEY, "zh")

CHUNK = 256  # records per message from the reader


def too_big(mb: int) -> Issue:
    """The refusal of a file that needs more memory than the reader child may have."""
    return Issue("file", "", "", t(TOO_BIG_KEY, mb=mb), TOO_BIG_KEY)


@dataclass(frozen=True)
class Chunk:
    """The next records of the file `file` (its place among the sources), in order, and the
    names and credit codes of the refused ones among them (`inputs.Identify`), by their
    place in `records`."""

    file: int
    records: list[Record]
    names: dict[int, tuple[str, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Done:
    """The file `file` is read: `issues` is empty when the whole of it was, else why (the
    rest of) it was not; `seconds`, the time its reading took."""

    file: int
    issues: Sequence[Issue] = ()
    seconds: float = 0.0


Message = Chunk | Done


def as_issue(problem: Problem, kind: str, fallback: str) -> Issue:
    """An intake problem as a row's issue (`file`: the file could not be read)."""
    field_id = problem.path.strip().strip("()")
    where, message = problem.where, problem.message
    if not where:  # "file.xlsx: is damaged": the place is in the message
        where = fallback
        message = message.removeprefix(f"{fallback}:").strip()
    return Issue("file" if kind == "file" else "error", where, field_id, message, problem.code)


def records_of(source: Source) -> Iterator[Read]:
    """The records of one file, as the intake reads them (`intake.load_records`), a
    workbook's one at a time."""
    from assess.intake import EXCEL_SUFFIXES, REFUSED_SUFFIXES, load_records

    suffix = source.path.suffix.lower()
    if suffix in EXCEL_SUFFIXES or suffix in REFUSED_SUFFIXES:
        from assess.intake.workbook import iter_workbook

        return iter_workbook(source.path)
    return ((record, None) for record in load_records(source.path))


def read(index: int, source: Source, skip: int = 0) -> Iterator[Message]:
    """The messages of one file (see the module docstring), the first `skip` records left
    out (handed over before); never raises."""
    if source.problem:
        yield Done(index, [Issue("file", source.display, "", source.problem)])
        return
    spent = 0.0
    started = time.perf_counter()
    identify = Identify()
    records: list[Record] = []
    names: dict[int, tuple[str, str]] = {}
    issues: list[Issue] = []
    count = 0
    try:
        for record, raw in records_of(source):
            count += 1
            if count <= skip:
                continue
            if record.firm is None:
                names[len(records)] = identify(record, raw)
            records.append(record)
            if len(records) >= CHUNK:
                spent += time.perf_counter() - started
                yield Chunk(index, records, names)
                started = time.perf_counter()
                records, names = [], {}
    except UserError as exc:
        issues = [as_issue(p, "file", source.display) for p in exc.problems]
    except MemoryError:
        records, names = [], {}
        issues = [replace(too_big(_limit_mb), where=source.display)]
    except Exception as exc:  # a reader bug must not sink the round
        message = t("batch.read_failed", reason=describe_exception(exc))
        issues = [Issue("file", source.display, "", message)]
    if records and not issues:
        yield Chunk(index, records, names)
    spent += time.perf_counter() - started
    yield Done(index, issues, spent)


def read_all(sources: Sequence[Source], start: int, skip: int) -> Iterator[Message]:
    """The messages of the sources from `start` on, the first `skip` records of that one
    left out."""
    for index in range(start, len(sources)):
        yield from read(index, sources[index], skip if index == start else 0)


_limit_mb = READER_MEMORY_MB  # this process's cap, when it is a reader child


def reader_init(memory_mb: int) -> None:
    """In the reader child: Ctrl-C is the parent's, it dies with the parent, and its
    memory is capped."""
    import signal

    from assess.batch.procs import die_with_parent, limit_memory

    global _limit_mb
    _limit_mb = memory_mb
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    die_with_parent()
    limit_memory(memory_mb)


def reader_main(
    conn: Connection,
    sources: Sequence[Source],
    start: int,
    skip: int,
    memory_mb: int,
    lang: Lang,
) -> None:
    """The reader child: each message sent as soon as the batch asks for it; after the
    last, it waits to be stopped with the batch's other processes (`Reader.close`)."""
    reader_init(memory_mb)
    try:
        with using(lang):
            for message in read_all(sources, start, skip):
                conn.recv()
                conn.send(message)
        conn.recv()
    except (EOFError, OSError):  # the batch has stopped reading
        pass
    conn.close()


def crashed(index: int, source: Source) -> Done:
    """The file whose reading killed the reader child (twice)."""
    excel = source.path.suffix.lower() in (".xlsx", ".xlsm", ".xltx", ".xltm", ".xls")
    key = CRASHED_EXCEL_KEY if excel else CRASHED_OTHER_KEY
    return Done(index, [Issue("file", source.display, "", t(key), key)])


class Reader:
    """Reads the batch's files in a child process (see the module docstring); with
    `in_process` (`--workers 0`, for debugging) in a thread of this one instead.

    `start(sources)`, then `next()` until it gives None: each call a Future of the next
    message, filled by a thread of this process (which also starts the child, and a
    fresh one when it dies: a Ctrl-C, which only the main thread gets, never cuts a start
    short)."""

    def __init__(self, *, pdf: bool, memory_mb: int = READER_MEMORY_MB, in_process: bool = False):
        self._pdf = pdf
        self._memory_mb = memory_mb
        self._in_process = in_process
        self._asks: queue.SimpleQueue[Future[Message | None] | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._closed = False
        self._lock = threading.Lock()
        self._process: BaseProcess | None = None
        self._conn: Connection | None = None

    def start(self, sources: Sequence[Source]) -> None:
        lang = language()
        target = self._local if self._in_process else self._child
        self._thread = threading.Thread(
            target=target, args=(list(sources), lang), name="read", daemon=True
        )
        self._thread.start()

    def next(self) -> Future[Message | None]:
        """The next message, None after the last file's `Done`."""
        future: Future[Message | None] = Future()
        future.set_running_or_notify_cancel()
        if self._thread is None or self._closed:
            future.set_result(None)
        else:
            self._asks.put(future)
        return future

    # -- the thread ------------------------------------------------------------------------

    def _answers(self) -> Iterator[Future[Message | None]]:
        while True:
            future = self._asks.get()
            if future is None or self._closed:
                if future is not None:
                    future.set_result(None)
                return
            yield future

    def _local(self, sources: list[Source], lang: Lang) -> None:
        with using(lang):
            messages = read_all(sources, 0, 0)
            for future in self._answers():
                future.set_result(next(messages, None))

    def _child(self, sources: list[Source], lang: Lang) -> None:
        start, skip, retried = 0, 0, -1
        conn = self._spawn(sources, start, skip, lang)
        for future in self._answers():
            while True:
                message: Message | None
                if start >= len(sources):
                    message = None
                elif conn is None:
                    future.set_result(None)  # closed meanwhile
                    return
                else:
                    try:
                        conn.send(True)
                        message = conn.recv()
                    except (EOFError, OSError):  # the child died
                        if self._closed:
                            future.set_result(None)
                            return
                        if retried != start:  # once more, alone, by a fresh child
                            retried = start
                        else:  # twice: the rest of the file is its problem
                            message = crashed(start, sources[start])
                            start, skip = start + 1, 0
                            conn = self._spawn(sources, start, skip, lang)
                            break
                        conn = self._spawn(sources, start, skip, lang)
                        continue
                    if isinstance(message, Chunk):
                        skip += len(message.records)
                    else:
                        start, skip = start + 1, 0
                break
            future.set_result(message)
        self._stop()

    def _spawn(self, sources: list[Source], start: int, skip: int, lang: Lang) -> Connection | None:
        """A fresh child reading from the file `start` on (None when closed or done)."""
        self._stop()
        with self._lock:
            if self._closed or start >= len(sources):
                return None
            from multiprocessing import Pipe

            from assess.batch.executors import process_context

            ours, theirs = Pipe()
            context: Any = process_context(pdf=self._pdf)
            process = context.Process(
                target=reader_main,
                args=(theirs, sources, start, skip, self._memory_mb, lang),
                name="assess-reader",
                daemon=True,
            )
            process.start()
            theirs.close()
            self._process, self._conn = process, ours
            return ours

    def _stop(self) -> None:
        """The child, if any, gone."""
        with self._lock:
            process, conn = self._process, self._conn
            self._process = self._conn = None
        if process is not None:
            if process.is_alive():
                process.kill()
            process.join()
            process.close()
        if conn is not None:
            conn.close()

    def close(self) -> None:
        """Stop reading: the child is killed, the thread ends."""
        if self._closed:
            return
        self._closed = True
        with self._lock:
            process = self._process
        if process is not None and process.is_alive():
            process.kill()  # the thread, waiting for it, sees it gone
        self._asks.put(None)
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)
        self._stop()

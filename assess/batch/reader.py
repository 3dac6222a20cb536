"""Reading one input file of a batch into its applicants' records, or into the reason it
could not be read, without ever raising: whatever a file contains becomes that file's
problem, never the end of the batch.

The files are untrusted, and a reader written in C or Rust can abort the whole process
on a hostile one (a sheet claiming a million rows by sixteen thousand columns asks for
hundreds of gigabytes).  So `Reader` reads them in a child process whose address space is
capped (`procs.limit_memory`): a file that makes the child die, or run out of its memory,
is that file's problem ("读取该文件时程序异常退出，已跳过…"), a fresh child reads the next,
and the batch carries on.  The child reads one file at a time, one ahead of the batch.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from concurrent.futures import BrokenExecutor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field, replace

from assess.batch.inputs import Source, identify
from assess.batch.options import READER_MEMORY_MB
from assess.batch.records import Issue
from assess.batch.task import describe_exception
from assess.catalog import Lang, language, t, using
from assess.errors import Problem, UserError
from assess.intake.firm import Record

# The reader's own refusals, worded by the catalog (assess/catalog/batch.yaml) in the
# language of the run; the Chinese text of a crash is kept here for tests and tools.
CRASHED_EXCEL_KEY = "batch.reader.crashed_excel"
CRASHED_OTHER_KEY = "batch.reader.crashed_other"
TOO_BIG_KEY = "batch.reader.too_big"
CRASHED_EXCEL = t(CRASHED_EXCEL_KEY, "zh")


def too_big(mb: int) -> Issue:
    """The refusal of a file that needs more memory than the reader child may have."""
    return Issue("file", "", "", t(TOO_BIG_KEY, mb=mb), TOO_BIG_KEY)


@dataclass(frozen=True)
class Loaded:
    """One file read: its records (None when it could not be read, then `issues` says
    why), the names and credit codes of its refused records (`inputs.identify`) and the
    seconds the reading took."""

    records: Sequence[Record] | None
    issues: Sequence[Issue] = ()
    names: dict[int, tuple[str, str]] = field(default_factory=dict)
    seconds: float = 0.0


def as_issue(problem: Problem, kind: str, fallback: str) -> Issue:
    """An intake problem as a row's issue (`file`: the file could not be read)."""
    field_id = problem.path.strip().strip("()")
    where, message = problem.where, problem.message
    if not where:  # "file.xlsx: is damaged": the place is in the message
        where = fallback
        message = message.removeprefix(f"{fallback}:").strip()
    return Issue("file" if kind == "file" else "error", where, field_id, message, problem.code)


def load(source: Source) -> Loaded:
    """Read one file (see the module docstring)."""
    from assess.intake import load_records

    if source.problem:
        return Loaded(None, [Issue("file", source.display, "", source.problem)])
    started = time.perf_counter()
    try:
        records = load_records(source.path)
    except UserError as exc:
        return Loaded(None, [as_issue(p, "file", source.display) for p in exc.problems])
    except MemoryError:
        return Loaded(None, [replace(too_big(_limit_mb), where=source.display)])
    except Exception as exc:  # a reader bug must not sink the round
        message = t("batch.read_failed", reason=describe_exception(exc))
        return Loaded(None, [Issue("file", source.display, "", message)])
    names = identify(records) if any(r.firm is None for r in records) else {}
    return Loaded(records, (), names, time.perf_counter() - started)


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


def crashed(source: Source) -> Loaded:
    """The file whose reading killed the reader child."""
    excel = source.path.suffix.lower() in (".xlsx", ".xlsm", ".xltx", ".xltm", ".xls")
    key = CRASHED_EXCEL_KEY if excel else CRASHED_OTHER_KEY
    return Loaded(None, [Issue("file", source.display, "", t(key), key)])


def load_in(source: Source, lang: Lang) -> Loaded:
    """`load` with its problems worded in the parent's language (a child process or a
    thread starts with the default one)."""
    with using(lang):
        return load(source)


class Reader:
    """Reads the batch's files in a child process (see the module docstring); with
    `in_process` (`--workers 0`, for debugging) in a thread of this one instead."""

    def __init__(self, *, pdf: bool, memory_mb: int = READER_MEMORY_MB, in_process: bool = False):
        self._pdf = pdf
        self._memory_mb = memory_mb
        self._in_process = in_process
        self._executor = self._make()

    def _make(self) -> ProcessPoolExecutor | ThreadPoolExecutor:
        if self._in_process:
            return ThreadPoolExecutor(max_workers=1, thread_name_prefix="read")
        from assess.batch.executors import process_context

        return ProcessPoolExecutor(
            max_workers=1,
            mp_context=process_context(pdf=self._pdf),
            initializer=reader_init,
            initargs=(self._memory_mb,),
        )

    def submit(self, source: Source) -> Future[Loaded]:
        try:
            return self._executor.submit(load_in, source, language())
        except BrokenExecutor:  # the child died after an earlier file: a fresh one
            self._restart()
            return self._executor.submit(load_in, source, language())

    def _restart(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
        self._executor = self._make()

    def outcome(self, source: Source, future: Future[Loaded]) -> Loaded:
        """What `future` (of `submit(source)`) read.  When the child died, the file is
        read once more by a fresh child, alone: the file that was read before it in the
        same child may have been the one to kill it.  Dying twice makes it the file's
        problem."""
        for attempt in range(2):
            try:
                return future.result()
            except BrokenExecutor:
                self._restart()
                if attempt == 0:
                    future = self._executor.submit(load_in, source, language())
            except MemoryError:  # the child's records did not fit through the pipe
                return Loaded(None, [replace(too_big(self._memory_mb), where=source.display)])
            except Exception as exc:
                message = t("batch.read_failed", reason=describe_exception(exc))
                return Loaded(None, [Issue("file", source.display, "", message)])
        return crashed(source)

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)

"""Getting the PDF writer ready while the firm is scored: `assess score X --pdf` pays for
importing WeasyPrint (about 0.3 s of CPU) and for the first document's set-up (fontconfig,
the report's stylesheet, WeasyPrint's own lazy imports: about 0.2 s more), all of it
independent of the firm.

`PdfWriter.start()` forks a child process that does that work on the machine's other core
while the parent reads the firm, scores it, prints the verdicts and renders the HTML; the
parent then hands it the HTML and the path, the child lays the report out, writes the PDF
(atomically, as `assess.report.pdf.write_pdf` always does) and sends back success or the
exception, which the parent raises as its own: messages, exit codes and the file's bytes
are those of writing the PDF in the parent.  Where there is no `fork` (or not Linux, or
other threads already run) `start` returns None and the parent writes the PDF itself.

`import_weasyprint` imports WeasyPrint without the dozens of helper processes its library
look-up starts (see there).
"""

from __future__ import annotations

import contextlib
import os
import pickle
import re
import signal
import struct
import subprocess
import sys
import threading
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

_IMPORT_LOCK = threading.Lock()


def import_weasyprint() -> None:
    """Import WeasyPrint, with `ctypes.util.find_library` answered from one `ldconfig -p`
    while it loads its libraries (Linux).

    WeasyPrint tries several names for each library (Windows and macOS names among them);
    cffi asks `find_library` about every name it cannot open, and on Linux each question
    runs `ldconfig -p` and, when that does not know the name, gcc and ld: some thirty
    processes, 0.3–1 s of a start-up.  Here each question is answered from a single run of
    `ldconfig -p`, as the standard function's first step does.  The steps left out (gcc,
    ld) name libraries by the same sonames the loader already finds, and WeasyPrint's list
    holds those sonames too, so the same libraries load."""
    if "weasyprint" in sys.modules:
        return
    with _IMPORT_LOCK, _one_ldconfig():
        import weasyprint  # noqa: F401


@contextlib.contextmanager
def _one_ldconfig() -> Iterator[None]:
    import ctypes.util

    if not sys.platform.startswith("linux") or not hasattr(ctypes.util, "_findSoname_ldconfig"):
        yield
        return
    original = ctypes.util.find_library
    ctypes.util.find_library = _ldconfig_finder()  # type: ignore[assignment]
    try:
        yield
    finally:
        ctypes.util.find_library = original


def _ldconfig_finder() -> Callable[[str], str | None]:
    """`ctypes.util.find_library`'s ldconfig step (same command, same pattern), with
    `ldconfig -p` run once."""
    machine = os.uname().machine + ("-32" if struct.calcsize("l") == 4 else "-64")
    abi_type = {
        "x86_64-64": "libc6,x86-64",
        "ppc64-64": "libc6,64bit",
        "sparc64-64": "libc6,64bit",
        "s390x-64": "libc6,64bit",
        "ia64-64": "libc6,IA-64",
    }.get(machine, "libc6")
    listing: list[bytes] = []

    def find_library(name: str) -> str | None:
        if not listing:
            try:
                listing.append(
                    subprocess.run(
                        ["/sbin/ldconfig", "-p"],
                        stdin=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL,
                        stdout=subprocess.PIPE,
                        env={"LC_ALL": "C", "LANG": "C"},
                        check=False,
                    ).stdout
                )
            except OSError:
                listing.append(b"")
        pattern = os.fsencode(rf"\s+(lib{re.escape(name)}\.[^\s]+)\s+\({abi_type}")
        found = re.search(pattern, listing[0])
        return os.fsdecode(found.group(1)) if found else None

    return find_library


# ---- the writer process --------------------------------------------------------------------

# A few lines of the report's kind (its stylesheet, Chinese and Latin text, bold, a table)
# laid out before the real report, unless the parent has sent it already: fontconfig, the
# faces the report uses, the parsed stylesheet and WeasyPrint's lazily imported modules
# are then ready.  It costs about 0.15 s of CPU and saves about 0.1 s of the report's.
_WARM_BODY = (
    "<body><h1>专精特新 Report</h1><p>企业 <b>评分</b> 2026 <i>ok</i></p>"
    "<table><tr><th>指标</th><td>12.5 万元</td></tr></table></body>"
)


def _warm_up(font_config: Any) -> None:
    from assess.report import pdf

    try:
        css = (pdf.templates_dir() / pdf.REPORT_STYLESHEET).read_text(encoding="utf-8")
    except OSError:
        css = ""
    html = f"<!DOCTYPE html><html><head>\n<style>\n{css}\n</style>\n</head>{_WARM_BODY}</html>"
    pdf.pdf_bytes(html, font_config=font_config)


class PdfWriter:
    """A forked child that gets WeasyPrint ready, then writes one PDF (see the module
    docstring).  Use it as a context manager: leaving the block without `write` stops it."""

    def __init__(self, pid: int, jobs: int, results: int) -> None:
        self.pid = pid
        self._jobs: int | None = jobs
        self._results = results
        self._sent = False
        self._reaped = False

    @classmethod
    def start(cls) -> PdfWriter | None:
        """The child, started; None where it cannot be (then write in this process)."""
        if not (sys.platform.startswith("linux") and hasattr(os, "fork")):
            return None
        if threading.active_count() != 1:
            return None  # forking a threaded process copies locks other threads hold
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()  # else the child would hold a copy of unwritten output
        job_read, job_write = os.pipe()
        result_read, result_write = os.pipe()
        try:
            pid = os.fork()
        except OSError:
            for fd in (job_read, job_write, result_read, result_write):
                os.close(fd)
            return None
        if pid == 0:  # the child: never returns
            code = 1
            try:
                os.close(job_write)
                os.close(result_read)
                # Ctrl-C reaches the parent, which stops the child (`close`).
                signal.signal(signal.SIGINT, signal.SIG_IGN)
                signal.signal(signal.SIGTERM, _interrupt)
                code = _child(job_read, result_write)
            finally:
                for stream in (sys.stdout, sys.stderr):
                    with contextlib.suppress(Exception):
                        stream.flush()
                os._exit(code)
        os.close(job_read)
        os.close(result_write)
        return cls(pid, job_write, result_read)

    def write(self, html: str, path: Path) -> bool:
        """Have the child write `html` as a PDF at `path`; raise what it raised.  False
        when the child is gone without an answer (killed, crashed): write it here then."""
        assert self._jobs is not None, "one PDF per writer"
        from assess.catalog import language

        job = (html, Path(path), language())
        data = pickle.dumps(job, protocol=pickle.HIGHEST_PROTOCOL)
        try:
            self._sent = True
            with open(self._jobs, "wb", closefd=True) as jobs:
                self._jobs = None
                jobs.write(data)
        except BrokenPipeError:
            pass  # the child is gone: its (missing) answer says so below
        with open(self._results, "rb", closefd=True) as results:
            self._results = -1
            answer = results.read()
        self._reap()
        if not answer:
            return False
        outcome = pickle.loads(answer)
        if outcome is None:
            return True
        exc, remote = outcome
        exc.__cause__ = _RemoteTraceback(remote)
        raise exc

    def close(self) -> None:
        """Stop the child if it was not given its PDF, or is still writing it (after
        Ctrl-C in the parent): it then removes its temp file, as an interrupted write
        does."""
        if self._reaped:
            return
        if self._jobs is not None:
            os.close(self._jobs)
            self._jobs = None
        if self._results >= 0:
            os.close(self._results)
            self._results = -1
        with contextlib.suppress(ProcessLookupError):
            # Unsent: nothing is written yet, stop at once.  Sent: SIGTERM interrupts the
            # child's write, which removes its temp file.
            os.kill(self.pid, signal.SIGTERM if self._sent else signal.SIGKILL)
        self._reap()

    def _reap(self) -> None:
        if not self._reaped:
            self._reaped = True
            with contextlib.suppress(ChildProcessError):
                os.waitpid(self.pid, 0)

    def __enter__(self) -> PdfWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _waiting(fd: int) -> bool:
    """Whether the parent has sent its job already."""
    import select

    try:
        return bool(select.select([fd], [], [], 0)[0])
    except (OSError, ValueError):
        return False


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


class _RemoteTraceback(Exception):
    """The child's traceback, shown as the cause of the exception the parent raises."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text

    def __str__(self) -> str:
        return "\n" + self.text


def _child(jobs: int, results: int) -> int:
    """The child's life: get ready, read the job, write the PDF, answer."""
    ready: BaseException | None = None
    font_config: Any = None
    try:
        import_weasyprint()
        from weasyprint.text.fonts import FontConfiguration

        font_config = FontConfiguration()
        if not _waiting(jobs):  # warm up only while the parent is still scoring
            # Only a head start: if it fails, the report itself says what is wrong.
            with contextlib.suppress(Exception):
                _warm_up(font_config)
    except KeyboardInterrupt:
        return 130
    except BaseException as exc:  # the parent raises it when it asks for its PDF
        ready = exc
    with open(jobs, "rb", closefd=True) as fh:
        data = fh.read()
    if not data:
        return 0  # the parent went without a PDF
    outcome: tuple[BaseException, str] | None = None
    try:
        if ready is not None:
            raise ready
        from assess.catalog import set_language
        from assess.report.pdf import write_pdf

        html, path, lang = pickle.loads(data)
        set_language(lang)  # the parent's, settled after the fork
        write_pdf(html, path, font_config=font_config)
    except BaseException as exc:
        outcome = (exc, "".join(traceback.format_exception(exc)))
    try:
        answer = pickle.dumps(outcome)
    except Exception:  # an exception that does not pickle: its text does
        assert outcome is not None
        answer = pickle.dumps((RuntimeError(outcome[1]), outcome[1]))
    with contextlib.suppress(BrokenPipeError), open(results, "wb", closefd=True) as fh:
        fh.write(answer)
    return 0 if outcome is None else 1

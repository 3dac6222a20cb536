"""One batch per output folder at a time.

`OUTDIR/.assess-batch/lock` is held with `fcntl.flock` for the whole run.  A second batch
on the same OUTDIR is refused at once, before it touches anything there, with a line
naming the folder and the process that holds it.  The kernel drops the lock when its
holder exits, however it exits (SIGKILL included), so a killed batch never leaves a
stale lock behind; the file itself stays and is reused.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from assess.catalog import t
from assess.errors import UserError

LOCK = "lock"


def busy(outdir: Path, pid: str) -> str:
    """Why a second batch on the same OUTDIR is refused, and what to do."""
    return t("batch.busy", outdir=outdir, pid=pid)


@contextlib.contextmanager
def outdir_lock(folder: Path, outdir: Path) -> Iterator[None]:
    """Hold the lock in `folder` (OUTDIR/.assess-batch) while the block runs; UserError
    (exit 2) when another process holds it."""
    try:
        import fcntl
    except ImportError:  # Windows: no flock; one batch per folder is then the user's care
        yield
        return
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / LOCK
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "?"
            raise UserError(busy(outdir, holder)) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
        yield
    finally:
        os.close(fd)  # closing the only descriptor drops the lock

"""Write files so that a reader never sees half of one: a temp file in the same folder,
flushed, fsynced, then renamed over the target.  A write that fails (a full disk, a
read-only folder, Ctrl-C) removes its temp file and leaves the old target as it was.

Every output of the project goes through here: small ones with `write_bytes` /
`write_text`, large ones written in pieces with `atomic_stream`.
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from assess.catalog import t

# The errors that mean "this place cannot take the file" rather than a bug: they are the
# user's to fix (free space, another folder, permissions), see `output_problem`.  Each
# names its reason in the catalog (`cli.output.<reason>`).
OUTPUT_ERRNOS = {
    errno.ENOSPC: "disk_full",
    errno.EDQUOT: "quota",
    errno.EFBIG: "too_big",
    errno.EROFS: "read_only",
    errno.EACCES: "no_permission",
    errno.EPERM: "no_permission",
    errno.ENOTDIR: "not_a_folder",
    errno.EISDIR: "is_a_folder",
    errno.ENAMETOOLONG: "name_too_long",
    errno.EIO: "io_error",
    errno.ENOENT: "no_such_place",
}


def output_problem(exc: OSError, path: Path | str | None = None, hint: str = "") -> str | None:
    """One line, in the language in force, for an OSError met while writing `path`
    (default: the error's file), naming the place, the reason and what to do (`hint`, by
    default the catalog's general advice); None when the error is not one a user can fix
    (then it is a bug)."""
    reason = OUTPUT_ERRNOS.get(exc.errno or 0)
    if reason is None:
        return None
    where = path if path is not None else (exc.filename or "")
    return t(
        "cli.output.cannot_write",
        path=where,
        reason=t(f"cli.output.{reason}"),
        hint=hint or t("cli.output.hint"),
    )


def _umask() -> int:
    """The process's umask, read without changing it where Linux shows it (os.umask's
    set-and-restore would race with another thread writing a file meanwhile)."""
    with contextlib.suppress(OSError, StopIteration, ValueError):
        with open("/proc/self/status", encoding="ascii") as fh:
            line = next(x for x in fh if x.startswith("Umask:"))
        return int(line.split()[1], 8)
    mask = os.umask(0)
    os.umask(mask)
    return mask


def file_mode() -> int:
    """The mode a newly created file gets (mkstemp's temp files are 0600)."""
    return 0o666 & ~_umask()


@contextlib.contextmanager
def atomic_stream(path: Path, *, mode: int | None = None) -> Iterator[IO[bytes]]:
    """A binary file handle whose content replaces `path` only once it is complete and on
    disk; `mode` defaults to what a new file would get."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        if exc.errno:
            exc.filename = str(path)  # the output, not the temp file, is what failed
        raise
    try:
        with os.fdopen(fd, "wb", buffering=1 << 20) as fh:
            os.fchmod(fd, file_mode() if mode is None else mode)
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError) and exc.errno and exc.filename in (None, tmp):
            exc.filename = str(path)  # say which output, not which temp file, failed
        raise


def write_bytes(path: Path, data: bytes, *, mode: int | None = None) -> None:
    with atomic_stream(path, mode=mode) as fh:
        fh.write(data)


def write_text(path: Path, text: str) -> None:
    write_bytes(path, text.encode("utf-8"))

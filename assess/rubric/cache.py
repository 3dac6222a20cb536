"""A per-user cache of the bundled rubrics, loaded and checked, so that a command does not
parse and check every rubric file again (about 0.1 s of each `assess score`).

What it holds is a pickle, and unpickling runs code, so a cache file is only read when
nobody but the user could have written it, and only if it is the one this program wrote
for exactly these rubric files and this code:

* place: `$XDG_CACHE_HOME/assess` (default `~/.cache/assess`), a real folder (not a
  symlink) owned by the user and writable by no one else; the file itself is opened
  without following symlinks, must be a regular file owned by the user, writable by no
  one else;
* seal: the file carries an HMAC-SHA256 of its content under a random key kept in the same
  folder (mode 0600, same checks), so a file copied in from elsewhere, truncated or edited
  is not trusted;
* key: the content names the SHA-256 of every bundled rubric and size-standard file, of
  every source file of the `assess` package, and the versions of assess, Python,
  pydantic and PyYAML; any difference is a miss.

Anything unexpected (no home, a read-only disk, another owner, a bad seal) is a miss, and
a miss is silent: the rubrics are loaded from their files as without a cache.  Writes are
atomic (`assess.atomic`) with mode 0600.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import stat
import sys
from collections.abc import Iterable
from pathlib import Path

_MAGIC = b"assess-rubric-cache 1\n"
_SECRET = "secret"
_MAX_BYTES = 64 * 1024 * 1024


def cache_dir() -> Path | None:
    """Where this user's cache lives, or None when there is no such place."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(base):
        try:
            base = str(Path.home() / ".cache")
        except (RuntimeError, KeyError):
            return None
    return Path(base) / "assess"


def code_and_data_key(data_files: Iterable[Path]) -> bytes:
    """The SHA-256 naming these data files (names and bytes), the package's source and the
    versions of what the cached objects are made of."""
    import pydantic
    import pydantic_core
    import yaml

    import assess

    digest = hashlib.sha256()
    versions = (assess.__version__, sys.version, pydantic.VERSION, pydantic_core.__version__)
    for part in (*versions, yaml.__version__):
        digest.update(part.encode() + b"\0")
    package = Path(__file__).resolve().parent.parent
    sources = sorted(package.rglob("*.py"))
    for path in (*sources, *data_files):
        body = path.read_bytes()
        digest.update(f"{path.name}\0{len(body)}\0".encode())
        digest.update(body)
    return digest.digest()


def _own_folder(folder: Path) -> bool:
    info = os.lstat(folder)
    return (
        stat.S_ISDIR(info.st_mode)
        and info.st_uid == os.geteuid()
        and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
    )


def _read_own_file(path: Path) -> bytes | None:
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(path, flags)
    try:
        info = os.fstat(fd)
        if (
            not stat.S_ISREG(info.st_mode)
            or info.st_uid != os.geteuid()
            or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
            or info.st_size > _MAX_BYTES
        ):
            return None
        with os.fdopen(os.dup(fd), "rb") as fh:
            return fh.read(_MAX_BYTES + 1)
    finally:
        os.close(fd)


def _secret(folder: Path, create: bool) -> bytes | None:
    path = folder / _SECRET
    try:
        found = _read_own_file(path)
    except FileNotFoundError:
        found = None
        if create:
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
            try:
                fd = os.open(path, flags, 0o600)
            except FileExistsError:  # another process made it meanwhile
                return _secret(folder, create=False)
            with os.fdopen(fd, "wb") as fh:
                fh.write(os.urandom(32))
            return _secret(folder, create=False)
    return found if found is not None and len(found) == 32 else None


def _seal(secret: bytes, body: bytes) -> bytes:
    return hmac.new(secret, body, hashlib.sha256).digest()


def read(name: str, key: bytes) -> bytes | None:
    """The payload stored under `name` for `key`, or None (a miss: anything unexpected)."""
    try:
        folder = cache_dir()
        if folder is None or not _own_folder(folder):
            return None
        secret = _secret(folder, create=False)
        data = _read_own_file(folder / name)
        if secret is None or data is None or not data.startswith(_MAGIC):
            return None
        seal, body = data[len(_MAGIC) : len(_MAGIC) + 32], data[len(_MAGIC) + 32 :]
        if not hmac.compare_digest(seal, _seal(secret, body)) or body[:32] != key:
            return None
        return body[32:]
    except (OSError, ValueError):
        return None


def write(name: str, key: bytes, payload: bytes) -> None:
    """Store `payload` under `name` for `key`; silently nothing where that cannot be done
    safely (see the module docstring)."""
    from assess.atomic import write_bytes

    try:
        folder = cache_dir()
        if folder is None:
            return
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not _own_folder(folder):
            return
        secret = _secret(folder, create=True)
        if secret is None:
            return
        body = key + payload
        write_bytes(folder / name, _MAGIC + _seal(secret, body) + body, mode=0o600)
    except (OSError, ValueError):
        return


def prune(prefix: str, keep: int) -> None:
    """Remove all but the `keep` most recently written files named `prefix*` (caches of
    other code or other rubric files: another install, an older version)."""
    try:
        folder = cache_dir()
        if folder is None or not _own_folder(folder):
            return
        found = sorted(
            (entry.stat(follow_symlinks=False).st_mtime_ns, entry.path)
            for entry in os.scandir(folder)
            if entry.name.startswith(prefix)
        )
        for _, path in found[: max(0, len(found) - keep)]:
            os.unlink(path)
    except OSError:
        return

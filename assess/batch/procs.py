"""Limits for the processes a batch starts: they die with it, and a reader of untrusted
files gets a bounded amount of memory.  Linux only where marked; elsewhere these do
nothing (the batch still works, without the guarantee)."""

from __future__ import annotations

import contextlib
import os
import signal
import sys

_PR_SET_PDEATHSIG = 1
# Set by the process that starts the forkserver, to its own pid, for as long as the start
# takes (`executors.start_forkserver`): the forkserver's parent, which it checks against.
PARENT_ENV = "ASSESS_FORKSERVER_PARENT"
# The forkserver's pid, in the forkserver and in the processes it forks (set by
# `assess.batch.forkserver`); None elsewhere.
forkserver_pid: int | None = None


def die_with_parent(parent: int | None = None) -> None:
    """Ask the kernel to SIGKILL this process when its parent dies (Linux), so that killing
    the batch, even with SIGKILL, takes its workers with it.  A pool worker's parent is
    the forkserver, which itself exits when the batch process is gone.

    `parent`: the pid of the process that started this one; by default the forkserver in
    a process it forked, else whoever is the parent now.  That process may be gone before
    this runs (a batch killed while its forkserver is still importing): this process is
    then an orphan that the request cannot cover, and exits now."""
    if not sys.platform.startswith("linux"):
        return
    if parent is None:
        parent = forkserver_pid if forkserver_pid is not None else os.getppid()
    with contextlib.suppress(OSError, AttributeError):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the parent died before the request was in place
        os._exit(1)


def _vm_size() -> int:
    """This process's address space now, in bytes (0 where /proc cannot tell)."""
    with contextlib.suppress(OSError, StopIteration, ValueError):
        with open("/proc/self/status", encoding="ascii") as fh:
            line = next(x for x in fh if x.startswith("VmSize:"))
        return int(line.split()[1]) * 1024
    return 0


def limit_memory(extra_mb: int) -> None:
    """Cap this process's address space at what it has mapped now plus `extra_mb`: an
    allocation beyond fails (a MemoryError, or a native abort that kills this process
    only) instead of taking the machine's memory."""
    with contextlib.suppress(ImportError, OSError, ValueError):
        import resource

        want = _vm_size() + extra_mb * 1024 * 1024
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            want = min(want, hard)
        resource.setrlimit(resource.RLIMIT_AS, (want, hard))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # a dying reader leaves no core

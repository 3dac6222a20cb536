"""Imported by the local pool's forkserver first of all (`executors.PRELOAD`): tie the
forkserver's life to the batch process that started it.

The forkserver would exit by itself once the batch is gone, but it learns that through a
pipe whose write end every worker also holds, so a batch killed with SIGKILL would leave
the forkserver and its workers waiting for each other.  With this, the kernel kills the
forkserver when the batch dies, and each worker (`procs.die_with_parent`, in its
initializer) when the forkserver dies.  A forkserver whose batch was killed before this
ran (while Python started) exits here: it knows the batch's pid from `procs.PARENT_ENV`.
Its own pid goes in `procs.forkserver_pid`, which the processes it forks check theirs
against the same way.
"""

from __future__ import annotations

import os
import signal
import sys

from assess.batch import procs

# Only in a process started as `python -c "from multiprocessing.forkserver import main…"`:
# importing this module anywhere else changes nothing.
if sys.argv[:1] == ["-c"] and "multiprocessing.forkserver" in sys.modules:
    # Ctrl-C reaches the whole foreground process group; it is the batch's to handle.  The
    # forkserver ignores it only once its preloading is done, which takes seconds: from
    # here on instead, so a Ctrl-C early in a batch does not kill it mid-import.  Until
    # here it was blocked (`executors.start_forkserver`): one that came meanwhile is
    # dropped now.  The workers start with Ctrl-C ignored too (the forkserver gives each
    # the handlers it had before its own: these).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    _parent = os.environ.pop(procs.PARENT_ENV, "")
    procs.die_with_parent(int(_parent) if _parent.isdigit() else None)
    procs.forkserver_pid = os.getpid()

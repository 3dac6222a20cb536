"""Run the `assess` command on one hostile case, under a wall-clock and a memory bound.

Each case runs in a child process (so a native abort, a runaway allocation or a hang shows
up as a result of that case, not as a dead test session) and reports its exit code, its
output, the seconds it took and the peak resident memory of its process tree.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Address-space cap for the child: a case that tries to allocate more fails there instead
# of taking the test machine down.  Python, pydantic, WeasyPrint and Pango fit well below.
DEFAULT_AS_LIMIT_MB = 4096


@dataclass(frozen=True)
class Ran:
    args: tuple[str, ...]
    code: int  # exit code; negative: killed by that signal
    stdout: str
    stderr: str
    seconds: float
    peak_mb: float  # peak RSS of the largest process in the child's tree
    timed_out: bool

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def describe(self) -> str:
        return (
            f"assess {' '.join(self.args)} -> exit {self.code} in {self.seconds:.2f} s, "
            f"peak {self.peak_mb:.0f} MB{' (timed out)' if self.timed_out else ''}\n"
            f"--- stdout\n{self.stdout[-3000:]}\n--- stderr\n{self.stderr[-3000:]}"
        )


# The child is a small launcher: it sets the limits, runs `python -m assess …` as its own
# child, waits for it and writes the exit code and the peak RSS of everything it waited for
# (RUSAGE_CHILDREN counts grandchildren that their parents waited for) to a file.
_LAUNCHER = """
import os, resource, subprocess, sys
limit = int(sys.argv[1]) * 1024 * 1024
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
code = subprocess.call(sys.argv[3:])
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
with open(sys.argv[2], "w") as f:
    f.write(f"{code} {peak}")
sys.exit(0)
"""


def run_assess(
    args: Sequence[str | os.PathLike[str]],
    *,
    timeout: float = 60.0,
    as_limit_mb: int = DEFAULT_AS_LIMIT_MB,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    stdin: str = "",
) -> Ran:
    """`python -m assess ARGS` in a child process with a time and memory bound."""
    fd, report = tempfile.mkstemp(prefix="hostile-", suffix=".rc")
    os.close(fd)
    argv = [
        sys.executable,
        "-c",
        _LAUNCHER,
        str(as_limit_mb),
        report,
        sys.executable,
        "-m",
        "assess",
        *map(str, args),
    ]
    child_env = {
        **os.environ,
        "PYTHONIOENCODING": "utf-8",
        "LANG": "C.UTF-8",
        "PYTHONPATH": str(ROOT),
        **(env or {}),
    }
    start = time.perf_counter()
    proc = subprocess.Popen(
        argv,
        cwd=cwd or ROOT,
        env=child_env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )  # a time-out ends the whole tree
    timed_out = False
    try:
        out, err = proc.communicate(stdin.encode(), timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
    seconds = time.perf_counter() - start
    text = Path(report).read_text() if os.path.getsize(report) else ""
    os.unlink(report)
    code, peak_kb = (int(x) for x in text.split()) if text else (proc.returncode, 0)
    return Ran(
        tuple(map(str, args)),
        code,
        out.decode("utf-8", "replace"),
        err.decode("utf-8", "replace"),
        seconds,
        peak_kb / 1024,
        timed_out,
    )


def has_traceback(ran: Ran) -> bool:
    return "Traceback (most recent call last)" in ran.output

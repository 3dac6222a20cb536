"""A short run of the Excel-intake fuzzer (fuzz/fuzz_intake.py) finds nothing.

Twenty seconds of libFuzzer through atheris (or, where atheris is missing, of the
target's random-mutation loop) on mutated workbooks and sheet XML: every input must give
records or one `InputError`; a crash, a native abort, a hang or a runaway allocation
fails this test with the input that caused it.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET = ROOT / "fuzz" / "fuzz_intake.py"
SECONDS = 20


def test_fuzzing_the_excel_intake_finds_nothing(tmp_path: Path) -> None:
    if importlib.util.find_spec("atheris") is not None:
        args = [
            f"-max_total_time={SECONDS}",
            "-rss_limit_mb=2048",
            "-timeout=10",
            f"-artifact_prefix={tmp_path}/",
        ]
    else:
        args = ["--random", str(SECONDS)]
    start = time.monotonic()
    ran = subprocess.run(
        [sys.executable, str(TARGET), *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=SECONDS + 40,  # instrumenting the intake modules takes a few seconds
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    elapsed = time.monotonic() - start
    output = ran.stdout + ran.stderr
    found = sorted(p.name for p in tmp_path.iterdir())  # crash-…, timeout-…, oom-… files
    assert ran.returncode == 0 and not found, f"{found}\n{output[-4000:]}"
    runs = re.search(r"(?:Done|^)(?: )?(\d+) runs", output, re.MULTILINE)
    assert runs and int(runs.group(1)) > 100, output[-2000:]
    assert elapsed < SECONDS + 15, elapsed

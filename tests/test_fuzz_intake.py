"""A short run of the Excel-intake fuzzer (fuzz/fuzz_intake.py) finds nothing.

A fixed number of libFuzzer runs from a fixed seed through atheris, so that the inputs tried
do not depend on the machine's speed (or, where atheris is missing, twenty seconds of the
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
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET = ROOT / "fuzz" / "fuzz_intake.py"
SECONDS = 20
RUNS = 6000


def test_fuzzing_the_excel_intake_finds_nothing(tmp_path: Path) -> None:
    if importlib.util.find_spec("atheris") is not None:
        args = [
            f"-runs={RUNS}",
            "-seed=20261130",
            "-rss_limit_mb=2048",
            "-timeout=10",
            f"-artifact_prefix={tmp_path}/",
        ]
    else:
        args = ["--random", str(SECONDS)]
    ran = subprocess.run(
        [sys.executable, str(TARGET), *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,  # a hang guard only: the run is bounded by its number of inputs
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    output = ran.stdout + ran.stderr
    found = sorted(p.name for p in tmp_path.iterdir())  # crash-…, timeout-…, oom-… files
    assert ran.returncode == 0 and not found, f"{found}\n{output[-4000:]}"
    runs = re.search(r"(?:Done|^)(?: )?(\d+) runs", output, re.MULTILINE)
    assert runs and int(runs.group(1)) > 100, output[-2000:]

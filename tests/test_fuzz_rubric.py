"""Mutated rubrics load or fail with located problems — never with another exception.

Two searches over the same mutations (`fuzz/fuzz_rubric.py`): a hypothesis property run in
this process, deterministic and shrinking what it finds to a small edit; and a short
coverage-guided atheris run as a child process, the smoke test of the fuzz target that
`python fuzz/fuzz_rubric.py -max_total_time=600` runs for longer.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fuzz.fuzz_rubric import SEEDS, check, mutate

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "fuzz" / "fuzz_rubric.py"


class Drawn:
    """The mutations' choices drawn by hypothesis, so that a failure shrinks."""

    def __init__(self, data: st.DataObject):
        self.data = data

    def ConsumeIntInRange(self, lo: int, hi: int) -> int:
        return self.data.draw(st.integers(lo, hi))

    def ConsumeUnicodeNoSurrogates(self, count: int) -> str:
        return self.data.draw(st.text(max_size=count))


@settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_any_mutation_loads_or_is_located(tmp_path: Path, data: st.DataObject) -> None:
    check(mutate(Drawn(data)), tmp_path)


def test_the_seeds_are_valid_rubrics(tmp_path: Path) -> None:
    # The mutations start from rubrics that load, so every refusal is the mutation's doing.
    assert len(SEEDS) >= 6
    for text in SEEDS:
        check(text, tmp_path)


def test_the_checker_refuses_an_unplaced_problem(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from assess.errors import Problem, RubricError
    from assess.rubric import loader

    def unplaced(path: Path) -> None:
        raise RubricError([Problem("", "", "somewhere")])

    monkeypatch.setattr(loader, "load_rubric", unplaced)
    with pytest.raises(AssertionError, match="without a place"):
        check(SEEDS[0], tmp_path)


def test_atheris_finds_nothing_in_a_short_run(tmp_path: Path) -> None:
    pytest.importorskip("atheris")
    try:
        ran = subprocess.run(
            [
                sys.executable,
                str(TARGET),
                # A fixed seed and number of runs: the same inputs every time, so the suite
                # does not pass or fail by the machine's speed; -max_total_time is a backstop.
                "-runs=150",
                "-seed=1",
                "-max_total_time=20",
                f"-artifact_prefix={tmp_path}/",
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=25,
            env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"the fuzz run did not end within 25 s:\n{exc.stderr!r}")
    log = ran.stderr[-4000:]
    assert ran.returncode == 0, log
    assert not list(tmp_path.glob("crash-*")), log
    runs = [line for line in ran.stderr.splitlines() if line.startswith("Done ")]
    assert runs and int(runs[0].split()[1]) >= 20, log  # it did fuzz, not only start


INNOVATIVE = (ROOT / "rubrics" / "miit-2022-innovative.yaml").read_text(encoding="utf-8")
PARK = (ROOT / "samples" / "extends" / "park-srdi.yaml").read_text(encoding="utf-8")

# Found by the mutations above: a list item or id that is a mapping reached a set() or a
# dict key in loader.py before the models reported it (a TypeError, exit 3).  Now each is a
# located problem.
FOUND = {
    "inputs-item-is-a-mapping": INNOVATIVE.replace("\ninputs:\n", "\ninputs:\n  - {a: 1}\n", 1),
    "metric-id-is-a-mapping": INNOVATIVE.replace(
        "\nmetrics:\n  - id: ", "\nmetrics:\n  - id: {a: 1}\n    x_id: ", 1
    ),
    "extends-inputs-item-is-a-mapping": PARK.replace("\ninputs:\n", "\ninputs:\n  - {a: 1}\n", 1),
    "extends-remove-is-a-number": PARK + "remove: {indicators: 5}\n",
    "extends-remove-item-is-a-mapping": PARK + "remove: {indicators: [{a: 1}]}\n",
}


@pytest.mark.parametrize("text", FOUND.values(), ids=FOUND.keys())
def test_found_by_fuzzing(tmp_path: Path, text: str) -> None:
    check(text, tmp_path)

"""Coverage-guided fuzzing of the rubric loader with atheris.

    python fuzz/fuzz_rubric.py -max_total_time=600
    python fuzz/fuzz_rubric.py -max_total_time=600 -artifact_prefix=out/fuzz/   # keep crashes there

Each input drives a few edits of one bundled rubric (or the `extends:` sample): replace a
value, re-indent a line, drop or repeat a line, overwrite a character, rename a key, or
splice in raw bytes.  The edited text is written to a file and loaded with `load_rubric`,
exactly as `assess rubric check` does.  The loader may accept it, or raise `RubricError`
whose every problem names its place; any other exception — or a problem without a place —
is a finding: libFuzzer stops, prints the traceback and writes the input that caused it
(`crash-<sha1>`), which `python fuzz/fuzz_rubric.py crash-<sha1>` replays.

Any libFuzzer flag works (`-runs=`, `-seed=`, `-jobs=`); the exit code is 0 when nothing
was found.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any, Protocol

ROOT = Path(__file__).resolve().parents[1]
SEEDS = [
    p.read_text(encoding="utf-8")
    for p in [*sorted((ROOT / "rubrics").glob("*.yaml")), ROOT / "samples/extends/park-srdi.yaml"]
]
# Values and fragments that the loader treats specially: YAML types, anchors and tags,
# the rubric's own keys and operators, and the shapes that used to crash it.
TOKENS = [
    "",
    "0",
    "-1",
    "null",
    "[]",
    "{}",
    "[1, 2]",
    "{a: 1}",
    "x",
    "1e5",
    "1e999999",
    '"',
    "'",
    ":",
    "- ",
    "&a",
    "*a",
    "!!str",
    "!!python/name:os.system",
    "<<",
    "1.5",
    "yes",
    "2022-02-30",
    "bands",
    "operator",
    "extends",
    "remove",
    "min",
    "max",
    "points",
    "when",
    "expr",
    "metric",
    "\t",
    "\n",
    "  ",
]
KEYS = ["id", "max", "min", "points", "when", "expr", "metric", "inputs", "indicators", "class"]


class Choices(Protocol):
    """Where the mutations' choices come from: atheris's bytes or a hypothesis draw."""

    def ConsumeIntInRange(self, lo: int, hi: int) -> int: ...

    def ConsumeUnicodeNoSurrogates(self, count: int) -> str: ...


def mutate(fdp: Choices) -> str:
    text = SEEDS[fdp.ConsumeIntInRange(0, len(SEEDS) - 1)]
    lines = text.split("\n")
    for _ in range(fdp.ConsumeIntInRange(1, 4)):
        if not lines:
            break
        k = fdp.ConsumeIntInRange(0, len(lines) - 1)
        line = lines[k]
        op = fdp.ConsumeIntInRange(0, 6)
        token = TOKENS[fdp.ConsumeIntInRange(0, len(TOKENS) - 1)]
        if op == 0 and ":" in line:  # a new value for the key on this line
            lines[k] = f"{line[: line.index(':') + 1]} {token}"
        elif op == 1:  # indentation
            lines[k] = " " * fdp.ConsumeIntInRange(0, 12) + line.lstrip()
        elif op == 2:
            lines.pop(k)
        elif op == 3:
            lines.insert(k, lines[fdp.ConsumeIntInRange(0, len(lines) - 1)])
        elif op == 4 and line:  # one character
            j = fdp.ConsumeIntInRange(0, len(line) - 1)
            lines[k] = line[:j] + token + line[j + 1 :]
        elif op == 5:  # a key renamed
            lines[k] = line.replace(KEYS[fdp.ConsumeIntInRange(0, len(KEYS) - 1)], token, 1)
        else:  # raw bytes from the fuzzer
            raw = fdp.ConsumeUnicodeNoSurrogates(fdp.ConsumeIntInRange(0, 40))
            j = fdp.ConsumeIntInRange(0, len(line))
            lines[k] = line[:j] + raw + line[j:]
    return "\n".join(lines)


def check(text: str, workdir: Path) -> None:
    """Load `text` as a rubric file; raise unless it loads or every problem has a place."""
    from assess.errors import RubricError
    from assess.rubric.loader import load_rubric

    path = workdir / "fuzzed.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        load_rubric(path)
    except RubricError as exc:
        unplaced = [p for p in exc.problems if not p.where]
        if unplaced or not exc.problems:
            raise AssertionError(f"problems without a place: {unplaced or 'none at all'}") from None


def main(argv: list[str]) -> None:
    import atheris

    # Coverage guidance for our own code only: instrumenting PyYAML and pydantic as well
    # makes each run several times slower for little new signal.
    with atheris.instrument_imports(include=["assess"]):
        import assess.rubric.loader  # noqa: F401

    workdir = Path(tempfile.mkdtemp(prefix="fuzz-rubric-"))

    def test_one_input(data: bytes) -> None:
        fdp: Any = atheris.FuzzedDataProvider(data)
        check(mutate(fdp), workdir)

    atheris.Setup(argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main(sys.argv)

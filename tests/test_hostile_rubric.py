"""Hostile rubrics and YAML: every case is refused with its place, fast and small.

Each rubric case runs through `assess rubric check FILE` and `assess score … -r FILE`; each
firm case through `assess score FILE`.  Both must exit 2 with a message that names the file
(and, where the case has one, the line or key), without a traceback, within 5 seconds and
300 MB.  The control cases at the edge of the bounds must load and score.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.hostile.harness import ROOT, Ran, has_traceback, run_assess
from tests.hostile.make_rubric import CASES, Case, write_all

STRONG = ROOT / "samples" / "strong.json"
SECONDS = 5.0
PEAK_MB = 300.0
AS_LIMIT_MB = 2048  # a case that tried to allocate past this would fail, not pass


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("hostile-rubric")
    written = write_all(directory)
    assert len(written) == len(CASES)
    return directory


def _bounded(ran: Ran) -> None:
    assert not ran.timed_out, ran.describe()
    assert not has_traceback(ran), ran.describe()
    assert ran.seconds < SECONDS, ran.describe()
    assert ran.peak_mb < PEAK_MB, ran.describe()


def _refused(ran: Ran, case: Case, *alternatives: tuple[str, ...] | None) -> None:
    _bounded(ran)
    assert ran.code == 2, ran.describe()
    # The message names the file: the case's own, or the one its `extends:` reached.
    assert ".yaml" in ran.stderr and (case.file in ran.stderr or "extends" in case.name), (
        ran.describe()
    )
    expected = [case.expect, *(a for a in alternatives if a is not None)]
    assert any(all(f in ran.stderr for f in fragments) for fragments in expected), (
        f"none of {expected} in the output\n{ran.describe()}"
    )


RUBRIC_CASES = [c for c in CASES if c.kind == "rubric"]
FIRM_CASES = [c for c in CASES if c.kind == "firm"]


@pytest.mark.parametrize("case", RUBRIC_CASES, ids=[c.name for c in RUBRIC_CASES])
def test_rubric_check(corpus: Path, case: Case) -> None:
    ran = run_assess(
        ["rubric", "check", case.file], cwd=corpus, timeout=30, as_limit_mb=AS_LIMIT_MB
    )
    if case.ok:
        _bounded(ran)
        assert ran.code == 0 and ": ok (" in ran.stdout, ran.describe()
    else:
        _refused(ran, case)


@pytest.mark.parametrize("case", RUBRIC_CASES, ids=[c.name for c in RUBRIC_CASES])
def test_score_with_the_rubric(corpus: Path, case: Case) -> None:
    ran = run_assess(
        ["score", str(STRONG), "-r", case.file, "--format", "json"],
        cwd=corpus,
        timeout=30,
        as_limit_mb=AS_LIMIT_MB,
    )
    if case.ok:
        # A rubric that `rubric check` accepts scores: 0, or 1 if the firm fell short.
        _bounded(ran)
        assert ran.code in (0, 1) and '"indicators"' in ran.stdout, ran.describe()
    else:
        _refused(ran, case, case.score_expect)


@pytest.mark.parametrize("case", FIRM_CASES, ids=[c.name for c in FIRM_CASES])
def test_score_a_hostile_firm_file(corpus: Path, case: Case) -> None:
    ran = run_assess(["score", case.file], cwd=corpus, timeout=30, as_limit_mb=AS_LIMIT_MB)
    _refused(ran, case)


def test_the_big_files_are_sparse(corpus: Path) -> None:
    # The 1 GB case must cost no disk: it is a hole, not a gigabyte of zeros.
    big = corpus / "rubric-1gb.yaml"
    assert big.stat().st_size == 1024**3
    assert big.stat().st_blocks * 512 < 1024 * 1024

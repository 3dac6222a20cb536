"""Hostile rubrics and YAML: every case is refused with its place, fast and small.

Each rubric case runs through `assess rubric check FILE` and `assess score … -r FILE`; each
firm case through `assess score FILE`.  Both must exit 2 with a message that names the file
(and, where the case has one, the line or key), without a traceback, within 5 seconds and
300 MB.  The control cases at the edge of the bounds must load and score.
"""

from __future__ import annotations

import json
import os
import time
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from assess import yamlsrc
from tests.hostile.harness import ROOT, Ran, has_traceback, run_assess
from tests.hostile.make_rubric import BASE, CASES, Case, laughs, write_all

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
    # The corpus names some refusals by their English words; the command speaks Chinese.
    expected += [tuple(_in_chinese(f) for f in fragments) for fragments in expected]
    assert any(all(f in ran.stderr for f in fragments) for fragments in expected), (
        f"none of {expected} in the output\n{ran.describe()}"
    )


IN_CHINESE = {"loops back": "绕回了", "not allowed": "公式中不能写"}
IN_CHINESE_PREFIX = {"unknown function ": "不支持的函数 ", "unknown operator ": "不支持的运算符 "}


def _in_chinese(fragment: str) -> str:
    for english, chinese in IN_CHINESE_PREFIX.items():
        if fragment.startswith(english):
            return chinese + fragment.removeprefix(english)
    return IN_CHINESE.get(fragment, fragment)


RUBRIC_CASES = [c for c in CASES if c.kind == "rubric"]
FIRM_CASES = [c for c in CASES if c.kind == "firm"]


@pytest.mark.parametrize("case", RUBRIC_CASES, ids=[c.name for c in RUBRIC_CASES])
def test_rubric_check(corpus: Path, case: Case) -> None:
    ran = run_assess(
        ["rubric", "check", case.file], cwd=corpus, timeout=30, as_limit_mb=AS_LIMIT_MB
    )
    if case.ok:
        _bounded(ran)
        assert ran.code == 0 and "：无误（" in ran.stdout, ran.describe()
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


KIND_CASES = [c for c in CASES if c.kind == "kind"]


@pytest.mark.parametrize("case", KIND_CASES, ids=[c.name for c in KIND_CASES])
def test_score_stops_cleanly_on_a_formula_of_the_wrong_kind(corpus: Path, case: Case) -> None:
    ran = run_assess(["score", str(STRONG), "-r", case.file], cwd=corpus, timeout=30)
    _bounded(ran)
    # Refused when the rubric loads, at the formula's line, before any firm is scored.
    assert ran.code == 2 and "运算需要数值" in ran.stderr, ran.describe()
    assert f"{case.file}:" in ran.stderr, ran.describe()


@pytest.mark.parametrize("case", KIND_CASES, ids=[c.name for c in KIND_CASES])
def test_rubric_check_finds_a_formula_of_the_wrong_kind(corpus: Path, case: Case) -> None:
    ran = run_assess(["rubric", "check", case.file], cwd=corpus, timeout=30)
    _refused(ran, case)


def test_the_big_files_are_sparse(corpus: Path) -> None:
    # The 1 GB case must cost no disk: it is a hole, not a gigabyte of zeros.
    big = corpus / "rubric-1gb.yaml"
    assert big.stat().st_size == 1024**3
    assert big.stat().st_blocks * 512 < 1024 * 1024


# The same guards in process, with libyaml's parser and with PyYAML's pure Python one (the
# fallback where PyYAML was built without libyaml): each text is refused at its place, fast.
_MB = 1024 * 1024
IN_PROCESS = {
    "laughs": (laughs(), "超过 100000 个值"),
    "deep-flow": ("[" * 100_000 + "]" * 100_000, "嵌套超过 64 层"),
    "deep-block": ("- " * 100_000 + "1", "嵌套超过 64 层"),
    "flood-list": ("[" + "1," * (_MB // 2 - 2) + "1]", "文档超过 100000 个值"),
    "flood-keys": ("".join(f"k{i}: 1\n" for i in range(80_000)), "文档超过 100000 个值"),
    "self-alias": ("a: &me [*me]", "引用自身的别名"),
    "python-tag": ('a: !!python/object/apply:os.system ["id"]', "!!python/object"),
    "merge-key": ("b: &b {x: 1}\na: {<<: *b}", "合并键"),
    "control-char": ("名称: 中文\x07", "U+0007"),
    "too-long": ("a: " + "x" * (_MB + 1), "1024 KB"),
}


@pytest.mark.parametrize("parser", ["libyaml", "python"])
@pytest.mark.parametrize("name", IN_PROCESS)
def test_yaml_guards_in_process(monkeypatch: pytest.MonkeyPatch, parser: str, name: str) -> None:
    if parser == "libyaml" and not yaml.__with_libyaml__:
        pytest.skip("PyYAML was built without libyaml")
    monkeypatch.setattr(
        yamlsrc, "_EVENTS", yaml.CSafeLoader if parser == "libyaml" else yaml.SafeLoader
    )
    text, message = IN_PROCESS[name]
    start = time.perf_counter()
    doc, problems = yamlsrc.load_located(text, "x.yaml")
    assert time.perf_counter() - start < 5
    assert problems and all(p.where.startswith("x.yaml") for p in problems), problems
    assert any(message in p.message for p in problems), problems
    assert doc.data is None or name in ("python-tag", "merge-key", "control-char")


@pytest.mark.parametrize("parser", ["libyaml", "python"])
def test_both_parsers_read_a_rubric_alike(monkeypatch: pytest.MonkeyPatch, parser: str) -> None:
    if parser == "libyaml" and not yaml.__with_libyaml__:
        pytest.skip("PyYAML was built without libyaml")
    text = BASE.read_text(encoding="utf-8")
    reference = yaml.safe_load(text)
    monkeypatch.setattr(
        yamlsrc, "_EVENTS", yaml.CSafeLoader if parser == "libyaml" else yaml.SafeLoader
    )
    doc, problems = yamlsrc.load_located(text + "x: 1e5\n", "r.yaml")
    assert problems == []
    assert doc.data.pop("x") == Decimal("1e5")  # YAML 1.2's reading, not the text '1e5'
    # The same values as PyYAML's own safe loader (decimals compared by their text).
    assert json.dumps(doc.data, default=str, sort_keys=True) == json.dumps(
        reference, default=str, sort_keys=True
    )
    assert doc.where(("metrics", 0, "expr")) == "r.yaml:48:11"


def test_read_limited_refuses_what_is_not_a_small_regular_file(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo.yaml"
    os.mkfifo(fifo)
    big = tmp_path / "big.yaml"
    with big.open("wb") as f:
        f.truncate(yamlsrc.MAX_FILE_BYTES + 1)
    latin = tmp_path / "latin.yaml"
    latin.write_bytes("名称: x".encode("gbk"))
    for path, reason in [
        (fifo, "不是普通文件"),
        (Path("/dev/zero"), "不是普通文件"),
        (tmp_path, "文件夹"),
        (big, "1024 KB"),
        (tmp_path / "none.yaml", "不存在"),
        (latin, "UTF-8"),
    ]:
        with pytest.raises(yamlsrc.UnreadableFile) as info:
            yamlsrc.read_limited(path)
        assert reason in info.value.reason and str(path) in str(info.value)
    ok = tmp_path / "ok.yaml"
    ok.write_text("a: 1\n", encoding="utf-8")
    assert yamlsrc.read_limited(ok) == "a: 1\n"

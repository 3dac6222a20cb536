"""The command speaks the reader's language: Chinese by default (and with a Chinese locale),
English with `--lang en`.  Every help page and the error paths a user meets are run in both
languages and checked for words of the other one."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from assess import cli
from assess.batch.lock import outdir_lock
from assess.catalog import catalog, using
from assess.rubric.operators import OPERATORS

ROOT = Path(__file__).resolve().parent.parent
STRONG = "samples/strong.json"

HELP_PAGES = [
    [],
    ["rubrics"],
    ["rubric"],
    ["rubric", "show"],
    ["rubric", "check"],
    ["template"],
    ["score"],
    ["batch"],
]


def run(args: list[str], *, lang: str | None = None, cwd: Path = ROOT) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("LC_ALL", "LC_MESSAGES", "LANG")}
    env["LANG"] = "zh_CN.UTF-8"
    front = ["--lang", lang] if lang else []
    out = subprocess.run(
        [sys.executable, "-m", "assess", *front, *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=120,
    )
    return out.stdout + out.stderr


# What may stay in Latin letters in a Chinese page: quoted text (user data, field ids and
# values), option names, file names and paths, choices and defaults the user types, the
# program's name and a few acronyms and product names.
_QUOTED = re.compile(r"'[^'\n]*'|\"[^\"\n]*\"|“[^”\n]*”|`[^`]*`|‘[^’\n]*’")
_OPTION = re.compile(r"(?<![\w])--?[a-z][a-z-]*")
_PATH = re.compile(
    r"\w+://\S+|[\w.*…-]*[/\\][\w./\\*:…-]*|[\w*…-]*\.(?:json|jsonl|yaml|yml|xlsx|pdf|html|md)\b"
)
_CHOICES = re.compile(r"\b[a-z]+(?:\|[a-z]+)+\b|默认：\w+")
_PLACE = re.compile(r"^(?:错误：)?\S+:\d+:\d+ \S+: ", re.M)  # file:line:col key.path:
# A key path in a rubric (indicators[3].score.operator) is part of the place.
_KEY_PATH = re.compile(r"\b[a-z_]+(?:\[\d+\])?(?:\.[a-z_]+(?:\[\d+\])?)+|\b[a-z_]+\[\d+\]")
_IDS = re.compile(r"\b[a-z0-9]+(?:[-_][a-z0-9]+)+\b")  # rubric and field ids
_ALLOWED = {
    "assess",
    "rubrics",
    "rubric",
    "show",
    "check",
    "template",
    "score",
    "batch",
    "PDF",
    "JSON",
    "YAML",
    "Excel",
    "ID",
    "HTML",
    "MB",
    "LANG",
    "Dask",
    "CPU",
    "zh",
    "en",
    "text",
    "json",
    "md",
    "inputs",
    "schema_version",
    "extends",
    "remove",
    "id",
    "metrics",
    "max_total",
    "effective_to",
    "effective_from",
    "size_standard",
    "lever",
} | set(OPERATORS)  # fmt: skip  (operator names are values a rubric author writes)


def english_words(text: str) -> list[str]:
    for pattern in (_PLACE, _QUOTED, _PATH, _OPTION, _CHOICES, _KEY_PATH, _IDS):
        text = pattern.sub(" ", text)
    return [w for w in re.findall(r"[A-Za-z]{2,}", text) if w not in _ALLOWED]


def chinese_outside_quotes(text: str) -> list[str]:
    for pattern in (_QUOTED, _PATH):
        text = pattern.sub(" ", text)
    return re.findall(r"[\u4e00-\u9fff]+", text)


@pytest.fixture(scope="module")
def error_cases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[list[str]]]:
    """Command lines that fail on the user's side: usage errors, files and rubrics."""
    tmp = tmp_path_factory.mktemp("lang")
    bad_json = tmp / "坏的.json"
    bad_json.write_text('{"name": "甲公司", ', encoding="utf-8")
    rubric = tmp / "我的标准.yaml"
    text = (ROOT / "samples" / "extends" / "park-srdi.yaml").read_text(encoding="utf-8")
    rubric.write_text(
        text.replace("  - univ_projects\n", "  - univ_projekts\n").replace(
            "operator: items", "operator: itemz"
        )
        + "rationle: x\n",
        encoding="utf-8",
    )
    locked = tmp / "第一批"
    cases = [
        ["score", "--bogus"],
        ["score", "--form", "json", STRONG],
        ["score"],
        ["score", STRONG, "extra"],
        ["score", "--format", "pdf", STRONG],
        ["scor"],
        ["score", str(tmp / "没有这个文件.json")],
        ["score", STRONG, "-r", "miit-2022-srdj"],
        ["score", STRONG, "-r", str(rubric)],
        ["score", STRONG, "--standard", "1999"],
        ["score", STRONG, "-r", "miit-2022-srdi", "--standard", "2022"],
        ["rubric", "check", str(rubric)],
        ["rubric", "show", "no-such-rubric"],
        ["template", "-o", str(tmp / "问卷.txt")],
        ["batch", STRONG],
        ["batch", STRONG, "-o", str(tmp / "out"), "--workers", "many"],
        ["batch", STRONG, "-o", str(locked), "--no-pdf", "--workers", "0"],
    ]
    # Another batch holds the OUTDIR for the whole module.
    with outdir_lock(locked / ".assess-batch", locked):
        yield cases


@pytest.mark.parametrize("args", HELP_PAGES, ids=lambda a: " ".join(a) or "assess")
def test_help_pages_are_chinese_by_default_and_english_on_request(args: list[str]) -> None:
    zh = run([*args, "--help"])
    assert "用法：" in zh and not english_words(zh), (english_words(zh), zh)
    en = run([*args, "--help"], lang="en")
    assert "Usage:" in en and not chinese_outside_quotes(en), (chinese_outside_quotes(en), en)


def test_error_paths_speak_one_language(error_cases: list[list[str]]) -> None:
    for args in error_cases:
        zh = run(args)
        assert "错误" in zh or "：" in zh, (args, zh)
        assert "Traceback" not in zh, (args, zh)
        assert not english_words(zh), (args, english_words(zh), zh)
        en = run(args, lang="en")
        assert "Traceback" not in en, (args, en)
        assert not chinese_outside_quotes(en), (args, chinese_outside_quotes(en), en)


def test_a_bad_json_file_is_refused_in_chinese(tmp_path: Path) -> None:
    bad_json = tmp_path / "坏的.json"
    bad_json.write_text('{"name": "甲公司", ', encoding="utf-8")
    zh = run(["score", str(bad_json)])
    assert "错误：" in zh and not english_words(zh), zh


def test_an_unknown_language_is_refused_in_the_locale_language() -> None:
    out = run(["--lang", "fr", "rubrics"])
    assert "'--lang' 的值无效：fr 不是可用的语言：请写 zh 或 en" in out
    assert run(["--lang=en", "rubrics"]).count("in force") >= 3


def test_the_locale_chooses_the_language_when_lang_is_not_given() -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("LC_ALL", "LC_MESSAGES")}
    env["LANG"] = "en_US.UTF-8"
    out = subprocess.run(
        [sys.executable, "-m", "assess", "score", "--help"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=60,
    )
    assert out.stdout.startswith("Usage: assess score [OPTIONS]")


def test_lang_is_read_only_before_the_subcommand() -> None:
    assert cli.lang_from_argv(["--lang", "en", "score", "x"]) == "en"
    assert cli.lang_from_argv(["--lang=zh_CN", "score"]) == "zh"
    assert cli.lang_from_argv(["score", "--lang", "en"]) is None
    assert cli.lang_from_argv(["--lang", "fr"]) is None


def test_every_click_word_the_command_routes_has_both_languages() -> None:
    for key in cli.CLICK_WORDS.values():
        assert key in catalog(), key
    with using("en"):
        assert cli.click_gettext("Options") == "Options"
    assert cli.click_gettext("Options") == "选项"
    assert cli.click_gettext("a message assess never shows") == "a message assess never shows"


def test_batch_json_keeps_codes_whatever_the_language(tmp_path: Path) -> None:
    """The words follow --lang; results.jsonl's keys and statuses do not."""
    for lang in ("zh", "en"):
        out = tmp_path / lang
        run(["batch", STRONG, "-o", str(out), "--no-pdf", "--workers", "0"], lang=lang)
        [line] = (out / "results.jsonl").read_text(encoding="utf-8").splitlines()
        assert json.loads(line)["applicant"]["status"] == "scored"

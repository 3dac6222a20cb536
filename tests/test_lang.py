"""The command speaks the reader's language: Chinese by default (and with a Chinese locale),
English with `--lang en`.  Every help page (the commands are read from the app itself, so a
new command is checked the day it is added) and every error path of the CLI tests are run
in both languages and checked for words of the other one."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import typer

from assess import cli
from assess.batch.lock import outdir_lock
from assess.catalog import catalog, using
from assess.rubric.operators import OPERATORS
from tests.test_cli import ERROR_PATHS

ROOT = Path(__file__).resolve().parent.parent
STRONG = "samples/strong.json"


def _command_paths() -> list[list[str]]:
    """`assess` and the path of every command and group under it, from the app."""
    paths: list[list[str]] = []

    def walk(command: object, path: list[str]) -> None:
        paths.append(path)
        for name, sub in sorted(getattr(command, "commands", {}).items()):
            walk(sub, [*path, name])

    with using("zh"):
        walk(typer.main.get_command(cli.build_app()), [])
    return paths


HELP_PAGES = _command_paths()
COMMAND_NAMES = {name for path in HELP_PAGES for name in path}


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
    r"|(?<![\w.])\.[a-z0-9]{1,5}\b"  # a file's suffix named alone (.txt)
)
_CHOICES = re.compile(r"\b[a-z]+(?:\|[a-z]+)+\b|默认：\w+")
_PLACE = re.compile(r"^(?:错误：)?\S+:\d+:\d+ \S+: ", re.M)  # file:line:col key.path:
# A key path in a rubric (indicators[3].score.operator) is part of the place.
_KEY_PATH = re.compile(r"\b[a-z_]+(?:\[\d+\])?(?:\.[a-z_]+(?:\[\d+\])?)+|\b[a-z_]+\[\d+\]")
# Rubric and field ids (miit-2022-srdi, rd_expense) and indicator ids (INN-01, RDY-RD-01).
_IDS = re.compile(r"\b[a-z0-9]+(?:[-_][a-z0-9]+)+\b|\b[A-Z]+(?:-[A-Z0-9]+)+\b")
_ALLOWED = (
    COMMAND_NAMES
    | {
        "assess",
        "PDF",
        "JSON",
        "YAML",
        "Excel",
        "ID",
        "HTML",
        "TLS",
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
    }
    | set(OPERATORS)
)  # fmt: skip  (operator names are values a rubric author writes)


def english_words(text: str) -> list[str]:
    for pattern in (_PLACE, _QUOTED, _PATH, _OPTION, _CHOICES, _KEY_PATH, _IDS):
        text = pattern.sub(" ", text)
    return [w for w in re.findall(r"[A-Za-z]{2,}", text) if w not in _ALLOWED]


# Firm names the error paths echo (a report printed before its PDF could not be written).
_FIRM_NAMES = sorted(
    {
        str(json.loads(path.read_text(encoding="utf-8")).get("name", ""))
        for path in (ROOT / "samples").glob("*.json")
    }
    - {""},
    key=len,
    reverse=True,
)


def chinese_outside_quotes(text: str) -> list[str]:
    for name in _FIRM_NAMES:
        text = text.replace(name, " ")
    for pattern in (_QUOTED, _PATH):
        text = pattern.sub(" ", text)
    # Chinese characters, and Chinese punctuation (、。「」，：（）) an English line never needs.
    return re.findall(r"[\u4e00-\u9fff\u3001-\u303f\uff01-\uff5e]+", text)


LOCKED = "第一批"


def _prepare(tmp: Path) -> None:
    """The files the command lines below refuse: broken JSON, a rubric with typos."""
    (tmp / "坏的.json").write_text('{"name": "甲公司", ', encoding="utf-8")
    text = (ROOT / "samples" / "extends" / "park-srdi.yaml").read_text(encoding="utf-8")
    (tmp / "我的标准.yaml").write_text(
        text.replace("  - univ_projects\n", "  - univ_projekts\n").replace(
            "operator: items", "operator: itemz"
        )
        + "rationle: x\n",
        encoding="utf-8",
    )


# Command lines that fail on the user's side (usage errors, files, rubrics, batch), given
# the scratch folder `_prepare` filled.
OWN_CASES: dict[str, Callable[[Path], list[str]]] = {
    "unknown_option": lambda tmp: ["score", "--bogus"],
    "option_guess": lambda tmp: ["score", "--form", "json", STRONG],
    "missing_argument": lambda tmp: ["score"],
    "extra_argument": lambda tmp: ["score", STRONG, "extra"],
    "bad_choice": lambda tmp: ["score", "--format", "pdf", STRONG],
    "command_guess": lambda tmp: ["scor"],
    "bad_json": lambda tmp: ["score", str(tmp / "坏的.json")],
    "no_such_file": lambda tmp: ["score", str(tmp / "没有这个文件.json")],
    "rubric_guess": lambda tmp: ["score", STRONG, "-r", "miit-2022-srdj"],
    "bad_rubric_file": lambda tmp: ["score", STRONG, "-r", str(tmp / "我的标准.yaml")],
    "no_such_standard": lambda tmp: ["score", STRONG, "--standard", "1999"],
    "rubric_and_standard": lambda tmp: [
        *("score", STRONG, "-r", "miit-2022-srdi", "--standard", "2022")
    ],
    "rubric_check": lambda tmp: ["rubric", "check", str(tmp / "我的标准.yaml")],
    "rubric_show": lambda tmp: ["rubric", "show", "no-such-rubric"],
    "template_suffix": lambda tmp: ["template", "-o", str(tmp / "问卷.txt")],
    "batch_no_outdir": lambda tmp: ["batch", STRONG],
    "batch_workers": lambda tmp: ["batch", STRONG, "-o", str(tmp / "out"), "--workers", "x"],
    "batch_locked": lambda tmp: [
        *("batch", STRONG, "-o", str(tmp / LOCKED), "--no-pdf", "--workers", "0")
    ],
}
# ... and every error path of the CLI tests (tests/test_cli.py), prefixed cli:.
ERROR_CASES = {**OWN_CASES, **{f"cli:{name}": make for name, make in ERROR_PATHS.items()}}


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A folder for the error cases' files, whose OUTDIR `第一批` another batch holds."""
    tmp = tmp_path_factory.mktemp("lang")
    _prepare(tmp)
    locked = tmp / LOCKED
    with outdir_lock(locked / ".assess-batch", locked):
        yield tmp


@pytest.mark.parametrize("args", HELP_PAGES, ids=lambda a: " ".join(a) or "assess")
def test_help_pages_are_chinese_by_default_and_english_on_request(args: list[str]) -> None:
    """`LANG=zh_CN.UTF-8 assess … --help` in Chinese only, `--lang en` in English only."""
    zh = run([*args, "--help"])
    assert "用法：" in zh and not english_words(zh), (english_words(zh), zh)
    en = run([*args, "--help"], lang="en")
    assert "Usage:" in en and not chinese_outside_quotes(en), (chinese_outside_quotes(en), en)


def test_the_commands_are_read_from_the_app() -> None:
    assert {"score", "batch", "template", "rubrics", "rubric", "show", "check"} <= COMMAND_NAMES
    assert [] in HELP_PAGES and ["rubric", "show"] in HELP_PAGES


@pytest.mark.parametrize("name", sorted(ERROR_CASES))
def test_error_paths_speak_one_language(name: str, scratch: Path) -> None:
    folder = scratch / name.replace(":", "-")
    folder.mkdir(exist_ok=True)
    args = ERROR_CASES[name](scratch if name in OWN_CASES else folder)
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


@pytest.mark.parametrize(("lang", "words"), [("zh", "程序内部错误"), ("en", "internal error")])
def test_an_internal_error_is_reported_in_the_language_in_force(
    lang: str,
    words: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The one line after the traceback (exit 3) asks for a report in the reader's words."""
    import assess.engine

    def broken(*_: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(assess.engine, "evaluate", broken)
    with using("zh"), pytest.raises(SystemExit) as info:
        cli.main(["--lang", lang, "score", STRONG, "-r", "miit-2022-innovative"])
    assert info.value.code == 3
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert words in last.lower()
    if lang == "zh":
        assert not english_words(last), last
    else:
        assert not chinese_outside_quotes(last), last

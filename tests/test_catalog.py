"""The catalog of user-facing words: complete in both languages, and every key the code
uses exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from assess import catalog as c
from assess.errors import Problem

ROOT = Path(__file__).resolve().parents[1]


def test_every_entry_has_both_languages_with_the_same_placeholders() -> None:
    entries = c.catalog()
    assert entries, "the catalog is empty"
    for entry in entries.values():
        assert set(entry.texts) == set(c.LANGUAGES), entry.key
        for lang in c.LANGUAGES:
            assert entry.texts[lang].strip(), (entry.key, lang)


@pytest.mark.parametrize(
    ("data", "complaint"),
    [
        ({"x.a": {"zh": "甲"}}, "needs exactly zh, en"),
        ({"x.a": {"zh": "甲", "en": ""}}, "every language needs a text"),
        ({"x.a": {"zh": "{field}不对", "en": "{name} is wrong"}}, "placeholders differ"),
        ({"y.a": {"zh": "甲", "en": "A"}}, "starts with 'x.'"),
        ({"x.a": {"zh": "{0}", "en": "{0}"}}, "must be a name"),
        (["x.a"], "expected a mapping"),
    ],
)
def test_a_broken_catalog_file_is_refused_on_load(data: object, complaint: str) -> None:
    with pytest.raises(c.CatalogError, match=re.escape(complaint)):
        c.check_entries("x", "x.yaml", data)


# Literal keys in calls such as t("cli.score.help", …), Message("intake.x", …) or
# Problem.coded(where, path, "intake.x", …).
_USES = re.compile(
    r"""(?:\bt\(|\bMessage\(|\.coded\([^"']*?,[^"']*?,)\s*["']([a-z0-9_]+(?:\.[a-z0-9_]+)+)["']"""
)


def _keys_used() -> set[str]:
    keys: set[str] = set()
    for path in (ROOT / "assess").rglob("*.py"):
        keys |= set(_USES.findall(path.read_text(encoding="utf-8")))
    for path in (ROOT / "templates").rglob("*.j2"):
        keys |= set(re.findall(r"""\bt\(\s*["']([a-z0-9_.]+)["']""", path.read_text("utf-8")))
    return keys


def test_every_key_the_code_uses_is_in_the_catalog() -> None:
    missing = sorted(k for k in _keys_used() if not c.has(k))
    assert not missing, f"keys used but not in assess/catalog/*.yaml: {missing}"


def test_words_follow_the_language_in_force() -> None:
    assert c.t("label.size.small") == "小型"
    assert c.t("label.size.small", lang="en") == "small"
    with c.using("en"):
        assert c.table("label.tier")["srdi"].startswith("Specialised")
    assert c.table("label.tier")["srdi"] == "专精特新中小企业"


@pytest.mark.parametrize(
    ("env", "lang"),
    [
        ({}, "zh"),
        ({"LANG": "zh_CN.UTF-8"}, "zh"),
        ({"LANG": "en_US.UTF-8"}, "en"),
        ({"LANG": "zh_CN.UTF-8", "LC_ALL": "en_GB.UTF-8"}, "en"),
        ({"LANG": "C.UTF-8"}, "zh"),
    ],
)
def test_language_from_the_locale(env: dict[str, str], lang: str) -> None:
    assert c.language_from_env(env) == lang


def test_a_coded_problem_keeps_its_code_and_parameters() -> None:
    p = Problem.coded("a.xlsx › 问卷!D14", "revenue", "label.size.small")
    assert p.message == "小型" and p.code == "label.size.small"
    assert p.record()["code"] == "label.size.small" and p.record()["path"] == "revenue"
    with pytest.raises(KeyError):
        c.t("label.no_such_key")

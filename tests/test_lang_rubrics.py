"""The words that come from data speak the reader's language too: every bundled rubric's
texts and every questionnaire field have English beside the Chinese, and `assess --lang en`
prints no Chinese except the firm's own words (its name, products, places), while the
Chinese output stays Chinese."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from assess.catalog import using
from assess.fields import FIELDS
from assess.intake import load_records
from assess.rubric import models as m
from assess.rubric.common import Text
from assess.rubric.loader import builtin_rubrics, load_rubric, load_size_standard

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ("strong", "weak", "borderline")
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
RUBRIC_IDS = sorted(builtin_rubrics())


def texts_in(node: Any, where: str = "") -> Iterator[tuple[str, Text]]:
    """Every `Text` in a loaded rubric (or a part of it), with where it sits."""
    if isinstance(node, Text):
        yield where, node
    elif isinstance(node, BaseModel):
        for name in type(node).model_fields:
            yield from texts_in(getattr(node, name), f"{where}.{name}")
    elif isinstance(node, list | tuple):
        for i, item in enumerate(node):
            yield from texts_in(item, f"{where}[{i}]")
    elif isinstance(node, dict):
        for key, item in node.items():
            yield from texts_in(item, f"{where}.{key}")


def _no_english(texts: Iterator[tuple[str, Text]]) -> list[str]:
    return [
        f"{where}: {text.zh!r} -> {text.en!r}"
        for where, text in texts
        if text.zh and (not text.en.strip() or CJK.search(text.en))
    ]


@pytest.mark.parametrize("rubric_id", RUBRIC_IDS)
def test_every_text_of_a_bundled_rubric_has_english(rubric_id: str) -> None:
    rubric = builtin_rubrics()[rubric_id]
    found = list(texts_in(rubric))
    assert len(found) > 20  # the walk reaches the indicators and conditions
    assert _no_english(iter(found)) == []


def test_the_size_standard_and_the_sample_local_rubrics_have_english() -> None:
    assert _no_english(texts_in(load_size_standard("sme-size-2011"))) == []
    for path in sorted((ROOT / "samples" / "extends").glob("*.yaml")):
        assert _no_english(texts_in(load_rubric(path))) == [], path.name


def test_every_field_has_english_words() -> None:
    problems = []
    for spec in FIELDS:
        english = [spec.label_en, spec.help_en, *spec.choices_en]
        if not spec.label_en or any(CJK.search(x) for x in english):
            problems.append(f"{spec.id}: {english}")
        if spec.help_zh and not spec.help_en:
            problems.append(f"{spec.id}: help has no English")
        if len(spec.choices_en) != len(spec.choices):
            problems.append(f"{spec.id}: {len(spec.choices_en)} English choice labels")
        # A rank (名) reads as a bare number in English; every other unit has a word.
        if spec.unit_zh and spec.unit_zh != "名" and not spec.unit_en:
            problems.append(f"{spec.id}: unit {spec.unit_zh} has no English")
    assert problems == []


def test_field_words_follow_the_language_in_force() -> None:
    spec = next(f for f in FIELDS if f.id == "rd_institution")
    assert spec.label == "研发机构级别" and spec.choice_label("provincial") == "省级"
    with using("en"):
        assert spec.label == "Level of the R&D institution"
        assert spec.choice_label("provincial") == "Provincial"
        assert spec.choice_label("unheard_of") == "unheard_of"
        revenue = next(f for f in FIELDS if f.id == "revenue")
        assert revenue.unit == "10k yuan" and revenue.unit_zh == "万元"
    # The Chinese stays what the questionnaire's cells are read by.
    assert spec.choices[1] == ("provincial", "省级")
    assert spec.section.label == spec.section.value == "研发"
    with using("en"):
        assert spec.section.label == "R&D"
        assert all(f.section.label and not CJK.search(f.section.label) for f in FIELDS)


def test_a_plain_string_is_the_chinese_and_english_falls_back_to_it(tmp_path: Path) -> None:
    # The park's rubric with every quoted English taken out: plain Chinese strings, as an
    # agency writes its own rubric; the titles keep their English.
    source = (ROOT / "samples" / "extends" / "park-srdi.yaml").read_text(encoding="utf-8")
    plain = re.sub(r"\{zh: ([^,{}]*), en: \"(?:[^\"\\]|\\.)*\"\}", r"\1", source)
    assert "rationale: 园区希望" in plain and "label: 近3年有产学研合作项目}" in plain
    path = tmp_path / "park-zh.yaml"
    path.write_text(plain, encoding="utf-8")
    rubric = load_rubric(path)
    ind = rubric.indicator("PARK-01")
    assert ind.rationale == ind.rationale.zh and ind.rationale.en == ""
    with using("en"):
        assert str(ind.title) == "Park collaboration and platform use"
        assert str(ind.rationale) == ind.rationale.zh  # no English: the Chinese
        assert f"{ind.advice}" == ind.advice.zh
        assert str(rubric.indicator("SRDI-01").title) == rubric.indicator("SRDI-01").title.en


def test_a_text_written_wrong_is_refused_at_its_line(tmp_path: Path) -> None:
    from assess.errors import RubricError

    source = (ROOT / "rubrics" / "miit-2022-innovative.yaml").read_text(encoding="utf-8")
    broken = source.replace(
        "rationale: {zh: 研发投入强度", "rationale: {zh: 1, de: x, also: 研发投入强度", 1
    )
    assert broken != source
    path = tmp_path / "broken.yaml"
    path.write_text(broken, encoding="utf-8")
    with pytest.raises(RubricError) as caught:
        load_rubric(path)
    shown = str(caught.value)
    line = 1 + broken[: broken.index("rationale: {zh: 1")].count("\n")
    assert f"broken.yaml:{line}:" in shown and "indicators[1].rationale" in shown
    assert "zh: 中文, en: English" in shown


def test_the_maturity_levels_keep_reading_the_first_format() -> None:
    level = m.MaturityLevel.model_validate({"label": "起步", "en": "Starting", "min_percent": 0})
    assert level.label.zh == "起步" and level.label.en == "Starting"


# ---- the command, in both languages --------------------------------------------------------


def run(args: list[str], lang: str | None = None) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("LC_ALL", "LC_MESSAGES", "LANG")}
    env["LANG"] = "zh_CN.UTF-8"
    front = ["--lang", lang] if lang else []
    out = subprocess.run(
        [sys.executable, "-m", "assess", *front, *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=300,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert not CJK.search(out.stderr) or lang is None, out.stderr
    return out.stdout


def firm_words(sample: str) -> list[str]:
    """The firm's own text (its name, products, places, the sheet it was read from), longest
    first: the only Chinese an English report may print."""
    (record,) = load_records(ROOT / "samples" / f"{sample}.xlsx")
    assert record.firm is not None
    words = [v for v in record.firm.values.values() if isinstance(v, str)]
    words += [record.firm.source, record.where, "问卷"]
    return sorted({w for w in words if w}, key=len, reverse=True)


def without(text: str, words: list[str]) -> str:
    # JSON escapes nothing here (ensure_ascii off), and the terminal may wrap a long name:
    # take the words out before the wrapping is undone, then again after.
    for word in words:
        text = text.replace(word, "")
    joined = re.sub(r"\s*│\s*\n\s*│\s*", "", text)
    for word in words:
        joined = joined.replace(word, "")
    return joined


def chinese_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if CJK.search(line)]


@pytest.mark.parametrize("sample", SAMPLES)
def test_english_scores_print_no_chinese_but_the_firms_own(sample: str) -> None:
    path = f"samples/{sample}.xlsx"
    words = firm_words(sample)
    text = run(["score", path], lang="en")
    assert "Verdict" in text and "points" in text
    assert chinese_lines(without(text, words)) == []
    data = run(["score", path, "--format", "json"], lang="en")
    parsed = json.loads(data)
    assert parsed  # a record, not an error
    assert chinese_lines(without(data, words)) == []


@pytest.mark.parametrize("sample", SAMPLES)
def test_chinese_scores_stay_chinese(sample: str) -> None:
    text = run(["score", f"samples/{sample}.xlsx"])
    rubric = builtin_rubrics()["miit-2022-innovative"]
    for ind in rubric.indicators:
        assert ind.id in text
        assert ind.title.en not in text
    assert "得分" in text or "分" in text
    for word in ("Verdict", "points", "Next year", "meets"):
        assert word not in text


@pytest.mark.parametrize("rubric_id", RUBRIC_IDS)
def test_the_rubric_page_reads_in_either_language(rubric_id: str) -> None:
    rubric = builtin_rubrics()[rubric_id]
    english = run(["rubric", "show", rubric_id], lang="en")
    assert chinese_lines(english) == []
    assert rubric.title.en in english
    chinese = run(["rubric", "show", rubric_id, "--format", "md"])
    assert rubric.title.zh in chinese and "## 通过规则" in chinese


def test_a_header_is_found_by_its_label_in_either_language_whatever_is_in_force() -> None:
    # The reader's label table is built when it is first imported: under --lang en too it
    # must know the Chinese headers of a questionnaire (and the English ones).
    code = (
        "from assess.catalog import set_language\n"
        "set_language('en')\n"
        "from assess.intake.labels import field_by_label as f\n"
        "print(f('* 上年度营业收入(万元)').id, f('Operating revenue (last year)').id,"
        " f('研发机构级别').id)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert out.stdout.split() == ["revenue", "revenue", "rd_institution"], out.stderr


def test_a_choice_written_in_english_reads_back() -> None:
    from assess.intake.values import parse_value

    spec = next(f for f in FIELDS if f.id == "rd_institution")
    with using("en"):
        written = spec.choice_label("provincial")
    assert written == "Provincial"
    assert parse_value(spec, written) == parse_value(spec, "省级") == "provincial"

"""The terminal report: readable at 80 columns, nothing cut off, in either language."""

from __future__ import annotations

import io
import re
from itertools import pairwise
from pathlib import Path

import pytest
from rich.cells import cell_len
from rich.console import Console

from assess.catalog import using
from assess.engine import evaluate
from assess.intake.firm import load_firm_file
from assess.report.text import print_assessments, wrap
from assess.rubric.loader import builtin_rubrics

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
RUBRICS = builtin_rubrics()
# A figure with its unit, as the reports print it: "6,800 万元", "3.5%", "28 人".
FIGURE = re.compile(r"-?\d[\d,]*(?:\.\d+)?(?:%| 万元| 人| 件| 项| 家| 年)")


def _terminal(name: str, width: int = 80) -> str:
    firm = load_firm_file(SAMPLES / f"{name}.json")
    assessments = [evaluate(r, firm) for r in RUBRICS.values()]
    console = Console(record=True, width=width, file=io.StringIO(), color_system=None)
    print_assessments(assessments, console)
    return console.export_text()


@pytest.mark.parametrize("name", ["strong", "borderline", "weak", "partial"])
def test_80_columns_cut_nothing_and_split_no_figure(name: str) -> None:
    text = _terminal(name)
    lines = text.splitlines()
    assert all(cell_len(line) <= 80 for line in lines)
    assert "…" not in text  # nothing cropped with an ellipsis
    # Every figure of every line is whole: joined back, the panel's text holds each figure
    # that a line starts or ends with, and no line ends in the middle of one.
    inner = [line.strip("│ ").rstrip() for line in lines]
    for before, after in pairwise(inner):
        tail = re.search(r"[\d,.]+$", before)
        head = re.match(r"^[\d,.%]", after)
        assert not (tail and head), (before, after)
        if tail:
            assert not re.match(r"^(万元|人|件|项|家)", after), (before, after)


def test_every_figure_of_a_reason_is_printed_whole() -> None:
    firm = load_firm_file(SAMPLES / "borderline.json")
    text = _terminal("borderline")
    joined = "".join(line.strip("│ ") for line in text.splitlines())
    for rubric in RUBRICS.values():
        for ind in evaluate(rubric, firm).indicators:
            for figure in FIGURE.findall(ind.reason):
                assert figure in text or figure.replace(" ", "") in joined, figure


def test_wrap_breaks_between_characters_never_inside_a_figure() -> None:
    text = "上年度研发费用 238 万元，上年度营业收入 6,800 万元，研发费用占比 3.5%。"
    for width in range(20, 60):
        lines = wrap(text, width, "  ", "    ").split("\n")
        assert all(cell_len(line) <= width for line in lines), (width, lines)
        assert (
            "".join(x.strip() for x in lines)
            == text.replace(" 万元", "万元").replace(" ", "").replace("万元", " 万元")
            or len(lines) > 1
        )
        for figure in ("238 万元", "6,800 万元", "3.5%"):
            assert figure in "\n".join(lines), (width, lines)
        assert not any(line.strip().startswith(("，", "。")) for line in lines)


def test_english_terminal_has_english_frame() -> None:
    with using("en"):
        text = _terminal("weak", width=100)
    for word in ("Verdict: ", "Conditions", "How the verdict was reached", "Improvement plan"):
        assert word in text
    for word in ("结论：", "判定过程", "提升计划", "企业规模"):
        assert word not in text

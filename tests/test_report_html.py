"""The HTML report: golden files, escaping, glyph coverage, and what it must show."""

from __future__ import annotations

import datetime as dt
import functools
import html as htmllib
import re
import shutil
import subprocess
import sys
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

import assess
from assess.engine import evaluate
from assess.intake.firm import Firm, firm_from_mapping, load_firm_file
from assess.report import environment as envmod
from assess.report import render_html
from assess.report import view as viewmod
from assess.report.charts import FONT_STACK, Axis, bar, css_bar, css_bar_rules, radar
from assess.report.words import rule_text
from assess.results import Assessment, CohortPlace
from assess.rubric.loader import builtin_rubrics, get_rubric

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
GOLDEN = Path(__file__).resolve().parent / "golden"
GENERATED = dt.date(2026, 3, 1)  # fixed, so the golden files are stable
GOLDEN_RUBRIC = "miit-2022-innovative"
EVIL = '<img src="file:///etc/passwd">'


def _assess(name: str, rubric_ids: tuple[str, ...]) -> tuple[list[Assessment], Firm]:
    firm = load_firm_file(SAMPLES / f"{name}.json")
    return [evaluate(get_rubric(r), firm) for r in rubric_ids], firm


@functools.cache
def _html(name: str, rubric_ids: tuple[str, ...] = (GOLDEN_RUBRIC,)) -> str:
    assessments, firm = _assess(name, rubric_ids)
    return render_html(assessments, firm, generated=GENERATED)


class _Text(HTMLParser):
    """The text a reader sees: text nodes outside <style>, SVG text included."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("style", "script"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return "".join(parser.parts)


# ---- golden files ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["strong", "borderline", "weak"])
def test_golden_html(name: str, update_goldens: bool) -> None:
    path = GOLDEN / f"{name}-{GOLDEN_RUBRIC}.html"
    # The tool's version is printed in the report; a release must not churn the goldens.
    got = _html(name).replace(f"assess {assess.__version__}", "assess VERSION")
    if update_goldens:
        GOLDEN.mkdir(exist_ok=True)
        path.write_text(got, encoding="utf-8")
        return
    assert path.is_file(), f"no golden file {path.name}: run pytest --update-goldens"
    want = path.read_text(encoding="utf-8")
    if got != want:
        got_lines, want_lines = got.splitlines(), want.splitlines()
        first = next(
            (i for i, (g, w) in enumerate(zip(got_lines, want_lines, strict=False)) if g != w),
            min(len(got_lines), len(want_lines)),
        )
        pytest.fail(
            f"{path.name} differs from line {first + 1}:\n"
            f"  want: {want_lines[first] if first < len(want_lines) else '<end>'}\n"
            f"  got:  {got_lines[first] if first < len(got_lines) else '<end>'}\n"
            "If the change is intended: pytest --update-goldens, then review the diff."
        )


def test_goldens_cover_every_sample() -> None:
    names = sorted(p.name for p in GOLDEN.glob("*.html"))
    assert names == sorted(f"{n}-{GOLDEN_RUBRIC}.html" for n in ("strong", "borderline", "weak"))


# ---- content ---------------------------------------------------------------------------------


def test_report_shows_what_it_must() -> None:
    assessments, firm = _assess("weak", (GOLDEN_RUBRIC,))
    a = assessments[0]
    html = _html("weak")
    text = visible_text(html)
    assert '<html lang="zh-CN">' in html
    assert firm.name in text and "评价年度 2026" in text and "生成日期 2026-03-01" in text
    assert "小型企业" in text  # the SME size class
    assert "未通过" in text and "20 / 100 分" in text and "及格线 60 分" in text
    for ind in a.indicators:
        assert ind.title in text
        assert ind.next is None or htmllib.unescape(ind.next.text) in text
    for cond in a.conditions:
        assert cond.title in text and cond.reason in text
    for line in a.explanation:
        assert rule_text(line) in text
    assert a.document in text
    assert "提升计划" in text and "申报材料清单" in text and "数据质量与依据" in text
    assert "切实促进中小企业专精特新发展" in text  # the article's remedies
    assert text.count("<svg") == 0 and html.count("<svg") >= 1  # the radar, class bars
    assert html.count('<i class="hb ') == len(a.indicators)  # one CSS bar per indicator


def test_every_tier_gets_a_verdict() -> None:
    text = visible_text(_html("borderline", tuple(sorted(builtin_rubrics()))))
    for label in ("创新型中小企业", "专精特新中小企业", "专精特新“小巨人”企业"):
        assert label in text
    assert "通过" in text and "未通过" in text


def test_unknown_indicator_is_marked_with_its_reason() -> None:
    data = {
        k: v
        for k, v in _raw("borderline").items()
        if k not in ("main_revenue_prev", "compliance_ok")
    }
    firm = firm_from_mapping(data, "borderline-missing.json")
    a = evaluate(get_rubric(GOLDEN_RUBRIC), firm)
    assert a.pass_status == "undetermined"
    unknown = [i for i in a.indicators if i.status == "unknown"]
    assert unknown
    text = visible_text(render_html([a], firm, generated=GENERATED))
    for ind in unknown:
        assert "数据缺失" in text and ind.reason in text
    assert "需补充：前年主营业务收入" in text  # what to fill in, by its questionnaire label
    assert "main_revenue_prev" not in text
    assert "待定" in text and "无法判断" in text
    # The verdict turns on the blanks: filling them is the plan's first step.
    plan = text[text.rindex("提升计划") :]
    assert "第一步：补齐数据" in plan
    assert plan.index("第一步：补齐数据") < plan.index("必须解决的条件（")


def test_provisional_rubric_is_flagged() -> None:
    provisional = [r for r in builtin_rubrics().values() if r.status == "provisional"]
    if not provisional:
        pytest.skip("no provisional rubric bundled")
    rubric = provisional[0]
    firm = load_firm_file(SAMPLES / "borderline.json")
    a = evaluate(rubric, firm)
    text = visible_text(render_html([a], firm, generated=GENERATED))
    assert "暂定" in text
    for note in a.notes:
        assert note in text


def test_firm_warnings_are_shown() -> None:
    data = {**_raw("weak"), "employes": 75}  # a misspelt field
    firm = firm_from_mapping(data, "weak-typo.json")
    assert firm.warnings
    a = evaluate(get_rubric(GOLDEN_RUBRIC), firm)
    text = visible_text(render_html([a], firm, generated=GENERATED))
    for warning in firm.warnings:
        assert warning in text


def _raw(name: str) -> dict[str, object]:
    import json

    data: dict[str, object] = json.loads(
        (SAMPLES / f"{name}.json").read_text("utf-8"), parse_float=str
    )
    return data


# ---- the firm's place in its batch round -------------------------------------------------------

PLACE = CohortPlace(
    round_name="第一批", size=36, rank=5, percentile=Decimal("86.1"), score_pct=Decimal("72.53")
)


def test_cohort_place_is_on_the_cover_and_explained() -> None:
    assessments, firm = _assess("borderline", (GOLDEN_RUBRIC,))
    html = render_html(assessments, firm, generated=GENERATED, cohort=PLACE)
    text = visible_text(html)
    headline = "本批次（第一批，共 36 家）排名第 5，得分率 72.53%，高于本批次 86.1% 的企业"
    assert headline in text
    cover = text[: text.index("评定结论")]
    assert headline in cover  # on the cover, above the verdicts
    assert "批次排名的算法" in text  # 数据质量与依据 says how the percentile is computed
    assert "得分率与本企业相同的企业（含本企业）按一半计入" in text
    assert "完成评分的 36 家企业" in text


def test_no_cohort_no_place() -> None:
    text = visible_text(_html("borderline"))
    assert "本批次" not in text and "批次排名的算法" not in text


def test_a_round_of_one_is_not_ranked_against_itself() -> None:
    alone = CohortPlace("单独", 1, 1, Decimal(50), Decimal("61.2"))
    view = viewmod.cohort_view(alone)
    assert "排名" not in view.headline and "61.2%" in view.headline
    assert "高于" not in view.headline


# ---- view-model helpers --------------------------------------------------------------------------


def test_common_source_is_said_once() -> None:
    article = "罗海云、刘泽锋《切实促进中小企业专精特新发展》"
    sources = [f"{article}第 2 段“研发投入不足”", f"{article}第 3 段「加大研发投入」"]
    assert viewmod.common_source(sources) == article
    assert (
        viewmod.common_source(
            ["63号文 附件2 评分标准 一、专业化指标 1", "63号文 附件2 评分标准 二、精细化指标 1"]
        )
        == "63号文 附件2 评分标准"
    )
    assert viewmod.common_source(["甲", "乙"]) == ""
    assert viewmod.common_source([f"{article}第 2 段", ""]) == ""  # one without: none
    assert viewmod.common_source([article, article + "第 2 段"]) == ""  # nothing left


def test_readiness_indicators_cite_the_article_once() -> None:
    text = visible_text(_html("borderline", ("srdi-readiness",)))
    assert text.count("各指标依据：罗海云、刘泽锋《切实促进中小企业专精特新发展》") == 1
    assert "依据：第 3 段" in text


def test_evidence_variants_share_a_line() -> None:
    items = [
        viewmod.EvidenceItem("上年度经审计的财务报表（利润表）", {"净利润率": ["专精特新"]}),
        viewmod.EvidenceItem("营业执照", {"年限": ["小巨人"]}),
        viewmod.EvidenceItem("上年度经审计的财务报表", {"营业收入": ["创新型"]}),
    ]
    groups = viewmod.evidence_groups(items)
    assert [g.document for g in groups] == ["上年度经审计的财务报表", "营业执照"]
    first = groups[0].variants
    assert [v.qualifier for v in first] == ["", "（利润表）"]  # the document itself first
    assert first[0].uses == ["营业收入（创新型）"] and first[1].uses == ["净利润率（专精特新）"]
    assert groups[1].variants[0].qualifier == ""


def test_labels_are_padded_to_the_label_column() -> None:
    assert envmod.pad_label("建议", 5) == "建议\u3000\u3000\u3000"
    assert envmod.pad_label("采用数据", 5) == "采用数据\u3000"
    assert envmod.pad_label("统一社会信用代码", 9) == "统一社会信用代码\u3000"
    assert envmod.pad_label("很长很长很长很长很长", 5).endswith("\u3000")  # at least a gap


def test_template_is_compiled_once_per_process() -> None:
    assert envmod.template() is envmod.template()
    assert envmod.environment().auto_reload is False


# ---- safety ----------------------------------------------------------------------------------


def test_firm_name_is_text_not_markup() -> None:
    firm = firm_from_mapping({**_raw("borderline"), "name": EVIL}, "evil.json")
    a = evaluate(get_rubric(GOLDEN_RUBRIC), firm)
    html = render_html([a], firm, generated=GENERATED)
    assert "<img" not in html
    assert htmllib.escape(EVIL, quote=True).replace("&quot;", "&#34;") in html
    assert EVIL in visible_text(html)


# ---- typography ------------------------------------------------------------------------------


def _cmap(family: str) -> set[int]:
    fc_match = shutil.which("fc-match")
    if fc_match is None:
        pytest.skip("fontconfig's fc-match is not installed")
    out = subprocess.run(
        [fc_match, "-f", "%{file}\n%{index}", family], capture_output=True, text=True, check=True
    ).stdout.split("\n")
    path, index = out[0], int(out[1] or 0)
    if "CJK" not in path:
        pytest.skip(f"{family} is not installed (fonts-noto-cjk)")
    from fontTools.ttLib import TTFont  # type: ignore[import-untyped]

    font = TTFont(path, fontNumber=index, lazy=True)
    return set(font.getBestCmap())


def test_every_character_has_a_glyph_in_the_cjk_fonts() -> None:
    """A character the Noto CJK faces lack prints as a box (✗ did, in an early draft)."""
    sans, serif = _cmap("Noto Sans CJK SC"), _cmap("Noto Serif CJK SC:bold")
    texts = [
        visible_text(_html(n, tuple(sorted(builtin_rubrics()))))
        for n in ("strong", "borderline", "weak")
    ]
    chars = set("".join(texts)) - {"\n", "\t", "\r"}
    missing = sorted(c for c in chars if ord(c) not in sans)
    assert not missing, f"no glyph in Noto Sans CJK SC for {missing}"
    missing_serif = sorted(c for c in chars if ord(c) not in serif and ord(c) in sans)
    assert not missing_serif, f"no glyph in Noto Serif CJK SC for {missing_serif}"


def test_every_font_chain_ends_in_a_cjk_face() -> None:
    css = (ROOT / "templates" / "report.css").read_text(encoding="utf-8")
    chains = re.findall(r"font-family:\s*([^;]+);", css)
    assert chains
    for chain in [*chains, FONT_STACK]:
        last = chain.split(",")[-1].strip().strip("'\"")
        assert "CJK" in last or last.endswith((" SC", " CN")), chain
    assert 'font-family="' + FONT_STACK + '"' in radar(
        [Axis("甲", 50), Axis("乙", 60), Axis("丙", 70)]
    )


# ---- charts ----------------------------------------------------------------------------------


def test_radar_draws_one_point_per_class_and_the_minima() -> None:
    svg = radar(
        [
            Axis("创新能力", 75, 50),
            Axis("成长性", 66.7, 50),
            Axis("专业化", 100, 50),
            Axis("<b>", 0),
        ]
    )
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert svg.count("<circle") == 4
    assert "stroke-dasharray" in svg  # the minima polygon
    assert "&lt;b&gt;" in svg and "<b>" not in svg
    with pytest.raises(ValueError):
        radar([Axis("甲", 1), Axis("乙", 2)])


def test_bar_scales_to_the_largest_max() -> None:
    half = bar(Decimal(5), Decimal(10), scale=Decimal(20), width=100)
    assert 'width="50"' in half and 'width="25"' in half  # track, then fill
    unknown = bar(Decimal(0), Decimal(10), unknown=True)
    assert "stroke-dasharray" in unknown


# ---- start-up cost ---------------------------------------------------------------------------


def test_report_modules_do_not_import_weasyprint() -> None:
    code = (
        "import sys, assess.report, assess.report.html, assess.report.pdf, assess.plan;"
        "print('weasyprint' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert out.stdout.strip() == "False"


def test_css_bar_is_one_element_of_fixed_width() -> None:
    # 5 of 10 points on a scale of 20, next band at 7: fill 38, next 15, rest 22, blank 75.
    got = css_bar(Decimal(5), Decimal(10), scale=Decimal(20), next_points=Decimal(7))
    assert got == '<i class="hb f38 n15 r22 m75"></i>'
    full = css_bar(Decimal(10), Decimal(10))
    assert full == '<i class="hb f150 n0 r0 m0"></i>'
    unknown = css_bar(Decimal(0), Decimal(10), scale=Decimal(20), unknown=True)
    assert "hb-u" in unknown and "m75" in unknown
    for bar_html in (got, full):
        lengths = [int(n) for n in __import__("re").findall(r"[fnrm](\d+)", bar_html)]
        assert sum(lengths) == 150
    rules = css_bar_rules([got, full])
    assert ".hb.f38 { border-left-width: 38px; }" in rules
    assert ".hb.m75 { margin-right: 75px; }" in rules and rules.count("\n") == 7  # 8 rules


def test_a_damaged_bytecode_cache_only_means_compiling_again(tmp_path: Path) -> None:
    import jinja2

    cache = envmod._QuietBytecodeCache(str(tmp_path), "%s.cache")
    env = jinja2.Environment(loader=jinja2.DictLoader({"t": "{{ x }}!"}), bytecode_cache=cache)
    assert env.get_template("t").render(x=1) == "1!"  # compiled, then cached
    (cached,) = tmp_path.glob("*.cache")
    cached.write_bytes(b"\x00garbage")
    fresh = jinja2.Environment(loader=jinja2.DictLoader({"t": "{{ x }}!"}), bytecode_cache=cache)
    assert fresh.get_template("t").render(x=2) == "2!"
    gone = envmod._QuietBytecodeCache(str(tmp_path / "gone"), "%s.cache")  # cannot write
    again = jinja2.Environment(loader=jinja2.DictLoader({"t": "{{ x }}?"}), bytecode_cache=gone)
    assert again.get_template("t").render(x=3) == "3?"


def test_a_report_scores_each_rubric_once_and_loads_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """One engine context per rubric per assessment: the report reads the plan and the
    rubric's texts from the assessments, never reloading a rubric or re-scoring a firm."""
    import assess.engine as engine
    import assess.rubric.loader as loader

    firm = load_firm_file(SAMPLES / "weak.json")
    rubrics = [get_rubric(r) for r in sorted(builtin_rubrics())]
    made: list[str] = []
    real = engine._Context.__init__

    def counted(self: Any, rubric: Any, firm: Any) -> None:
        made.append(rubric.id)
        real(self, rubric, firm)

    monkeypatch.setattr(engine._Context, "__init__", counted)
    assessments = [evaluate(r, firm) for r in rubrics]

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the report loaded a rubric")

    for name in ("get_rubric", "load_rubric", "builtin_rubrics", "_builtin"):
        monkeypatch.setattr(loader, name, refuse)
    text = visible_text(render_html(assessments, firm, generated=GENERATED))
    assert made == [r.id for r in rubrics]
    assert sum(1 for a in assessments if a.plan is not None) >= 3
    for a in assessments:
        if a.plan is not None and a.plan.steps:
            assert htmllib.unescape(a.plan.steps[0].text) in text

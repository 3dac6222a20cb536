"""The PDF report: text read back from the file, pages, fonts, fetching, atomic writes."""

from __future__ import annotations

import datetime as dt
import functools
import os
import re
import stat
import warnings
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from assess.engine import evaluate
from assess.intake.firm import Firm, firm_from_mapping, load_firm_file
from assess.numbers import fmt
from assess.report import pdf as pdfmod
from assess.report import render_html, render_pdf, write_pdf
from assess.results import Assessment, CohortPlace
from assess.rubric.loader import builtin_rubrics, get_rubric

pytest.importorskip("weasyprint")

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
GENERATED = dt.date(2026, 3, 1)
INNOVATIVE = "miit-2022-innovative"
EVIL = '<img src="file:///etc/passwd">'


@dataclass(frozen=True)
class Pdf:
    pages: int
    text: str  # every page, whitespace removed: CJK lines break anywhere
    page_texts: tuple[str, ...]
    fonts: dict[str, bool]  # base font → embedded


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _embedded(font: Any) -> bool:
    descendants = font.get("/DescendantFonts")
    target = descendants[0].get_object() if descendants else font
    descriptor = target.get("/FontDescriptor")
    if descriptor is None:
        return False
    descriptor = descriptor.get_object()
    return any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))


def read_pdf(path: Path) -> Pdf:
    reader = PdfReader(str(path))
    texts, fonts = [], {}
    for page in reader.pages:
        texts.append(squash(page.extract_text() or ""))
        resources = page.get("/Resources")
        font_dict = resources.get_object().get("/Font") if resources is not None else None
        for ref in font_dict.get_object().values() if font_dict is not None else ():
            font = ref.get_object()
            fonts[str(font.get("/BaseFont"))] = _embedded(font)
    return Pdf(len(reader.pages), "".join(texts), tuple(texts), fonts)


def _assess(name: str, rubric_ids: tuple[str, ...]) -> tuple[list[Assessment], Firm]:
    firm = load_firm_file(SAMPLES / f"{name}.json")
    return [evaluate(get_rubric(r), firm) for r in rubric_ids], firm


@pytest.fixture(scope="module")
def out_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pdf")


@functools.cache
def _rendered(
    name: str, rubric_ids: tuple[str, ...], folder: str
) -> tuple[Pdf, list[Assessment], Firm]:
    assessments, firm = _assess(name, rubric_ids)
    path = Path(folder) / f"{name}-{len(rubric_ids)}.pdf"
    render_pdf(assessments, firm, path, generated=GENERATED)
    return read_pdf(path), assessments, firm


@pytest.mark.parametrize("name", ["strong", "borderline", "weak"])
def test_pdf_text_holds_the_firm_totals_and_every_indicator(name: str, out_dir: Path) -> None:
    pdf, (a,), firm = _rendered(name, (INNOVATIVE,), str(out_dir))
    assert squash(firm.name) in pdf.text
    assert f"总分{fmt(a.total)}/{fmt(a.max)}" in pdf.text
    assert f"及格线{fmt(a.pass_mark)}" in pdf.text
    for ind in a.indicators:
        assert squash(ind.title) in pdf.text, ind.title
        assert f"{fmt(ind.points)}/{fmt(ind.max)}" in pdf.text
    for cond in a.conditions:
        assert squash(cond.title) in pdf.text, cond.title
    word = {"pass": "通过", "fail": "未通过", "undetermined": "待定"}[a.pass_status]
    assert word in pdf.page_texts[0]


@pytest.mark.parametrize("name", ["strong", "borderline", "weak"])
def test_pdf_pages_and_running_footer(name: str, out_dir: Path) -> None:
    pdf, _, firm = _rendered(name, (INNOVATIVE,), str(out_dir))
    assert 4 <= pdf.pages <= 8  # cover, scores, plan/evidence/sources: no runaway layout
    for number, text in enumerate(pdf.page_texts, 1):
        assert f"第{number}页/共{pdf.pages}页" in text
        assert squash(firm.name) in text  # the running footer


def test_the_cover_has_no_running_title(out_dir: Path) -> None:
    pdf, _, _ = _rendered("strong", (INNOVATIVE,), str(out_dir))
    assert "专精特新梯度培育自评报告" not in pdf.page_texts[0]
    assert all("专精特新梯度培育自评报告" in text for text in pdf.page_texts[1:])


def test_an_english_report_has_english_words_only_besides_the_firms_data(tmp_path: Path) -> None:
    """`assess --lang en score … --pdf`: headings, labels, running title, page numbers and
    page references in English; Chinese only where the firm wrote it (name, place, products)."""
    from assess.catalog import using

    with using("en"):
        firm = load_firm_file(SAMPLES / "weak.json")
        assessments = [evaluate(r, firm) for r in (get_rubric(INNOVATIVE),)]
        render_pdf(assessments, firm, tmp_path / "en.pdf", generated=GENERATED)
    pdf = read_pdf(tmp_path / "en.pdf")
    assert "Verdicts" in pdf.page_texts[0] and "Contents" in pdf.page_texts[0]
    assert "SRDIself-assessmentreport" not in pdf.page_texts[0]
    for number, text in enumerate(pdf.page_texts, 1):
        assert f"page{number}of{pdf.pages}" in text
    assert "SRDIself-assessmentreport" in pdf.page_texts[1]
    text = pdf.text
    for value in firm.values.values():  # what the firm wrote may stay Chinese
        if isinstance(value, str) and value:
            text = text.replace(squash(value), "")
    text = text.replace(squash(firm.name), "").replace("问卷", "")
    chinese = re.findall(r"[\u4e00-\u9fff]+", text)
    assert not chinese, chinese


def test_all_rubrics_in_one_pdf(out_dir: Path) -> None:
    ids = tuple(sorted(builtin_rubrics()))
    pdf, assessments, _ = _rendered("weak", ids, str(out_dir))
    for a in assessments:
        assert squash(a.rubric_title) in pdf.text
        for ind in a.indicators:
            assert squash(ind.title) in pdf.text, ind.title
    assert "提升计划" in pdf.text and "申报材料清单" in pdf.text
    assert pdf.pages < 12 * len(ids)


@pytest.mark.parametrize("name", ["strong", "weak"])
def test_all_fonts_are_embedded_cjk_faces(name: str, out_dir: Path) -> None:
    pdf, _, _ = _rendered(name, (INNOVATIVE,), str(out_dir))
    assert pdf.fonts
    for font, embedded in pdf.fonts.items():
        assert embedded, f"{font} is not embedded"
        # A Latin fallback (DejaVu…) would mean a glyph the CJK faces lack.
        assert "CJK" in font, f"{font}: a non-CJK fallback font was used"


def test_default_set_report_is_whole(out_dir: Path) -> None:
    """The 2026 default set (what `assess score` and a batch render): every rubric's
    indicators and conditions, the plan, the checklist and the sources, page-numbered."""
    firm = load_firm_file(SAMPLES / "borderline.json")
    from assess.rubric.selection import default_rubrics

    assessments = [evaluate(r, firm) for r in default_rubrics(firm, None)]
    path = out_dir / "default-set.pdf"
    render_pdf(assessments, firm, path, generated=GENERATED)
    pdf = read_pdf(path)
    for a in assessments:
        assert squash(a.rubric_title) in pdf.text
        for ind in a.indicators:
            assert squash(ind.title) in pdf.text, ind.title
        for cond in a.conditions:
            assert squash(cond.title) in pdf.text, cond.title
    for heading in ("提升计划", "申报材料清单", "数据质量与依据", "评价标准来源"):
        assert heading in pdf.text
    assert f"第{pdf.pages}页/共{pdf.pages}页" in pdf.page_texts[-1]
    # Sections follow one another (no page per section): 18 pages, was 20.
    assert pdf.pages <= 18
    # The cover leads with the official verdicts; readiness is advice, not a peer verdict.
    cover = pdf.page_texts[0]
    assert "申报准备度（自评参考，不是官方认定结论）" in cover
    # Plain Chinese: no field id, no English word, outside ids the reader is shown on
    # purpose (indicator and standard ids, versions) and the firm's own data.
    from assess.fields import FIELDS

    ids = {f.id for f in FIELDS}
    words = set(re.findall(r"(?<![A-Za-z0-9_])[A-Za-z_][A-Za-z0-9_]*(?:-[A-Za-z0-9_]+)*", pdf.text))
    shown = {
        w for w in words if re.fullmatch(r"[A-Z]+(-[A-Z0-9]+)+|miit-.*|srdi-.*|v\d+|assess\d*", w)
    }
    assert not (words & ids), words & ids
    assert words - shown <= {"assess", "GDP", "borderline", "json"}, words - shown


# ---- the firm's place in its batch round -----------------------------------------------------


def test_cohort_place_is_printed_on_the_cover(tmp_path: Path) -> None:
    (a,), firm = _assess("borderline", (INNOVATIVE,))
    place = CohortPlace("第一批", 36, 5, Decimal("86.1"), Decimal("72.53"))
    render_pdf([a], firm, tmp_path / "with.pdf", generated=GENERATED, cohort=place)
    render_pdf([a], firm, tmp_path / "without.pdf", generated=GENERATED)
    with_place, without = read_pdf(tmp_path / "with.pdf"), read_pdf(tmp_path / "without.pdf")
    line = squash("本批次（第一批，共 36 家）排名第 5，得分率 72.53%，高于本批次 86.1% 的企业")
    assert line in with_place.page_texts[0]
    assert "批次排名的算法" in with_place.text and "按一半计入" in with_place.text
    assert "本批次" not in without.text and "批次排名" not in without.text


# ---- fetching ------------------------------------------------------------------------------


def test_injected_markup_renders_as_text_and_fetches_nothing(tmp_path: Path) -> None:
    data = json_sample("borderline")
    firm = firm_from_mapping({**data, "name": EVIL}, "evil.json")
    a = evaluate(get_rubric(INNOVATIVE), firm)
    html = render_html([a], firm, generated=GENERATED)
    assert "&lt;img src=&#34;file:///etc/passwd&#34;&gt;" in html and "<img" not in html
    fetcher = pdfmod.make_fetcher()
    out = tmp_path / "evil.pdf"
    write_pdf(html, out, fetcher=fetcher)
    assert fetcher.requested == []  # the report is self-contained
    assert not any("passwd" in url for url in fetcher.requested)
    assert squash(EVIL) in read_pdf(out).text


def test_fetcher_refuses_everything_outside_the_templates_folder(tmp_path: Path) -> None:
    """Positive control: raw markup does reach the fetcher, which refuses it."""
    html = (
        '<html lang="zh-CN"><body style="font-family: \'Noto Sans CJK SC\'">'
        '<link rel="stylesheet" href="report.css">'
        '<img src="file:///etc/passwd"><img src="http://example.invalid/x.png">'
        '<img src="data:image/png;base64,iVBORw0KGgo="><p>正文</p></body></html>'
    )
    fetcher = pdfmod.make_fetcher()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        write_pdf(html, tmp_path / "raw.pdf", fetcher=fetcher)
    assert "file:///etc/passwd" in fetcher.refused
    assert "http://example.invalid/x.png" in fetcher.refused
    assert any(u.startswith("data:") for u in fetcher.refused)
    css = (pdfmod.templates_dir() / "report.css").as_uri()
    assert css in fetcher.requested and css not in fetcher.refused  # inside: served


def test_fetcher_serves_stylesheets_as_css(tmp_path: Path) -> None:
    """WeasyPrint ignores a linked stylesheet not served as text/css."""
    fetcher = pdfmod.make_fetcher()
    response = fetcher.fetch((pdfmod.templates_dir() / "report.css").as_uri())
    assert response.content_type == "text/css"
    assert pdfmod.mime_type(Path("x.svg")) == "image/svg+xml"
    assert pdfmod.mime_type(Path("x.unknown-kind")) == "application/octet-stream"
    # The report stylesheet, linked, applies: the firm's name (a named string of report.css)
    # prints in the footer of page 2.
    html = (
        '<html lang="zh-CN"><head><link rel="stylesheet" href="report.css"></head><body>'
        '<h1 class="firm-name">甲乙丙公司</h1><p style="break-before: page">第二页</p>'
        "</body></html>"
    )
    out = tmp_path / "linked.pdf"
    write_pdf(html, out, fetcher=fetcher)
    pdf = read_pdf(out)
    assert pdf.pages == 2
    assert "甲乙丙公司" in pdf.page_texts[1]  # @bottom-left of report.css


def json_sample(name: str) -> dict[str, Any]:
    import json

    data: dict[str, Any] = json.loads(
        (SAMPLES / f"{name}.json").read_text("utf-8"), parse_float=Decimal
    )
    return data


# ---- writing -------------------------------------------------------------------------------


def test_write_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import weasyprint

    target = tmp_path / "report.pdf"
    target.write_bytes(b"previous report")

    def boom(self: Any, *args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(weasyprint.HTML, "write_pdf", boom)
    with pytest.raises(RuntimeError):
        write_pdf("<p>新</p>", target)
    assert target.read_bytes() == b"previous report"
    assert [p.name for p in tmp_path.iterdir()] == ["report.pdf"]  # no temp file left


def test_written_file_is_a_pdf_with_ordinary_permissions(tmp_path: Path) -> None:
    target = tmp_path / "ok.pdf"
    write_pdf("<p style=\"font-family: 'Noto Sans CJK SC'\">测试</p>", target)
    assert target.read_bytes().startswith(b"%PDF-")
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~mask
    assert [p.name for p in tmp_path.iterdir()] == ["ok.pdf"]


def test_pdf_bytes_reuses_a_font_configuration() -> None:
    from weasyprint.text.fonts import FontConfiguration

    (a,), firm = _assess("strong", (INNOVATIVE,))
    html = render_html([a], firm, generated=GENERATED)
    shared = FontConfiguration()
    first = pdfmod.pdf_bytes(html, font_config=shared)
    second = pdfmod.pdf_bytes(html, font_config=shared)
    assert first.startswith(b"%PDF-") and second.startswith(b"%PDF-")
    assert abs(len(first) - len(second)) < 200  # the same document (ids and dates aside)


def test_inline_report_stylesheet_is_parsed_once_with_the_same_result(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pdf_bytes swaps the report's inline <style> for a copy parsed once a process: the
    pages must come out the same as from the inline copy."""
    (a,), firm = _assess("weak", (INNOVATIVE,))
    html = render_html([a], firm, generated=GENERATED)
    block, _ = pdfmod._report_css()
    assert block in html
    fast = tmp_path / "fast.pdf"
    fast.write_bytes(pdfmod.pdf_bytes(html))
    monkeypatch.setattr(pdfmod, "_report_css", lambda: ("<no such block>", None))
    slow = tmp_path / "slow.pdf"
    slow.write_bytes(pdfmod.pdf_bytes(html))
    got, want = read_pdf(fast), read_pdf(slow)
    assert got.page_texts == want.page_texts


def test_trimmed_user_agent_stylesheet_keeps_list_markers(tmp_path: Path) -> None:
    assert pdfmod._ua_stylesheet() is not None  # this WeasyPrint looks as expected
    import weasyprint

    assert pdfmod._html_class() is not weasyprint.HTML
    out = tmp_path / "list.pdf"
    write_pdf("<ol style=\"font-family: 'Noto Sans CJK SC'\"><li>甲</li><li>乙</li></ol>", out)
    text = read_pdf(out).text  # markers are drawn after the items' text
    assert "甲" in text and "乙" in text and "1." in text and "2." in text


def test_missing_harfbuzz_subset_warns(monkeypatch: pytest.MonkeyPatch) -> None:
    assert pdfmod.harfbuzz_subset_available()  # the test machine has libharfbuzz-subset0
    monkeypatch.setattr(pdfmod, "harfbuzz_subset_available", lambda: False)
    with pytest.warns(pdfmod.SlowPdfWarning, match="libharfbuzz-subset0"):
        assert pdfmod.check_speed() is False


def _tree(element: Any, out: list[Any], depth: int = 0) -> list[Any]:
    out.append((depth, element.tag, sorted(element.attrib.items()), element.text or ""))
    for child in element:
        _tree(child, out, depth + 1)
    out.append((depth, "/", element.tail or ""))
    return out


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("name", ["strong", "borderline", "weak"])
def test_fast_parser_builds_the_tree_tinyhtml5_builds(name: str, lang: str) -> None:
    """The report's HTML read by `fast_tree` is, element for element and space for
    space, what WeasyPrint's own parser makes of it."""
    import tinyhtml5  # type: ignore[import-untyped]

    from assess.catalog import using
    from assess.rubric.selection import default_rubrics

    firm = load_firm_file(SAMPLES / f"{name}.json")
    with using(lang):  # type: ignore[arg-type]
        assessments = [evaluate(r, firm) for r in default_rubrics(firm, None)]
        html = render_html(assessments, firm, generated=GENERATED)
    fast = pdfmod.fast_tree(html)
    assert fast is not None
    want = _tree(tinyhtml5.parse(html, namespace_html_elements=False), [])
    assert _tree(fast, []) == want


@pytest.mark.parametrize(
    "body",
    [
        "<table><tr><td>1</td></tr></table>",  # HTML5 adds a <tbody>
        "<p>a<div>b</div></p>",  # a <div> closes the <p>
        "<div>a<span>b</div></span>",  # closed out of order
        "<div>left open",
        "<!-- a comment --><p>a</p>",
        '<svg viewbox="0 0 1 1" CLASS="x"></svg>',  # a name HTML5 would lower-case
    ],
)
def test_fast_parser_leaves_other_markup_to_tinyhtml5(body: str) -> None:
    assert pdfmod.fast_tree(f"<!DOCTYPE html><html><head></head><body>{body}</body></html>") is None


def test_fast_parser_gives_the_same_pdf(monkeypatch: pytest.MonkeyPatch) -> None:
    (a,), firm = _assess("borderline", (INNOVATIVE,))
    html = render_html([a], firm, generated=GENERATED)
    fast = pdfmod.pdf_bytes(html)
    monkeypatch.setattr(pdfmod, "fast_tree", lambda html: None)
    slow = pdfmod.pdf_bytes(html)
    strip = functools.partial(re.sub, rb"/CreationDate \([^)]*\)|/ModDate \([^)]*\)", b"")
    assert strip(fast) == strip(slow)

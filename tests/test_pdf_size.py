"""The PDF report's size, and that the lighter fonts still draw every character.

A report embeds each font face as a subset of the glyphs it draws.  `assess.report.pdf`
re-embeds WeasyPrint's Noto CJK subsets as bare CID-keyed CFF fonts of only those glyphs
(see `_lighter_fonts`).  These tests hold the default report (the 2026 default set, as
`assess score firm.json --pdf` writes it) to 300 KB, and check that each character the
report shows maps to a real glyph of an embedded font: no .notdef, no missing glyph.
No timings here: bench/render_bench.py measures speed.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("weasyprint")

from pypdf import PdfReader

from assess.engine import evaluate
from assess.intake.firm import load_firm_file
from assess.report import pdf as pdfmod
from assess.report.html import render_html
from assess.rubric.selection import default_rubrics

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ("strong", "borderline", "weak", "partial")
GENERATED = dt.date(2026, 3, 1)
MAX_BYTES = 300_000  # the bound for the default report


@dataclass(frozen=True)
class Embedded:
    name: str
    key: str  # /FontFile2 (TrueType) or /FontFile3 (CFF)
    subtype: str  # of the FontFile3 stream: /CIDFontType0C once made lighter
    program: bytes
    drawn: frozenset[int]  # CIDs the /W array gives widths for: the glyphs drawn
    unicode: dict[int, str]  # CID → text, from the ToUnicode CMap


class _Visible(HTMLParser):
    """The text a reader sees: the body, SVG labels included; not <head>, <style>."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in ("head", "style", "script"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("head", "style", "script") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def visible_chars(html: str) -> set[str]:
    parser = _Visible()
    parser.feed(html)
    css = (ROOT / "templates" / "report.css").read_text(encoding="utf-8")
    generated = "".join(re.findall(r'content:[^;]*?"([^"]*)"', css))  # running heads
    return {c for c in "".join(parser.parts) + generated if not c.isspace() and c.isprintable()}


def _widths_cids(widths: Any) -> set[int]:
    cids: set[int] = set()
    items = [w.get_object() if hasattr(w, "get_object") else w for w in widths]
    i = 0
    while i + 1 < len(items):
        if isinstance(items[i + 1], list):
            cids.update(range(int(items[i]), int(items[i]) + len(items[i + 1])))
            i += 2
        else:
            cids.update(range(int(items[i]), int(items[i + 1]) + 1))
            i += 3
    return cids


def _to_unicode(cmap: bytes) -> dict[int, str]:
    mapping = {}
    for block in re.findall(rb"beginbfchar(.*?)endbfchar", cmap, flags=re.S):
        for cid, text in re.findall(rb"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]*)>", block):
            mapping[int(cid, 16)] = bytes.fromhex(text.decode()).decode("utf-16-be")
    return mapping


def embedded_fonts(path: Path) -> list[Embedded]:
    reader = PdfReader(str(path))
    fonts: dict[str, Embedded] = {}
    for page in reader.pages:
        resources = page.get("/Resources")
        font_dict = resources.get_object().get("/Font") if resources is not None else None
        for ref in font_dict.get_object().values() if font_dict is not None else ():
            font = ref.get_object()
            name = str(font["/BaseFont"])
            if name in fonts:
                continue
            cid_font = font["/DescendantFonts"][0].get_object()
            descriptor = cid_font["/FontDescriptor"].get_object()
            key = "/FontFile3" if "/FontFile3" in descriptor else "/FontFile2"
            stream = descriptor[key].get_object()
            fonts[name] = Embedded(
                name=name,
                key=key,
                subtype=str(stream.get("/Subtype", "")),
                program=stream.get_data(),
                drawn=frozenset(_widths_cids(cid_font.get("/W", []))),
                unicode=_to_unicode(font["/ToUnicode"].get_object().get_data()),
            )
    return list(fonts.values())


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, str]]:
    """Each sample's default report, as `assess score samples/X.json --pdf` makes it."""
    folder = tmp_path_factory.mktemp("size")
    made = {}
    for name in SAMPLES:
        firm = load_firm_file(ROOT / "samples" / f"{name}.json")
        assessments = [evaluate(r, firm) for r in default_rubrics(firm, None)]
        html = render_html(assessments, firm, generated=GENERATED)
        path = folder / f"{name}.pdf"
        pdfmod.write_pdf(html, path)
        made[name] = (path, html)
    return made


@pytest.mark.parametrize("name", SAMPLES)
def test_default_report_is_at_most_300_kb(name: str, reports: dict[str, Any]) -> None:
    path, _ = reports[name]
    size = path.stat().st_size
    assert size <= MAX_BYTES, f"{name}.pdf is {size:,} bytes (at most {MAX_BYTES:,})"


@pytest.mark.parametrize("name", SAMPLES)
def test_fonts_are_bare_cid_cff_subsets_of_one_family(name: str, reports: dict[str, Any]) -> None:
    fonts = embedded_fonts(reports[name][0])
    assert fonts
    for font in fonts:
        assert font.subtype == "/CIDFontType0C", f"{font.name}: {font.subtype}"
        assert "Noto-Sans-CJK-SC" in font.name, f"{font.name}: one family for the report"
    assert len(fonts) <= 2, [f.name for f in fonts]  # regular and bold


@pytest.mark.parametrize("name", SAMPLES)
def test_every_character_maps_to_a_real_glyph(name: str, reports: dict[str, Any]) -> None:
    path, html = reports[name]
    shown: set[str] = set()
    for font in embedded_fonts(path):
        cids = pdfmod.cff_cids(font.program)
        assert cids is not None, f"{font.name} is not a CID-keyed CFF font"
        assert 0 not in font.drawn, f"{font.name} draws .notdef"
        lost = sorted(font.drawn - cids)
        assert not lost, f"{font.name}: glyphs drawn but not in the font: CIDs {lost[:10]}"
        unmapped = sorted(font.drawn - set(font.unicode))
        assert not unmapped, f"{font.name}: glyphs with no text: CIDs {unmapped[:10]}"
        shown.update("".join(font.unicode.values()))
    missing = sorted(visible_chars(html) - shown)
    assert not missing, f"{name}: characters no embedded font draws: {missing}"


def _raster(pdf: bytes, folder: Path, stem: str) -> bytes:
    source = folder / f"{stem}.pdf"
    source.write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", "72", "-gray", "-f", "1", "-l", "1", str(source), str(folder / stem)],
        check=True,
        capture_output=True,
    )
    (image,) = folder.glob(f"{stem}*.pgm")
    return image.read_bytes()


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils not installed")
def test_lighter_fonts_draw_the_same_pixels(tmp_path: Path) -> None:
    """The glyphs keep their CIDs: the page rasterises exactly as with WeasyPrint's own
    subsets (regular and bold, CJK, Latin, digits and the report's symbols)."""
    import weasyprint

    html = (
        "<html lang='zh-CN'><body style=\"font-family: 'Noto Sans CJK SC'; font-size: 14pt\">"
        "<p>专精特新中小企业 · 创新型 ≥ 60 分，研发费用占比 6.51%（1,210 万元）✓ ✗ → …</p>"
        "<p><b>未通过：主营业务收入增长率 14.57% 达到 15% 可再得 5 分</b></p>"
        "<p>Little giant, INN-01 ABCxyz 0123456789 「」《》（）</p></body></html>"
    )
    document = weasyprint.HTML(string=html).render()
    stock = document.write_pdf()
    light = document.write_pdf(finisher=pdfmod._lighter_fonts)
    assert b"/CIDFontType0C" in light and b"/CIDFontType0C" not in stock
    assert len(light) < len(stock) / 2
    assert _raster(light, tmp_path, "light") == _raster(stock, tmp_path, "stock")


def test_other_fonts_are_left_as_weasyprint_wrote_them(tmp_path: Path) -> None:
    """A TrueType face (DejaVu) is not CID-keyed CFF: its subset stays as it was."""
    import weasyprint

    document = weasyprint.HTML(
        string="<p style=\"font-family: 'DejaVu Sans'\">Latin only</p>"
    ).render()
    stock, light = document.write_pdf(), document.write_pdf(finisher=pdfmod._lighter_fonts)
    path = tmp_path / "latin.pdf"
    path.write_bytes(light)
    fonts = embedded_fonts(path)
    if not fonts or "DejaVu" not in fonts[0].name:
        pytest.skip("DejaVu Sans is not installed")
    assert fonts[0].key == "/FontFile2" and len(light) == len(stock)


def _cjk_html() -> str:
    return (
        "<html lang='zh-CN'><body style=\"font-family: 'Noto Sans CJK SC'\">"
        "<p>专精特新中小企业 · 创新型 ≥ 60 分</p><p><b>研发费用占比 6.51%</b></p></body></html>"
    )


def test_a_cjk_face_is_subset_once_into_the_same_bytes() -> None:
    """`pdf_bytes` subsets a CJK face once, straight into the bare CFF (WeasyPrint's own
    subset and the finisher's second one are skipped): the bytes are those of subsetting
    twice."""
    import weasyprint

    html = _cjk_html()
    once = pdfmod.pdf_bytes(html)
    document = weasyprint.HTML(string=html).render()
    twice = document.write_pdf(finisher=pdfmod._lighter_fonts)
    assert b"/CIDFontType0C" in once
    assert len(once) == len(twice) < 100_000


def test_a_cjk_font_that_cannot_be_made_bare_is_subset_by_weasyprint(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """When HarfBuzz cannot make the bare CFF, WeasyPrint subsets the font as it would
    have (an OpenType subset): never a whole 16 MB face in a report."""
    monkeypatch.setattr(pdfmod, "_subset_face", lambda face, glyphs, hinting=True: None)
    data = pdfmod.pdf_bytes(_cjk_html())
    assert b"/CIDFontType0C" not in data and b"/OpenType" in data
    assert len(data) < 1_000_000


def test_a_font_reads_its_whole_file_only_when_weasyprint_needs_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """While our documents are drawn a font holds its file's first bytes only; a font
    WeasyPrint subsets itself (here with no glyphs, which keeps the file as it is) gets
    the whole file back first."""
    from weasyprint.pdf.fonts import Font

    assert pdfmod._weasyprint_subset() is not None
    monkeypatch.setattr(pdfmod, "_bare_cff", lambda font, glyphs, hinting=False: None)
    wrapped, seen = Font.subset, dict[str, Any]()

    def spy(self: Any, to_unicode: Any, hinting: Any) -> None:
        seen["before"] = type(self.file_content)
        wrapped(self, {}, hinting)
        seen["after"] = len(self.file_content)

    monkeypatch.setattr(Font, "subset", spy)
    pdfmod.pdf_bytes(_cjk_html())
    assert seen["before"] is pdfmod._Head
    assert seen["after"] > 1_000_000  # the whole face

"""The PDF report: WeasyPrint applied to the HTML report (one template path).

WeasyPrint is imported inside the functions: importing it costs about 0.9 s, and
`assess --help` must stay fast.  Its URL fetcher is ours and refuses everything outside the
templates folder: no network, no `file://` elsewhere, no `data:`.  The report is
self-contained, so in practice nothing is fetched at all.

Speed (an agency's round renders a thousand reports): `pdf_bytes` reuses the caller's
FontConfiguration, lays the document out with a trimmed user-agent stylesheet (see
`_ua_stylesheet`) and pauses the cyclic garbage collector while WeasyPrint builds its box
trees.  `bench/render_bench.py` measures it.

Size: WeasyPrint subsets a font but keeps every glyph's slot up to the last one used, so
each Noto CJK subset carries ~63,000 empty glyph slots, about 140 KB of the ~235 KB it
compresses to.  When the document is written, `_lighter_fonts` re-embeds each such font as
a bare CID-keyed CFF holding only the glyphs drawn (see its note).
`tests/test_pdf_size.py` holds the report to its size.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import datetime as dt
import functools
import gc
import mimetypes
import re
import warnings
from collections.abc import Iterator, Mapping, Sequence
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from assess import data_dir

if TYPE_CHECKING:  # not imported at run time: a PDF writer needs no rubric models
    from assess.intake.firm import Firm
    from assess.results import Assessment, CohortPlace
    from assess.rubric import models as m

_HARFBUZZ_SUBSET = (
    "libharfbuzz-subset.so.0",
    "libharfbuzz-subset.0.dylib",
    "libharfbuzz-subset-0.dll",
)

HARFBUZZ_HINT = (
    "libharfbuzz-subset is missing: WeasyPrint falls back to fontTools to subset the CJK "
    "fonts and a Chinese report takes ~12 s instead of ~1 s. Install it "
    "(Debian/Ubuntu: apt-get install libharfbuzz-subset0). "
    "缺少 libharfbuzz-subset：生成中文 PDF 会慢约 10 倍，请安装 libharfbuzz-subset0。"
)


class SlowPdfWarning(RuntimeWarning):
    """PDF making will work, but slowly."""


@functools.cache
def harfbuzz_subset_available() -> bool:
    """Whether the HarfBuzz subsetter WeasyPrint uses for fast font subsetting loads."""
    for name in _harfbuzz_subset_names():
        try:
            ctypes.CDLL(name)
        except OSError:
            continue
        return True
    return False


def check_speed() -> bool:
    """Warn (once) when PDF making will be slow; return whether it will be fast."""
    ok = harfbuzz_subset_available()
    if not ok:
        warnings.warn(HARFBUZZ_HINT, SlowPdfWarning, stacklevel=3)
    return ok


def templates_dir() -> Path:
    return data_dir("templates").resolve()


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder)
    except ValueError:
        return False
    return True


def make_fetcher(root: Path | None = None) -> Any:
    """A WeasyPrint URL fetcher that serves files under `root` (the templates folder) and
    refuses every other URL.  It records what it was asked for in `.requested`."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    folder = (root or templates_dir()).resolve()

    class TemplateFetcher(URLFetcher):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__(timeout=1, allowed_protocols=("file",), allow_redirects=False)
            self.requested: list[str] = []
            self.refused: list[str] = []

        def fetch(self, url: str, headers: Any = None) -> Any:
            self.requested.append(url)
            parts = urlsplit(url)
            if parts.scheme == "file" and parts.netloc in ("", "localhost"):
                path = Path(unquote(parts.path))
                if _inside(path, folder) and path.is_file():
                    # WeasyPrint ignores a stylesheet not served as text/css.
                    return URLFetcherResponse(
                        url, path.read_bytes(), headers={"Content-Type": mime_type(path)}
                    )
            self.refused.append(url)
            raise ValueError(f"refused to fetch {url!r}: the report only loads files from {folder}")

    return TemplateFetcher()


def mime_type(path: Path) -> str:
    """The media type the fetcher serves a template file as (text/css for .css)."""
    guessed, _ = mimetypes.guess_type(path.name, strict=False)
    return guessed or "application/octet-stream"


# ---- rendering -----------------------------------------------------------------------------

# Rules of WeasyPrint's HTML user-agent stylesheet that match every element through a
# pseudo-element: WeasyPrint then computes a style for each of them on every element (six
# per element: most of the CSS cascade time of a report).  The report has no footnotes,
# and only <li> elements have markers.
_UA_DROP = (
    "::footnote-call",
    "::footnote-marker",
    "::note-call",
    "::note-marker",
    "::note-callback",
)
_UA_MARKER = "::marker {"


@functools.cache
def _ua_stylesheet() -> Any:
    """WeasyPrint's HTML user-agent stylesheet without its universal pseudo-element rules
    (`::marker` kept for <li>), or None when this WeasyPrint does not look as expected (the
    report then uses WeasyPrint's own, which is only slower)."""
    try:
        from weasyprint import CSS
        from weasyprint.html import UA, UA_COUNTER_STYLE
    except ImportError:
        return None
    lines = UA.splitlines()
    kept = [line for line in lines if not line.startswith(_UA_DROP)]
    if (
        len(lines) - len(kept) != len(_UA_DROP)
        or sum(line.startswith(_UA_MARKER) for line in kept) != 1
    ):
        return None
    kept = ["li" + line if line.startswith(_UA_MARKER) else line for line in kept]
    return CSS(string="\n".join(kept), counter_style=UA_COUNTER_STYLE)


@functools.cache
def _html_class() -> Any:
    """weasyprint.HTML, with the trimmed user-agent stylesheet when there is one, reading
    its string with `fast_tree` when it can."""
    import cssselect2  # type: ignore[import-untyped]
    import weasyprint
    from weasyprint.html import UA_STYLESHEET

    trimmed = _ua_stylesheet()
    find_base_url = getattr(weasyprint, "_find_base_url", None)
    if not hasattr(weasyprint.HTML, "_ua_stylesheets"):
        return weasyprint.HTML

    class ReportHTML(weasyprint.HTML):  # type: ignore[misc]
        def __init__(self, *, string: str, base_url: str, url_fetcher: Any = None) -> None:
            tree = fast_tree(string) if find_base_url is not None else None
            if tree is None or url_fetcher is None:
                super().__init__(string=string, base_url=base_url, url_fetcher=url_fetcher)
                return
            # What weasyprint.HTML.__init__ does once tinyhtml5 has built the tree.
            self.base_url = find_base_url(tree, base_url)  # type: ignore[misc]
            self.url_fetcher = url_fetcher
            self.media_type = "print"
            self.wrapper_element = cssselect2.ElementWrapper.from_html_root(
                tree, content_language=None
            )
            self.etree_element = self.wrapper_element.etree_element

        def _ua_stylesheets(self, forms: bool = False) -> list[Any]:
            sheets: list[Any] = super()._ua_stylesheets(forms)
            if trimmed is None:
                return sheets
            return [trimmed if sheet is UA_STYLESHEET else sheet for sheet in sheets]

    return ReportHTML


# ---- parsing ------------------------------------------------------------------------------
#
# WeasyPrint parses HTML with tinyhtml5, a pure-Python HTML5 parser that reads a character
# at a time: ~60 ms of a report's ~120 KB.  The report's HTML is markup of our own
# template, every tag closed and every value escaped, so the standard library's
# tokenizer (regular expressions) builds the same tree in a fifth of the time.  Whatever
# HTML5 would build differently is left to tinyhtml5: a tag closed out of order or left
# open, content a <p> cannot hold, tables (HTML5 adds their row groups), forms.


def _names(text: str) -> frozenset[str]:
    return frozenset(text.split())


_VOID = _names("area base br col embed hr img input link meta source track wbr")
_SVG_NS = "{http://www.w3.org/2000/svg}"
_XMLNS = "{http://www.w3.org/2000/xmlns/}"
# SVG attributes HTML5 gives back their case (the ones a report's charts could use).
_SVG_ATTRIBUTES = {
    name.lower(): name
    for name in _names(
        "viewBox preserveAspectRatio textLength lengthAdjust gradientUnits gradientTransform "
        "patternUnits patternTransform clipPathUnits markerWidth markerHeight refX refY"
    )
}
_NOT_FAST = _names(
    "table caption colgroup col thead tbody tfoot tr td th form select option optgroup "
    "template frameset frame noscript math textarea plaintext xmp iframe noembed "
    "base button input"
)
_CLOSES_P = _names(
    "address article aside blockquote details dialog div dl fieldset figcaption figure "
    "footer form h1 h2 h3 h4 h5 h6 header hgroup hr main menu nav ol p pre section "
    "summary ul li dd dt"
)
_ATTRIBUTE_NAME = re.compile(r"\s([^\s=/>]+)")


class _Unusual(Exception):
    """Markup HTML5 might build another tree from: parse it with tinyhtml5."""


class _FastTree(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        from xml.etree.ElementTree import TreeBuilder

        self.builder = TreeBuilder()
        self.open: list[str] = []
        self.svg = 0
        self.body_closed = False
        self.after_body = ""  # whitespace after </body>: HTML5 puts it at the body's end

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _NOT_FAST or tag.startswith("!"):
            raise _Unusual(tag)
        if self.svg or tag == "svg":
            self.svg += 1
            raw = self.get_starttag_text() or ""
            names = {n.lower(): n for n in _ATTRIBUTE_NAME.findall(raw)}
            attributes = {}
            for key, value in attrs:
                shown = _SVG_ATTRIBUTES.get(key, key)
                if names.get(key, key) != shown:
                    raise _Unusual(key)  # a mixed-case name HTML5 would lower-case
                if key == "xmlns":
                    shown = _XMLNS + key
                attributes[shown] = value or ""
            self.builder.start(_SVG_NS + tag, attributes)
            self.open.append(_SVG_NS + tag)
            return
        if self.open and self.open[-1] == "p" and tag in _CLOSES_P:
            raise _Unusual(tag)
        self.builder.start(tag, {key: value or "" for key, value in attrs})
        if tag in _VOID:
            self.builder.end(tag)
        else:
            self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if self.svg:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        name = _SVG_NS + tag if self.svg else tag
        if tag in _VOID and not self.svg:
            raise _Unusual(tag)
        if not self.open or self.open[-1] != name:
            raise _Unusual(tag)
        self.open.pop()
        self.builder.end(name)
        if self.svg:
            self.svg -= 1
        self.body_closed = self.body_closed or name == "body"

    def handle_data(self, data: str) -> None:
        if self.body_closed or not self.open:
            if data.strip():
                raise _Unusual("text outside <body>")
            self.after_body += data if self.body_closed else ""
        else:
            self.builder.data(data)

    def handle_comment(self, data: str) -> None:
        raise _Unusual("comment")

    def handle_pi(self, data: str) -> None:
        raise _Unusual("processing instruction")

    def unknown_decl(self, data: str) -> None:
        raise _Unusual("declaration")


def fast_tree(html: str) -> Any:
    """The tree tinyhtml5 builds from `html` (`namespace_html_elements=False`), built with
    the standard library's tokenizer; None for markup outside what that path handles."""
    parser = _FastTree()
    try:
        parser.feed(html)
        parser.close()
        if parser.open:
            return None
        root = parser.builder.close()
    except (_Unusual, AssertionError, IndexError):
        return None
    children = list(root)
    if root.tag != "html" or [child.tag for child in children] != ["head", "body"]:
        return None
    if (root.text or "").strip() or (children[0].tail or "").strip():
        return None
    root.text = None
    body = children[1]
    ending = parser.after_body
    if len(body):
        body[-1].tail = (body[-1].tail or "") + ending
    else:
        body.text = (body.text or "") + ending
    return root


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Layout allocates a few hundred thousand short-lived objects: without this the
    cyclic collector runs hundreds of times per report (~5 % of its time).  The young
    generations are collected once at the end, which frees the report's box trees."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.collect(1)


REPORT_STYLESHEET = "report.css"


@functools.cache
def _report_css() -> tuple[str, Any]:
    """The report's <style> block as `render_html` writes it, and the same stylesheet
    parsed once a process (WeasyPrint would parse the inline copy for every report)."""
    from weasyprint import CSS

    text = (templates_dir() / REPORT_STYLESHEET).read_text(encoding="utf-8")
    return f"<style>\n{text}\n</style>", CSS(string=text)


def pdf_bytes(html: str, *, font_config: object | None = None, fetcher: Any = None) -> bytes:
    """The PDF of `html`, made with the templates-only URL fetcher.

    Pass one WeasyPrint `FontConfiguration` for every document a process renders (a batch
    worker): fontconfig is then set up once, not once per report.  The report's own
    stylesheet, inline in `html`, is swapped for a copy parsed once (same rules, as a user
    stylesheet: above WeasyPrint's defaults, below anything else the document says).
    """
    check_speed()
    fetcher = fetcher if fetcher is not None else make_fetcher()
    block, sheet = _report_css()
    stylesheets = []
    if block in html:
        html = html.replace(block, "", 1)
        stylesheets.append(sheet)
    document = _html_class()(
        string=html, base_url=templates_dir().as_uri() + "/", url_fetcher=fetcher
    )
    with _gc_paused(), _cff_left_whole():
        data: bytes = document.write_pdf(
            font_config=font_config, stylesheets=stylesheets, finisher=_lighter_fonts
        )
    return data


# WeasyPrint subsets each font keeping every glyph slot up to the last one used (two
# HarfBuzz passes over the whole 63,000-glyph face: ~80 ms a report) and `_lighter_fonts`
# then subsets that again.  While our documents are written, a CID-keyed CFF face is
# subset once instead, straight from the face WeasyPrint drew with, into the bare CFF the
# finisher embeds (`_bare_cff`); a face it cannot subset so is subset by WeasyPrint as
# before, and the finisher lightens it as any other.
_OUR_DOCUMENT = False
_BARE = "_assess_bare_cff"  # set on a WeasyPrint font whose file_content is a bare CFF


@contextlib.contextmanager
def _cff_left_whole() -> Iterator[None]:
    global _OUR_DOCUMENT
    if _harfbuzz() is None or _weasyprint_subset() is None:
        yield
        return
    _OUR_DOCUMENT = True
    try:
        yield
    finally:
        _OUR_DOCUMENT = False


@functools.cache
def _weasyprint_subset() -> Any:
    """WeasyPrint's own `Font.subset`, after wrapping it to subset CID-keyed CFF faces
    into bare CFF programs while `_cff_left_whole` is on; None when this WeasyPrint has no
    such method.

    While our documents are drawn, a font also does not copy its face's whole file (19 MB
    for a Noto CJK collection, ~10 ms a face) when WeasyPrint meets it: it keeps the file's
    first bytes (`_Head`, what WeasyPrint reads to tell OpenType CFF from TrueType), and
    the whole file is read only if the font is not made a bare CFF."""
    try:
        import weasyprint.pdf.fonts as fonts
        from weasyprint.pdf.fonts import Font
    except ImportError:
        return None
    original = getattr(Font, "subset", None)
    kind = getattr(Font, "type", None)
    whole = getattr(fonts, "get_hb_object_data", None)
    if original is None or not isinstance(kind, property) or kind.fget is None or not whole:
        return None
    original_type = kind.fget
    original_init = Font.__init__

    def head_only(hb_object: Any, ot_color: Any = None, glyph: Any = None) -> Any:
        head = _file_head(hb_object) if ot_color is None else None
        return _Head(head) if head else whole(hb_object, ot_color, glyph)

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        if not _OUR_DOCUMENT:
            original_init(self, *args, **kwargs)
            return
        fonts.get_hb_object_data = head_only
        try:
            original_init(self, *args, **kwargs)
        finally:
            fonts.get_hb_object_data = whole

    def subset(self: Any, to_unicode: Any, hinting: Any) -> Any:
        if _OUR_DOCUMENT and to_unicode:
            bare = _bare_cff(self, set(to_unicode), hinting=bool(hinting))
            if bare is not None:
                self.file_content = bare
                setattr(self, _BARE, True)
                return None
        if isinstance(self.file_content, _Head):  # WeasyPrint's own subset needs it whole
            self.file_content = whole(self.hb_face)
        return original(self, to_unicode, hinting)

    def font_type(self: Any) -> Any:  # a bare CFF is embedded as a CFF (FontFile3)
        return "otf" if getattr(self, _BARE, False) else original_type(self)

    Font.__init__ = init
    Font.subset = subset
    Font.type = property(font_type)
    return original


class _Head(bytes):
    """The first bytes of a face's font file, standing in for the whole file."""


def _file_head(face: Any) -> bytes | None:
    """The first four bytes of the file a HarfBuzz face (WeasyPrint's cffi pointer) was
    made from, or None."""
    try:
        from weasyprint.text.ffi import ffi, harfbuzz

        blob = harfbuzz.hb_face_reference_blob(face)
    except (ImportError, AttributeError, TypeError):
        return None
    try:
        length = ffi.new("unsigned int *")
        data = harfbuzz.hb_blob_get_data(blob, length)
        if data == ffi.NULL or int(length[0]) < 4:
            return None
        head: bytes = ffi.unpack(data, 4)
        return head
    finally:
        harfbuzz.hb_blob_destroy(blob)


def _bare_cff(font: Any, glyphs: set[int], *, hinting: bool = False) -> bytes | None:
    """The glyphs of a WeasyPrint font's face as a bare CID-keyed CFF program, CIDs kept,
    hints dropped unless `hinting` (as WeasyPrint drops them), or None (not a static
    CID-keyed CFF face, or HarfBuzz could not subset it)."""
    tables = getattr(font, "tables", ())
    if "CFF " not in tables or "fvar" in tables:
        return None
    if getattr(font, "png", False) or getattr(font, "svg", False) or getattr(font, "colr", False):
        return None
    try:
        from weasyprint.text.ffi import ffi

        face = int(ffi.cast("uintptr_t", font.hb_face))
    except (ImportError, AttributeError, TypeError):
        return None
    made = _subset_face(face, glyphs, hinting=hinting)
    if made is None:
        return None
    cff, kept = made
    if not kept <= (cff_cids(cff) or set()):  # each glyph drawn still has its CID
        return None
    return cff


# ---- lighter fonts -------------------------------------------------------------------------
#
# WeasyPrint writes each glyph as its glyph id and embeds the subset with the glyph ids
# kept ("retain GIDs"): the glyphs drawn, and an empty slot for every other glyph below the
# last one used.  A report draws 650-800 distinct glyphs of Noto Sans CJK SC, whose ids
# run to 63,282: the subset is 860 KB (235 KB compressed), mostly offsets of empty
# charstrings and advance widths of glyphs never drawn.
#
# Noto CJK's CFF is CID-keyed, and in a CID-keyed CFF a glyph is found by its CID through
# the font's charset, not by its position (ISO 32000-1 §9.7.4.2).  WeasyPrint's text uses
# CID = original glyph id, so HarfBuzz can drop the empty slots, as long as the charset
# keeps each glyph's original CID (it does).  The font is then embedded as a bare CFF
# (FontFile3 /CIDFontType0C, the form PDF producers have used for CJK since PDF 1.3): every
# reader maps CIDs through a bare CFF's charset (some hand an OpenType-wrapped font's CID
# straight to FreeType as a glyph index), and the wrapper's per-glyph tables go too.
# Poppler, MuPDF and Ghostscript draw the pages pixel for pixel as before.  A font that
# is not CID-keyed CFF, or anything unexpected, stays as WeasyPrint wrote it.

_HB_MEMORY_MODE_READONLY = 1
_HB_SUBSET_FLAGS_NO_HINTING = 0x01
_HB_SUBSET_FLAGS_DESUBROUTINIZE = 0x04
_HB_SUBSET_FLAGS_NOTDEF_OUTLINE = 0x40
_CFF_TAG = int.from_bytes(b"CFF ", "big")
_HB_SUBSET_SETS_DROP_TABLE_TAG = 3
# Only the CFF table is kept: the others are not subset at all.  Without GSUB, HarfBuzz
# adds no glyph reachable through the layout rules (vertical forms, alternates) to the set.
_DROPPED = b"BASEDSIGEBDTEBLCEBSCGDEFGPOSGSUBJSTFLTSHPCLTSVG VORGcmaphmtxvmtxnamepost"
_DROPPED_TABLES = tuple(int.from_bytes(_DROPPED[i : i + 4], "big") for i in range(0, 72, 4))


def _harfbuzz_subset_names() -> Iterator[str]:
    """The usual sonames, then what `find_library` finds: asked only when none of them
    loads, since it runs ldconfig (and gcc) in a subprocess."""
    yield from _HARFBUZZ_SUBSET
    found = ctypes.util.find_library("harfbuzz-subset")
    if found is not None:
        yield found


@functools.cache
def _harfbuzz() -> Any:
    """libharfbuzz-subset through ctypes (its handle also finds libharfbuzz's symbols), or
    None."""
    lib = None
    for name in _harfbuzz_subset_names():
        try:
            lib = ctypes.CDLL(name)
        except OSError:
            continue
        break
    if lib is None:
        return None
    p, u = ctypes.c_void_p, ctypes.c_uint
    signatures: dict[str, tuple[Any, list[Any]]] = {
        "hb_blob_create": (p, [ctypes.c_char_p, u, ctypes.c_int, p, p]),
        "hb_blob_destroy": (None, [p]),
        "hb_blob_get_data": (p, [p, ctypes.POINTER(u)]),
        "hb_face_create": (p, [p, u]),
        "hb_face_destroy": (None, [p]),
        "hb_face_get_glyph_count": (u, [p]),
        "hb_face_reference_table": (p, [p, ctypes.c_uint32]),
        "hb_set_add": (None, [p, ctypes.c_uint32]),
        "hb_subset_input_create_or_fail": (p, []),
        "hb_subset_input_destroy": (None, [p]),
        "hb_subset_input_glyph_set": (p, [p]),
        "hb_subset_input_set": (p, [p, ctypes.c_int]),
        "hb_subset_input_set_flags": (None, [p, u]),
        "hb_subset_or_fail": (p, [p, p]),
    }
    try:
        for function, (restype, argtypes) in signatures.items():
            getattr(lib, function).restype = restype
            getattr(lib, function).argtypes = argtypes
    except AttributeError:  # a HarfBuzz older than 2.9
        return None
    return lib


def _cff_subset(font: bytes, glyphs: set[int]) -> tuple[bytes, set[int]] | None:
    """The CFF table of `font` (OpenType) with `glyphs` (glyph ids; .notdef added; HarfBuzz
    may keep one more) and the glyph ids asked for, or None.  Glyph ids the font does not
    have are left out (WeasyPrint gives a character no face has such an id: it shows as
    .notdef either way)."""
    hb = _harfbuzz()
    if hb is None:
        return None
    blob = hb.hb_blob_create(font, len(font), _HB_MEMORY_MODE_READONLY, None, None)
    face = hb.hb_face_create(blob, 0)
    try:
        return _subset_face(face, glyphs)
    finally:
        hb.hb_face_destroy(face)
        hb.hb_blob_destroy(blob)


def _subset_face(
    face: Any, glyphs: set[int], *, hinting: bool = True
) -> tuple[bytes, set[int]] | None:
    """`_cff_subset` of a HarfBuzz face (an `hb_face_t *`, which stays the caller's),
    without the fonts' hints unless `hinting`."""
    hb = _harfbuzz()
    if hb is None or not face:
        return None
    request = hb.hb_subset_input_create_or_fail()
    subset = table = None
    try:
        if not request:
            return None
        count = hb.hb_face_get_glyph_count(face)
        kept = {0} | {g for g in glyphs if g < count}
        glyph_set = hb.hb_subset_input_glyph_set(request)
        for glyph in sorted(kept):
            hb.hb_set_add(glyph_set, glyph)
        dropped = hb.hb_subset_input_set(request, _HB_SUBSET_SETS_DROP_TABLE_TAG)
        for tag in _DROPPED_TABLES:
            hb.hb_set_add(dropped, tag)
        flags = _HB_SUBSET_FLAGS_DESUBROUTINIZE | _HB_SUBSET_FLAGS_NOTDEF_OUTLINE
        hb.hb_subset_input_set_flags(
            request, flags if hinting else flags | _HB_SUBSET_FLAGS_NO_HINTING
        )
        subset = hb.hb_subset_or_fail(face, request)
        if not subset:
            return None
        table = hb.hb_face_reference_table(subset, _CFF_TAG)
        length = ctypes.c_uint(0)
        data = hb.hb_blob_get_data(table, ctypes.byref(length))
        if not data or not length.value:
            return None
        return ctypes.string_at(data, length.value), kept
    finally:
        if table:
            hb.hb_blob_destroy(table)
        if subset:
            hb.hb_face_destroy(subset)
        if request:
            hb.hb_subset_input_destroy(request)


def cff_cids(cff: bytes) -> set[int] | None:
    """The CIDs of a CID-keyed CFF font program (its charset), or None when it is not one."""
    import io

    from fontTools.cffLib import CFFFontSet  # type: ignore[import-untyped]

    fonts = CFFFontSet()
    try:
        fonts.decompile(io.BytesIO(cff), None)
        top = fonts.topDictIndex[0]
        if not hasattr(top, "ROS"):
            return None
        names = top.charset
    except Exception:  # a font program we cannot read is left as it was
        return None
    cids = set()
    for name in names:
        if name == ".notdef":
            cids.add(0)
        elif name.startswith("cid") and name[3:].isdigit():
            cids.add(int(name[3:]))
        else:
            return None
    return cids


def _widths_cids(widths: Sequence[Any]) -> set[int]:
    """The CIDs a CIDFont's /W array gives widths for (`c [w…]` and `c_first c_last w`)."""
    cids: set[int] = set()
    i = 0
    while i + 1 < len(widths):
        first, following = widths[i], widths[i + 1]
        if isinstance(following, list):
            cids.update(range(int(first), int(first) + len(following)))
            i += 2
        else:
            cids.update(range(int(first), int(following) + 1))
            i += 3
    return cids


def _lighter_fonts(document: Any, pdf: Any) -> None:
    """WeasyPrint finisher: each CID-keyed CFF font embedded as an OpenType subset with
    retained glyph ids becomes a bare CFF of the glyphs drawn, same CIDs (see above); a
    font `_bare_cff` already made bare is marked as one."""
    import pydyf  # type: ignore[import-untyped]

    objects = pdf.objects
    bare = {
        id(font.file_content)
        for font in getattr(document, "fonts", {}).values()
        if getattr(font, _BARE, False)
    }

    def resolve(reference: Any) -> Any:
        if isinstance(reference, str):
            reference = reference.encode()
        parts = reference.split() if isinstance(reference, bytes) else []
        if len(parts) == 3 and parts[0].isdigit() and int(parts[0]) < len(objects):
            found = objects[int(parts[0])]
            return found if found.number == int(parts[0]) else None
        return None

    users: dict[int, tuple[Any, list[Any], set[int]]] = {}
    for obj in objects:
        if not isinstance(obj, pydyf.Dictionary) or obj.get("Subtype") != "/CIDFontType0":
            continue
        descriptor = resolve(obj.get("FontDescriptor", b""))
        if not isinstance(descriptor, pydyf.Dictionary):
            continue
        stream = resolve(descriptor.get("FontFile3", b""))
        if not isinstance(stream, pydyf.Stream) or stream.extra.get("Subtype") != "/OpenType":
            continue
        _, fonts, cids = users.setdefault(stream.number, (stream, [], set()))
        fonts.append(obj)
        cids |= _widths_cids(obj.get("W", ()))
    for stream, fonts, cids in users.values():
        if len(stream.stream) == 1 and id(stream.stream[0]) in bare:
            cff = stream.stream[0]
        elif all(isinstance(part, bytes) for part in stream.stream):
            program = b"".join(stream.stream)
            if not program.startswith(b"OTTO"):
                continue
            subset = _cff_subset(program, cids)
            if subset is None:
                continue
            cff, kept = subset
            if not kept <= (cff_cids(cff) or set()):  # each glyph drawn still has its CID
                continue
        else:
            continue
        stream.stream = [cff]
        stream.extra["Subtype"] = "/CIDFontType0C"
        for font in fonts:
            font.pop("CIDToGIDMap", None)  # a CIDFontType2 entry


def write_pdf(
    html: str, path: Path, *, fetcher: Any = None, font_config: object | None = None
) -> None:
    """Render `html` to a PDF at `path`, atomically (`assess.atomic`: a temp file beside
    it, then a rename), so a failed run never leaves half a PDF or destroys the last one."""
    from assess.atomic import write_bytes

    write_bytes(Path(path), pdf_bytes(html, font_config=font_config, fetcher=fetcher))


def render_pdf(
    assessments: Sequence[Assessment],
    firm: Firm,
    path: Path,
    *,
    generated: dt.date | None = None,
    rubrics: Mapping[str, m.Rubric] | None = None,
    cohort: CohortPlace | None = None,
    font_config: object | None = None,
) -> str:
    """Render the report and write it as a PDF; return the HTML it was made from.
    `cohort`: the firm's place in its batch round, shown on the cover.  `rubrics` is
    accepted for callers that pass the rubrics scored: the assessments carry what the
    report needs."""
    from assess.report.html import render_html

    html = render_html(assessments, firm, generated=generated, cohort=cohort)
    write_pdf(html, path, font_config=font_config)
    return html

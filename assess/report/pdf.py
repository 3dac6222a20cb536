"""The PDF report: WeasyPrint applied to the HTML report (one template path).

WeasyPrint is imported inside the functions: importing it costs about 0.9 s, and
`assess --help` must stay fast.  Its URL fetcher is ours and refuses everything outside the
templates folder: no network, no `file://` elsewhere, no `data:`.  The report is
self-contained, so in practice nothing is fetched at all.

Speed (an agency's round renders a thousand reports): `pdf_bytes` reuses the caller's
FontConfiguration, lays the document out with a trimmed user-agent stylesheet (see
`_ua_stylesheet`) and pauses the cyclic garbage collector while WeasyPrint builds its box
trees.  `bench/render_bench.py` measures it.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import datetime as dt
import functools
import gc
import mimetypes
import warnings
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from assess.intake.firm import Firm
from assess.results import Assessment, CohortPlace
from assess.rubric import models as m
from assess.rubric.loader import data_dir

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
    for name in _HARFBUZZ_SUBSET:
        try:
            ctypes.CDLL(name)
        except OSError:
            continue
        return True
    return ctypes.util.find_library("harfbuzz-subset") is not None


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
    """weasyprint.HTML, with the trimmed user-agent stylesheet when there is one."""
    import weasyprint
    from weasyprint.html import UA_STYLESHEET

    trimmed = _ua_stylesheet()
    if trimmed is None or not hasattr(weasyprint.HTML, "_ua_stylesheets"):
        return weasyprint.HTML

    class ReportHTML(weasyprint.HTML):  # type: ignore[misc]
        def _ua_stylesheets(self, forms: bool = False) -> list[Any]:
            sheets: list[Any] = super()._ua_stylesheets(forms)
            return [trimmed if sheet is UA_STYLESHEET else sheet for sheet in sheets]

    return ReportHTML


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
    with _gc_paused():
        data: bytes = document.write_pdf(font_config=font_config, stylesheets=stylesheets)
    return data


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

"""The PDF report: WeasyPrint applied to the HTML report (one template path).

WeasyPrint is imported inside the functions: importing it costs about 0.9 s, and
`assess --help` must stay fast.  Its URL fetcher is ours and refuses everything outside the
templates folder: no network, no `file://` elsewhere, no `data:`.  The report is
self-contained, so in practice nothing is fetched at all.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import datetime as dt
import functools
import os
import tempfile
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from assess.intake.firm import Firm
from assess.results import Assessment
from assess.rubric import models as m
from assess.rubric.loader import data_dir

_HARFBUZZ_SUBSET = ("libharfbuzz-subset.so.0", "libharfbuzz-subset.0.dylib",
                    "libharfbuzz-subset-0.dll")

HARFBUZZ_HINT = (
    "libharfbuzz-subset is missing: WeasyPrint falls back to fontTools to subset the CJK "
    "fonts and a Chinese report takes ~12 s instead of ~1 s. Install it "
    "(Debian/Ubuntu: apt-get install libharfbuzz-subset0). "
    "缺少 libharfbuzz-subset：生成中文 PDF 会慢约 10 倍，请安装 libharfbuzz-subset0。")


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
                    return URLFetcherResponse(url, path.read_bytes())
            self.refused.append(url)
            raise ValueError(f"refused to fetch {url!r}: the report only loads files from "
                             f"{folder}")

    return TemplateFetcher()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_pdf(html: str, path: Path, *, fetcher: Any = None) -> None:
    """Render `html` to a PDF at `path`, atomically: a temp file beside it, then a rename,
    so a failed run never leaves half a PDF (or destroys the previous one)."""
    check_speed()
    import weasyprint

    fetcher = fetcher if fetcher is not None else make_fetcher()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    document = weasyprint.HTML(string=html, base_url=templates_dir().as_uri() + "/",
                               url_fetcher=fetcher)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            document.write_pdf(out)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes it 0600
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def render_pdf(assessments: Sequence[Assessment], firm: Firm, path: Path, *,
               generated: dt.date | None = None,
               rubrics: Mapping[str, m.Rubric] | None = None) -> str:
    """Render the report and write it as a PDF; return the HTML it was made from."""
    from assess.report.html import render_html

    html = render_html(assessments, firm, generated=generated, rubrics=rubrics)
    write_pdf(html, path)
    return html

"""The report's Jinja2 environment: autoescaped, strict, with the report's filters and a
bytecode cache, made once a process; and the stylesheet the report inlines."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import string
import unicodedata
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import jinja2
from markupsafe import Markup

import assess
from assess.catalog import language, t
from assess.numbers import fmt
from assess.rubric.loader import data_dir

TEMPLATE = "report.html.j2"
STYLESHEET = "report.css"

# Glyphs the Noto CJK faces lack, mapped to ones they have: a missing glyph would print as
# a box (or pull in a Latin fallback font).  The engine writes ✗ in pass explanations.
_GLYPHS = str.maketrans({"✗": "×", "✘": "×", "✔": "✓", "☑": "✓", "☐": "□", "☒": "×"})


def safe_glyphs(text: str) -> str:
    return text.translate(_GLYPHS)


def pad_label(text: str, ems: int) -> str:
    """`text` padded with ideographic spaces (one em each) to `ems` em, a CJK character
    counting one em and any other half: the hanging-label column of report.css.  An
    English label is not padded: report.css gives it a fixed-width box instead."""
    if language() == "en":
        return text
    width = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return text + "\u3000" * max(1, (2 * ems - width + 1) // 2)


def words(key: str, /, **params: Any) -> str:
    """The catalog's `t` as the template calls it: a figure passed in reads as
    everywhere else in the report (`fmt`: 18,600, not 18600.00)."""
    shown: dict[str, Any] = {k: fmt(v) if isinstance(v, Decimal) else v for k, v in params.items()}
    return t(key, **shown)


def _finalize(value: Any) -> Any:
    """Applied to every `{{ … }}` before escaping."""
    if value is None:
        return ""
    if isinstance(value, Markup):
        return value
    if isinstance(value, Decimal):
        return fmt(value)
    if isinstance(value, str):
        return value.translate(_GLYPHS)
    return value


# What the compiled template depends on besides its source: bump when an option below
# changes, so a stale cached compile is never used.
_COMPILE_OPTIONS = "autoescape,strict,finalize,trim_blocks,lstrip_blocks,keep_newline;v1"


class _QuietBytecodeCache(jinja2.FileSystemBytecodeCache):
    """Jinja2's per-user bytecode cache (a private folder under the temp dir): compiling
    the report template costs ~40 ms, loading its bytecode ~1 ms.  Every fault of the
    cache (unwritable folder, damaged file) only means compiling again."""

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except Exception:  # a damaged or foreign file: compile instead
            bucket.reset()

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        with contextlib.suppress(OSError):
            super().dump_bytecode(bucket)


def _bytecode_cache() -> jinja2.BytecodeCache | None:
    tag = hashlib.sha1(f"{assess.__version__};{_COMPILE_OPTIONS}".encode()).hexdigest()[:12]
    try:
        return _QuietBytecodeCache(pattern=f"__assess_report_{tag}_%s.cache")
    except (OSError, RuntimeError):  # no safe per-user temp folder: no cache
        return None


@functools.cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(data_dir("templates"))),
        autoescape=True,  # firm data is untrusted text: never markup
        undefined=jinja2.StrictUndefined,
        finalize=_finalize,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,  # the template is data shipped with the package
        bytecode_cache=_bytecode_cache(),
    )
    filters: dict[str, Callable[..., Any]] = {"num": fmt, "glyphs": safe_glyphs, "pad": pad_label}
    env.filters.update(filters)
    env.globals["t"] = words  # the catalog's words, in the language of the report being made
    return env


@functools.cache
def template() -> jinja2.Template:
    """The report template, compiled (or loaded from the bytecode cache) once a process."""
    return environment().get_template(TEMPLATE)


def _css_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\A ") + '"'


def css_content(key: str, /, **values: str) -> str:
    """A catalog text as the value of a CSS `content`: its words quoted, each placeholder
    replaced by the CSS value given for it ("第 {page} 页" with page="counter(page)" →
    `"第 " counter(page) " 页"`)."""
    parts = []
    kept: dict[str, Any] = {k: "{" + k + "}" for k in values}  # placeholders left in
    text = t(key, **kept)
    for literal, name, _, _ in string.Formatter().parse(text):
        if literal:
            parts.append(_css_string(literal))
        if name is not None:
            parts.append(values[name])
    return " ".join(parts) or '""'


def page_css() -> Markup:
    """The words the stylesheet draws itself, in the language in force: the running title,
    the page numbers and the page a link points to."""
    target = "target-counter(attr(href), page)"
    title = css_content("report.css.running_title")
    pages = css_content("report.css.page_of", page="counter(page)", pages="counter(pages)")
    see = css_content("report.css.see_page", page=target)
    on = css_content("report.css.on_page", page=target)
    return Markup(
        f"@page {{ @top-left {{ content: {title}; }} @bottom-right {{ content: {pages}; }} }}\n"
        # Restated here: an author's @page rule outranks report.css's user-level :first.
        "@page :first { @top-left { content: none; } }\n"
        f".verdict-link::after {{ content: {see}; }}\n"
        f".cover-warn a::after {{ content: {on}; }}"
    )


@functools.cache
def stylesheet() -> str:
    return (data_dir("templates") / STYLESHEET).read_text(encoding="utf-8")

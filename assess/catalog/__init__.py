"""One home for every word a user sees: a typed catalog, Chinese first, English on request.

Each `assess/catalog/<domain>.yaml` maps a dotted key to its text in both languages::

    cli.score.help:
      zh: 对一家企业按适用的评价标准评分
      en: Score one firm against the standards that apply to it

The first part of a key names its file (`cli.…` lives in `cli.yaml`), so each part of the
program keeps its words in its own file.  The catalog is checked when it loads: every entry
has both languages, non-empty, with the same `{placeholders}`; a key is defined once.  A
missing key or language is an error, never a silent fallback (a test loads the catalog and
looks up every key the code uses).

Why a YAML catalog and not gettext: the texts are short, parameterised and reviewed side by
side in both languages; one file per domain keeps the two languages of a phrase on
neighbouring lines, and a check on load gives the "missing in either language" guarantee
without a compile step.  Dates and numbers are formatted by `assess.numbers`, not here.

The language is Chinese unless `--lang en` is given or the locale (`LC_ALL`, `LC_MESSAGES`,
`LANG`) names English; it is held in a context variable so that a web request or a batch
worker can use its own.
"""

from __future__ import annotations

import os
import string
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any, Literal, get_args

import yaml

Lang = Literal["zh", "en"]
LANGUAGES: tuple[Lang, ...] = get_args(Lang)
DEFAULT: Lang = "zh"

_current: ContextVar[Lang] = ContextVar("assess_language", default=DEFAULT)


class CatalogError(Exception):
    """The catalog files disagree with themselves: a bug in the program, found on load."""


def language() -> Lang:
    return _current.get()


def set_language(lang: Lang) -> None:
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; known: {', '.join(LANGUAGES)}")
    _current.set(lang)


@contextmanager
def using(lang: Lang) -> Iterator[None]:
    """Words in `lang` inside the block (a request, a report), whatever the process uses."""
    token = _current.set(lang)
    try:
        yield
    finally:
        _current.reset(token)


def language_from_env(environ: Mapping[str, str] | None = None) -> Lang:
    """English when the locale asks for it (`LANG=en_US.UTF-8`), else Chinese."""
    env = os.environ if environ is None else environ
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(name, "")
        if value:
            return "en" if value.lower().startswith("en") else "zh"
    return DEFAULT


def _fields(text: str) -> frozenset[str]:
    names = set()
    for _, name, _, _ in string.Formatter().parse(text):
        if name is not None:
            if not name or not name.isidentifier():
                raise CatalogError(f"placeholder {{{name}}} must be a name, e.g. {{field}}")
            names.add(name)
    return frozenset(names)


@dataclass(frozen=True)
class Entry:
    key: str
    texts: Mapping[str, str]
    fields: frozenset[str]
    source: str


def _domains() -> list[tuple[str, str]]:
    out = []
    for item in sorted(resources.files(__package__).iterdir(), key=lambda p: p.name):
        if item.name.endswith(".yaml"):
            out.append((item.name.removesuffix(".yaml"), item.read_text(encoding="utf-8")))
    return out


def check_entries(domain: str, source: str, data: Any) -> dict[str, Entry]:
    """The entries of one catalog file, or a `CatalogError` naming every problem in it."""
    problems: list[str] = []
    entries: dict[str, Entry] = {}
    if not isinstance(data, dict):
        raise CatalogError(f"{source}: expected a mapping of keys to texts")
    for key, texts in data.items():
        where = f"{source}: {key}"
        if not isinstance(key, str) or key.split(".", 1)[0] != domain or "." not in key:
            problems.append(f"{where}: a key in {domain}.yaml starts with '{domain}.'")
            continue
        if not isinstance(texts, dict) or set(texts) != set(LANGUAGES):
            problems.append(f"{where}: needs exactly {', '.join(LANGUAGES)}")
            continue
        if not all(isinstance(v, str) and v.strip() for v in texts.values()):
            problems.append(f"{where}: every language needs a text")
            continue
        try:
            fields = {lang: _fields(texts[lang]) for lang in LANGUAGES}
        except CatalogError as exc:
            problems.append(f"{where}: {exc}")
            continue
        if len(set(fields.values())) != 1:
            shown = "; ".join(f"{lang}: {sorted(f)}" for lang, f in fields.items())
            problems.append(f"{where}: placeholders differ between languages ({shown})")
            continue
        entries[key] = Entry(key, dict(texts), fields[DEFAULT], source)
    if problems:
        raise CatalogError("\n".join(problems))
    return entries


@cache
def catalog() -> Mapping[str, Entry]:
    """Every entry of every catalog file, checked (once per process)."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    entries: dict[str, Entry] = {}
    for domain, text in _domains():
        source = f"assess/catalog/{domain}.yaml"
        # A duplicate key inside one file would silently keep the last: refuse it.
        seen: set[str] = set()
        for line in text.splitlines():
            if line and not line[0].isspace() and not line.startswith("#") and ":" in line:
                key = line.split(":", 1)[0].strip().strip("'\"")
                if key in seen:
                    raise CatalogError(f"{source}: {key} is defined twice")
                seen.add(key)
        entries.update(check_entries(domain, source, yaml.load(text, Loader=loader)))
    return entries


def t(key: str, /, lang: Lang | None = None, **params: Any) -> str:
    """The text of `key` in the current language (or `lang`), with its placeholders filled."""
    entry = catalog()[key]
    missing = entry.fields - params.keys()
    if missing:
        raise KeyError(f"{key} needs {', '.join(sorted(missing))}")
    return entry.texts[lang or _current.get()].format(**params)


def has(key: str) -> bool:
    return key in catalog()


def table(prefix: str, lang: Lang | None = None) -> dict[str, str]:
    """A label table: `table("label.tier")` → {"innovative": "创新型中小企业", …}."""
    head = prefix + "."
    return {
        k[len(head) :]: e.texts[lang or _current.get()]
        for k, e in catalog().items()
        if k.startswith(head) and "." not in k[len(head) :]
    }


@dataclass(frozen=True)
class Message:
    """A coded message: what JSON and the 问题清单 carry (code and parameters), worded by the
    catalog when shown."""

    code: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def text(self, lang: Lang | None = None) -> str:
        return t(self.code, lang, **self.params)

    def record(self) -> dict[str, Any]:
        return {"code": self.code, "params": {k: _plain(v) for k, v in self.params.items()}}


def _plain(value: Any) -> Any:
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


def parse_lang(value: str) -> Lang:
    """`--lang` as given: zh or en (an English locale name such as en_US also means en)."""
    low = value.strip().lower()
    if low.startswith("en"):
        return "en"
    if low.startswith("zh"):
        return "zh"
    raise ValueError(f"unknown language {value!r}; use zh or en")

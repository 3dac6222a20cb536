"""Load YAML while remembering where every value came from — and refuse hostile YAML.

PyYAML's parser gives each event its start mark; we compose the node tree from the events
(`_compose`), build plain Python values from it and keep a map from key path to (line,
column), so an error found later (by pydantic or by a semantic check) can name
`file:line:col key.path`.

Rubric and firm files may come from anyone, so every way YAML can make a small file cost a
lot is bounded here, and each refusal is a located problem, never an exception:

* the file: a regular file of at most `MAX_FILE_BYTES`, checked on the opened descriptor
  (no FIFO, device or directory; a symlink is followed and its target checked the same way);
* nesting: at most `MAX_DEPTH` levels, checked while composing (so a 100,000-deep `[[[…`
  never reaches Python's recursion limit) and while building (so a recursive alias stops);
* size after aliases: at most `MAX_NODES` values built, counting each use of an alias as a
  copy — a "billion laughs" stops after `MAX_NODES` steps instead of filling memory;
* tags: only the plain YAML types (map, list, text, integer, decimal, yes/no, null, date);
  `!!python/…`, `!!binary`, `!!set`, merge keys `<<` and local tags are refused;
* numbers: at most `MAX_NUMBER_CHARS` characters and, as exact values, a magnitude within
  10^±`MAX_EXPONENT`, so nothing downstream turns `1e999999` into a million-digit integer.
"""

from __future__ import annotations

import datetime as dt
import errno
import os
import re
import stat
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

from assess.catalog import t
from assess.errors import Problem

Loc = tuple[str | int, ...]

# Bounds, generous against what real files need: the largest bundled rubric is 40 KB with
# under 1,000 values and 8 levels; a firm file holds about a hundred fields.  PyYAML's pure
# Python parser reads about 1 MB per second, so MAX_FILE_BYTES also bounds the time.
MAX_FILE_BYTES = 1024 * 1024
MAX_DEPTH = 64
MAX_NODES = 100_000
MAX_NUMBER_CHARS = 64
MAX_EXPONENT = 30

_TAG = "tag:yaml.org,2002:"
_SCALAR_TAGS = {f"{_TAG}{t}" for t in ("str", "int", "float", "bool", "null", "timestamp")}
_MAP_TAG, _SEQ_TAG = f"{_TAG}map", f"{_TAG}seq"
_SAFE = yaml.constructor.SafeConstructor()


def format_path(loc: Sequence[str | int]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


@dataclass
class Located:
    """A YAML document as plain data plus the position of every key and value."""

    data: Any
    source: str
    # (file, line, column) per key path: a merged document (a rubric that `extends`
    # another) holds places in more than one file.
    positions: dict[Loc, tuple[str, int, int]] = field(default_factory=dict)
    key_positions: dict[Loc, tuple[str, int, int]] = field(default_factory=dict)

    def where(self, loc: Sequence[str | int], *, key: bool = False) -> str:
        """`file:line:col` of the deepest known part of loc (1-based)."""
        loc = tuple(loc)
        while True:
            pos = (self.key_positions.get(loc) if key else None) or self.positions.get(loc)
            if pos is not None:
                return f"{pos[0]}:{pos[1]}:{pos[2]}"
            if not loc:
                return self.source
            loc = loc[:-1]

    def copy_places(self, other: Located, src: Loc, dst: Loc) -> None:
        """Take the places of everything under `src` in `other` as those under `dst`."""
        n = len(src)
        for mine, theirs in (
            (self.positions, other.positions),
            (self.key_positions, other.key_positions),
        ):
            for loc, pos in theirs.items():
                if loc[:n] == src:
                    mine[dst + loc[n:]] = pos

    def problem(self, loc: Sequence[str | int], message: str, *, key: bool = False) -> Problem:
        return Problem(self.where(loc, key=key), format_path(loc), message)


class _Refused(Exception):
    """The document is too big or too deep to build at all: one problem ends the load."""

    def __init__(self, problem: Problem):
        self.problem = problem


class _Resolver(yaml.resolver.Resolver):
    """The safe loader's implicit types, plus YAML 1.2's reading of `1e5`.

    YAML 1.1 reads an exponent without a dot as text, which then reaches the models as a
    string that pydantic turns into a number with no bound; YAML 1.2 reads it as a number,
    and so do we, so that `1e999999` is refused here with its place.
    """


_Resolver.add_implicit_resolver(
    f"{_TAG}float",
    re.compile(r"^[-+]?[0-9][0-9_]*(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
    list("-+0123456789"),
)
_RESOLVER = _Resolver()
# libyaml's parser, where PyYAML was built with it, reads a rubric about twenty times
# faster than the pure Python one; both give the same events.
_EVENTS: Any = yaml.CSafeLoader if yaml.__with_libyaml__ else yaml.SafeLoader


def _compose(text: str) -> yaml.Node | None:
    """The node graph of a one-document YAML text, composed without recursion.

    PyYAML's composers (in Python and in C) recurse once per level — unbounded `[[[…`
    ends in RecursionError or overflows the C stack — and compose a whole document before
    anyone can count its nodes.  Here the parser's events are taken one by one onto an
    explicit stack, and composing stops, with the place, at MAX_DEPTH levels or MAX_NODES
    nodes (an alias counts once here; `_build` counts each use as a copy).
    """
    events = _EVENTS(text)
    try:
        events.get_event()  # stream start
        if events.check_event(yaml.StreamEndEvent):
            return None
        events.get_event()  # document start
        anchors: dict[str, yaml.Node] = {}
        # open collections, each with the key waiting for its value (mappings only)
        stack: list[list[Any]] = []
        count = 0
        root: yaml.Node | None = None
        while root is None:
            event = events.get_event()
            if isinstance(event, yaml.CollectionEndEvent):
                node, _ = stack.pop()
                node.end_mark = event.end_mark
                if stack:
                    continue
                root = node
                break
            count += 1
            start: Any = event.start_mark  # a libyaml Mark or a PyYAML one: the same fields
            if count > MAX_NODES:
                raise yaml.composer.ComposerError(
                    None, None, t("intake.yaml.too_many_values", limit=MAX_NODES), start
                )
            if isinstance(event, yaml.AliasEvent):
                if event.anchor not in anchors:
                    raise yaml.composer.ComposerError(
                        None,
                        None,
                        t("rubric.yaml.undefined_alias", name=event.anchor),
                        start,
                    )
                node = anchors[event.anchor]
            else:
                if event.anchor is not None and event.anchor in anchors:
                    raise yaml.composer.ComposerError(
                        None,
                        None,
                        t("rubric.yaml.duplicate_anchor", name=event.anchor),
                        start,
                    )
                node = _node(event)
                if event.anchor is not None:
                    anchors[event.anchor] = node
            if stack:
                frame = stack[-1]
                if isinstance(frame[0], yaml.SequenceNode):
                    frame[0].value.append(node)
                elif frame[1] is None:
                    frame[1] = node
                else:
                    frame[0].value.append((frame[1], node))
                    frame[1] = None
            if isinstance(event, yaml.CollectionStartEvent):
                if len(stack) >= MAX_DEPTH:
                    raise yaml.composer.ComposerError(
                        None, None, t("intake.yaml.too_deep", limit=MAX_DEPTH), start
                    )
                stack.append([node, None])
            elif not stack:
                root = node
        events.get_event()  # document end
        if not events.check_event(yaml.StreamEndEvent):
            raise yaml.composer.ComposerError(
                None, None, t("rubric.yaml.one_document"), events.get_event().start_mark
            )
        return root
    finally:
        events.dispose()


def _node(event: Any) -> yaml.Node:
    tag = event.tag
    start: Any = event.start_mark
    end: Any = event.end_mark
    if isinstance(event, yaml.ScalarEvent):
        if tag is None or tag == "!":
            tag = _RESOLVER.resolve(yaml.ScalarNode, event.value, event.implicit)  # type: ignore[no-untyped-call]
        return yaml.ScalarNode(tag, event.value, start, end, event.style)
    kind = yaml.SequenceNode if isinstance(event, yaml.SequenceStartEvent) else yaml.MappingNode
    if tag is None or tag == "!":
        tag = _RESOLVER.resolve(kind, None, event.implicit)  # type: ignore[no-untyped-call]
    return kind(tag, [], start, None, event.flow_style)


def _short(loc: Loc) -> str:
    """A key path for a message; a runaway one (a recursive alias) is cut short."""
    return format_path(loc) if len(loc) <= 12 else f"{format_path(loc[:12])}…"


@dataclass
class _Build:
    out: Located
    problems: list[Problem]
    nodes: int = 0


def _build(node: yaml.Node, loc: Loc, state: _Build) -> Any:
    out = state.out
    state.nodes += 1
    if state.nodes > MAX_NODES:
        raise _Refused(
            Problem.coded(
                _mark(out.source, node), _short(loc), "intake.yaml.too_many_copies", limit=MAX_NODES
            )
        )
    if len(loc) > MAX_DEPTH:  # a recursive alias (`&a [*a]`) composes fine but never ends
        raise _Refused(
            Problem.coded(
                _mark(out.source, node), _short(loc), "intake.yaml.alias_too_deep", limit=MAX_DEPTH
            )
        )
    out.positions[loc] = (out.source, node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        if node.tag != _MAP_TAG:
            state.problems.append(_tag_problem(out.source, node, loc))
            return {}
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == f"{_TAG}merge":
                state.problems.append(
                    Problem.coded(
                        _mark(out.source, key_node), format_path(loc), "intake.yaml.merge_key"
                    )
                )
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                state.problems.append(
                    Problem.coded(
                        _mark(out.source, key_node), format_path(loc), "rubric.yaml.key_not_plain"
                    )
                )
                continue
            key = _scalar(key_node, loc, state)
            if key is _BAD:
                continue
            if key in result:
                state.problems.append(
                    Problem.coded(
                        _mark(out.source, key_node),
                        format_path((*loc, key)),
                        "rubric.yaml.duplicate_key",
                        key=repr(key),
                    )
                )
                continue
            child = (*loc, key)
            out.key_positions[child] = (
                out.source,
                key_node.start_mark.line + 1,
                key_node.start_mark.column + 1,
            )
            value = _build(value_node, child, state)
            result[key] = None if value is _BAD else value
        return result
    if isinstance(node, yaml.SequenceNode):
        if node.tag != _SEQ_TAG:
            state.problems.append(_tag_problem(out.source, node, loc))
            return []
        items = [_build(item, (*loc, i), state) for i, item in enumerate(node.value)]
        return [None if v is _BAD else v for v in items]
    return _scalar(node, loc, state)


_BAD: Any = object()  # a value already reported as a problem


def _scalar(node: yaml.Node, loc: Loc, state: _Build) -> Any:
    """The value of a scalar node, or `_BAD` after recording why it cannot be read."""
    source = state.out.source

    def refuse(code: str, **params: Any) -> Any:
        state.problems.append(Problem.coded(_mark(source, node), format_path(loc), code, **params))
        return _BAD

    tag, text = node.tag, str(node.value)
    if tag == f"{_TAG}value":  # the plain scalar `=`: an old YAML type, read as text
        return text
    if tag not in _SCALAR_TAGS:
        state.problems.append(_tag_problem(source, node, loc))
        return _BAD
    if tag in (f"{_TAG}int", f"{_TAG}float") and len(text) > MAX_NUMBER_CHARS:
        return refuse(
            "intake.yaml.long_number", text=text[:20], length=len(text), limit=MAX_NUMBER_CHARS
        )
    # Floats are read from their text as Decimal, so 0.1 in a rubric is exactly 0.1.
    if tag == f"{_TAG}float":
        try:
            number = Decimal(text.replace("_", ""))
        except InvalidOperation:
            number = None
        if number is not None:
            if not number.is_finite():
                return refuse("intake.yaml.not_finite", text=text)
            return _bounded(number, text, refuse)
    try:
        value = _SAFE.yaml_constructors[tag](_SAFE, node)
    except (ValueError, ArithmeticError, yaml.YAMLError):
        # e.g. the date 2026-02-30, or an integer past Python's 4,300-digit limit
        key = "intake.yaml.bad_date" if tag == f"{_TAG}timestamp" else "intake.yaml.bad_value"
        return refuse(key, text=repr(text[:40]))
    if isinstance(value, float):  # a base-60 float such as 1:30.5 that Decimal cannot read
        if value != value or value in (float("inf"), float("-inf")):
            return refuse("intake.yaml.not_finite", text=text)
        return _bounded(Decimal(str(value)), text, refuse)
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**MAX_EXPONENT:
        shown = f"{text[:20]}{'…' if len(text) > 20 else ''}"
        return refuse("intake.yaml.too_large", text=shown, exponent=MAX_EXPONENT)
    if isinstance(value, dt.datetime | dt.date | str | int | bool) or value is None:
        return value
    return refuse("intake.yaml.unsupported_value", text=repr(text[:40]))  # pragma: no cover


def _bounded(number: Decimal, text: str, refuse: Any) -> Any:
    exponent = number.as_tuple().exponent
    assert isinstance(exponent, int)  # finite
    magnitude = number.adjusted() if number else 0
    if abs(magnitude) > MAX_EXPONENT or abs(exponent) > MAX_EXPONENT + MAX_NUMBER_CHARS:
        return refuse("intake.yaml.out_of_range", text=text[:20], exponent=MAX_EXPONENT)
    return number


def _tag_problem(source: str, node: yaml.Node, loc: Loc) -> Problem:
    tag = node.tag.replace(_TAG, "!!")
    return Problem.coded(_mark(source, node), format_path(loc), "intake.yaml.tag", tag=tag[:60])


def _mark(source: str, node: yaml.Node) -> str:
    return f"{source}:{node.start_mark.line + 1}:{node.start_mark.column + 1}"


def load_located(text: str, source: str) -> tuple[Located, list[Problem]]:
    """Parse YAML text; a syntax error, a duplicate key or a refused construct is a located
    problem, never an exception."""
    located = Located(None, source)
    if len(text) > MAX_FILE_BYTES:
        return located, [
            Problem.coded(source, "", "intake.read.too_big", limit=MAX_FILE_BYTES // 1024)
        ]
    try:
        node = _compose(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"{source}:{mark.line + 1}:{mark.column + 1}" if mark else source
        problem = exc.problem
        if problem == "exceeded maximum nesting depth":  # libyaml's own bound, 1,000 levels
            problem = t("intake.yaml.too_deep", limit=MAX_DEPTH)
        return located, [Problem.coded(where, "", "rubric.yaml.invalid", problem=problem)]
    except yaml.reader.ReaderError as exc:  # a control character or a stray byte
        # libyaml counts the position in UTF-8 bytes, PyYAML in characters
        before = (
            text.encode("utf-8")[: exc.position].decode("utf-8", "ignore")
            if yaml.__with_libyaml__
            else text[: exc.position]
        )
        where = f"{source}:{before.count(chr(10)) + 1}:{len(before) - before.rfind(chr(10))}"
        char = exc.character if isinstance(exc.character, str) else chr(exc.character)
        return located, [
            Problem.coded(where, "", "intake.yaml.bad_character", char=f"U+{ord(char):04X}")
        ]
    except yaml.YAMLError as exc:  # pragma: no cover - PyYAML marks its composer errors
        return located, [Problem.coded(source, "", "rubric.yaml.invalid", problem=exc)]
    state = _Build(located, [])
    try:
        data = None if node is None else _build(node, (), state)
        located.data = None if data is _BAD else data
    except _Refused as refused:
        located.data = None
        return located, [*state.problems, refused.problem]
    return located, state.problems


class UnreadableFile(Exception):
    """A file refused before parsing: its name, why (`reason`, worded from the catalog's
    `code` and `params`) and what kind of refusal it is (`kind`: missing, folder,
    not_regular, too_big, unreadable, encoding), so a caller with its own words can use
    them."""

    def __init__(self, path: Path, kind: str, code: str, **params: Any):
        self.reason = t(code, **params)
        super().__init__(f"{path}: {self.reason}")
        self.path, self.kind, self.code, self.params = path, kind, code, params

    def problem(self, where: str) -> Problem:
        return Problem.coded(where, "", self.code, **self.params)


def read_bytes_limited(path: Path, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of a regular file of at most `limit` bytes.

    The checks run on the opened descriptor, so what is checked is what is read: a
    directory, a FIFO (opened without blocking for a writer), a device such as /dev/zero
    or a socket is refused, and so is a file larger than `limit` — also one that grows
    while it is read.  Symlinks are followed; their target passes the same checks.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise UnreadableFile(path, "missing", "intake.read.missing") from None
    except IsADirectoryError:
        raise UnreadableFile(path, "folder", "intake.read.folder") from None
    except OSError as exc:
        raise UnreadableFile(path, "unreadable", "intake.read.cannot_open", why=_why(exc)) from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise UnreadableFile(path, "folder", "intake.read.folder")
        if not stat.S_ISREG(info.st_mode):
            raise UnreadableFile(path, "not_regular", "intake.read.not_regular")
        too_big = UnreadableFile(path, "too_big", "intake.read.too_big", limit=limit // 1024)
        if info.st_size > limit:
            raise too_big
        chunks: list[bytes] = []
        size = 0
        while size <= limit:
            chunk = os.read(fd, min(65536, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:
            raise too_big
    except OSError as exc:
        raise UnreadableFile(path, "unreadable", "intake.read.cannot_read", why=_why(exc)) from None
    finally:
        os.close(fd)
    return b"".join(chunks)


def read_limited(path: Path, *, limit: int = MAX_FILE_BYTES, encoding: str = "utf-8") -> str:
    """The text of a regular file of at most `limit` bytes (see `read_bytes_limited`)."""
    data = read_bytes_limited(path, limit)
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise UnreadableFile(path, "encoding", "intake.read.encoding", byte=exc.start + 1) from None


def load_file(
    path: Path, display: str | None = None, *, mapping: bool = True
) -> tuple[Located, list[Problem]]:
    """Read and parse a YAML file (a rubric or a size standard: a mapping of keys unless
    `mapping` is False); every refusal is a problem naming the file."""
    source = display or str(path)
    try:
        text = read_limited(path)
    except UnreadableFile as exc:
        return Located(None, source), [exc.problem(source)]
    doc, problems = load_located(text, source)
    if not problems and mapping and not isinstance(doc.data, dict):
        kind = "empty" if doc.data is None else _KIND.get(type(doc.data), "value")
        problems = [
            Problem.coded(source, "", "intake.yaml.not_mapping", kind=t(f"intake.yaml.kind.{kind}"))
        ]
    return doc, problems


_KIND: dict[type, str] = {
    list: "list",
    str: "text",
    int: "integer",
    Decimal: "number",
    bool: "yes_no",
}


# Why the system refused to open or read a file, in the catalog's words where it has them.
_WHY = {
    errno.EACCES: "no_permission",
    errno.EPERM: "no_permission",
    errno.ELOOP: "loop",
    errno.ENAMETOOLONG: "name_too_long",
    errno.EIO: "io_error",
    errno.ENOTDIR: "not_a_folder",
}


def _why(exc: OSError) -> str:
    key = _WHY.get(exc.errno or 0)
    if key is not None:
        return t(f"intake.read.why.{key}")
    return t("intake.read.why.system", code=errno.errorcode.get(exc.errno or 0, str(exc.errno)))

"""Load YAML while remembering where every value came from.

PyYAML's composer gives each node its start mark; we build plain Python values from the
node tree and keep a map from key path to (line, column), so an error found later (by
pydantic or by a semantic check) can name `file:line:col key.path`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

from assess.errors import Problem

Loc = tuple[str | int, ...]


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


class _DuplicateKey(Exception):
    def __init__(self, key: str, mark: yaml.Mark):
        self.key, self.mark = key, mark


def _build(node: yaml.Node, loc: Loc, out: Located, problems: list[Problem]) -> Any:
    out.positions[loc] = (out.source, node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = _scalar(key_node)
            if isinstance(key, list | dict):
                problems.append(
                    Problem(
                        _mark(out.source, key_node), format_path(loc), "a key must be a plain value"
                    )
                )
                continue
            if key in result:
                problems.append(
                    Problem(
                        _mark(out.source, key_node),
                        format_path((*loc, key)),
                        f"duplicate key {key!r}",
                    )
                )
                continue
            child = (*loc, key)
            out.key_positions[child] = (
                out.source,
                key_node.start_mark.line + 1,
                key_node.start_mark.column + 1,
            )
            result[key] = _build(value_node, child, out, problems)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_build(item, (*loc, i), out, problems) for i, item in enumerate(node.value)]
    return _scalar(node)


def _scalar(node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        # Floats are read from their text as Decimal, so 0.1 in a rubric is exactly 0.1.
        if node.tag == "tag:yaml.org,2002:float":
            try:
                return Decimal(node.value.replace("_", ""))
            except InvalidOperation:
                pass
        # The safe constructor resolves the other tags: int, bool, date, null, str.
        return yaml.SafeLoader("").construct_object(node)
    return [] if isinstance(node, yaml.SequenceNode) else {}


def _mark(source: str, node: yaml.Node) -> str:
    return f"{source}:{node.start_mark.line + 1}:{node.start_mark.column + 1}"


def load_located(text: str, source: str) -> tuple[Located, list[Problem]]:
    """Parse YAML text; a syntax error or a duplicate key is a located problem."""
    located = Located(None, source)
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"{source}:{mark.line + 1}:{mark.column + 1}" if mark else source
        return located, [Problem(where, "", f"not valid YAML: {exc.problem}")]
    problems: list[Problem] = []
    located.data = None if node is None else _build(node, (), located, problems)
    return located, problems


def load_file(path: Path, display: str | None = None) -> tuple[Located, list[Problem]]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return Located(None, str(path)), [Problem(str(path), "", f"cannot read: {exc}")]
    return load_located(text, display or str(path))

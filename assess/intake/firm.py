"""Firm data: field id -> typed value, with where it came from and what looked odd."""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from assess.errors import InputError, Problem
from assess.fields import FIELDS_BY_ID
from assess.intake.checks import consistency_warnings
from assess.intake.places import place as place  # where applicants are named
from assess.intake.values import FieldValue, ValueProblem, parse_value, shown
from assess.yamlsrc import load_located


@dataclass(frozen=True)
class Firm:
    """One applicant's answers.  A field that is absent is unknown; zero is a value."""

    values: Mapping[str, FieldValue]
    source: str = ""
    warnings: tuple[str, ...] = field(default=())

    @property
    def name(self) -> str:
        return str(self.values.get("name") or Path(self.source).stem or "未命名企业")

    def get(self, field_id: str) -> FieldValue | None:
        return self.values.get(field_id)


@dataclass(frozen=True)
class Record:
    """One firm read from a file: the firm, or the problems that stop it being assessed.

    A workbook gives one record per firm; a bad row is a record with problems, so it never
    sinks the other rows.  `row` is the sheet row for the 批量 sheet, else None.
    """

    source: str  # the file, as given
    row: int | None = None
    firm: Firm | None = None
    problems: tuple[Problem, ...] = ()
    sheet: str | None = None  # 问卷 or 批量 for a workbook

    @property
    def ok(self) -> bool:
        return self.firm is not None and not self.problems

    @property
    def where(self) -> str:
        return place(self.source, self.sheet, self.row)

    @property
    def warnings(self) -> tuple[str, ...]:
        return self.firm.warnings if self.firm is not None else ()


def make_firm(
    values: Mapping[str, FieldValue], source: str, warnings: tuple[str, ...] = ()
) -> Firm:
    """A `Firm` from values already checked one by one, with the cross-field warnings."""
    return Firm(values, source, (*warnings, *consistency_warnings(values)))


def firm_from_mapping(
    data: Mapping[str, Any], source: str, where: Mapping[str, str] | None = None
) -> Firm:
    """Check every value against its field; raise `InputError` with all problems at once.

    `where` maps a field id to its place in the source (a line, a cell) for messages.
    """
    problems: list[Problem] = []
    warnings: list[str] = []
    values: dict[str, FieldValue] = {}
    for key, raw in data.items():
        spec = FIELDS_BY_ID.get(key) if isinstance(key, str) else None
        if spec is None:
            near = key if isinstance(key, str) and len(key) <= 64 else ""
            guess = difflib.get_close_matches(near, FIELDS_BY_ID, n=1) if near else []
            hint = f"; did you mean {guess[0]!r}?" if guess else ""
            warnings.append(f"未知字段 {shown(key)} 已忽略 (unknown field ignored{hint})")
            continue
        at = (where or {}).get(spec.id, source)
        notes: list[str] = []
        try:
            value = parse_value(spec, raw, notes)
        except ValueProblem as exc:
            message = str(exc) if exc.labelled else f"{spec.label}: {exc}"
            problems.append(Problem(at, spec.id, message))
            continue
        warnings.extend(f"{note}（{at} {spec.id}）" for note in notes)
        if value is not None:
            values[spec.id] = value
    if problems:
        raise InputError(problems)
    return make_firm(values, source, tuple(warnings))


# A firm is a few kilobytes of "field id: value"; 100,000-character names, the longest a
# test sends, are well within this.
MAX_FILE_BYTES = 8 * 2**20
# Firm data is one flat object; nesting deeper than this is refused before the parser's
# recursion could fail on it (100,000 nested lists are a few hundred kilobytes).
MAX_JSON_DEPTH = 32
_JSON_TOKEN = re.compile(r'"(?:[^"\\]+|\\.)*"|[\[\]{}]')


class _DuplicateKey(Exception):
    def __init__(self, key: str):
        self.key = key


def _unique_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object that names a key twice is refused: which value was meant is unknown."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKey(key)
        out[key] = value
    return out


def _json_int(text: str) -> int | Decimal:
    # int() refuses more than 4,300 digits with a ValueError that would end the parse;
    # Decimal reads any length, and the field check then refuses the figure by name.
    return int(text) if len(text) <= 30 else Decimal(text)


def _line_col(text: str, offset: int) -> str:
    line = text.count("\n", 0, offset) + 1
    col = offset - text.rfind("\n", 0, offset)
    return f"{line}:{col}"


def _check_depth(text: str, source: str) -> None:
    if text.count("[") + text.count("{") <= MAX_JSON_DEPTH:
        return  # cannot nest deeper: the usual flat file costs two counts
    depth = 0
    for token in _JSON_TOKEN.finditer(text):
        char = token.group()
        if char in "[{":
            depth += 1
            if depth > MAX_JSON_DEPTH:
                raise InputError(
                    f"{source}:{_line_col(text, token.start())}: JSON 嵌套超过 "
                    f"{MAX_JSON_DEPTH} 层：企业数据应是一层“字段ID: 值”的对象，"
                    '如 {"name": "某某科技有限公司", "revenue": 12000}'
                )
        elif char in "]}":
            depth -= 1


def _load_json(text: str, source: str) -> Any:
    _check_depth(text, source)
    try:
        return json.loads(
            text, parse_float=str, parse_int=_json_int, object_pairs_hook=_unique_pairs
        )
    except json.JSONDecodeError as exc:
        raise InputError(f"{source}:{exc.lineno}:{exc.colno}: not valid JSON: {exc.msg}") from None
    except _DuplicateKey as dup:
        quoted = json.dumps(dup.key, ensure_ascii=False)
        lines = [
            _line_col(text, m.start()).split(":")[0]
            for m in re.finditer(re.escape(quoted) + r"\s*:", text)
        ]
        at = f"{source}:{lines[1]}" if len(lines) >= 2 else source
        rows = f"（第 {lines[0]} 行和第 {lines[1]} 行）" if len(lines) >= 2 else ""
        raise InputError(
            f"{at}: 字段 {shown(dup.key)} 出现了两次{rows}：不知道该用哪一个值，请只保留一个"
        ) from None
    except RecursionError:  # _check_depth should have refused it first
        raise InputError(f"{source}: JSON 嵌套过深：企业数据应是一层“字段ID: 值”的对象") from None


def load_firm_file(path: Path) -> Firm:
    """Read `.json` or `.yaml` firm data keyed by field ids."""
    data, where = read_mapping(path)
    return firm_from_mapping(data, str(path), where)


def read_mapping(path: Path) -> tuple[dict[str, Any], dict[str, str]]:
    """The raw field id → value mapping of a `.json` or `.yaml` file and each key's place.

    Raises `InputError` for a file that cannot be read at all; the values are not checked.
    """
    source = str(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise InputError(
                f"{source}: 文件过大（{size / 2**20:,.1f} MB）：一家企业的数据不超过 "
                f"{MAX_FILE_BYTES // 2**20} MB，请检查是否选错了文件"
            )
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(f"{source}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{source}: cannot read: {exc}") from None
    suffix = path.suffix.lower()
    where: dict[str, str] = {}
    if suffix == ".json":
        data = _load_json(text, source)
    elif suffix in (".yaml", ".yml"):
        doc, problems = load_located(text, source)
        if problems:
            raise InputError(problems)
        data = doc.data
        if isinstance(data, dict):
            where = {str(k): doc.where((k,)) for k in data}
    else:
        raise InputError(
            f"{source}: firm data must be .json, .yaml or .xlsx, not "
            f"{suffix or 'a file without an extension'}"
        )
    if not isinstance(data, dict):
        raise InputError(f"{source}: firm data must be an object of field id → value")
    return data, where

"""Firm data: field id -> typed value, with where it came from and what looked odd."""

from __future__ import annotations

import difflib
import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from assess.catalog import Message, t
from assess.errors import InputError, Problem
from assess.fields import FIELDS_BY_ID
from assess.firm import Firm as Firm  # the model; intake builds it
from assess.intake.checks import consistency_warnings
from assess.intake.places import place as place  # where applicants are named
from assess.intake.values import FieldValue, ValueProblem, parse_value, shown
from assess.yamlsrc import UnreadableFile, load_located, read_bytes_limited


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


def worded(notice: Problem, source: str = "") -> str:
    """A warning as the firm reads it: the message, then its cell (`问卷!D14`) if any."""
    where = "" if notice.where == source else notice.where
    if " › " in where:
        where = where.split(" › ", 1)[1]  # the sheet and cell; the file is the firm's
    return f"{notice.message}（{where}）" if where else notice.message


def make_firm(
    values: Mapping[str, FieldValue], source: str, notices: Sequence[Problem] = ()
) -> Firm:
    """A `Firm` from values already checked one by one, with the cross-field warnings."""
    every = (*notices, *consistency_warnings(values))
    return Firm(values, source, tuple(worded(n, source) for n in every), every)


def note_problem(where: str, field_id: str, note: Message) -> Problem:
    """A coded warning at `where` about `field_id`, from a value reader's note."""
    return Problem.coded(where, field_id, note.code, **note.params)


def firm_from_mapping(
    data: Mapping[str, Any], source: str, where: Mapping[str, str] | None = None
) -> Firm:
    """Check every value against its field; raise `InputError` with all problems at once.

    `where` maps a field id to its place in the source (a line, a cell) for messages.
    """
    problems: list[Problem] = []
    notices: list[Problem] = []
    values: dict[str, FieldValue] = {}
    for key, raw in data.items():
        spec = FIELDS_BY_ID.get(key) if isinstance(key, str) else None
        if spec is None:
            notices.append(unknown_field(source, key))
            continue
        at = (where or {}).get(spec.id, source)
        notes: list[Message] = []
        try:
            value = parse_value(spec, raw, notes)
        except ValueProblem as exc:
            problems.append(Problem.coded(at, spec.id, exc.code, **exc.params))
            continue
        notices.extend(note_problem(at, spec.id, n) for n in notes)
        if value is not None:
            values[spec.id] = value
    if problems:
        raise InputError(problems)
    return make_firm(values, source, notices)


def unknown_field(where: str, key: object) -> Problem:
    """The warning for a key or column that names no field, with the nearest one."""
    near = key if isinstance(key, str) and len(key) <= 64 else ""
    guess = difflib.get_close_matches(near, FIELDS_BY_ID, n=1) if near else []
    if guess:
        spec = FIELDS_BY_ID.get(guess[0])
        label = spec.label if spec is not None else guess[0]
        return Problem.coded(
            where, "", "intake.warn.unknown_field_guess", name=shown(key), guess=label
        )
    return Problem.coded(where, "", "intake.warn.unknown_field", name=shown(key))


# A firm is a few kilobytes of "field id: value"; 100,000-character names, the longest a
# test sends, are well within this.
MAX_FILE_BYTES = 8 * 2**20
# Firm data is one flat object; nesting deeper than this is refused before the parser's
# recursion could fail on it (100,000 nested lists are a few hundred kilobytes).
MAX_JSON_DEPTH = 32
_JSON_TOKEN = re.compile(r'"(?:[^"\\]+|\\.)*"|[\[\]{}]')


_EXAMPLE = '{"name": "某某科技有限公司", "revenue": 12000}'


def file_error(source: str, code: str, **params: Any) -> InputError:
    """A file that cannot be read at all: one coded problem naming the file."""
    return InputError([Problem.coded(source, "", code, **params)])


def wrong_suffix(source: str, suffix: str) -> InputError:
    return file_error(
        source, "intake.file.wrong_suffix", suffix=suffix or t("intake.file.no_suffix")
    )


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
                    [
                        Problem.coded(
                            f"{source}:{_line_col(text, token.start())}",
                            "",
                            "intake.file.json_too_deep",
                            depth=MAX_JSON_DEPTH,
                            example=_EXAMPLE,
                        )
                    ]
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
        raise InputError(
            [
                Problem.coded(
                    source,
                    "",
                    "intake.file.bad_json",
                    line=exc.lineno,
                    column=exc.colno,
                    reason=_json_reason(exc.msg),
                )
            ]
        ) from None
    except _DuplicateKey as dup:
        quoted = json.dumps(dup.key, ensure_ascii=False)
        lines = [
            _line_col(text, m.start()).split(":")[0]
            for m in re.finditer(re.escape(quoted) + r"\s*:", text)
        ]
        at = f"{source}:{lines[1]}" if len(lines) >= 2 else source
        rows = (
            t("intake.file.duplicate_rows", first=lines[0], second=lines[1])
            if len(lines) >= 2
            else ""
        )
        raise InputError(
            [
                Problem.coded(
                    at, str(dup.key), "intake.file.duplicate_key", key=shown(dup.key), rows=rows
                )
            ]
        ) from None
    except RecursionError:  # _check_depth should have refused it first
        raise InputError(
            [
                Problem.coded(
                    source, "", "intake.file.json_too_deep", depth=MAX_JSON_DEPTH, example=_EXAMPLE
                )
            ]
        ) from None


def load_firm_file(path: Path) -> Firm:
    """Read `.json` or `.yaml` firm data keyed by field ids."""
    data, where = read_mapping(path)
    return firm_from_mapping(data, str(path), where)


# The JSON parser's own reasons (English, fixed texts) in the catalog's words.
_JSON_REASONS = (
    ("Expecting property name", "intake.json.key"),
    ("Expecting value", "intake.json.value"),
    ("Expecting ',' delimiter", "intake.json.comma"),
    ("Expecting ':' delimiter", "intake.json.colon"),
    ("Unterminated string", "intake.json.string"),
    ("Invalid control character", "intake.json.control"),
    ("Invalid \\escape", "intake.json.escape"),
    ("Invalid \\uXXXX escape", "intake.json.escape"),
    ("Extra data", "intake.json.extra"),
)


def _json_reason(message: str) -> str:
    for start, key in _JSON_REASONS:
        if message.startswith(start):
            return t(key)
    return t("intake.json.other")


def _read_regular(path: Path, source: str) -> bytes:
    """The bytes of a regular file of at most `MAX_FILE_BYTES`, through the one bounded
    reader (`yamlsrc.read_bytes_limited`): a FIFO, a device such as /dev/zero or a folder is
    refused instead of hanging or filling the memory.  Its refusals in intake's words."""
    try:
        return read_bytes_limited(path, MAX_FILE_BYTES)
    except UnreadableFile as exc:
        if exc.kind == "missing":
            raise FileNotFoundError(path) from None
        if exc.kind in ("folder", "not_regular"):
            raise file_error(source, "intake.file.not_regular") from None
        if exc.kind == "too_big":
            size = os.stat(path).st_size
            raise file_error(
                source,
                "intake.file.too_large",
                size=f"{size / 2**20:,.1f}",
                limit=MAX_FILE_BYTES // 2**20,
            ) from None
        raise file_error(source, "intake.file.cannot_read", reason=exc.reason) from None


def read_mapping(path: Path) -> tuple[dict[str, Any], dict[str, str]]:
    """The raw field id → value mapping of a `.json` or `.yaml` file and each key's place.

    Raises `InputError` for a file that cannot be read at all; the values are not checked.
    """
    source = str(path)
    try:
        text = _read_regular(path, source).decode("utf-8-sig")
    except FileNotFoundError:
        raise file_error(source, "intake.file.no_such_file") from None
    except UnicodeDecodeError:
        raise file_error(source, "intake.file.not_utf8") from None
    except OSError as exc:
        raise file_error(source, "intake.file.cannot_read", reason=exc.strerror or exc) from None
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
        raise wrong_suffix(source, suffix)
    if not isinstance(data, dict):
        raise file_error(source, "intake.file.not_object", example=_EXAMPLE)
    return data, where

"""Firm data: field id -> typed value, with where it came from and what looked odd."""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assess.errors import InputError, Problem
from assess.fields import FIELDS_BY_ID
from assess.intake.checks import consistency_warnings
from assess.intake.places import place as place  # where applicants are named
from assess.intake.values import FieldValue, ValueProblem, parse_value
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
        spec = FIELDS_BY_ID.get(str(key))
        if spec is None:
            guess = difflib.get_close_matches(str(key), FIELDS_BY_ID, n=1)
            hint = f"; did you mean {guess[0]!r}?" if guess else ""
            warnings.append(f"未知字段 {key!r} 已忽略 (unknown field ignored{hint})")
            continue
        try:
            value = parse_value(spec, raw)
        except ValueProblem as exc:
            at = (where or {}).get(spec.id, source)
            problems.append(Problem(at, spec.id, f"{spec.label}: {exc}"))
            continue
        if value is not None:
            values[spec.id] = value
    if problems:
        raise InputError(problems)
    return make_firm(values, source, tuple(warnings))


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
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(f"{source}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{source}: cannot read: {exc}") from None
    suffix = path.suffix.lower()
    where: dict[str, str] = {}
    if suffix == ".json":
        try:
            data = json.loads(text, parse_float=str, parse_int=int)
        except json.JSONDecodeError as exc:
            raise InputError(
                f"{source}:{exc.lineno}:{exc.colno}: not valid JSON: {exc.msg}"
            ) from None
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

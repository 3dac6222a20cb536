"""The firm model: one applicant's answers, below every layer that reads or scores them.

Intake builds a `Firm` from files; rubric selection, the engine, the plan and the reports
read it.  It lives here, not in `assess.intake`, so that the rubric layer can name it
without importing intake (the import contract in pyproject.toml keeps it so).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from assess.errors import Problem

FieldValue = Decimal | int | bool | str


@dataclass(frozen=True)
class Firm:
    """One applicant's answers.  A field that is absent is unknown; zero is a value.

    `notices` are the coded warnings (code, field, place, parameters) for JSON and the
    agency's 问题清单; `warnings` are the same worded, in the language in force when the
    firm was read, each with its cell.
    """

    values: Mapping[str, FieldValue]
    source: str = ""
    warnings: tuple[str, ...] = field(default=())
    notices: tuple[Problem, ...] = field(default=())
    # A 批量 sheet row: its columns that name no field, (column letter, heading, text) in
    # sheet order, which
    # a round's summary carries through unchanged; and each field's column letter there
    # (one mapping shared by the sheet's rows), so a blank figure is sent back with its cell.
    extra: tuple[tuple[str, str, str], ...] = field(default=(), compare=False)
    columns: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)

    @property
    def name(self) -> str:
        return str(self.values.get("name") or Path(self.source).stem or "未命名企业")

    def get(self, field_id: str) -> FieldValue | None:
        return self.values.get(field_id)

"""The online questionnaire: the Excel questionnaire's questions as an HTML form.

Generated from the same table as `assess template` (`assess.fields` through
`intake.template.template_fields`): the same questions in the same sections and order,
labels, units, hints (`_help_text`: required, size, gate, help and where a figure comes
from), dropdowns and required marks (`_mark`).  Answers are read by intake's value
reader, so a problem is worded as it is for a cell, placed at its question's label.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from assess.catalog import Lang, language, t
from assess.errors import Problem
from assess.fields import NUMERIC_TYPES, Field, FieldType, Section


@dataclass(frozen=True)
class Question:
    spec: Field
    marked: bool  # required (*): a blank leaves a verdict pending
    required: bool  # the form cannot be scored without it
    hint: str
    kind: str  # text, number or select
    options: tuple[tuple[str, str], ...]  # (value, label) for a select, a blank first
    value: str
    errors: tuple[str, ...]

    @property
    def id(self) -> str:
        return self.spec.id

    @property
    def maxlength(self) -> int:
        if self.kind == "number":
            from assess.fields import MAX_NUMBER_TEXT

            return MAX_NUMBER_TEXT
        return self.spec.text_limit


@dataclass(frozen=True)
class Group:
    title: str
    anchor: str
    questions: tuple[Question, ...]


def _layout() -> tuple[tuple[Field, bool, str], ...]:
    return _layout_in(language())


@functools.cache
def _layout_in(lang: Lang) -> tuple[tuple[Field, bool, str], ...]:
    """Every question of the default questionnaire: its field, mark and hint (worded in
    `lang`, the language in force when it is called)."""
    from assess.intake.template import _help_text, _mark, _rubrics, template_fields
    from assess.intake.uses import gate_fields

    gates = gate_fields(_rubrics(None))
    return tuple((spec, _mark(spec, gates), _help_text(spec, gates)) for spec in template_fields())


def field_ids() -> frozenset[str]:
    return frozenset(spec.id for spec, _, _ in _layout())


def _options(spec: Field) -> tuple[tuple[str, str], ...]:
    """(value sent, label shown): 是/否 and the choices' values, as the reader takes them."""
    if spec.type is FieldType.BOOL:
        return (("", ""), ("是", t("web.form.yes")), ("否", t("web.form.no")))
    if spec.type is FieldType.ENUM:
        return (("", ""), *((v, spec.choice_label(v)) for v in spec.choice_values))
    return ()


def _kind(spec: Field) -> str:
    if spec.type in (FieldType.BOOL, FieldType.ENUM):
        return "select"
    return "number" if spec.type in NUMERIC_TYPES else "text"


def answer_text(spec: Field, value: object) -> str:
    """A firm's value as the form shows it: 是/否, a choice's value, a plain number."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral() else str(value)
    return str(value)


def answers_of(values: Mapping[str, object]) -> dict[str, str]:
    """A scored firm's values as form answers, to go on editing them online."""
    by_id = {spec.id: spec for spec, _, _ in _layout()}
    return {k: answer_text(by_id[k], v) for k, v in values.items() if k in by_id}


def groups(answers: Mapping[str, str], problems: Iterable[Problem] = ()) -> list[Group]:
    """The questions in their sections, with the answers given and each one's problems."""
    errors: dict[str, list[str]] = {}
    for problem in problems:
        errors.setdefault(problem.path, []).append(problem.message)
    out = []
    for number, section in enumerate(Section, start=1):
        questions = tuple(
            Question(
                spec=spec,
                marked=marked,
                required=spec.required,
                hint=hint,
                kind=_kind(spec),
                options=_options(spec),
                value=answers.get(spec.id, ""),
                errors=tuple(errors.get(spec.id, ())),
            )
            for spec, marked, hint in _layout()
            if spec.section is section
        )
        if questions:
            out.append(Group(section.label, f"s{number}", questions))
    return out

"""Fields a local rubric brings with it: a park or a province that scores what the national
questionnaire does not ask (园区入驻年限, 本地配套率 …) declares those fields in its own file.

    fields:
      - {id: park_years, label: {zh: 入驻园区年限, en: Years in the park}, unit: {zh: 年,
         en: years}, type: number, minimum: 0}
      - {id: local_supply_share, label: 本地配套率, unit: "%", type: percent}

Its label, unit, help and choice labels are plain (Chinese) or `{zh: …, en: …}`; English
output shows the Chinese of one without English.

A declared field is then like any other: the questionnaire (`assess template -r
park.yaml`) asks for it in the 地方特色指标 section, `score` and `batch` read it from JSON,
YAML, the 问卷 sheet or a 批量 column (by id or by label), and the rubric's formulas may
name it; it is an input of the rubric without being listed in `inputs`.  A rubric that
`extends` another inherits its fields (merged by id, `remove: {fields: [id]}` drops one).

An id may not be one of the built-in fields, and two rubrics loaded together may declare
the same id only with the same definition: a figure means one thing in a run.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Literal

from pydantic import AfterValidator, model_validator
from pydantic import Field as ModelField

from assess import fields as registry
from assess.catalog import t
from assess.fields import Field, FieldType, Section
from assess.rubric.common import NO_TEXT, Strict, Text

_TYPES: dict[str, FieldType] = {
    "int": FieldType.INT,
    "number": FieldType.NUMBER,
    "money": FieldType.MONEY,
    "percent": FieldType.PERCENT,
    "bool": FieldType.BOOL,
    "text": FieldType.TEXT,
    "enum": FieldType.ENUM,
}


def _limit(most: int, least: int = 0) -> AfterValidator:
    """A text whose Chinese and English each have between `least` and `most` characters."""

    def check(text: Text) -> Text:
        for words in (text.zh, text.en):
            if len(words) > most:
                raise ValueError(t("rubric.value.text_too_long", count=most))
        if len(text.zh) < least:
            raise ValueError(t("rubric.value.text_too_short", count=least))
        return text

    return AfterValidator(check)


class LocalChoice(Strict):
    value: str = ModelField(pattern=r"^[a-z0-9_]+$")
    label: Annotated[Text, _limit(60, 1)]


class LocalField(Strict):
    """One field a rubric declares: id, label, unit, type and bounds."""

    id: str = ModelField(pattern=r"^[a-z][a-z0-9_]*$", max_length=60)
    label: Annotated[Text, _limit(60, 1)]
    type: Literal["int", "number", "money", "percent", "bool", "text", "enum"]
    unit: Annotated[Text, _limit(10)] = NO_TEXT
    minimum: int | None = None
    maximum: int | None = None
    negative_ok: bool = False
    help: Annotated[Text, _limit(200)] = NO_TEXT
    source: str = ModelField(default="", max_length=100)
    choices: list[LocalChoice] = ModelField(default=[])

    @model_validator(mode="after")
    def _consistent(self) -> LocalField:
        if self.minimum is not None and self.maximum is not None and self.minimum > self.maximum:
            raise ValueError(t("rubric.model.field_bounds", min=self.minimum, max=self.maximum))
        if (self.type == "enum") != bool(self.choices):
            raise ValueError(t("rubric.model.field_choices"))
        numeric = self.type in ("int", "number", "money", "percent")
        if not numeric and (self.minimum is not None or self.maximum is not None):
            raise ValueError(t("rubric.model.field_not_number"))
        return self

    def to_field(self) -> Field:
        return Field(
            self.id,
            self.label.zh,
            _TYPES[self.type],
            Section.LOCAL,
            unit_zh=self.unit.zh,
            help_zh=self.help.zh,
            choices=tuple((c.value, c.label.zh) for c in self.choices),
            label_en=self.label.en,
            unit_en=self.unit.en or self.unit.zh,
            help_en=self.help.en,
            choices_en=(
                tuple(c.label.en or c.label.zh for c in self.choices)
                if any(c.label.en for c in self.choices)
                else ()
            ),
            negative_ok=self.negative_ok,
            minimum=self.minimum,
            maximum=self.maximum,
            source=self.source,
        )


def register(declared: Iterable[LocalField]) -> list[tuple[int, str]]:
    """Make a rubric's fields known to every field lookup; (index, why) for each refused."""
    refused = []
    for i, item in enumerate(declared):
        why = registry.register_local(item.to_field())
        if why is not None:
            refused.append((i, why))
    return refused

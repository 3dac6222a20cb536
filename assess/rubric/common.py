"""The building blocks every rubric model shares: strict models, texts, formulas, points.

They live apart from `models` so that the scoring operators (`assess.rubric.operators`),
whose models `models` assembles into the rubric, can use them without a circular import.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from assess.catalog import Lang, language, t
from assess.rubric.expr import Expr, ExprError


class Strict(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, arbitrary_types_allowed=True, defer_build=True
    )


def _parse_expr(value: Any) -> Expr:
    if isinstance(value, Expr):
        return value
    if not isinstance(value, str | int | Decimal | bool):
        raise ValueError("expected a formula as text")
    try:
        return Expr.parse(value)
    except ExprError as exc:
        raise ValueError(str(exc)) from None


class _ExprField:
    """Pydantic hook: a field given as text, parsed into an `Expr` when the rubric loads."""

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> Any:
        from pydantic_core import core_schema

        return core_schema.no_info_plain_validator_function(
            _parse_expr, serialization=core_schema.plain_serializer_function_ser_schema(str)
        )

    @classmethod
    def __get_pydantic_json_schema__(cls, schema: Any, handler: Any) -> dict[str, Any]:
        return {
            "anyOf": [{"type": "string"}, {"type": "number"}, {"type": "boolean"}],
            "description": "a formula: names, numbers, + - * /, comparisons, and/or/not, "
            "in [...], min/max/abs/mean",
        }


ExprText = Annotated[Expr, _ExprField]
Points = Annotated[Decimal, Field(ge=0)]
EdgeRule = Literal["better_band", "lower_band", "upper_band"]
MetricUnit = Literal["percent", "wan_yuan", "years", "count", "persons", "score", "number"]


class Text(str):
    """A text a user reads (a title, a label, advice, a citation): Chinese, and English.

    A rubric writes either a plain string, which is the Chinese (an agency's own rubric in
    Chinese only stays valid), or `{zh: …, en: …}`.  `str(text)` and `f"{text}"` give the
    text in the language in force (`assess.catalog.language()`); without an English text,
    English output shows the Chinese rather than nothing.

    It is the Chinese string itself otherwise (compared, hashed, joined and sliced as the
    Chinese), so code written for plain Chinese rubric strings keeps working; code that
    shows a text to a user converts it with `str()` (or `text(lang)`) to get its language.
    """

    en: str

    def __new__(cls, zh: str, en: str = "") -> Text:
        out = super().__new__(cls, zh)
        out.en = en
        return out

    @property
    def zh(self) -> str:
        return str.__str__(self)

    def text(self, lang: Lang | None = None) -> str:
        """The text in `lang` (the language in force when None); the Chinese when it has
        no English."""
        if self.en and (lang or language()) == "en":
            return self.en
        return str.__str__(self)

    def __str__(self) -> str:
        return self.text()

    def __format__(self, spec: str) -> str:
        return format(self.text(), spec)

    def __repr__(self) -> str:
        return f"Text(zh={self.zh!r}, en={self.en!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (Text, (self.zh, self.en))

    @classmethod
    def read(cls, value: Any) -> Text:
        """A plain string (the Chinese) or a mapping {zh, en}, as a rubric writes it."""
        if isinstance(value, Text):
            return value
        if isinstance(value, str):
            return cls(value)
        if (
            isinstance(value, dict)
            and isinstance(value.get("zh"), str)
            and set(value) <= {"zh", "en"}
            and isinstance(value.get("en", ""), str)
        ):
            return cls(value["zh"], value.get("en", ""))
        raise ValueError(t("rubric.value.bilingual"))

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> Any:
        from pydantic_core import core_schema

        return core_schema.no_info_plain_validator_function(
            cls.read,
            serialization=core_schema.plain_serializer_function_ser_schema(
                lambda v: {"zh": v.zh, "en": v.en} if v.en else v.zh
            ),
        )

    @classmethod
    def __get_pydantic_json_schema__(cls, core: Any, handler: Any) -> dict[str, Any]:
        return {
            "anyOf": [
                {"type": "string", "description": "the Chinese text"},
                {
                    "type": "object",
                    "properties": {"zh": {"type": "string"}, "en": {"type": "string"}},
                    "required": ["zh"],
                    "additionalProperties": False,
                },
            ],
            "description": "a text: plain (Chinese), or {zh: …, en: …}",
        }


NO_TEXT = Text("")


def texts(items: Any) -> tuple[str, ...]:
    """A list of `Text` in the language in force."""
    return tuple(str(x) for x in items)

"""The building blocks every rubric model shares: strict models, texts, formulas, points.

They live apart from `models` so that the scoring operators (`assess.rubric.operators`),
whose models `models` assembles into the rubric, can use them without a circular import.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from assess.rubric.expr import Expr, ExprError


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)


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


class Text(Strict):
    zh: str
    en: str = ""

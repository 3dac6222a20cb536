"""The table of scoring operators: a rubric may name only an operator found here.

`register` adds one (the built-ins register themselves when `assess.rubric.operators` is
imported).  A score block's type (`score_union`) reads the table when a model's schema is
built, and the models holding one (`models.Indicator`, a `local` block's parts) rebuild
whenever the table changes, so the YAML format, the JSON schema, the engine, the plan,
the questionnaire and the reference page all follow it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Annotated, Any, TypeVar

from pydantic import GetCoreSchemaHandler
from pydantic_core import core_schema

from assess.rubric.operators.base import Operator, ScoreModel

OPERATORS: dict[str, type[Operator]] = {}
_HOOKS: list[Callable[[], None]] = []

Op = TypeVar("Op", bound=type[Operator])


def register(operator: Op) -> Op:
    """Add an operator to the table (a class decorator); its name must be new."""
    if operator.name in OPERATORS and OPERATORS[operator.name] is not operator:
        raise ValueError(f"an operator named {operator.name!r} is already registered")
    OPERATORS[operator.name] = operator
    _changed()
    return operator


def unregister(name: str) -> None:
    del OPERATORS[name]
    _changed()


@contextlib.contextmanager
def registered(operator: type[Operator]) -> Iterator[type[Operator]]:
    """The table with `operator` in it for the length of the block (for tests)."""
    register(operator)
    try:
        yield operator
    finally:
        unregister(operator.name)


def on_change(hook: Callable[[], None]) -> None:
    """Call `hook` whenever the table changes (the models holding a score block rebuild
    their schemas, which read the table)."""
    _HOOKS.append(hook)


def _changed() -> None:
    for hook in _HOOKS:
        hook()


class TaggedByOperator:
    """Pydantic hook: a score block is the model its `operator` key names, among the
    operators registered when the model holding it is (re)built."""

    def __init__(self, parts: bool):
        self.parts = parts

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> Any:
        choices = {
            name: handler.generate_schema(op.model)
            for name, op in OPERATORS.items()
            if op.in_parts or not self.parts
        }
        return core_schema.tagged_union_schema(choices, discriminator="operator")


def score_union(*, parts: bool = False) -> Any:
    """The type of a score block: the tagged union of the registered operator models (only
    those allowed in a local block's parts when `parts`).  The union is read from the
    registry whenever the holding model's schema is built, so `model_rebuild` follows it."""
    return Annotated[ScoreModel, TaggedByOperator(parts)]


# The type of a score block, and of a local block's part (see `score_union`).
ScoreBlock = Annotated[ScoreModel, TaggedByOperator(parts=False)]
PartBlock = Annotated[ScoreModel, TaggedByOperator(parts=True)]


def operator_for(score: ScoreModel) -> type[Operator]:
    return OPERATORS[score.operator]  # type: ignore[attr-defined]


def names_read(score: ScoreModel) -> set[str]:
    """The fields and metrics a score block reads (the questionnaire asks for them)."""
    return operator_for(score).names_read(score)

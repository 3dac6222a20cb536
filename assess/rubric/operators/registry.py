"""The table of scoring operators: a rubric may name only an operator found here.

`register` adds one (the built-ins register themselves when `assess.rubric.operators` is
imported); the rubric models that hold a score block (`models.Indicator`, the parts of a
`local` block) are rebuilt from the table whenever it changes, so the YAML format, the
JSON schema, the engine, the plan, the questionnaire and the reference page all follow it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Annotated, Any, TypeVar, Union

from pydantic import Field

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
    """Call `hook` now and whenever the table changes (models rebuild their unions)."""
    _HOOKS.append(hook)
    hook()


def _changed() -> None:
    for hook in _HOOKS:
        hook()


def score_union(*, parts: bool = False) -> Any:
    """The tagged union of the registered operator models (only those allowed in a local
    block's parts when `parts`), for a pydantic field."""
    models = tuple(op.model for op in OPERATORS.values() if op.in_parts or not parts)
    return Annotated[Union[models], Field(discriminator="operator")]  # noqa: UP007


def operator_for(score: ScoreModel) -> type[Operator]:
    return OPERATORS[score.operator]  # type: ignore[attr-defined]


def names_read(score: ScoreModel) -> set[str]:
    """The fields and metrics a score block reads (the questionnaire asks for them)."""
    return operator_for(score).names_read(score)

"""Scoring operators: one module each, found through one table.

Each module defines an `Operator` (its YAML model, scoring, wording, plan rungs, the
names it reads, its rubric checks and its reference-page lines) and registers it.  The
rubric models, the loader, the engine, the plan, the questionnaire and the reference page
iterate `OPERATORS`; none of them names an operator.  A new operator is a new module here
plus its rubric cases (and one import line below).
"""

from __future__ import annotations

# Each import registers its operator; the order is the table's (and the JSON schema's).
# isort: off
from assess.rubric.operators import bands  # noqa: F401
from assess.rubric.operators import tiers  # noqa: F401
from assess.rubric.operators import enum  # noqa: F401
from assess.rubric.operators import items  # noqa: F401
from assess.rubric.operators import stepped  # noqa: F401
from assess.rubric.operators import best_of  # noqa: F401
from assess.rubric.operators import local  # noqa: F401

# isort: on
from assess.rubric.operators.base import (
    REQUIRED_PARTS,
    Checker,
    Doc,
    LeverMove,
    Operator,
    Outcome,
    Scope,
    ScoreModel,
    move_lever,
    next_step,
    settled,
    unknown,
)
from assess.rubric.operators.registry import (
    OPERATORS,
    PartBlock,
    ScoreBlock,
    names_read,
    on_change,
    operator_for,
    register,
    registered,
    score_union,
    unregister,
)

__all__ = [
    "OPERATORS",
    "REQUIRED_PARTS",
    "Checker",
    "Doc",
    "LeverMove",
    "Operator",
    "Outcome",
    "PartBlock",
    "Scope",
    "ScoreBlock",
    "ScoreModel",
    "move_lever",
    "names_read",
    "next_step",
    "on_change",
    "operator_for",
    "register",
    "registered",
    "score_union",
    "settled",
    "unknown",
    "unregister",
]

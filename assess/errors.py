"""Errors a user can act on, each naming its place."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One located problem: where it is and what is wrong."""

    where: str  # "rubrics/x.yaml:41:9" or "firm.json" or "申报表.xlsx › 问卷!D14"
    path: str  # "indicators[3].bands[1].min" or a field id; may be empty
    message: str

    def __str__(self) -> str:
        place = self.where
        if self.path:
            place = f"{place} {self.path}" if place else self.path
        return f"{place}: {self.message}" if place else self.message


class UserError(Exception):
    """Bad input or a bad rubric: exit 2 with a short message, no traceback."""

    def __init__(self, problems: list[Problem] | str):
        if isinstance(problems, str):
            problems = [Problem("", "", problems)]
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class RubricError(UserError):
    """A rubric that does not load: every problem found, at once."""


class InputError(UserError):
    """Firm data that cannot be read or has values of the wrong kind."""

"""Errors a user can act on, each naming its place."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from assess.catalog import t


@dataclass(frozen=True)
class Problem:
    """One located problem: where it is and what is wrong.

    A coded problem also carries its catalog key and parameters (`code`, `params`), so JSON
    and the agency's problem list can sort and count problems by kind and field whatever
    language the message was worded in.
    """

    where: str  # "rubrics/x.yaml:41:9" or "firm.json" or "申报表.xlsx › 问卷!D14"
    path: str  # "indicators[3].bands[1].min" or a field id; may be empty
    message: str
    code: str = ""  # a catalog key, e.g. "intake.not_a_number"; empty for an uncoded one
    params: tuple[tuple[str, str], ...] = ()

    @classmethod
    def coded(cls, where: str, path: str, code: str, **params: Any) -> Problem:
        """A problem worded now, in the current language, from the catalog."""
        return cls(
            where, path, t(code, **params), code, tuple((k, str(v)) for k, v in params.items())
        )

    def record(self) -> dict[str, Any]:
        """The problem as data: place, field, code, parameters and the worded message."""
        return {
            "where": self.where,
            "path": self.path,
            "code": self.code,
            "params": dict(self.params),
            "message": self.message,
        }

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

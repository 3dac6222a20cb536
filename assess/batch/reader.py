"""Reading one input file of a batch into its applicants' records, or into the reason it
could not be read, without ever raising: whatever a file contains becomes that file's
problem, never the end of the batch."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from assess.batch.inputs import Source, identify
from assess.batch.records import Issue
from assess.batch.task import describe_exception
from assess.errors import Problem, UserError
from assess.intake.firm import Record


@dataclass(frozen=True)
class Loaded:
    """One file read: its records (None when it could not be read, then `issues` says
    why), the names and credit codes of its refused records (`inputs.identify`) and the
    seconds the reading took."""

    records: Sequence[Record] | None
    issues: Sequence[Issue] = ()
    names: dict[int, tuple[str, str]] = field(default_factory=dict)
    seconds: float = 0.0


def as_issue(problem: Problem, kind: str, fallback: str) -> Issue:
    """An intake problem as a row's issue (`file`: the file could not be read)."""
    field_id = problem.path.strip().strip("()")
    where, message = problem.where, problem.message
    if not where:  # "file.xlsx: is damaged": the place is in the message
        where = fallback
        message = message.removeprefix(f"{fallback}:").strip()
    return Issue("file" if kind == "file" else "error", where, field_id, message)


def load(source: Source) -> Loaded:
    """Read one file (see the module docstring)."""
    from assess.intake import load_records

    if source.problem:
        return Loaded(None, [Issue("file", source.display, "", source.problem)])
    started = time.perf_counter()
    try:
        records = load_records(source.path)
    except UserError as exc:
        return Loaded(None, [as_issue(p, "file", source.display) for p in exc.problems])
    except Exception as exc:  # a reader bug must not sink the round
        message = f"could not be read: {describe_exception(exc)}"
        return Loaded(None, [Issue("file", source.display, "", message)])
    names = identify(records) if any(r.firm is None for r in records) else {}
    return Loaded(records, (), names, time.perf_counter() - started)

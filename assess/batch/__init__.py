"""Batch assessment of a round of applicants: `assess batch`.

`run_batch(BatchOptions(...))` reads questionnaire files, folders and 批量 workbooks, scores
every applicant on a local process pool (or a Dask cluster), and writes summary.xlsx,
results.jsonl, one PDF per applicant and cohort.pdf into the output folder.  See
`assess.batch.run` for the flow and `assess.batch.task` for the per-applicant task.

The names below are loaded on first use: the reporters import the batch's record types
(`assess.batch.records`) without pulling in the batch's machinery.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from assess.batch.options import (
        EXIT_NOTHING_READ,
        EXIT_OK,
        EXIT_SOME_REJECTED,
        BatchOptions,
        BatchResult,
    )
    from assess.batch.run import run_batch

__all__ = [
    "EXIT_NOTHING_READ",
    "EXIT_OK",
    "EXIT_SOME_REJECTED",
    "BatchOptions",
    "BatchResult",
    "run_batch",
]


def __getattr__(name: str) -> Any:
    if name == "run_batch":
        from assess.batch.run import run_batch

        return run_batch
    if name in __all__:
        from assess.batch import options

        return getattr(options, name)
    raise AttributeError(f"module 'assess.batch' has no attribute {name!r}")

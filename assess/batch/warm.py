"""Imported by the local pool's forkserver (`executors.PRELOAD`): load every bundled rubric
into `task`'s cache once, so that each worker forked from it, including the ones that
replace recycled workers, scores its first applicant without parsing a rubric."""

from __future__ import annotations

from assess.batch import task

try:
    from assess.rubric.loader import builtin_rubrics

    task._BUNDLED.update(builtin_rubrics())
except Exception:  # a broken bundled rubric: each applicant reports it instead
    pass

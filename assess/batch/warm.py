"""Imported by the local pool's forkserver (`executors.PRELOAD`): load every bundled rubric
into `task`'s cache once, so that each worker forked from it, including the ones that
replace recycled workers, scores its first applicant without parsing a rubric."""

from __future__ import annotations

import contextlib

from assess.batch.task import preload_bundled

with contextlib.suppress(Exception):  # a broken bundled rubric: each applicant reports it
    preload_bundled()

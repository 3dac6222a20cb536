"""Phase 1 of a batch round, per applicant: `python bench/phase1_bench.py [--n N] [--runs R]`.

The worker's task (`assess.batch.task.score_jobs`: scoring, results.jsonl lines, summary
row, journal line and marks) over N invented firms (the seeded generator of
samples/make_samples.py) on the default rubric set, in chunks as a round sends them, in
this process: milliseconds of thread CPU per applicant (what `score_jobs` reports), with
each item worded afresh for every applicant (`engine.decide`) and once per distinct input
(`engine.decide_reusing`, the memo starting empty each run), printed as min – median –
max of the runs with the load average of each.  Each run checks that both give the same
bytes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "samples"))
sys.path.insert(0, str(ROOT / "bench"))

CHUNK = 64


def bench_phase1(n: int, runs: int) -> None:
    """Thread CPU per applicant of phase 1, old path (`engine.decide`) and new."""
    import random

    from batch import loads, repeat, spread  # type: ignore[import-not-found]
    from make_samples import SEED, invent_firm  # type: ignore[import-not-found]

    from assess import engine
    from assess.batch import task
    from assess.batch.task import Context, Job, preload_bundled
    from assess.intake.firm import firm_from_mapping
    from assess.rubric.selection import default_rubrics

    preload_bundled()
    rng = random.Random(SEED)
    jobs = []
    for i in range(n):
        firm = firm_from_mapping(invent_firm(rng, i, i / max(n - 1, 1)), "bench.xlsx")
        ids = tuple(r.id for r in default_rubrics(firm))
        jobs.append(Job(i, f"k{i}", "bench.xlsx", "批量", i + 3, firm, ids))
    context = Context(dt.date(2026, 11, 30))
    chunks = [jobs[i : i + CHUNK] for i in range(0, n, CHUNK)]
    print(f"[phase 1] {n:,} applicants, default set, chunks of {CHUNK} …", flush=True)

    def once(run: int) -> dict[str, float]:
        figures = {"load": os.getloadavg()[0]}
        outputs = {}
        for name, reuse in (("decide", False), ("reusing", True)):
            task.REUSE_WORDS = reuse
            engine._WORDS.clear()
            seconds = 0.0
            made = []
            for chunk in chunks:
                scored = task.score_jobs(chunk, context)
                seconds += scored.seconds
                made.append([(o.row, o.results, o.journal) for o in scored.outcomes])
            figures[name] = seconds * 1000 / n
            outputs[name] = made
        task.REUSE_WORDS = True
        if outputs["decide"] != outputs["reusing"]:
            raise SystemExit("phase 1 outputs differ between the two paths")
        return figures

    got = repeat(runs, once)
    print(f"[phase 1] words afresh (engine.decide): {spread(got['decide'], '{:.3f}')} ms CPU")
    print(f"[phase 1] words reused (decide_reusing): {spread(got['reusing'], '{:.3f}')} ms CPU")
    print(f"[phase 1] {loads(got['load'])}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="applicants (default 2,000)")
    parser.add_argument("--runs", type=int, default=3, help="repetitions (default 3)")
    args = parser.parse_args()
    bench_phase1(args.n, args.runs)


if __name__ == "__main__":
    main()

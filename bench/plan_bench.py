"""How long a firm's scoring and its improvement plans take: `python bench/plan_bench.py
[runs]`.

For each sample (weak, borderline, strong) the firm is read once, then, `runs` times
(default 5), every rubric the CLI would choose is scored (`engine.evaluate`) and each
assessment's plan made (`Assessment.plan`): milliseconds per firm, min – median – max,
the part of it spent on the plans, and the load average after each run.  The web mode
needs a weak firm's upload → result page within 0.5 s at p95 with 20 clients on 2 cores.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

from assess.engine import evaluate
from assess.intake import load_records
from assess.rubric.selection import RubricPlan, reference_rubric

SAMPLES = Path(__file__).resolve().parent.parent / "samples"


def _spread(values: list[float]) -> str:
    return f"{min(values):7.1f} {statistics.median(values):7.1f} {max(values):7.1f}"


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    reference = reference_rubric()
    print("sample       total ms: min  median    max   plans ms: min  median    max  load")
    for name in ("weak", "borderline", "strong"):
        firm = load_records(SAMPLES / f"{name}.xlsx")[0].firm
        assert firm is not None
        chosen = RubricPlan((), None, False).rubrics_for(firm)
        totals, plans, loads = [], [], []
        for _ in range(runs):
            t0 = time.perf_counter()
            assessments = [evaluate(rubric, firm, reference) for rubric in chosen]
            t1 = time.perf_counter()
            for a in assessments:
                _ = a.plan
            t2 = time.perf_counter()
            totals.append((t2 - t0) * 1000)
            plans.append((t2 - t1) * 1000)
            loads.append(os.getloadavg()[0])
        load = " ".join(f"{x:.2f}" for x in loads)
        print(f"{name:<10} {_spread(totals)}       {_spread(plans)}  {load}")


if __name__ == "__main__":
    main()

"""How fast and how lean `assess batch` is: `python bench/batch.py [options]`.

Four measurements, each on a 批量 workbook of invented firms (the seeded generator of
samples/make_samples.py, so every run scores the same data):

1. PDFs: N applicants with a PDF each (default 1,000; `--n 100` runs 100 and extrapolates
   to 1,000).  Target: 1,000 in at most 8 minutes on a 2-core machine.
2. Speed-up from 1 to 2 local workers on the same PDF workload (`--speedup-n`).
   Target: at least 1.7×.
3. 100,000 applicants without PDFs (`--big`).  Target: at most 60 s.
4. Peak memory at 5,000 vs 500 applicants without PDFs, each run in a fresh process
   (`resource.getrusage`: the batch process itself and its largest worker).
   Target: at most 1.3×.

Workbook generation is not timed.  `--only pdf,speedup,big,memory` picks measurements.
The figures depend on what else the machine is doing: the load average is printed.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "samples"))

PDF_TARGET_S = 8 * 60
SPEEDUP_TARGET = 1.7
BIG_TARGET_S = 60.0
MEMORY_TARGET = 1.3
BIG_PART = 20_000  # firms per workbook in the 100,000 run


def build_workbook(path: Path, count: int, *, offset: int = 0, total: int = 0) -> Path:
    """A 批量 sheet (labels in row 1, ids in row 2) of `count` invented firms (numbered
    from `offset` of `total`, for a round split into several workbooks)."""
    import random

    from make_samples import SEED, invent_firm  # type: ignore[import-not-found]
    from openpyxl import Workbook

    from assess.fields import FIELDS_BY_ID
    from assess.intake.labels import header_label as _header_label

    rng = random.Random(SEED + offset)
    total = max(total, offset + count)
    firms = (
        invent_firm(rng, i, (i * 7919 % total) / max(total - 1, 1))
        for i in range(offset, offset + count)
    )
    first = next(firms)
    ids = [k for k in FIELDS_BY_ID if k in first or k.startswith(("sd_", "sc_"))]
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("批量")
    ws.append([_header_label(FIELDS_BY_ID[i]) for i in ids])
    ws.append(ids)
    for firm in itertools.chain([first], firms):
        ws.append([_cell(firm.get(i)) for i in ids])
    wb.save(path)
    return path


def _cell(value: object) -> object:
    from decimal import Decimal

    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, bool):
        return "是" if value else "否"
    return value


def run(workbook: Path, outdir: Path, *, pdf: bool, workers: int) -> tuple[float, Any]:
    from assess.batch import BatchOptions, run_batch

    start = time.perf_counter()
    result = run_batch(
        BatchOptions(inputs=(workbook,), outdir=outdir, pdf=pdf, workers=workers, progress=False)
    )
    return time.perf_counter() - start, result


def stages(result: Any) -> str:
    s = result.seconds
    text = (
        f"reading and scoring {s['reading_and_scoring']:.1f} s (reading the files "
        f"{s['reading']:.1f} s of it)"
    )
    if s.get("reports"):
        text += f", PDF reports {s['reports']:.1f} s"
    text += f", writing the outputs {s['outputs']:.1f} s"
    if "summary" in s:
        text += (
            f" (summary.xlsx {s['summary']:.1f} s, results.jsonl "
            f"{s.get('results_file', 0):.1f} s, cohort.pdf {s.get('cohort_pdf', 0):.1f} s, "
            "side by side)"
        )
    return text + f"; the workers used {s.get('worker_cpu', 0):.1f} s of CPU"


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min) {five:.2f} (5 min), {os.cpu_count()} CPUs"


def bench_pdf(tmp: Path, n: int) -> None:
    book = build_workbook(tmp / f"pdf-{n}.xlsx", n)
    print(f"[pdf] {n} applicants with PDFs, 2 workers … ({load()})", flush=True)
    seconds, result = run(book, tmp / f"out-pdf-{n}", pdf=True, workers=2)
    per = seconds / n
    estimate = per * 1000
    print(
        f"[pdf] {n} applicants in {seconds:.1f} s ({per:.2f} s each; {result.scored} "
        f"scored, {result.failed} failed, {result.reports} reports made, "
        f"{result.reports_failed} failed)"
    )
    print(f"[pdf] {stages(result)}")
    if n != 1000:
        print(f"[pdf] → 1,000 applicants ≈ {estimate / 60:.1f} min (extrapolated)")
    verdict = "ok" if estimate <= PDF_TARGET_S else "over"
    print(f"[pdf] target ≤ {PDF_TARGET_S // 60} min for 1,000: {verdict}", flush=True)


def bench_speedup(tmp: Path, n: int) -> None:
    book = build_workbook(tmp / f"speedup-{n}.xlsx", n)
    print(f"[speed-up] {n} applicants with PDFs on 1 then 2 workers … ({load()})", flush=True)
    one, _ = run(book, tmp / "out-w1", pdf=True, workers=1)
    two, _ = run(book, tmp / "out-w2", pdf=True, workers=2)
    ratio = one / two
    verdict = "ok" if ratio >= SPEEDUP_TARGET else "below"
    print(
        f"[speed-up] 1 worker {one:.1f} s, 2 workers {two:.1f} s → {ratio:.2f}× "
        f"(target ≥ {SPEEDUP_TARGET}×: {verdict})",
        flush=True,
    )


def bench_big(tmp: Path, n: int) -> None:
    t0 = time.perf_counter()
    # The intake refuses a workbook that expands past 256 MB (zip-bomb guard), about
    # 90,000 rows of this width: an agency splits such a round, so the bench does too.
    books = []
    for part, first in enumerate(range(0, n, BIG_PART)):
        count = min(BIG_PART, n - first)
        books.append(build_workbook(tmp / f"big-{part + 1}.xlsx", count, offset=first, total=n))
    size = sum(b.stat().st_size for b in books) / 2**20
    print(
        f"[big] built {n:,} firms in {len(books)} workbooks ({size:.0f} MB) in "
        f"{time.perf_counter() - t0:.0f} s (not timed); scoring without PDFs, "
        f"{os.cpu_count()} workers … ({load()})",
        flush=True,
    )
    from assess.intake import load_records

    t0 = time.perf_counter()
    for book in books:
        load_records(book)
    read = time.perf_counter() - t0
    out = tmp / "out-big"
    start = time.perf_counter()
    cpu = time.process_time()
    from assess.batch import BatchOptions, run_batch

    result = run_batch(
        BatchOptions(
            inputs=tuple(books), outdir=out, pdf=False, workers=os.cpu_count() or 1, progress=False
        )
    )
    seconds = time.perf_counter() - start
    cpu = time.process_time() - cpu
    sizes = {p.name: p.stat().st_size / 2**20 for p in out.iterdir() if p.is_file()}
    verdict = "ok" if seconds <= BIG_TARGET_S else "over"
    print(
        f"[big] {n:,} applicants in {seconds:.1f} s ({n / seconds:,.0f}/s; reading the "
        f"workbooks alone {read:.1f} s); {result.scored:,} scored, {result.rejected} "
        f"rejected; outputs {', '.join(f'{k} {v:.0f} MB' for k, v in sizes.items())}"
    )
    print(f"[big] of which {stages(result)}; the batch process itself used {cpu:.1f} s of CPU")
    print(f"[big] target ≤ {BIG_TARGET_S:.0f} s: {verdict}", flush=True)


# The peak is VmHWM where there is /proc: ru_maxrss survives exec, so a child started by a
# process that had run the 100,000 applicants would report that process's peak.
_MEMORY_CHILD = """
import json, resource, sys
from pathlib import Path
from assess.batch import BatchOptions, run_batch
run_batch(BatchOptions(inputs=(Path(sys.argv[1]),), outdir=Path(sys.argv[2]), pdf=False,
                       workers=2, progress=False))
me = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    with open("/proc/self/status") as fh:
        me = next(int(line.split()[1]) for line in fh if line.startswith("VmHWM:"))
except (OSError, StopIteration):
    pass
kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"self": me, "children": kids}))
"""


def bench_memory(tmp: Path, small: int, large: int) -> None:
    print(
        f"[memory] peak RSS at {small:,} vs {large:,} applicants, no PDFs … ({load()})", flush=True
    )
    peaks = {}
    for n in (small, large):
        book = build_workbook(tmp / f"mem-{n}.xlsx", n)
        out = subprocess.run(
            [sys.executable, "-c", _MEMORY_CHILD, str(book), str(tmp / f"out-mem-{n}")],
            capture_output=True,
            text=True,
            check=True,
        )
        peaks[n] = json.loads(out.stdout.strip().splitlines()[-1])
        print(
            f"[memory] {n:,}: batch process {peaks[n]['self'] / 1024:.0f} MB, largest "
            f"worker {peaks[n]['children'] / 1024:.0f} MB",
            flush=True,
        )
    ratio = peaks[large]["self"] / peaks[small]["self"]
    verdict = "ok" if ratio <= MEMORY_TARGET else "over"
    print(
        f"[memory] {large:,} / {small:,}: {ratio:.2f}× (target ≤ {MEMORY_TARGET}×: {verdict})",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1000, help="applicants with PDFs")
    parser.add_argument("--speedup-n", type=int, default=24)
    parser.add_argument("--big", type=int, default=100_000)
    parser.add_argument("--memory", default="500,5000", help="small,large")
    parser.add_argument("--only", default="pdf,speedup,big,memory")
    args = parser.parse_args()
    only = set(args.only.split(","))
    small, large = (int(x) for x in args.memory.split(","))
    with tempfile.TemporaryDirectory(prefix="assess-bench-") as tmp:
        folder = Path(tmp)
        if "pdf" in only:
            bench_pdf(folder, args.n)
        if "speedup" in only:
            bench_speedup(folder, args.speedup_n)
        if "big" in only:
            bench_big(folder, args.big)
        if "memory" in only:
            bench_memory(folder, small, large)


if __name__ == "__main__":
    main()

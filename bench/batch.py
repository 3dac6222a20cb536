"""How fast and how lean `assess batch` is: `python bench/batch.py [options]`.

Five measurements, each on invented firms (the seeded generator of samples/make_samples.py,
so every run scores the same data), each repeated `--runs` times (default 3) and printed as
min – median – max with the load average of each run:

0. Scoring: milliseconds per applicant for the default rubric set, in this process, by
   the compiled decider (`assess.compiled.decide`: points, statuses, bounds, verdicts), the
   engine's fast path (`engine.decide`, reasons worded) and with the next bands
   (`engine.evaluate`, what a report is made from).  Target: ≤ 0.15 ms (compiled).
1. PDFs: N applicants with a PDF each on 2 workers (default 1,000; `--n 100` runs 100 and
   extrapolates to 1,000).  Target: 1,000 in at most 5 minutes on a 2-core machine.
2. Speed-up from 1 to 2 local workers on the same PDF workload (`--speedup-n`).
   Target: at least 1.9×.
3. 100,000 applicants without PDFs (`--big`), beside the time python-calamine takes to
   read the same workbooks (every cell of every row, nothing else).  Target: at most 3×
   the calamine read.  Also printed: results.jsonl per applicant (target ≤ 8 KB) and the
   peak memory of the whole process tree (the batch, run in a fresh process, its reader
   and its workers, sampled every 50 ms from /proc: summed RSS, target ≤ 400 MB, and
   summed PSS, which counts a page the workers share with the forkserver once).
4. Peak memory at 5,000 vs 500 applicants without PDFs, each run in a fresh process
   (the batch process's own peak, VmHWM, on which the target is; beside it the peak of its
   whole process tree and of its largest process, sampled as in 3).  Target: at most 1.3×.

Workbook generation is not timed.  `--only scoring,pdf,speedup,big,memory` picks
measurements.  The figures depend on what else the machine is doing: the load average
is printed with each.  `bench/render_bench.py` measures the PDF's size and one firm end to
end.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "samples"))

PDF_TARGET_S = 5 * 60
SPEEDUP_TARGET = 1.9
BIG_TARGET_TIMES_READ = 3.0  # × the python-calamine read of the same workbooks
BIG_TREE_MB = 400
RESULTS_KB = 8
SCORING_TARGET_MS = 0.15
MEMORY_TARGET = 1.3
BIG_PART = 20_000  # firms per workbook in the 100,000 run


def spread(values: list[float], fmt: str = "{:.1f}") -> str:
    """min – median – max of the runs."""
    if len(values) == 1:
        return fmt.format(values[0]) + " (1 run)"
    parts = (min(values), statistics.median(values), max(values))
    return " – ".join(fmt.format(v) for v in parts) + f" (min – median – max, {len(values)} runs)"


def repeat(runs: int, once: Callable[[int], dict[str, float]]) -> dict[str, list[float]]:
    """`once(run)` `runs` times; each figure's values in order, with each run's load."""
    out: dict[str, list[float]] = {}
    for run in range(runs):
        for key, value in once(run).items():
            out.setdefault(key, []).append(value)
    return out


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


def loads(values: list[float]) -> str:
    return "load average (1 min) at each run: " + ", ".join(f"{v:.2f}" for v in values)


def bench_scoring(n: int, runs: int) -> None:
    """Milliseconds per applicant for the default rubric set, in this process: the compiled
    decider (`assess.compiled.decide`: points, statuses, bounds and verdicts, no words),
    which the target is for, beside the engine's fast path (`engine.decide`, every reason
    worded) and `engine.evaluate` (with the next bands).  Each rubric is compiled before
    the clock starts, as a round compiles it once."""
    import random

    from make_samples import SEED, invent_firm

    from assess import compiled
    from assess.batch.task import bundled
    from assess.engine import decide, evaluate
    from assess.firm import Firm
    from assess.intake.firm import firm_from_mapping
    from assess.rubric.models import Rubric
    from assess.rubric.selection import REFERENCE_RUBRIC, default_rubrics

    rng = random.Random(SEED)
    firms = [firm_from_mapping(invent_firm(rng, i, i / max(n - 1, 1)), "bench") for i in range(n)]
    rubrics = [default_rubrics(f) for f in firms]
    reference = bundled(REFERENCE_RUBRIC)
    ids = sorted({r.id for rs in rubrics for r in rs})
    print(f"[scoring] {n:,} applicants, default set ({', '.join(ids)}) … ({load()})", flush=True)
    unique = {id(r): r for rs in rubrics for r in rs}
    left = sorted(r.id for r in unique.values() if compiled.compiled(r) is None)

    def fast(rubric: Rubric, firm: Firm, reference: Rubric | None) -> object:
        return compiled.decide(rubric, firm)

    def once(run: int) -> dict[str, float]:
        figures = {"load": os.getloadavg()[0]}
        compiled.FALLBACKS.clear()
        for name, fn in (("compiled", fast), ("decide", decide), ("evaluate", evaluate)):
            start = time.process_time()
            for firm, rs in zip(firms, rubrics, strict=True):
                for rubric in rs:
                    fn(rubric, firm, reference)
            figures[name] = (time.process_time() - start) * 1000 / n
            if name == "compiled":
                figures["handed"] = sum(compiled.FALLBACKS.values())
        return figures

    got = repeat(runs, once)
    verdict = "ok" if statistics.median(got["compiled"]) <= SCORING_TARGET_MS else "over"
    handed = f"{int(max(got['handed'])):,} handed to the engine"
    if left:
        handed += f"; not compiled: {', '.join(left)}"
    print(
        f"[scoring] compiled (assess.compiled.decide): {spread(got['compiled'], '{:.3f}')} ms "
        f"CPU per applicant ({handed})"
    )
    print(f"[scoring] engine fast path (decide): {spread(got['decide'], '{:.3f}')} ms")
    print(f"[scoring] with next bands (evaluate): {spread(got['evaluate'], '{:.3f}')} ms")
    print(f"[scoring] target ≤ {SCORING_TARGET_MS} ms: {verdict}; {loads(got['load'])}", flush=True)


def bench_pdf(tmp: Path, n: int, runs: int) -> None:
    import shutil

    book = build_workbook(tmp / f"pdf-{n}.xlsx", n)
    print(f"[pdf] {n} applicants with PDFs, 2 workers … ({load()})", flush=True)

    def once(run_: int) -> dict[str, float]:
        at = os.getloadavg()[0]
        out = tmp / f"out-pdf-{n}"
        seconds, result = run(book, out, pdf=True, workers=2)
        shutil.rmtree(out)
        print(
            f"[pdf] run {run_ + 1}: {seconds:.1f} s ({result.scored} scored, {result.failed} "
            f"failed, {result.reports} reports made, {result.reports_failed} failed); "
            f"{stages(result)}; load {at:.2f} → {os.getloadavg()[0]:.2f}",
            flush=True,
        )
        return {"seconds": seconds, "load": at}

    got = repeat(runs, once)
    estimate = [s / n * 1000 for s in got["seconds"]]
    print(f"[pdf] {n} applicants: {spread(got['seconds'])} s")
    if n != 1000:
        print(f"[pdf] → 1,000 applicants ≈ {spread([e / 60 for e in estimate])} min (extrapolated)")
    verdict = "ok" if statistics.median(estimate) <= PDF_TARGET_S else "over"
    print(
        f"[pdf] target ≤ {PDF_TARGET_S // 60} min for 1,000: {verdict}; {loads(got['load'])}",
        flush=True,
    )


def bench_speedup(tmp: Path, n: int, runs: int) -> None:
    import shutil

    book = build_workbook(tmp / f"speedup-{n}.xlsx", n)
    print(f"[speed-up] {n} applicants with PDFs on 1 then 2 workers … ({load()})", flush=True)

    def once(run_: int) -> dict[str, float]:
        at = os.getloadavg()[0]
        one, _ = run(book, tmp / "out-w1", pdf=True, workers=1)
        two, _ = run(book, tmp / "out-w2", pdf=True, workers=2)
        shutil.rmtree(tmp / "out-w1")
        shutil.rmtree(tmp / "out-w2")
        print(f"[speed-up] run {run_ + 1}: 1 worker {one:.1f} s, 2 workers {two:.1f} s")
        return {"ratio": one / two, "load": at}

    got = repeat(runs, once)
    verdict = "ok" if statistics.median(got["ratio"]) >= SPEEDUP_TARGET else "below"
    print(
        f"[speed-up] 1 → 2 workers: {spread(got['ratio'], '{:.2f}')}× "
        f"(target ≥ {SPEEDUP_TARGET}×: {verdict}); {loads(got['load'])}",
        flush=True,
    )


def calamine_read(books: list[Path]) -> float:
    """Seconds python-calamine takes to read every cell of every row of `books`."""
    from python_calamine import CalamineWorkbook

    start = time.perf_counter()
    for book in books:
        workbook = CalamineWorkbook.from_path(str(book))
        for name in workbook.sheet_names:
            for _row in workbook.get_sheet_by_name(name).iter_rows():
                pass
    return time.perf_counter() - start


class TreePeak:
    """The peak of the summed memory of process `root` and its descendants, sampled from
    /proc every 50 ms while the block runs (0 where there is no /proc): resident (RSS,
    which counts the pages a forked worker shares with its parent in each process) and
    proportional (PSS, each shared page split among its sharers: what the tree takes
    from the machine), and the largest single process's RSS."""

    def __init__(self, root: int | None = None) -> None:
        self.root = root
        self.peak_kb = 0
        self.pss_kb = 0
        self.largest_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> TreePeak:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        root = self.root if self.root is not None else os.getpid()
        while not self._stop.wait(0.05):
            try:
                pids = _tree(root)
            except OSError:
                return
            rss = [_rss_kb(pid) for pid in pids]
            self.peak_kb = max(self.peak_kb, sum(rss))
            self.largest_kb = max(self.largest_kb, *rss)
            self.pss_kb = max(self.pss_kb, sum(_pss_kb(pid) for pid in pids))


def sampled(what: str, script: str, *args: str) -> tuple[str, TreePeak]:
    """`python -c script args…` in a fresh process: what it printed, and the peaks of its
    process tree while it ran (`[what]` names the section if it fails)."""
    child = subprocess.Popen(
        [sys.executable, "-c", script, *args], stdout=subprocess.PIPE, text=True
    )
    with TreePeak(child.pid) as peak:
        stdout, _ = child.communicate()
    if child.returncode != 0:
        raise SystemExit(f"[{what}] the batch failed (exit {child.returncode})")
    return stdout, peak


def _tree(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                parent = int(fh.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(parent, []).append(int(entry))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, ()))
    return out


def _proc_kb(pid: int, file: str, key: str) -> int:
    """A figure in kB from /proc/PID/FILE ("VmRSS:" of status, "Pss:" of smaps_rollup)."""
    try:
        with open(f"/proc/{pid}/{file}") as fh:
            return next((int(line.split()[1]) for line in fh if line.startswith(key)), 0)
    except OSError:
        return 0


def _rss_kb(pid: int) -> int:
    return _proc_kb(pid, "status", "VmRSS:")


def _pss_kb(pid: int) -> int:
    return _proc_kb(pid, "smaps_rollup", "Pss:")


# One 100,000 run in a fresh process: what its tree holds is the batch's alone, not what
# this process kept from building the workbooks, the calamine reads or an earlier run.
_BIG_CHILD = """
import json, os, sys
from pathlib import Path
from assess.batch import BatchOptions, run_batch
result = run_batch(BatchOptions(inputs=tuple(Path(p) for p in sys.argv[2:]),
                                outdir=Path(sys.argv[1]), pdf=False,
                                workers=os.cpu_count() or 1, progress=False))
print(json.dumps({"scored": result.scored, "rejected": result.rejected,
                  "seconds": result.seconds}))
"""


def bench_big(tmp: Path, n: int, runs: int) -> None:
    import shutil

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

    def once(run_: int) -> dict[str, float]:
        at = os.getloadavg()[0]
        read = calamine_read(books)
        out = tmp / "out-big"
        start = time.perf_counter()
        stdout, peak = sampled("big", _BIG_CHILD, str(out), *map(str, books))
        seconds = time.perf_counter() - start  # the child's start-up included
        result = argparse.Namespace(**json.loads(stdout.strip().splitlines()[-1]))
        jsonl = (out / "results.jsonl").stat().st_size
        print(
            f"[big] run {run_ + 1}: {seconds:.1f} s, calamine read {read:.1f} s "
            f"({seconds / read:.1f}×); {result.scored:,} scored, {result.rejected} rejected; "
            f"results.jsonl {jsonl / n / 1000:.1f} KB per applicant; process tree peak "
            f"{peak.peak_kb / 1024:.0f} MB RSS, {peak.pss_kb / 1024:.0f} MB PSS, largest "
            f"process {peak.largest_kb / 1024:.0f} MB; {stages(result)}; load {at:.2f} → "
            f"{os.getloadavg()[0]:.2f}",
            flush=True,
        )
        shutil.rmtree(out)
        return {
            "seconds": seconds,
            "read": read,
            "times": seconds / read,
            "kb": jsonl / n / 1000,
            "tree_mb": peak.peak_kb / 1024,
            "pss_mb": peak.pss_kb / 1024,
            "load": at,
        }

    got = repeat(runs, once)
    times = statistics.median(got["times"])
    print(f"[big] {n:,} applicants without PDFs: {spread(got['seconds'])} s")
    print(f"[big] python-calamine reading the same workbooks: {spread(got['read'])} s")
    verdict = "ok" if times <= BIG_TARGET_TIMES_READ else "over"
    print(
        f"[big] batch / calamine read: {spread(got['times'])}× "
        f"(target ≤ {BIG_TARGET_TIMES_READ:.0f}×: {verdict})"
    )
    verdict = "ok" if statistics.median(got["kb"]) <= RESULTS_KB else "over"
    print(
        f"[big] results.jsonl: {spread(got['kb'])} KB per applicant "
        f"(target ≤ {RESULTS_KB} KB: {verdict})"
    )
    verdict = "ok" if statistics.median(got["tree_mb"]) <= BIG_TREE_MB else "over"
    print(
        f"[big] peak memory of the process tree: {spread(got['tree_mb'], '{:.0f}')} MB RSS "
        f"(target ≤ {BIG_TREE_MB} MB: {verdict}); {spread(got['pss_mb'], '{:.0f}')} MB PSS; "
        f"{loads(got['load'])}",
        flush=True,
    )


# The peak is VmHWM where there is /proc: ru_maxrss survives exec, so a child started by a
# process that had run the 100,000 applicants would report that process's peak.  The
# workers are the forkserver's children, which this process never waits for (getrusage's
# RUSAGE_CHILDREN does not see them): their peak is sampled from /proc (`TreePeak`).
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
print(json.dumps({"self": me}))
"""


def bench_memory(tmp: Path, small: int, large: int, runs: int) -> None:
    import shutil

    print(
        f"[memory] peak RSS at {small:,} vs {large:,} applicants, no PDFs … ({load()})", flush=True
    )
    books = {n: build_workbook(tmp / f"mem-{n}.xlsx", n) for n in (small, large)}

    def once(run_: int) -> dict[str, float]:
        at = os.getloadavg()[0]
        peaks = {}
        for n in (small, large):
            outdir = tmp / f"out-mem-{n}-{run_ + 1}"  # a fresh round each run
            stdout, tree = sampled("memory", _MEMORY_CHILD, str(books[n]), str(outdir))
            shutil.rmtree(outdir)
            peaks[n] = json.loads(stdout.strip().splitlines()[-1])
            peaks[n]["tree"], peaks[n]["largest"] = tree.peak_kb, tree.largest_kb
        print(
            f"[memory] run {run_ + 1}: "
            + "; ".join(
                f"{n:,}: batch process {p['self'] / 1024:.0f} MB, process tree "
                f"{p['tree'] / 1024:.0f} MB (largest process {p['largest'] / 1024:.0f} MB)"
                for n, p in peaks.items()
            ),
            flush=True,
        )
        return {
            "ratio": peaks[large]["self"] / peaks[small]["self"],
            "small": peaks[small]["self"] / 1024,
            "large": peaks[large]["self"] / 1024,
            "load": at,
        }

    got = repeat(runs, once)
    verdict = "ok" if statistics.median(got["ratio"]) <= MEMORY_TARGET else "over"
    print(
        f"[memory] batch process {small:,}: {spread(got['small'], '{:.0f}')} MB, "
        f"{large:,}: {spread(got['large'], '{:.0f}')} MB"
    )
    print(
        f"[memory] {large:,} / {small:,}: {spread(got['ratio'], '{:.2f}')}× "
        f"(target ≤ {MEMORY_TARGET}×: {verdict}); {loads(got['load'])}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="repetitions of each measurement")
    parser.add_argument("--scoring-n", type=int, default=2000, help="applicants timed in-process")
    parser.add_argument("--n", type=int, default=1000, help="applicants with PDFs")
    parser.add_argument("--speedup-n", type=int, default=24)
    parser.add_argument("--big", type=int, default=100_000)
    parser.add_argument("--memory", default="500,5000", help="small,large")
    parser.add_argument("--only", default="scoring,pdf,speedup,big,memory")
    args = parser.parse_args()
    only = set(args.only.split(","))
    small, large = (int(x) for x in args.memory.split(","))
    print(f"start: {load()}", flush=True)
    with tempfile.TemporaryDirectory(prefix="assess-bench-") as tmp:
        folder = Path(tmp)
        if "scoring" in only:
            bench_scoring(args.scoring_n, args.runs)
        if "big" in only:
            bench_big(folder, args.big, args.runs)
        if "memory" in only:
            bench_memory(folder, small, large, args.runs)
        if "pdf" in only:
            bench_pdf(folder, args.n, args.runs)
        if "speedup" in only:
            bench_speedup(folder, args.speedup_n, args.runs)
    print(f"end: {load()}", flush=True)


if __name__ == "__main__":
    main()

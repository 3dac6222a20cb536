"""How long a round's own outputs take: `python bench/outputs_bench.py [options]`.

summary.xlsx (`summary_xlsx.write_summary`) and cohort.pdf (`cohort.render_html`, then
`task.cohort_pdf_bytes`, what the idle worker runs) for N applicants, timed apart from
the rest of a batch, each repeated `--runs` times and printed as min – median – max of
the wall and CPU seconds, with the load average of each run.

The applicants are real batch rows: a batch without PDFs scores `--base` invented firms
once (the seeded generator of samples/make_samples.py, as bench/batch.py does) and its
rows, cohort and notices are caught on their way to `write_outputs` (kept in a cache file
under the temp folder, so later invocations skip the scoring).  N applicants are then that
round repeated with fresh indices, names and credit codes, and 2 % of them rejected with a
problem each; the cohort is rebuilt from these rows (the indicator sums scaled).  The
targets (issue 14): 100,000 applicants without PDFs in at most 3× the python-calamine
read of their workbooks, so the outputs have a few seconds at most.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import pickle
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "samples"))


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min) {five:.2f} (5 min), {os.cpu_count()} CPUs"


def spread(values: list[float], fmt: str = "{:.2f}") -> str:
    if len(values) == 1:
        return fmt.format(values[0]) + " (1 run)"
    parts = (min(values), statistics.median(values), max(values))
    return " – ".join(fmt.format(v) for v in parts)


def base_round(base: int, cache: Path) -> dict[str, Any]:
    """The rows, cohort, run info and notices of a batch of `base` invented firms, as
    `write_outputs` receives them."""
    if cache.exists():
        data: dict[str, Any] = pickle.loads(cache.read_bytes())
        return data
    from batch import build_workbook

    import assess.batch.run as batch_run
    from assess.batch import BatchOptions, run_batch

    caught: dict[str, Any] = {}
    names = vars(batch_run)  # where the batch looks `write_outputs` up
    real = names["write_outputs"]

    def catch(
        outdir: Path, rows: Any, cohort: Any, journal: Any, info: Any, *a: Any, **k: Any
    ) -> Any:
        caught.update(rows=list(rows), cohort=cohort, info=info, notices=k.get("notices", ()))
        return real(outdir, rows, cohort, journal, info, *a, **k)

    with tempfile.TemporaryDirectory(prefix="assess-outputs-") as tmp:
        book = build_workbook(Path(tmp) / "round.xlsx", base)
        print(f"[base] scoring {base:,} invented firms once … ({load()})", flush=True)
        names["write_outputs"] = catch
        try:
            run_batch(
                BatchOptions(inputs=(book,), outdir=Path(tmp) / "out", pdf=False, progress=False)
            )
        finally:
            names["write_outputs"] = real
    cache.write_bytes(pickle.dumps(caught))
    return caught


def scaled_round(base: dict[str, Any], n: int) -> tuple[list[Any], Any]:
    """`n` applicants: the base round repeated, each copy with its own indices, names
    and credit codes; every 50th applicant rejected with a problem."""
    from assess import catalog
    from assess.batch.records import Issue
    from assess.batch.stats import Cohort

    rows = base["rows"]
    old = base["cohort"]
    cohort = Cohort(official=old.official)
    out = []
    copies = -(-n // len(rows))
    want = catalog.t("intake.want.money")
    problem = catalog.t("intake.value.wrong", label="营业收入", got="约五千万", want=want)
    for i in range(n):
        copy, r = divmod(i, len(rows))
        row = rows[r]
        index = i + 1
        code = f"91{index:016d}"
        if index % 50 == 0:
            where = f"{row.source} › 批量!F{index + 2}"
            row = dataclasses.replace(
                row,
                status="rejected",
                lines=(),
                issues=(Issue("error", where, "revenue", problem, "intake.value.wrong"),),
                warnings=(),
                unmet=(),
                failed=(),
                missing=(),
                cells=(),
            )
        row = dataclasses.replace(
            row,
            index=index,
            key=f"{row.key}#{copy}",
            name=f"{row.name}{copy or ''}",
            credit_code=code,
            row=index + 2,
        )
        out.append(row)
        cohort.add(row)
    for key, ind in old.indicators.items():
        tally = {key: [ind.title, ind.points * copies, ind.max * copies, ind.n * copies]}
        tally[key].append(ind.unknown * copies)
        cohort.add_marks(tally)
    return out, cohort


def timed(fn: Callable[[], Any]) -> tuple[float, float, Any]:
    wall, cpu = time.perf_counter(), time.process_time()
    value = fn()
    return time.perf_counter() - wall, time.process_time() - cpu, value


def bench(n: int, runs: int, base: dict[str, Any], out: Path, keep: bool) -> None:
    import datetime as dt

    from assess.batch import cohort as cohort_report
    from assess.batch.outputs import flag_duplicates
    from assess.batch.records import rank_round
    from assess.batch.summary_xlsx import write_summary
    from assess.batch.task import cohort_pdf_bytes

    rows, cohort = scaled_round(base, n)
    info = base["info"]
    ranking = rank_round(rows, info.official)
    flagged, duplicates = flag_duplicates(rows, ranking)
    standing = ranking.standing
    print(f"[{n:,}] {len(rows):,} applicants, {ranking.size:,} ranked ({load()})", flush=True)
    cohort_pdf_bytes(cohort_report.render_html(cohort))  # fonts set up, as in a worker
    figures: dict[str, list[float]] = {}
    for _ in range(runs):
        figures.setdefault("load", []).append(os.getloadavg()[0])
        path = out / f"summary-{n}.xlsx"
        wall, cpu, _ = timed(
            lambda path=path: write_summary(  # type: ignore[misc]
                path,
                flagged,
                cohort,
                ranking,
                info,
                duplicates=duplicates,
                notices=base["notices"],
            )
        )
        figures.setdefault("summary wall", []).append(wall)
        figures.setdefault("summary cpu", []).append(cpu)

        def html() -> str:
            return cohort_report.render_html(
                cohort,
                title=cohort_report.round_title(info.round_name),
                generated=dt.date.fromisoformat(info.generated),
                interrupted=info.interrupted,
                top=cohort_report.top_rows(flagged, standing),
                standing=standing,
                duplicates=duplicates,
                ranking=ranking,
            )

        wall, cpu, text = timed(html)
        figures.setdefault("cohort html wall", []).append(wall)
        figures.setdefault("cohort html cpu", []).append(cpu)
        wall, cpu, pdf = timed(lambda text=text: cohort_pdf_bytes(text))  # type: ignore[misc]
        figures.setdefault("cohort pdf wall", []).append(wall)
        figures.setdefault("cohort pdf cpu", []).append(cpu)
        if keep:
            (out / f"cohort-{n}.pdf").write_bytes(pdf)
    size = (out / f"summary-{n}.xlsx").stat().st_size
    for name, values in figures.items():
        if name != "load":
            print(f"[{n:,}] {name}: {spread(values)} s (min – median – max, {runs} runs)")
    print(f"[{n:,}] summary.xlsx {size / 1e6:.1f} MB, cohort.html {len(text) / 1e3:.0f} KB")
    print(
        f"[{n:,}] load average (1 min) at each run: "
        + ", ".join(f"{v:.2f}" for v in figures["load"])
    )
    if not keep:
        (out / f"summary-{n}.xlsx").unlink()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", default="20000,100000", help="applicants, comma-separated")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--base", type=int, default=2000, help="invented firms scored once")
    parser.add_argument("--keep", type=Path, help="leave summary-N.xlsx and cohort-N.pdf here")
    args = parser.parse_args()
    cache = Path(tempfile.gettempdir()) / f"assess-outputs-bench-{args.base}.pickle"
    base = base_round(args.base, cache)
    print(f"start: {load()}", flush=True)
    with tempfile.TemporaryDirectory(prefix="assess-outputs-") as tmp:
        out = args.keep or Path(tmp)
        out.mkdir(parents=True, exist_ok=True)
        for n in (int(x) for x in args.n.split(",")):
            bench(n, args.runs, base, out, args.keep is not None)
    print(f"end: {load()}", flush=True)


if __name__ == "__main__":
    main()

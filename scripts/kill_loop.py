"""Kill `assess batch` with SIGKILL at random moments, `--resume` it each time, and check
that the outputs end identical to an uninterrupted run's.

    .venv/bin/python scripts/kill_loop.py                      # the full check: 20 kills,
                                                               # 300 applicants with PDFs
    .venv/bin/python scripts/kill_loop.py --kills 20 --applicants 3000 --no-pdf
    .venv/bin/python scripts/kill_loop.py --kills 3 --applicants 24   # what CI runs

The round is a 批量 workbook of invented firms (samples/make_samples.py, seeded).  First
one uninterrupted run; then, in a folder of the same name (the round is named after
OUTDIR), runs with `--resume` each killed after a random delay (seeded by --seed) until
K kills have landed mid-run (a run that finishes first does not count; the next ones then
resume a finished round and are killed in its reading or its outputs), and a last
`--resume` that is left to finish.  Each kill is SIGKILL of the batch process alone:
its workers must die with it (none may be left), and the next run must take the output
folder's lock at once.  Compared: every sheet of summary.xlsx, results.jsonl byte for byte,
and each PDF's page count and cover text.  Prints "N of K kills landed mid-run", the
seconds it took and "identical" or the first difference; exit 0 when identical.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "samples"))
sys.path.insert(0, str(ROOT))


def build_round(path: Path, count: int) -> Path:
    """A 批量 workbook of `count` invented firms (labels in row 1, ids in row 2)."""
    import itertools

    from make_samples import SEED, invent_firm  # type: ignore[import-not-found]
    from openpyxl import Workbook

    from assess.fields import FIELDS_BY_ID

    rng = random.Random(SEED)
    firms = [invent_firm(rng, i, i / max(count - 1, 1)) for i in range(count)]
    ids = [k for k in FIELDS_BY_ID if any(k in f for f in firms)]
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("批量")
    ws.append([FIELDS_BY_ID[i].label for i in ids])
    ws.append(ids)
    for firm in itertools.chain(firms):
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


def command(book: Path, outdir: Path, *, pdf: bool, resume: bool) -> list[str]:
    args = [sys.executable, "-m", "assess", "batch", str(book), "-o", str(outdir)]
    args += ["--workers", "2"]
    return args + ([] if pdf else ["--no-pdf"]) + (["--resume"] if resume else [])


def descendants(pid: int) -> set[int]:
    """Every live process whose chain of parents reaches `pid` (from /proc)."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as fh:
                    fields = fh.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if fields[0] != "Z":
                parents[int(entry)] = int(fields[1])
    out: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {p for p, pp in parents.items() if pp in frontier} - out
        out |= frontier
    return out


def outputs(outdir: Path, pdf: bool) -> dict[str, Any]:
    import openpyxl

    wb = openpyxl.load_workbook(outdir / "summary.xlsx")
    sheets = [[tuple(r) for r in ws.iter_rows(values_only=True)] for ws in wb]
    wb.close()
    out: dict[str, Any] = {
        "summary.xlsx": sheets,
        "results.jsonl": (outdir / "results.jsonl").read_bytes(),
    }
    if pdf:
        from pypdf import PdfReader

        for path in sorted((outdir / "reports").glob("*.pdf")):
            reader = PdfReader(path)
            out[f"reports/{path.name}"] = (len(reader.pages), reader.pages[0].extract_text())
    return out


def kill_loop(
    work: Path, *, applicants: int, kills: int, pdf: bool, seed: int, log: Any = print
) -> dict[str, Any]:
    """Run the check in `work`; returns {"landed", "kills", "seconds", "identical",
    "difference", "orphans"}."""
    rng = random.Random(seed)
    book = build_round(work / "round.xlsx", applicants)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    reference = work / "reference" / "第一批"
    started = time.perf_counter()
    clean = subprocess.run(
        command(book, reference, pdf=pdf, resume=False), env=env, capture_output=True
    )
    clean_seconds = time.perf_counter() - started
    if clean.returncode not in (0, 1):
        raise SystemExit(f"the uninterrupted run failed:\n{clean.stderr.decode()[-2000:]}")
    log(f"uninterrupted run: {clean_seconds:.1f} s")
    killed = work / "killed" / "第一批"
    landed = 0
    orphans = 0
    runs = 0
    # Each run lives a random share of a clean run's time, on average 1/kills of it (plus
    # its start), so that the kills spread over the whole batch.  A run that finishes
    # before its kill is not counted: the next ones resume a finished round, which is
    # quick (every applicant and report is reused, the outputs are written again), so
    # their delays are drawn within such a run's time and land in the reading, the
    # ranking and the outputs.
    span = max(2 * clean_seconds / kills, 1.0)
    loop_started = time.perf_counter()
    while landed < kills and runs < 3 * kills:
        runs += 1
        errors = work / f"run-{runs}.err"
        with open(errors, "wb") as err:
            proc = subprocess.Popen(
                command(book, killed, pdf=pdf, resume=runs > 1),
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=err,
            )
        delay = rng.uniform(0.3, span)
        run_started = time.perf_counter()
        try:
            proc.wait(timeout=delay)
        except subprocess.TimeoutExpired:
            family = descendants(proc.pid)
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            landed += 1
            deadline = time.monotonic() + 15
            while (left := {p for p in family if _alive(p)}) and time.monotonic() < deadline:
                time.sleep(0.1)
            orphans += len(left)
            for pid in left:  # leave the machine clean even when the check fails
                _kill(pid)
            log(f"run {runs}: killed after {delay:.1f} s ({landed} of {kills})")
        else:
            if proc.returncode not in (0, 1):
                text = errors.read_text("utf-8", "replace")[-2000:]
                raise SystemExit(f"run {runs} ended with exit {proc.returncode}:\n{text}")
            took = time.perf_counter() - run_started
            span = max(min(span, took), 1.0)
            log(f"run {runs}: finished in {took:.1f} s before its kill")
    final = subprocess.run(
        command(book, killed, pdf=pdf, resume=True), env=env, capture_output=True
    )
    if final.returncode not in (0, 1):
        raise SystemExit(f"the last --resume failed:\n{final.stderr.decode()[-2000:]}")
    seconds = time.perf_counter() - loop_started
    want, got = outputs(reference, pdf), outputs(killed, pdf)
    difference = next((key for key in want if want[key] != got.get(key)), None)
    if difference is None and set(got) != set(want):
        difference = f"files: {sorted(set(got) ^ set(want))}"
    return {
        "landed": landed,
        "kills": kills,
        "seconds": seconds,
        "identical": difference is None,
        "difference": difference,
        "orphans": orphans,
    }


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _kill(pid: int) -> None:
    with contextlib.suppress(OSError):
        os.kill(pid, signal.SIGKILL)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--applicants", type=int, default=300)
    parser.add_argument("--no-pdf", action="store_true")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="assess-kill-loop-") as tmp:
        result = kill_loop(
            Path(tmp),
            applicants=args.applicants,
            kills=args.kills,
            pdf=not args.no_pdf,
            seed=args.seed,
        )
    print(json.dumps(result, ensure_ascii=False))
    print(
        f"{result['landed']} of {result['kills']} kills landed mid-run; "
        f"{result['seconds']:.0f} s; workers left behind: {result['orphans']}; "
        + ("identical" if result["identical"] else f"DIFFERENT: {result['difference']}")
    )
    return 0 if result["identical"] and not result["orphans"] else 1


if __name__ == "__main__":
    raise SystemExit(main())

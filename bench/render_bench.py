"""How fast and how big is a PDF report?  Every timing over several runs, as min–median–max,
with the load average (the figures depend on what else the machine is doing):

0. Size: each sample's default report (the 2026 set, as `assess score X.json --pdf` writes
   it) and its `--standard 2022` report: bytes, pages and the bytes of each embedded font.
   Target: ≤ 300 KB for the default report.
1. Warm, per report, in one process (what a batch worker pays for each applicant): the
   default rubric sets — the 2026 ladder in force (miit-2026-srdi, miit-2026-little-giant,
   srdi-readiness) and the 2022 one with `--standard 2022` (four rubrics) — rendered again
   and again with one shared FontConfiguration after a warm-up run, in CPU seconds per
   stage: `render_html` (plan + charts + Jinja), WeasyPrint HTML parse + layout
   (`HTML(...).render(font_config=...)`) and `write_pdf` (drawing, font subsetting, the
   lighter fonts of `assess.report.pdf`).
   Target: ≤ 0.8 s CPU per report (a 1,000-applicant round in ≤ 8 min on 2 cores).
2. The same for the `--rubric` list (default: the 2022 创新型 rubric alone).
3. End to end: process start → PDF on disk, in a fresh interpreter, first through
   `render_pdf` (python -c …), then through the CLI (the sample's .json, and its .xlsx
   questionnaire where there is one).  Target: ≤ 1.5 s.

    .venv/bin/python bench/render_bench.py [--runs 7] [--sample borderline|all] [--rubric ID …]
                                           [--no-e2e] [--no-sizes] [--per-report]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ("strong", "borderline", "weak")
SIZE_SAMPLES = ("strong", "borderline", "weak", "partial")
WARM_TARGET = 0.8  # CPU seconds per report, warm
SIZE_TARGET = 300_000  # bytes, the default report
E2E_TARGET = 1.5  # seconds, process start → PDF on disk


def _median(xs: list[float]) -> str:
    return (
        f"{min(xs):.3f} – {statistics.median(xs):.3f} – {max(xs):.3f} s "
        f"(min–median–max, n={len(xs)})"
    )


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} CPUs"


def bench_sizes() -> None:
    """Bytes, pages and fonts of each sample's default and --standard 2022 report."""
    from assess.engine import evaluate
    from assess.intake.firm import load_firm_file
    from assess.report import pdf as pdfmod
    from assess.report.html import render_html
    from assess.rubric.selection import default_rubrics

    print("PDF size (bytes, pages; embedded fonts: bytes in the file):")
    for sample in SIZE_SAMPLES:
        firm = load_firm_file(ROOT / "samples" / f"{sample}.json")
        for label, standard in (("default", None), ("--standard 2022", 2022)):
            assessments = [evaluate(r, firm) for r in default_rubrics(firm, standard)]
            data = pdfmod.pdf_bytes(render_html(assessments, firm, generated=dt.date(2026, 3, 1)))
            pages, programs = _pdf_facts(data)
            fonts = ", ".join(f"{name} {size / 1000:.0f} KB" for name, size in programs)
            verdict = ""
            if standard is None:
                verdict = "   ok" if len(data) <= SIZE_TARGET else "   OVER"
            print(
                f"  {sample:<10} {label:<15} {len(data) / 1000:6.1f} KB {pages:3d} pages"
                f"{verdict}   [{fonts}]"
            )
    print(f"  target: default report ≤ {SIZE_TARGET / 1000:.0f} KB")


def _pdf_facts(data: bytes) -> tuple[int, list[tuple[str, int]]]:
    """A PDF's pages, and (font name, bytes of its embedded program as stored) per font."""
    import io

    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    seen: dict[str, int] = {}
    for page in reader.pages:
        fonts = page["/Resources"].get_object().get("/Font")
        for ref in fonts.get_object().values() if fonts is not None else ():
            font = ref.get_object()
            name = str(font["/BaseFont"]).split("+")[-1]
            descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            for key in ("/FontFile3", "/FontFile2"):
                if key in descriptor:
                    stream = descriptor[key].get_object()
                    seen[name] = len(stream._data)  # as stored (compressed)
    return len(reader.pages), sorted(seen.items())


def _cpu(fn: Callable[[], Any]) -> tuple[Any, float]:
    t = time.process_time()
    out = fn()
    return out, time.process_time() - t


def bench_warm(
    sample: str,
    label: str,
    rubric_ids: list[str] | None,
    standard: int | None,
    runs: int,
    font_config: Any,
) -> float:
    """Per-stage CPU of one report, warm; returns the median CPU per report."""
    from assess.engine import evaluate
    from assess.intake.firm import load_firm_file
    from assess.report import pdf as pdfmod
    from assess.report.html import render_html
    from assess.rubric.loader import get_rubric
    from assess.rubric.selection import default_rubrics

    firm = load_firm_file(ROOT / "samples" / f"{sample}.json")
    rubrics = [get_rubric(r) for r in rubric_ids] if rubric_ids else default_rubrics(firm, standard)
    assessments = [evaluate(r, firm) for r in rubrics]
    # The production path: pdf_bytes' document class (trimmed UA stylesheet) and its
    # garbage-collector pause; plain WeasyPrint where an older assess has neither.
    import weasyprint

    html_class = getattr(pdfmod, "_html_class", lambda: weasyprint.HTML)()
    paused = getattr(pdfmod, "_gc_paused", None)
    finisher = getattr(pdfmod, "_lighter_fonts", None)
    base_url = pdfmod.templates_dir().as_uri() + "/"
    stages: dict[str, list[float]] = {"html": [], "layout": [], "write": [], "total": []}
    pages = 0
    for i in range(runs + 1):  # the first run warms fontconfig, Jinja and caches
        html, t_html = _cpu(lambda: render_html(assessments, firm, generated=dt.date(2026, 3, 1)))

        def pdf(html: str = html) -> tuple[int, float, float]:
            rendered, t_layout = _cpu(
                lambda: html_class(
                    string=html,
                    base_url=base_url,
                    url_fetcher=pdfmod.make_fetcher(),
                ).render(font_config=font_config)
            )
            _, t_write = _cpu(lambda: rendered.write_pdf(finisher=finisher))
            return len(rendered.pages), t_layout, t_write

        if paused is not None:
            t0 = time.process_time()
            with paused():
                pages, t_layout, t_write = pdf()
            t_write += time.process_time() - t0 - t_layout - t_write  # the final collection
        else:
            pages, t_layout, t_write = pdf()
        if i:
            for key, value in (
                ("html", t_html),
                ("layout", t_layout),
                ("write", t_write),
                ("total", t_html + t_layout + t_write),
            ):
                stages[key].append(value)
    total = statistics.median(stages["total"])
    print(
        f"warm report, CPU: {sample} × {label} ({', '.join(r.id for r in rubrics)}) → {pages} pages"
    )
    print(f"  render_html (plan, charts, Jinja): {_median(stages['html'])}")
    print(f"  HTML parse + layout (render):      {_median(stages['layout'])}")
    print(f"  write_pdf (draw, fonts):           {_median(stages['write'])}")
    print(
        f"  per report:                        {_median(stages['total'])}   "
        f"target ≤ {WARM_TARGET} s  {'ok' if total <= WARM_TARGET else 'OVER'}"
    )
    return total


def bench_per_report(samples: tuple[str, ...], runs: int, font_config: Any) -> None:
    """What a batch worker pays for one applicant's PDF, whole: the default rubric set
    scored (evaluate, plan), `render_html` and `pdf_bytes` (the production path: the
    report's stylesheet parsed once, the fast HTML tree, fonts subset once), in CPU
    seconds, min–median–max over `runs` after a warm-up; with pages and bytes."""
    import io

    from pypdf import PdfReader

    from assess.engine import evaluate
    from assess.intake.firm import load_firm_file
    from assess.report import pdf as pdfmod
    from assess.report.html import render_html
    from assess.rubric.selection import default_rubrics

    print("per report, whole (score + plan + HTML + pdf_bytes), CPU:")
    for sample in samples:
        firm = load_firm_file(ROOT / "samples" / f"{sample}.json")

        def one(firm: Any = firm) -> bytes:
            assessments = [evaluate(r, firm) for r in default_rubrics(firm, None)]
            html = render_html(assessments, firm, generated=dt.date(2026, 3, 1))
            data: bytes = pdfmod.pdf_bytes(html, font_config=font_config)
            return data

        data = one()
        times = [_cpu(one)[1] for _ in range(runs)]
        pages = len(PdfReader(io.BytesIO(data)).pages)
        print(f"  {sample:<10} {_median(times)}   {pages} pages, {len(data) / 1000:.1f} KB")
    print(f"  {load()}")


def _time(cmd: list[str], out: Path) -> tuple[float, float]:
    """(process start → PDF on disk, process start → process gone).  The PDF is renamed
    into place when complete, so its appearing is the moment it is on disk; the second
    figure adds the interpreter's teardown."""
    out.unlink(missing_ok=True)
    t = time.perf_counter()
    proc = subprocess.Popen(
        cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    on_disk = None
    while proc.poll() is None:
        if on_disk is None and out.exists():
            on_disk = time.perf_counter() - t
        time.sleep(0.002)
    gone = time.perf_counter() - t
    if on_disk is None and out.exists():
        on_disk = gone
    if proc.returncode not in (0, 1) or on_disk is None:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{proc.stderr.read() if proc.stderr else ''}")
    return on_disk, gone


def _report(label: str, runs: list[tuple[float, float]], target: bool = True) -> None:
    on_disk = [r[0] for r in runs]
    verdict = ""
    if target:
        ok = statistics.median(on_disk) <= E2E_TARGET
        verdict = f"   target ≤ {E2E_TARGET} s  {'ok' if ok else 'OVER'}"
    print(f"{label} PDF on disk  {_median(on_disk)}{verdict}")
    print(f"{' ' * len(label)} process exit {_median([r[1] for r in runs])}")
    print(f"{' ' * len(label)} {load()}")


def bench_end_to_end(sample: str, rubrics: list[str], runs: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "e2e.pdf"
        code = (
            "import sys\n"
            "from pathlib import Path\n"
            "from assess.engine import evaluate\n"
            "from assess.intake.firm import load_firm_file\n"
            "from assess.report import render_pdf\n"
            "from assess.rubric.loader import get_rubric\n"
            f"firm = load_firm_file(Path({str(ROOT / 'samples' / (sample + '.json'))!r}))\n"
            f"a = [evaluate(get_rubric(r), firm) for r in {rubrics!r}]\n"
            f"render_pdf(a, firm, Path({str(out)!r}))\n"
        )
        api = [_time([sys.executable, "-c", code], out) for _ in range(runs)]
        _report("end to end, python -c render_pdf:", api, target=False)
        cmd = [sys.executable, "-m", "assess", "score", f"samples/{sample}.json"]
        for r in rubrics:
            cmd += ["--rubric", r]
        cli = [_time([*cmd, "--pdf", str(out)], out) for _ in range(runs)]
        _report("end to end, assess score --pdf:   ", cli, target=False)
        default = [
            _time(
                [
                    sys.executable,
                    "-m",
                    "assess",
                    "score",
                    f"samples/{sample}.json",
                    "--pdf",
                    str(out),
                ],
                out,
            )
            for _ in range(runs)
        ]
        _report("end to end, default set --pdf:    ", default)
        workbook = ROOT / "samples" / f"{sample}.xlsx"
        if workbook.is_file():  # the questionnaire a firm fills in, as it arrives
            cmd = [sys.executable, "-m", "assess", "score", str(workbook), "--pdf", str(out)]
            _report("end to end, .xlsx default --pdf:  ", [_time(cmd, out) for _ in range(runs)])
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "assess", "--help"], cwd=ROOT, capture_output=True)
        print(f"assess --help:                     {time.perf_counter() - t:.3f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--sample", default="borderline", choices=(*SAMPLES, "all"))
    parser.add_argument("--rubric", action="append", dest="rubrics")
    parser.add_argument("--no-e2e", action="store_true", help="skip the end-to-end runs")
    parser.add_argument("--no-sizes", action="store_true", help="skip the PDF sizes")
    parser.add_argument(
        "--per-report",
        action="store_true",
        help="only the whole per-report CPU (score + HTML + pdf_bytes) of each sample",
    )
    args = parser.parse_args()
    rubrics = args.rubrics or ["miit-2022-innovative"]
    sys.path.insert(0, str(ROOT))
    from assess.report.pdf import harfbuzz_subset_available

    print(f"libharfbuzz-subset: {'found' if harfbuzz_subset_available() else 'MISSING (slow)'}")
    print(f"start: {load()}")
    t0 = time.perf_counter()
    import weasyprint
    from weasyprint.text.fonts import FontConfiguration

    print(
        f"import weasyprint {weasyprint.__version__}: {time.perf_counter() - t0:.3f} s "
        "(once per worker, not counted)"
    )
    if not args.no_sizes and not args.per_report:
        bench_sizes()
        print(f"  {load()}")
    font_config = FontConfiguration()  # one per process, as a batch worker keeps it
    samples = SAMPLES if args.sample == "all" else (args.sample,)
    if args.per_report:
        bench_per_report(samples, args.runs, font_config)
        return
    totals = []
    for sample in samples:
        totals.append(bench_warm(sample, "2026 default set", None, None, args.runs, font_config))
        totals.append(bench_warm(sample, "--standard 2022", None, 2022, args.runs, font_config))
        bench_warm(sample, "--rubric " + " ".join(rubrics), rubrics, None, args.runs, font_config)
    if len(totals) > 2:
        print(
            f"default sets, all samples: mean {statistics.mean(totals):.3f} s CPU per "
            f"report, worst {max(totals):.3f} s"
        )
    print(f"warm runs done: {load()}")
    if not args.no_e2e:
        bench_end_to_end(samples[0], rubrics, args.runs)


if __name__ == "__main__":
    main()

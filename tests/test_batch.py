"""`assess batch` end to end: a round with a 批量 workbook, a folder of questionnaires, a bad
value, a corrupted file and a duplicated credit code; the PDFs; Ctrl-C and --resume on the
local pool and on a Dask cluster; formula injection; exit codes."""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import yaml

from assess.batch import BatchOptions, run_batch
from assess.batch.outputs import read_results
from assess.fields import FIELDS_BY_ID
from assess.intake.labels import header_label as _header_label

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
INJECTED = '=HYPERLINK("http://evil.example/x","点我")'
ROUND = "第一批"  # the round's name on the reports, whatever the output folder is called
CODE_TWICE = "91370100MA3C4X5Y6W"  # strong.json's code, used again in the workbook

pytestmark = pytest.mark.slow


def _sample(stem: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((SAMPLES / f"{stem}.json").read_text(encoding="utf-8"))
    return data


def _batch_book(path: Path, firms: list[dict[str, Any]]) -> None:
    """A 批量 sheet as agencies make them: labels in row 1, field ids in row 2."""
    ids = list(dict.fromkeys(k for firm in firms for k in firm))
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "批量"
    ws.append([_header_label(FIELDS_BY_ID[i]) for i in ids])
    ws.append(ids)
    for firm in firms:
        ws.append([firm.get(i) for i in ids])
        for c in ws[ws.max_row]:
            if isinstance(c.value, str) and c.value.startswith("="):
                c.data_type = "s"  # typed text that looks like a formula, not a formula
    wb.save(path)


def make_round(folder: Path) -> list[Path]:
    """Inputs: agency.xlsx (3 rows: one with 约300 in a money field, one with a name that is
    a spreadsheet formula) and a folder with a JSON and a YAML questionnaire, an Office lock
    file that must be skipped and a corrupted workbook."""
    folder.mkdir(parents=True, exist_ok=True)
    strong, weak, border = _sample("strong"), _sample("weak"), _sample("borderline")
    rows = [
        {**strong, "name": "甲方精工科技有限公司"},  # same credit code as apps/strong.json
        {
            **weak,
            "name": "乙方包装有限公司",
            "credit_code": "91510100MA6D8E9F1Y",
            "revenue": "约300",
        },
        {**border, "name": INJECTED, "credit_code": "91430100MA4L7Q2R9Z"},
    ]
    _batch_book(folder / "agency.xlsx", rows)
    apps = folder / "apps"
    apps.mkdir()
    (apps / "strong.json").write_text(json.dumps(strong, ensure_ascii=False), encoding="utf-8")
    (apps / "weak.yaml").write_text(yaml.safe_dump(weak, allow_unicode=True), encoding="utf-8")
    (apps / "~$agency.xlsx").write_bytes(b"lock file: not a workbook")
    (apps / "broken.xlsx").write_bytes(b"PK\x03\x04 this zip stops here")
    return [folder / "agency.xlsx", apps]


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return make_round(tmp_path_factory.mktemp("round"))


def sheet_rows(path: Path, sheet: str) -> list[tuple[Any, ...]]:
    wb = openpyxl.load_workbook(path)
    try:
        return [tuple(r) for r in wb[sheet].iter_rows(values_only=True)]
    finally:
        wb.close()


def summary(path: Path) -> dict[str, list[dict[str, Any]]]:
    """Each sheet of summary.xlsx as dicts keyed by its header (汇总, 问题清单)."""
    out = {}
    for sheet in ("汇总", "问题清单"):
        head, *body = sheet_rows(path, sheet)
        out[sheet] = [dict(zip(head, row, strict=True)) for row in body]
    return out


def outputs(outdir: Path) -> tuple[list[list[tuple[Any, ...]]], bytes]:
    """What a clean run and a resumed one must agree on: every sheet's rows (the 统计
    sheet's date is the same day) and results.jsonl, byte for byte."""
    wb = openpyxl.load_workbook(outdir / "summary.xlsx")
    sheets = [[tuple(r) for r in ws.iter_rows(values_only=True)] for ws in wb]
    wb.close()
    return sheets, (outdir / "results.jsonl").read_bytes()


def covers(outdir: Path) -> dict[str, tuple[int, str]]:
    """Each report's page count and the text of its cover, which has the applicant's place
    in the round (the rest of a report depends only on the applicant's own data)."""
    from pypdf import PdfReader

    out = {}
    for path in sorted((outdir / "reports").glob("*.pdf")):
        pdf = PdfReader(path)
        out[path.name] = (len(pdf.pages), pdf.pages[0].extract_text())
    return out


def place_line(text: str) -> str:
    return next(line for line in text.splitlines() if line.startswith("本批次"))


# ---- the round with PDFs -----------------------------------------------------------------


@pytest.fixture(scope="module")
def pdf_round(inputs: list[Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    outdir = tmp_path_factory.mktemp("out")
    result = run_batch(
        BatchOptions(
            inputs=tuple(inputs),
            outdir=outdir,
            workers=2,
            progress=False,
            round_name=ROUND,
            cover_rank=True,
        )
    )
    assert result.exit_code == 1  # some were rejected, all are reported
    assert (result.applicants, result.scored, result.rejected, result.failed) == (6, 4, 2, 0)
    assert (result.reports, result.reports_reused, result.reports_failed) == (4, 0, 0)
    return outdir


def test_summary_names_every_applicant_the_bad_cell_and_the_corrupted_file(pdf_round: Path) -> None:
    sheets = summary(pdf_round / "summary.xlsx")
    main = sheets["汇总"]
    names = {r["企业名称"] for r in main}
    # the rejected row is named too: read back from the workbook
    assert {
        "甲方精工科技有限公司",
        "乙方包装有限公司",
        "'" + INJECTED,
        "山东精工传感科技有限公司",
        "成都锦城包装制品有限公司",
    } <= names
    assert len(main) == 6
    assert any(r["来源文件"].endswith("broken.xlsx") and r["结论"] == "数据有误" for r in main)
    assert not any("~$" in r["来源文件"] for r in main)  # the lock file was skipped
    ranked = [r for r in main if r["排名"] is not None]
    assert [r["排名"] for r in ranked] == sorted(r["排名"] for r in ranked)
    # the credit code sent twice is ranked once: its last submission
    assert len(ranked) == 3 and all(0 < r["百分位"] < 100 for r in ranked)
    twice = [r for r in main if r["统一社会信用代码"] == CODE_TWICE]
    assert [r["结论"] for r in twice if r["排名"] is None] == ["重复（不排名）"]
    assert main.index(ranked[-1]) < min(i for i, r in enumerate(main) if r["排名"] is None)
    bad = next(r for r in main if r["企业名称"] == "乙方包装有限公司")
    assert bad["结论"] == "数据有误" and "约300" in bad["错误"] and bad["行"] == 4

    issues = sheets["问题清单"]
    cell = next(i for i in issues if i["字段ID"] == "revenue")
    assert cell["单元格"].startswith("批量!") and cell["单元格"].endswith("4")
    assert cell["企业"] == "乙方包装有限公司" and cell["类型"] == "数据错误"
    assert cell["项目"] == "上年度营业收入"  # the questionnaire's label, not the field id
    assert "约300" in cell["发现的问题"] and "请填写数字" in cell["应如何填写"]
    assert cell["问题代码"].startswith("intake.")  # the same problem, whatever the language
    broken = next(i for i in issues if i["来源文件"].endswith("broken.xlsx"))
    assert broken["类型"] == "文件无法读取"
    dupes = [i for i in issues if i["类型"] == "信用代码重复"]
    assert len(dupes) == 2 and all(CODE_TWICE in d["发现的问题"] for d in dupes)


def test_a_pdf_per_scored_applicant_and_the_cohort_pdf(pdf_round: Path) -> None:
    from pypdf import PdfReader

    main = summary(pdf_round / "summary.xlsx")["汇总"]
    reports = sorted(r["报告"] for r in main if r["报告"])
    assert len(reports) == 4
    # <credit code>-<short name>; the duplicated code is disambiguated
    first_name = f"reports/{CODE_TWICE}-山东精工传感科技.pdf"
    assert first_name in reports and f"reports/{CODE_TWICE}-甲方精工科技.pdf" in reports
    assert sorted(p.name for p in (pdf_round / "reports").iterdir()) == sorted(
        Path(r).name for r in reports
    )
    first = PdfReader(pdf_round / "reports" / f"{CODE_TWICE}-甲方精工科技.pdf")
    assert len(first.pages) > 1
    assert "甲方精工科技有限公司" in first.pages[0].extract_text()
    # each report shows the applicant's place in the round, as the summary ranks it
    for row in (r for r in main if r["报告"] and r["排名"]):
        cover = PdfReader(pdf_round / row["报告"]).pages[0].extract_text()
        line = place_line(cover)
        assert line.startswith(f"本批次（{ROUND}，共 3 家参与排名）排名第 {row['排名']}（")
        assert f"高于本批次 {row['百分位']:g}% 的企业" in cover
    cohort = PdfReader(pdf_round / "cohort.pdf")
    text = "".join(page.extract_text() for page in cohort.pages)
    assert "批次概览" in text and "各梯度通过率" in text and "最薄弱的指标" in text
    assert 1 <= len(cohort.pages) <= 3
    assert not list(pdf_round.rglob("*.tmp")), "no temp file is left behind"


def test_results_jsonl_shape(pdf_round: Path) -> None:
    lines = list(read_results(pdf_round / "results.jsonl"))
    assert [x["applicant"]["index"] for x in lines] == list(range(1, 7))
    for line in lines:
        assert set(line) == {"applicant", "results"}
        head = line["applicant"]
        assert {
            "source",
            "row",
            "name",
            "credit_code",
            "status",
            "rank",
            "percentile",
            "problems",
        } <= set(head)
        if head["status"] == "scored":
            # scored: ranked, but for the earlier of the two submissions of one code
            assert (head["rank"] or 0) >= 1 or head["credit_code"] == CODE_TWICE
            assert head["report"].startswith("reports/")
            assert line["results"] and {
                "rubric",
                "total",
                "max",
                "passed",
                "indicators",
                "gates",
            } <= set(line["results"][0])
        else:
            assert line["results"] == [] and head["problems"]


def test_no_text_cell_can_run_as_a_formula(pdf_round: Path) -> None:
    wb = openpyxl.load_workbook(pdf_round / "summary.xlsx")
    cells = [c for ws in wb for row in ws.iter_rows() for c in row if c.value is not None]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    injected = [c for c in cells if isinstance(c.value, str) and "HYPERLINK" in c.value]
    # no text cell starts as a formula would; the injected name is written with a "'"
    assert injected and not [c.value for c in injected if c.value.startswith(("=", "+", "@"))]
    assert any(c.value.startswith("'=") for c in injected)


# ---- Ctrl-C and --resume -----------------------------------------------------------------


def _options(inputs: list[Path], outdir: Path, **kw: Any) -> BatchOptions:
    return BatchOptions(
        inputs=(*inputs, SAMPLES / "agency-batch.xlsx"),
        outdir=outdir,
        pdf=False,
        progress=False,
        round_name=ROUND,  # else each output folder names its round (统计 says which)
        **kw,
    )


@pytest.fixture(scope="module")
def clean_run(inputs: list[Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    outdir = tmp_path_factory.mktemp("clean")
    result = run_batch(_options(inputs, outdir, workers=2))
    assert result.applicants == 44 and result.exit_code == 1
    return outdir


def _sources(outdir: Path) -> set[str]:
    return {r["applicant"]["source"] for r in read_results(outdir / "results.jsonl")}


def _interrupt_then_resume(options: BatchOptions, after: int, clean: Path) -> None:
    from dataclasses import replace

    with pytest.raises(KeyboardInterrupt):
        run_batch(replace(options, interrupt_after=after))
    outdir = options.outdir
    state = json.loads((outdir / ".assess-batch" / "state.json").read_text("utf-8"))
    assert state["interrupted"] and not state["complete"]
    # the outputs are there and whole, listing what is not done yet: every applicant read
    # so far, and each file not read to its end (how far the reader got is up to timing)
    main = summary(outdir / "summary.xlsx")["汇总"]
    assert any(r["结论"] == "未完成" for r in main)
    listed = len(list(read_results(outdir / "results.jsonl")))
    assert listed == len(main) <= 44 + len(_sources(clean))
    assert _sources(outdir) == _sources(clean)
    result = run_batch(replace(options, resume=True))
    assert result.reused >= after and result.applicants == 44


def test_resume_after_ctrl_c_gives_the_same_outputs(
    inputs: list[Path], clean_run: Path, tmp_path: Path
) -> None:
    _interrupt_then_resume(_options(inputs, tmp_path / "out", workers=2), after=5, clean=clean_run)
    assert outputs(tmp_path / "out") == outputs(clean_run)


@pytest.fixture(scope="module")
def dask_address() -> Iterator[str]:
    distributed = pytest.importorskip("distributed")
    # In-process workers, but over TCP: every job and result is serialised as it would be
    # between machines.
    with distributed.LocalCluster(
        n_workers=1,
        threads_per_worker=2,
        processes=False,
        protocol="tcp",
        dashboard_address=None,
        silence_logs=logging.ERROR,
    ) as cluster:
        yield cluster.scheduler_address


def test_dask_cluster_same_outputs_and_resume(
    inputs: list[Path], clean_run: Path, dask_address: str, tmp_path: Path
) -> None:
    options = _options(inputs, tmp_path / "dask", scheduler=dask_address)
    _interrupt_then_resume(options, after=4, clean=clean_run)
    assert outputs(tmp_path / "dask") == outputs(clean_run)


def test_dask_cluster_sends_pdfs_back(dask_address: str, tmp_path: Path) -> None:
    result = run_batch(
        BatchOptions(
            inputs=(SAMPLES / "weak.json",), outdir=tmp_path, scheduler=dask_address, progress=False
        )
    )
    assert result.exit_code == 0
    pdf = tmp_path / "reports" / "91510100MA6D8E9F0X-成都锦城包装制品.pdf"
    assert pdf.read_bytes().startswith(b"%PDF")


def _pdf_options(inputs: list[Path], outdir: Path, **kw: Any) -> BatchOptions:
    return BatchOptions(
        inputs=tuple(inputs), outdir=outdir, progress=False, round_name=ROUND, cover_rank=True, **kw
    )


def _interrupt_the_reports_then_resume(options: BatchOptions) -> None:
    """Ctrl-C after the 4 applicants are scored and the first report is made; the report
    in progress then is finished, the other two are made by --resume."""
    from dataclasses import replace

    with pytest.raises(KeyboardInterrupt):
        run_batch(replace(options, interrupt_after=5))
    outdir = options.outdir
    state = json.loads((outdir / ".assess-batch" / "state.json").read_text("utf-8"))
    assert state["interrupted"] and state["phase"] == "reports"
    made = sorted(p.name for p in (outdir / "reports").iterdir())
    assert 1 <= len(made) < 4
    listed = [r["报告"] for r in summary(outdir / "summary.xlsx")["汇总"] if r["报告"]]
    assert sorted(Path(r).name for r in listed) == made  # the summary lists what is there
    result = run_batch(replace(options, resume=True))
    assert (result.reused, result.reports_reused, result.reports) == (4, len(made), 4 - len(made))


def test_resume_after_ctrl_c_in_the_reports_gives_the_same_outputs(
    inputs: list[Path], pdf_round: Path, tmp_path: Path
) -> None:
    _interrupt_the_reports_then_resume(_pdf_options(inputs, tmp_path / "out", workers=2))
    assert outputs(tmp_path / "out") == outputs(pdf_round)
    assert covers(tmp_path / "out") == covers(pdf_round)


def test_dask_cluster_reports_resume(
    inputs: list[Path], pdf_round: Path, dask_address: str, tmp_path: Path
) -> None:
    options = _pdf_options(inputs, tmp_path / "dask", scheduler=dask_address)
    _interrupt_the_reports_then_resume(options)
    assert outputs(tmp_path / "dask") == outputs(pdf_round)
    assert covers(tmp_path / "dask") == covers(pdf_round)


def test_a_report_is_made_again_when_its_place_in_the_round_changes(
    inputs: list[Path], tmp_path: Path
) -> None:
    work = tmp_path / "in"
    shutil.copytree(inputs[1], work)
    options = _pdf_options([work], tmp_path / "out", workers=2)
    first = run_batch(options)
    assert (first.scored, first.reports) == (2, 2)
    before = covers(tmp_path / "out")
    assert all("共 2 家" in place_line(text) for _, text in before.values())
    from dataclasses import replace

    # unchanged: nothing is scored or rendered again
    same = run_batch(replace(options, resume=True))
    assert (same.reused, same.reports_reused, same.reports) == (2, 2, 0)
    assert covers(tmp_path / "out") == before
    # a third applicant joins the round: the two are not scored again, but their reports
    # are made again, with the new size of the round
    newcomer = _sample("borderline")
    (work / "borderline.json").write_text(json.dumps(newcomer, ensure_ascii=False), "utf-8")
    more = run_batch(replace(options, resume=True))
    assert (more.scored, more.reused, more.reports_reused, more.reports) == (3, 2, 0, 3)
    after = covers(tmp_path / "out")
    assert len(after) == 3 and all("共 3 家" in place_line(t) for _, t in after.values())


def test_resume_redoes_a_changed_applicant_only(inputs: list[Path], tmp_path: Path) -> None:
    work = tmp_path / "in"
    shutil.copytree(inputs[1], work)
    run_batch(
        BatchOptions(inputs=(work,), outdir=tmp_path / "out", pdf=False, workers=0, progress=False)
    )
    data = yaml.safe_load((work / "weak.yaml").read_text(encoding="utf-8"))
    data["employees"] += 1
    (work / "weak.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    result = run_batch(
        BatchOptions(
            inputs=(work,),
            outdir=tmp_path / "out",
            pdf=False,
            workers=0,
            progress=False,
            resume=True,
        )
    )
    assert result.reused == 1 and result.scored == 2  # strong.json kept, weak.yaml redone


def test_resume_ignores_a_torn_journal_line(inputs: list[Path], tmp_path: Path) -> None:
    options = BatchOptions(
        inputs=(inputs[1],), outdir=tmp_path, pdf=False, workers=0, progress=False
    )
    run_batch(options)
    before = outputs(tmp_path)
    done = tmp_path / ".assess-batch" / "done.jsonl"
    lines = done.read_bytes().splitlines(keepends=True)
    done.write_bytes(b"".join(lines[:-1]) + lines[-1][:40])  # killed mid-write
    from dataclasses import replace

    result = run_batch(replace(options, resume=True))
    assert result.reused == len(lines) - 1
    assert outputs(tmp_path) == before


def test_resume_starts_afresh_from_a_journal_of_another_format(
    inputs: list[Path], tmp_path: Path
) -> None:
    options = BatchOptions(
        inputs=(inputs[1],), outdir=tmp_path, pdf=False, workers=0, progress=False
    )
    run_batch(options)
    before = outputs(tmp_path)
    state = tmp_path / ".assess-batch" / "state.json"
    state.write_text(json.dumps({**json.loads(state.read_text("utf-8")), "format": 1}), "utf-8")
    from dataclasses import replace

    result = run_batch(replace(options, resume=True))
    assert result.reused == 0 and result.scored == 2
    assert outputs(tmp_path) == before
    assert len((tmp_path / ".assess-batch" / "done.jsonl").read_bytes().splitlines()) == 2


def test_cli_ctrl_c_exit_130_then_resume_exit_1(inputs: list[Path], tmp_path: Path) -> None:
    """The real command in a subprocess, interrupted by the test hook after 2 applicants."""
    args = [
        sys.executable,
        "-m",
        "assess",
        "batch",
        *map(str, inputs),
        "-o",
        str(tmp_path),
        "--no-pdf",
        "--workers",
        "1",
    ]
    env = {**os.environ, "ASSESS_BATCH_INTERRUPT_AFTER": "2"}
    first = subprocess.run(args, capture_output=True, text=True, env=env, timeout=120)
    assert first.returncode == 130, first.stderr
    assert "--resume" in first.stderr
    second = subprocess.run([*args, "--resume"], capture_output=True, text=True, timeout=120)
    assert second.returncode == 1, second.stderr
    assert "沿用上次结果" in second.stderr
    assert "broken.xlsx" in second.stderr  # plain progress lines name the refused ones


# ---- failures ----------------------------------------------------------------------------


def test_an_exception_while_scoring_one_applicant_is_recorded(
    inputs: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import assess.engine

    real = assess.engine.decide_reusing  # what phase 1 scores with

    def flaky(rubric: Any, firm: Any, *args: Any) -> Any:
        if firm.name == "成都锦城包装制品有限公司":
            raise ZeroDivisionError("boom")
        return real(rubric, firm, *args)

    monkeypatch.setattr(assess.engine, "decide_reusing", flaky)
    result = run_batch(
        BatchOptions(inputs=(inputs[1],), outdir=tmp_path, pdf=False, workers=0, progress=False)
    )
    assert (result.scored, result.failed, result.exit_code) == (1, 1, 1)
    main = summary(tmp_path / "summary.xlsx")["汇总"]
    failed = next(r for r in main if r["结论"] == "处理出错")
    assert "weak.yaml" in failed["错误"] and "ZeroDivisionError: boom" in failed["错误"]


def test_a_report_that_fails_leaves_its_applicant_scored_and_ranked(
    inputs: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import assess.report.html

    real = assess.report.html.render_html

    def flaky(assessments: Any, firm: Any, **kw: Any) -> str:
        if firm.name == "成都锦城包装制品有限公司":
            raise ZeroDivisionError("boom")
        return real(assessments, firm, **kw)

    monkeypatch.setattr(assess.report.html, "render_html", flaky)
    options = _pdf_options([inputs[1]], tmp_path, workers=0)
    result = run_batch(options)
    assert (result.scored, result.failed, result.exit_code) == (2, 0, 1)
    assert (result.reports, result.reports_failed) == (1, 1)
    main = summary(tmp_path / "summary.xlsx")["汇总"]
    broken = next(r for r in main if r["企业名称"] == "成都锦城包装制品有限公司")
    assert broken["排名"] in (1, 2) and not broken["报告"]
    assert "weak.yaml" in broken["错误"] and "ZeroDivisionError: boom" in broken["错误"]
    # --resume makes the missing report (only)
    monkeypatch.setattr(assess.report.html, "render_html", real)
    from dataclasses import replace

    again = run_batch(replace(options, resume=True))
    assert (again.reused, again.reports, again.reports_reused, again.exit_code) == (2, 1, 1, 1)
    assert len(list((tmp_path / "reports").iterdir())) == 2


def test_nothing_readable_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "broken.xlsx"
    bad.write_bytes(b"not a workbook")
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "assess",
            "batch",
            str(bad),
            str(tmp_path / "missing"),
            "-o",
            str(tmp_path / "out"),
            "--no-pdf",
            "--workers",
            "0",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 2, out.stderr
    main = summary(tmp_path / "out" / "summary.xlsx")["汇总"]
    assert len(main) == 2 and all(r["结论"] == "数据有误" for r in main)


def test_bad_options_exit_2(tmp_path: Path) -> None:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "assess",
            "batch",
            str(SAMPLES / "weak.json"),
            "-o",
            str(tmp_path),
            "--standard",
            "1999",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 2 and "没有 1999 年版的内置标准" in out.stderr

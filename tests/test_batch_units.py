"""The pieces of `assess batch` that need no pool: safe cell text and file names, finding
the inputs, ranks and percentiles, the summary rows' round trip, the cohort charts."""

from __future__ import annotations

import dataclasses
import pickle
from decimal import Decimal
from pathlib import Path

import pytest

from assess.batch.cohort import histogram_svg
from assess.batch.inputs import MISSING, discover, is_temp
from assess.batch.names import ReportNames, safe_stem
from assess.batch.outputs import flag_duplicates
from assess.batch.records import (
    ApplicantRow,
    ClassScore,
    IndicatorMark,
    Issue,
    RubricLine,
    standings,
)
from assess.batch.stats import Bin, Cohort, quantile
from assess.batch.summary_xlsx import cell, cell_text
from assess.batch.task import Context, Job, input_hash, place_hash, score_jobs
from assess.intake import load_firm_file

SAMPLES = Path(__file__).resolve().parent.parent / "samples"


@pytest.mark.parametrize(
    "text", ["=1+1", "+86 531", "-5", "@SUM(A1)", "\t=1", "\r=1", '=HYPERLINK("http://x","y")']
)
def test_formula_like_text_is_neutralised(text: str) -> None:
    out = cell_text(text)
    assert out.startswith("'") and out[1:] == text.replace("\x00", "")


def test_plain_text_and_numbers_are_kept() -> None:
    assert cell_text("山东精工 = 好") == "山东精工 = 好"
    assert cell(Decimal("-5")) == -5 and cell(Decimal("12.5")) == 12.5
    assert cell(True) == "是" and cell(None) is None


def test_control_characters_and_length() -> None:
    assert cell_text("a\x00b\x07c\nd") == "abc\nd"  # newlines are fine in a cell
    assert len(cell_text("x" * 40_000)) == 32_767


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("../../etc/passwd", "_.._etc_passwd"),
        ('a/b\\c:d*e?f"g<h>i|j', "a_b_c_d_e_f_g_h_i_j"),
        ("名称\x00\x1f\n", "名称___"),
        ("abc\u202efdp.exe", "abc_fdp.exe"),  # a right-to-left override cannot fake the type
        ("  .hidden. ", "hidden"),
        ("CON", "_CON"),
        ("", ""),
    ],
)
def test_safe_stem(raw: str, expected: str) -> None:
    assert safe_stem(raw) == expected


def test_safe_stem_bounds_length_in_characters_and_bytes() -> None:
    assert len(safe_stem("长" * 500)) <= 80
    assert len(safe_stem("长" * 500).encode()) <= 180


def test_report_names_are_unique_case_insensitively() -> None:
    firm = load_firm_file(SAMPLES / "weak.json")
    names = ReportNames()
    first, second = names.take(firm, 1), names.take(firm, 2)
    assert first == "reports/91510100MA6D8E9F0X-成都锦城包装制品.pdf"  # 有限公司 left out
    assert second == "reports/91510100MA6D8E9F0X-成都锦城包装制品-2.pdf"
    from dataclasses import replace

    lower = replace(firm, values={**firm.values, "credit_code": "91510100ma6d8e9f0x"})
    assert names.take(lower, 3) == "reports/91510100ma6d8e9f0x-成都锦城包装制品-3.pdf"
    codeless = replace(firm, values={"name": "湖南湘江新材料股份有限公司"})
    assert names.take(codeless, 5) == "reports/湖南湘江新材料.pdf"
    nameless = replace(firm, values={"name": "/"})
    assert names.take(nameless, 4) == "reports/_.pdf"


def test_discover_skips_temp_files_and_the_output_folder(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    for name in (
        "a.json",
        "b/c.xlsx",
        "~$c.xlsx",
        ".~lock.c.xlsx#",
        "d.tmp",
        "notes.txt",
        ".hidden.json",
        "b/e.YAML",
    ):
        (tmp_path / name).write_text("{}")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "summary.xlsx").write_text("")
    found = discover(
        [tmp_path, tmp_path / "a.json", tmp_path / "nope.json"], exclude=tmp_path / "out"
    )
    assert [s.path.relative_to(tmp_path).as_posix() for s in found] == [
        "a.json",
        "b/c.xlsx",
        "b/e.YAML",
        "nope.json",
    ]
    assert found[-1].problem == MISSING
    assert is_temp("~$申报表.xlsx") and not is_temp("申报表.xlsx")


def test_an_empty_folder_is_reported(tmp_path: Path) -> None:
    [source] = discover([tmp_path])
    assert "文件夹中没有问卷文件" in source.problem


def test_standings_rank_ties_and_percentiles() -> None:
    s = standings({1: Decimal(50), 2: Decimal(80), 3: Decimal(80), 4: Decimal(20)})
    assert {i: x.rank for i, x in s.items()} == {2: 1, 3: 1, 1: 3, 4: 4}
    assert s[2].percentile == Decimal("75.0")  # 2 below, 2 tied: (2 + 1) / 4
    assert s[4].percentile == Decimal("12.5")
    assert standings({7: Decimal(1)})[7].percentile == Decimal("50.0")
    assert standings({}) == {}


def test_quantile_interpolates() -> None:
    values = [Decimal(v) for v in (10, 20, 30, 40)]
    assert quantile(values, 50) == Decimal("25.00")
    assert quantile(values, 0) == 10 and quantile(values, 100) == 40
    assert quantile([Decimal(7)], 90) == 7


def _row(index: int, total: str, code: str = "", status: str = "scored") -> ApplicantRow:
    line = RubricLine(
        "srdi-readiness",
        "准备度",
        "1",
        "readiness",
        "pass",
        Decimal(total),
        Decimal(100),
        (ClassScore("rd", "研发投入", Decimal(total), Decimal(30)),),
    )
    return ApplicantRow(
        index=index,
        key=f"k{index}",
        source="a.xlsx",
        sheet="批量",
        row=index + 2,
        name=f"企业{index}",
        credit_code=code,
        status=status,  # type: ignore[arg-type]
        lines=(line,),
        warnings=("注意",),
        issues=(Issue("error", "a.xlsx › 批量!D3", "revenue", "x"),),
        marks=(IndicatorMark("srdi-readiness", "rd", "研发", Decimal(3), Decimal(10), "ok"),),
    )


def test_row_json_round_trip() -> None:
    row = _row(1, "72.5", "X")
    back = ApplicantRow.from_json(row.to_json())
    assert back == row and back.marks == row.marks
    assert back.score == Decimal("72.50")


def test_cohort_is_independent_of_the_order_rows_arrive_in() -> None:
    rows = [_row(i, str(10 * i + Decimal("0.1") * i)) for i in range(1, 10)]
    a, b = Cohort(), Cohort()
    for r in rows:
        a.add(r)
    for r in reversed(rows):
        b.add(r)
    assert a.bands() == b.bands() and a.histogram() == b.histogram()
    assert [(w.id, w.mean_percent) for w in a.weakest()] == [
        (w.id, w.mean_percent) for w in b.weakest()
    ]
    assert a.weakest()[0].mean_percent == Decimal("30.0")
    assert sum(x.count for x in a.histogram()) == 9


def test_duplicated_credit_codes_are_flagged_on_each_row() -> None:
    rows, n = flag_duplicates(
        [_row(1, "1", "91ABC"), _row(2, "2", "91abc "), _row(3, "3", "OTHER"), _row(4, "4", "")]
    )
    assert n == 2
    assert [sum(i.kind == "duplicate" for i in r.issues) for r in rows] == [1, 1, 0, 0]
    assert "批量!4:4" in next(i.message for i in rows[0].issues if i.kind == "duplicate")


def test_histogram_svg_draws_every_bin() -> None:
    svg = histogram_svg([Bin(0, 50, 3), Bin(50, 100, 0)], marks={50: Decimal(40)})
    assert svg.startswith("<svg") and svg.count("<rect") == 1 and "P50" in svg


def test_the_task_is_plain_picklable_data(tmp_path: Path) -> None:
    import datetime as dt
    import json

    firm = load_firm_file(SAMPLES / "strong.json")
    job = Job(1, "k", "strong.json", None, None, firm, ("srdi-readiness",))
    context = Context(generated=dt.date(2026, 5, 1))
    job2, context2 = pickle.loads(pickle.dumps((job, context)))
    scored = pickle.loads(pickle.dumps(score_jobs([job2], context2)))
    [outcome] = scored.outcomes
    assert outcome.row.status == "scored" and outcome.row.name == firm.name
    assert outcome.row.input_hash == input_hash(firm, ("srdi-readiness",))
    assert not outcome.row.marks and scored.marks  # the marks come per chunk
    changed = type(firm)({**firm.values, "employees": 261}, firm.source)
    assert input_hash(changed, ("srdi-readiness",)) != outcome.row.input_hash
    # the journal line, once placed, reads back as the row with its marks
    line = json.loads(b'{"offset":0,"length":2,' + outcome.journal)
    back = ApplicantRow.from_json(line["row"])
    assert back == outcome.row and len(back.marks) == len(scored.marks)


def test_results_are_compact_score_records() -> None:
    import datetime as dt
    import json

    from assess.batch.task import rubric_part
    from assess.report.jsonout import STATIC_INDICATOR_KEYS, expand_record, unmarked

    firm = load_firm_file(SAMPLES / "strong.json")
    job = Job(1, "k", "strong.json", None, None, firm, ("miit-2026-srdi", "srdi-readiness"))
    [outcome] = score_jobs([job], Context(generated=dt.date(2026, 5, 1))).outcomes
    # A line leaves out what a rubric fixes for every applicant (results.jsonl's first
    # line holds it): the records are whole again with it.
    applicant = {"name": firm.name, "source": "strong.json", "warnings": []}
    records = [
        expand_record(r, rubric_part(r["rubric"]), applicant)
        for r in json.loads(unmarked(outcome.results))
    ]
    assert [r["rubric"] for r in records] == ["miit-2026-srdi", "srdi-readiness"]
    for record in records:
        assert {"rubric", "total", "max", "passed", "size_class", "indicators", "gates"} <= set(
            record
        )
        assert all({"id", "ok", "reason"} <= set(g) for g in record["gates"])
        for ind in record["indicators"]:
            assert {"id", "title", "points", "max", "status", "reason"} <= set(ind)
            assert not set(STATIC_INDICATOR_KEYS) & set(ind)
    assert len(outcome.results) < 20_000


def test_cohort_marks_per_chunk_equal_marks_per_row() -> None:
    rows = [_row(i, str(10 * i)) for i in range(1, 5)]
    by_row, by_chunk = Cohort(), Cohort()
    for r in rows:
        by_row.add(r)
    from dataclasses import replace

    tally: dict[tuple[str, str], list[object]] = {}
    for r in rows:
        by_chunk.add(replace(r, marks=()))
        for m in r.marks:
            sums = tally.setdefault((m.rubric, m.id), [m.title, Decimal(0), Decimal(0), 0, 0])
            sums[1] += m.points  # type: ignore[operator]
            sums[2] += m.max  # type: ignore[operator]
            sums[3] += 1  # type: ignore[operator]
            sums[4] += m.status == "unknown"  # type: ignore[operator]
    by_chunk.add_marks(tally)
    assert [(w.id, w.mean_percent, w.n) for w in by_row.weakest()] == [
        (w.id, w.mean_percent, w.n) for w in by_chunk.weakest()
    ]


def test_place_hash_changes_with_the_place() -> None:
    import datetime as dt

    from assess.results import CohortPlace

    day = dt.date(2026, 5, 1)
    place = CohortPlace("第一批", 10, 3, Decimal("75.0"), Decimal("62.5"))
    same = CohortPlace("第一批", 10, 3, Decimal("75.0"), Decimal("62.5"))
    assert place_hash(place, day) == place_hash(same, day)
    for other in (
        CohortPlace("第一批", 11, 3, Decimal("75.0"), Decimal("62.5")),
        CohortPlace("第一批", 10, 4, Decimal("75.0"), Decimal("62.5")),
        CohortPlace("第二批", 10, 3, Decimal("75.0"), Decimal("62.5")),
    ):
        assert place_hash(other, day) != place_hash(place, day)
    assert place_hash(place, dt.date(2026, 5, 2)) != place_hash(place, day)
    assert place_hash(None, day) != place_hash(place, day)


def test_summary_workbook_reads_back(tmp_path: Path) -> None:
    import openpyxl

    from assess.batch.summary_xlsx import RunInfo, write_summary

    rows = [_row(1, "50", "=1+1"), _row(2, "80")]
    cohort = Cohort()
    for r in rows:
        cohort.add(r)
    standing = standings(cohort.scores)
    path = tmp_path / "summary.xlsx"
    write_summary(
        path,
        rows,
        cohort,
        standing,
        RunInfo("2026-05-01", ("a.xlsx",), "x", pdf=False, version="9"),
    )
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["汇总", "问题清单", "统计"]
    main = wb["汇总"]
    # rank and name stay in view; every sheet filters, prints landscape A4 one page wide
    assert main.freeze_panes == "C2" and main.auto_filter.ref.startswith("A1:")
    assert main["A1"].font.b and main["A1"].value == "排名"
    assert [c.value for c in main["A"][1:]] == [1, 2]
    assert main["D3"].value == "'=1+1" and main["D3"].data_type == "s"
    assert main.column_dimensions["B"].width == 24
    # printed: the firm, its place and why; the points and sources stay on the screen
    assert main.print_area is not None and "$A$1:" in str(main.print_area)
    for ws in wb:
        assert ws.auto_filter.ref and ws.page_setup.orientation == "landscape"
        assert ws.page_setup.paperSize == 9 and ws.page_setup.fitToWidth == 1
    assert main.print_title_rows == "$1:$1" == wb["问题清单"].print_title_rows
    assert wb["统计"]["A3"].value == "本批次" and wb["统计"]["A3"].font.b


def test_cohort_html_escapes_applicant_text() -> None:
    from dataclasses import replace

    from assess.batch.cohort import render_html, top_rows

    evil = replace(_row(1, "50"), name="<img src=x onerror=alert(1)>")
    cohort = Cohort()
    cohort.add(evil)
    standing = standings(cohort.scores)
    html = render_html(cohort, top=top_rows([evil], standing), standing=standing)
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<svg" in html  # the charts are markup on purpose


def test_rich_progress_runs(tmp_path: Path) -> None:
    from assess.batch import BatchOptions, run_batch

    result = run_batch(
        BatchOptions(
            inputs=(SAMPLES / "weak.json",), outdir=tmp_path, pdf=False, workers=0, progress=True
        )
    )
    assert result.exit_code == 0 and (tmp_path / "cohort.pdf").is_file()


def test_no_time_left_is_told_until_every_input_is_read() -> None:
    """The applicants are scored while the inputs are read: until the last file is, the
    total is what was read so far, and an ETA computed from it would be far too short."""
    import io

    from assess.batch.progress import PlainProgress

    out = io.StringIO()
    progress = PlainProgress(out)
    progress.grow(256)
    for _ in range(200):
        progress.advance("scored")
    reading = progress._line()
    assert "200/256" in reading and "仍在读取输入文件，总数待定" in reading
    assert "预计还需" not in reading
    progress.grow(44)
    progress.all_read()
    known = progress._line()
    assert "200/300" in known and "预计还需" in known and "仍在读取" not in known
    progress.stage("报告", 10)  # the reports' total is known from the start
    progress.advance("made")
    assert "预计还需" in progress._line()


def test_journal_reads_scores_back_in_spans(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import random

    from assess.batch import journal as journal_module
    from assess.batch.journal import Journal, Spots
    from assess.batch.task import journal_line

    monkeypatch.setattr(journal_module, "SPAN_GAP", 64)
    monkeypatch.setattr(journal_module, "SPAN_MAX", 300)
    journal = Journal(tmp_path, resume=False)
    try:
        rows = [_row(i, str(i), f"C{i}") for i in range(1, 41)]
        data = {
            r.key: f'[{{"n":{r.index},"pad":"{"x" * (r.index * 7 % 50)}"}}]'.encode() for r in rows
        }
        journal.record_many((r, data[r.key], journal_line(r)) for r in rows)
        order = rows[:]
        random.Random(7).shuffle(order)
        entries = [journal.lookup(r.key) for r in order] + [None]
        got = journal.results_many(entries)
        assert [bytes(g) for g in got] == [data[r.key] for r in order] + [b""]
    finally:
        journal.close()
    again = Journal(tmp_path, resume=True)
    try:
        entry = again.lookup(rows[5].key)
        assert entry is not None and again.intact(entry)
        assert again.results(entry) == data[rows[5].key] and again.row(entry) == rows[5]
        # a batch keeps where the scores went by position, not by key
        more = [_row(i, str(i), f"D{i}") for i in range(41, 46)]
        spots = again.record_many(
            ((r, b"[%d]" % r.index, journal_line(r)) for r in more), keep=False
        )
        assert all(again.lookup(r.key) is None for r in more)
        kept = Spots()
        for r, spot in zip(more, spots, strict=True):
            kept.put(r.index - 1, spot)
        assert kept[:40] == [None] * 40 and len(kept) == 45
        assert [bytes(b) for b in again.results_many(kept[40:])] == [
            b"[%d]" % r.index for r in more
        ]
    finally:
        again.close()


def test_a_lone_surrogate_in_a_name_cannot_stop_the_outputs(tmp_path: Path) -> None:
    """Whatever the intake lets through, results.jsonl, the journal and the report names
    take a name holding a lone surrogate: results.jsonl keeps it as the JSON escape."""
    import json
    from dataclasses import replace

    from assess.batch.journal import Journal
    from assess.batch.outputs import journal_entry, read_results, write_results
    from assess.batch.task import journal_line

    row = replace(_row(1, "50"), name="坏\ud800名", marks=())
    journal = Journal(tmp_path, resume=False)
    try:
        journal.record_many([(row, b"[]", journal_line(row))])
        write_results(
            tmp_path / "results.jsonl",
            [row],
            {},
            journal,
            lambda r: journal_entry(journal, r),
        )
        [back] = journal.entries.values()
        assert journal.row(back).name == "坏\ud800名"
    finally:
        journal.close()
    raw = (tmp_path / "results.jsonl").read_bytes()
    raw.decode("utf-8")  # valid UTF-8 throughout
    assert b"\\ud800" in raw
    [line] = read_results(tmp_path / "results.jsonl")
    assert line["applicant"]["name"] == "坏\ud800名"
    assert json.loads(json.dumps(line["applicant"]))["name"] == "坏\ud800名"
    stem = safe_stem("坏\ud800名")
    stem.encode("utf-8")
    assert stem == "坏_名"


def test_discover_lists_what_it_cannot_read(tmp_path: Path) -> None:
    from assess.batch.inputs import FOLDER_LIKE_FILE, LINKED_FOLDER, LOOP, NOT_REGULAR
    from tests.hostile.make_batch import ROUND, write_round

    write_round(tmp_path)
    folder = tmp_path / ROUND
    try:
        sources = discover([folder])
        problems = {s.path.name: s.problem for s in sources}
    finally:
        (folder / "locked").chmod(0o755)
    assert problems["loop.xlsx"] == LOOP
    assert problems["dangling.json"] == MISSING
    assert problems["pipe.xlsx"] == NOT_REGULAR
    assert problems["x.xlsx"] == FOLDER_LIKE_FILE
    assert problems["linked-folder"] == LINKED_FOLDER
    assert problems["good-1.json"] == ""
    # the link back up is listed, not walked: 17 entries, as many as the folder holds
    # (the locked folder's file as root, the locked folder itself otherwise)
    assert len(sources) == 17


def test_a_held_outdir_lock_refuses_a_second_holder_and_is_free_after(tmp_path: Path) -> None:
    import os

    from assess.batch.lock import busy, outdir_lock
    from assess.errors import UserError

    folder = tmp_path / ".assess-batch"
    with outdir_lock(folder, tmp_path):
        with pytest.raises(UserError) as refused, outdir_lock(folder, tmp_path):
            pass
        assert str(refused.value.problems[0]) == busy(tmp_path, str(os.getpid()))
    with outdir_lock(folder, tmp_path):  # released when the first holder was done
        assert (folder / "lock").read_text().strip() == str(os.getpid())


def test_a_round_shows_the_platform_status_in_summary_and_results(tmp_path: Path) -> None:
    import json

    import openpyxl

    from assess.batch import BatchOptions, run_batch

    root = Path(__file__).resolve().parents[1]
    data = json.loads((root / "samples" / "strong.json").read_text(encoding="utf-8"))
    data.pop("platform_score")
    data["assessment_year"] = 2026
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.json").write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    out = tmp_path / "out"
    options = BatchOptions(inputs=(tmp_path / "in",), outdir=out, pdf=False, progress=False)
    assert run_batch(dataclasses.replace(options, workers=0)).exit_code == 0
    wb = openpyxl.load_workbook(out / "summary.xlsx")
    head, row = list(wb["汇总"].iter_rows(values_only=True))[:2]
    got = dict(zip(head, row, strict=True))
    assert got["专精特新 结论"] == got["小巨人 结论"] == "待平台评分"
    assert got["创新型 结论"] == "通过"
    stats = [r for r in wb["统计"].iter_rows(values_only=True) if r[0] == "专精特新"]
    heads = next(r for r in wb["统计"].iter_rows(values_only=True) if "通过率(%)" in r)
    assert dict(zip(heads, stats[0], strict=True))["待平台评分"] == 1
    wb.close()
    line = json.loads((out / "results.jsonl").read_text(encoding="utf-8").splitlines()[0])
    srdi = next(r for r in line["results"] if r["rubric"] == "miit-2026-srdi")
    assert srdi["pass_status"] == "platform_pending" and srdi["platform_need"] == 50
    assert srdi["reference"]["rubric"] == "miit-2022-srdi"


def test_the_pool_is_let_go_once_cohort_pdf_is_back_while_the_summary_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """cohort.pdf is the pool's last job: the pool is closed as soon as it is back, while
    the summary is still being written (at 100,000 applicants its workers held ~160 MB
    through the minute the summary takes), and not closed before."""
    import threading
    from concurrent.futures import Future

    from assess.batch import outputs, summary_xlsx
    from assess.batch.journal import Journal
    from assess.batch.progress import make_progress
    from assess.batch.summary_xlsx import RunInfo
    from assess.batch.task import journal_line

    class Pool:
        slots = workers = 1
        shared_disk = True

        def __init__(self) -> None:
            self.closed = threading.Event()
            self.pdf: Future[bytes] = Future()

        def submit(self, fn: object, *args: object) -> Future[bytes]:
            return self.pdf

        def reports_next(self) -> None: ...

        def restart(self) -> None: ...

        def close(self, *, cancel: bool = False) -> None:
            assert self.pdf.done(), "closed before cohort.pdf was back"
            self.closed.set()

    pool = Pool()
    seen: list[bool] = []
    real_summary = summary_xlsx.write_summary

    def write_summary(*args: object, **kwargs: object) -> None:
        seen.append(pool.closed.is_set())  # not yet: the PDF is still being drawn
        pool.pdf.set_result(b"%PDF-1.7 drawn")
        seen.append(pool.closed.wait(10))  # closed meanwhile, the summary not done
        real_summary(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(summary_xlsx, "write_summary", write_summary)
    rows = [_row(1, "50"), _row(2, "80")]
    cohort = Cohort()
    for r in rows:
        cohort.add(r)
    journal = Journal(tmp_path, resume=False)
    try:
        journal.record_many([(r, b"[]", journal_line(r)) for r in rows])
        outputs.write_outputs(
            tmp_path,
            rows,
            cohort,
            journal,
            RunInfo("2026-12-01", ("a.xlsx",), "x", pdf=False),
            make_progress(False),
            pool,
        )
    finally:
        journal.close()
    assert seen == [False, True]
    assert (tmp_path / "cohort.pdf").read_bytes() == b"%PDF-1.7 drawn"
    assert (tmp_path / "summary.xlsx").is_file() and (tmp_path / "results.jsonl").is_file()

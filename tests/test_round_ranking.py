"""A round as a bureau reads it: ranked by the official ladder on the summary, on
cohort.pdf and on the covers alike; why each firm stands where it does; the columns of
an agency's own 批量 sheet carried through with one notice each."""

from __future__ import annotations

import json
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from assess.batch import BatchOptions, run_batch
from assess.batch.records import ApplicantRow, RubricLine, rank_round
from assess.errors import UserError
from assess.fields import FIELDS_BY_ID

pytestmark = pytest.mark.slow

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
ROUND = "第二批"


def _sample(stem: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((SAMPLES / f"{stem}.json").read_text("utf-8"))
    data["assessment_year"] = 2026
    return data


def _rows(path: Path, sheet: str) -> list[dict[str, Any]]:
    wb = openpyxl.load_workbook(path)
    try:
        head, *body = [tuple(r) for r in wb[sheet].iter_rows(values_only=True)]
    finally:
        wb.close()
    return [dict(zip(head, row, strict=True)) for row in body]


def make_round(folder: Path) -> Path:
    """A little giant; a firm that passes 专精特新, sent twice (the later one ranked); two
    that fail every tier; and a large firm with a little giant's figures, which may not
    apply at all."""
    folder.mkdir(parents=True)
    strong, border, weak = _sample("strong"), _sample("borderline"), _sample("weak")
    firms = {
        "1-border-first.json": {**border, "name": "湘江新材料（首次提交）"},
        "2-weak.json": weak,
        "3-large.json": {
            **strong,
            "name": "岳麓重工集团有限公司",
            "credit_code": "91430100MA4L7Q2R1X",
            "employees": 3000,
            "revenue": 250000,
        },
        "4-strong.json": strong,
        "5-weak-b.json": {
            **weak,
            "name": "锦城印务有限公司",
            "credit_code": "91510100MA6D8E9F1Y",
            "rd_expense": 40,
        },
        "6-border-again.json": border,
    }
    for name, data in firms.items():
        (folder / name).write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    return folder


@pytest.fixture(scope="module")
def pdf_round(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("ladder")
    out = base / "out"
    options = BatchOptions(
        inputs=(make_round(base / "in"),),
        outdir=out,
        workers=2,
        progress=False,
        round_name=ROUND,
        cover_rank=True,
    )
    result = run_batch(options)
    assert (result.applicants, result.scored, result.duplicates) == (6, 6, 2)
    return out


ORDER = ["山东精工传感科技有限公司", "湖南湘江新材料有限公司"]  # 小巨人, then 专精特新
FAILING = {"成都锦城包装制品有限公司", "锦城印务有限公司"}


def test_the_summary_ranks_by_the_ladder_and_bars_the_large_firm(pdf_round: Path) -> None:
    main = _rows(pdf_round / "summary.xlsx", "汇总")
    ranked = [r for r in main if r["排名"] is not None]
    assert [r["企业名称"] for r in ranked[:2]] == ORDER
    assert {r["企业名称"] for r in ranked[2:]} == FAILING
    assert [r["排名"] for r in ranked] == [1, 2, 3, 4]
    assert [r["结论"] for r in ranked[:2]] == ["小巨人", "专精特新"]
    # the large firm has a little giant's figures but is not an SME: listed, not ranked
    large = next(r for r in main if r["企业名称"] == "岳麓重工集团有限公司")
    assert large["排名"] is None and large["结论"] == "不符合申报条件"
    assert "不属于中小企业" in large["未满足的条件"]
    # the firm sent twice: ranked once, the later submission; the earlier names both
    first = next(r for r in main if r["企业名称"] == "湘江新材料（首次提交）")
    assert first["排名"] is None and first["结论"] == "重复（不排名）"
    assert first["来源文件"].endswith("1-border-first.json")
    assert "6-border-again.json" in first["提示"] and "本份不排名" in first["提示"]
    # the rows not ranked come after the ranked ones
    assert main.index(ranked[-1]) < main.index(large) < main.index(first)
    # conditions-only tiers have no score cells at all (never "0 / 0")
    assert "专精特新 得分" not in main[0] and "创新型 得分" in main[0]


def test_reasons_name_the_unmet_conditions_and_the_missing_data(pdf_round: Path) -> None:
    main = _rows(pdf_round / "summary.xlsx", "汇总")
    border = next(r for r in main if r["企业名称"] == "湖南湘江新材料有限公司")
    # passes 专精特新: what the 小巨人 still needs, with the firm's own figure
    assert (
        "小巨人：" in border["未满足的条件"]
        and "近2年研发费用总额 443 万元" in border["未满足的条件"]
    )
    weak = next(r for r in main if r["企业名称"] == "成都锦城包装制品有限公司")
    assert weak["未满足的条件"].startswith("创新型：")
    for row in main:
        for label in (row["待补充的数据"] or "").split("、"):
            assert label not in FIELDS_BY_ID  # questionnaire labels, never field ids


def test_cohort_pdf_and_covers_rank_alike(pdf_round: Path) -> None:
    from pypdf import PdfReader

    main = _rows(pdf_round / "summary.xlsx", "汇总")
    cohort = "".join(p.extract_text() for p in PdfReader(pdf_round / "cohort.pdf").pages)
    assert f"{ROUND} · 批次概览" in cohort and "排名规则" in cohort
    assert cohort.index(ORDER[0]) < cohort.index(ORDER[1])
    assert all(cohort.index(ORDER[1]) < cohort.index(name) for name in FAILING)
    assert "岳麓重工集团有限公司" not in cohort.split("最常未满足")[0].split("前")[-1]
    assert "最常未满足的官方条件" in cohort
    for row in main:
        if not row["报告"]:
            continue
        cover = PdfReader(pdf_round / row["报告"]).pages[0].extract_text()
        if row["排名"] is None:
            assert "排名第" not in cover
        else:
            assert f"共 4 家参与排名）排名第 {row['排名']}（" in cover


def test_report_files_are_code_and_short_name_and_linked(pdf_round: Path) -> None:
    wb = openpyxl.load_workbook(pdf_round / "summary.xlsx")
    ws = wb["汇总"]
    head = [c.value for c in ws[1]]
    col = head.index("报告")
    links = [row[col] for row in ws.iter_rows(min_row=2) if row[col].value]
    assert links and all(c.hyperlink is not None for c in links)
    assert all(c.hyperlink.target == c.value for c in links if c.value.isascii())
    names = sorted(p.name for p in (pdf_round / "reports").iterdir())
    assert "91370100MA3C4X5Y6W-山东精工传感科技.pdf" in names
    assert "91430100MA4L7Q2R1X-岳麓重工集团.pdf" in names  # 有限公司 left out
    wb.close()


def test_an_earlier_round_is_not_overwritten_without_being_asked(pdf_round: Path) -> None:
    options = BatchOptions(inputs=(SAMPLES / "weak.json",), outdir=pdf_round, progress=False)
    with pytest.raises(UserError, match="--resume") as refused:
        run_batch(replace(options, pdf=False, workers=0))
    assert "--overwrite" in str(refused.value)


def test_overwrite_leaves_no_report_of_the_earlier_round(tmp_path: Path) -> None:
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "旧企业.pdf").write_bytes(b"%PDF-old")
    (tmp_path / "summary.xlsx").write_bytes(b"old")
    options = BatchOptions(
        inputs=(SAMPLES / "weak.json",), outdir=tmp_path, progress=False, workers=0
    )
    result = run_batch(replace(options, overwrite=True))
    assert result.scored == 1
    names = sorted(p.name for p in (tmp_path / "reports").iterdir())
    assert names == ["91510100MA6D8E9F0X-成都锦城包装制品.pdf"]
    # without --cover-rank the report shows no place in the round
    from pypdf import PdfReader

    cover = PdfReader(tmp_path / "reports" / names[0]).pages[0].extract_text()
    assert "本批次" not in cover


def test_an_extra_district_column_is_carried_with_one_notice(tmp_path: Path) -> None:
    strong, weak, border = _sample("strong"), _sample("weak"), _sample("borderline")
    ids = [
        "name",
        "credit_code",
        "province",
        "city",
        *[k for k in strong if k not in ("name", "credit_code", "province", "city")],
    ]
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "批量"
    ws.append([FIELDS_BY_ID[i].label if i in FIELDS_BY_ID else i for i in ids] + ["区县"])
    ws.append([*ids, "county"])
    for firm, county in ((strong, "历下区"), (weak, "武侯区"), (border, "岳麓区")):
        ws.append([firm.get(i) for i in ids] + [county])
    wb.save(tmp_path / "申报.xlsx")
    options = BatchOptions(
        inputs=(tmp_path / "申报.xlsx",), outdir=tmp_path / "out", pdf=False, progress=False
    )
    run_batch(replace(options, workers=0))
    main = _rows(tmp_path / "out" / "summary.xlsx", "汇总")
    head = list(main[0])
    # after the firm's own columns (name … 细分市场), before the scores; told apart from
    # the questionnaire's own 区县 (所在区县), which these firms left blank
    assert head.index("细分市场") < head.index("区县（原表）") < head.index("企业规模")
    assert {r["企业名称"]: r["区县（原表）"] for r in main} == {
        "山东精工传感科技有限公司": "历下区",
        "成都锦城包装制品有限公司": "武侯区",
        "湖南湘江新材料有限公司": "岳麓区",
    }
    issues = _rows(tmp_path / "out" / "summary.xlsx", "问题清单")
    about = [i for i in issues if "区县" in (i["发现的问题"] or "")]
    assert len(about) == 1 and "3 家填写" in about[0]["发现的问题"]
    assert not any("county" in (i["发现的问题"] or "") for i in issues if i is not about[0])


def _line(tier: str, verdict: str, total: str = "0", top: str = "0") -> RubricLine:
    return RubricLine(tier, tier, "1", tier, verdict, Decimal(total), Decimal(top))


def test_the_ladder_orders_before_points() -> None:
    def row(index: int, *lines: RubricLine, code: str = "", barred: bool = False) -> ApplicantRow:
        return ApplicantRow(
            index,
            f"k{index}",
            "a.json",
            credit_code=code,
            lines=lines,
            ineligible=("sme",) if barred else (),
        )

    rows = [
        # passes 创新型 with full points, fails 专精特新
        row(1, _line("innovative", "pass", "100", "100"), _line("srdi", "fail")),
        # passes 创新型 with fewer points, 专精特新 waits for the platform's score
        row(2, _line("innovative", "pass", "60", "100"), _line("srdi", "platform_pending")),
        # passes 专精特新
        row(3, _line("innovative", "pass", "60", "100"), _line("srdi", "pass")),
        # fails 创新型 but its readiness is perfect
        row(4, _line("innovative", "fail", "50", "100"), _line("readiness", "pass", "100", "100")),
        # would be first, but is not an SME
        row(5, _line("little_giant", "pass"), barred=True),
    ]
    ranking = rank_round(rows, official=True)
    order = sorted(ranking.standing, key=lambda i: ranking.standing[i].rank)
    assert order == [3, 2, 1, 4] and ranking.barred == {5}
    # an agency's own rubric set: points alone
    own = rank_round(rows, official=False)
    assert min(own.standing, key=lambda i: own.standing[i].rank) in (1, 4)

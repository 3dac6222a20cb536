"""`assess batch … --previous OLD_OUTDIR`: this round beside the last one, matched by
credit code: 上轮结论, 上轮得分率 and 变化 in 汇总, new and missing firms in 统计, the
movement on each firm's cover; an old round that cannot be read is one clear line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from assess.batch import BatchOptions, run_batch
from assess.errors import UserError

pytestmark = pytest.mark.slow

SAMPLES = Path(__file__).resolve().parents[1] / "samples"


def _sample(stem: str, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((SAMPLES / f"{stem}.json").read_text("utf-8"))
    data["assessment_year"] = 2026
    data.update(changes)
    return data


def _write(folder: Path, firms: dict[str, dict[str, Any]]) -> Path:
    folder.mkdir(parents=True)
    for name, data in firms.items():
        (folder / name).write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    return folder


def _sheet(path: Path, name: str) -> list[tuple[Any, ...]]:
    wb = openpyxl.load_workbook(path)
    try:
        return [tuple(r) for r in wb[name].iter_rows(values_only=True)]
    finally:
        wb.close()


@pytest.fixture(scope="module")
def two_rounds(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("rounds")
    # last round: the borderline firm before its R&D grew; a firm that has not come back
    first = _write(
        base / "in1",
        {
            "border.json": _sample("borderline", rd_expense=120, rd_expense_prev=100),
            "weak.json": _sample("weak"),
            "gone.json": _sample("weak", name="锦城印务有限公司", credit_code="91510100MA6D8E9F1Y"),
        },
    )
    old = base / "第一批"
    options = BatchOptions(inputs=(first,), outdir=old, pdf=False, progress=False, workers=0)
    run_batch(options)
    # this round: the same two firms (one improved), and one new firm
    second = _write(
        base / "in2",
        {
            "border.json": _sample("borderline"),
            "weak.json": _sample("weak"),
            "strong.json": _sample("strong"),
        },
    )
    new = base / "第二批"
    run_batch(
        BatchOptions(
            inputs=(second,), outdir=new, progress=False, workers=2, previous=old, cover_rank=True
        )
    )
    return old, new


def test_the_summary_shows_the_change_for_firms_in_both_rounds(
    two_rounds: tuple[Path, Path],
) -> None:
    _, new = two_rounds
    head, *body = _sheet(new / "summary.xlsx", "汇总")
    rows = {r["企业名称"]: r for r in (dict(zip(head, row, strict=True)) for row in body)}
    border = rows["湖南湘江新材料有限公司"]
    assert border["上轮结论"] == "创新型；专精特新待定" or border["上轮结论"].startswith("创新型")
    assert border["结论"] == "专精特新"
    assert "→ 专精特新" in border["变化"]
    weak = rows["成都锦城包装制品有限公司"]
    assert weak["上轮结论"] == weak["结论"] and weak["变化"] == "无变化"
    assert weak["上轮得分率"] == weak["得分率(%)"]
    assert rows["山东精工传感科技有限公司"]["变化"] == "本轮新申报"
    assert rows["山东精工传感科技有限公司"]["上轮结论"] is None


def test_the_stats_list_new_and_missing_firms(two_rounds: tuple[Path, Path]) -> None:
    old, new = two_rounds
    stats = _sheet(new / "summary.xlsx", "统计")
    first = [r[0] for r in stats].index(f"与上轮比较（{old}）")
    section = stats[first:]
    new_at = [r[0] for r in section].index("本轮新申报的企业")
    gone_at = [r[0] for r in section].index("上轮有、本轮未申报的企业")
    assert section[new_at][1] == 1 and section[new_at + 1][1] == "山东精工传感科技有限公司"
    assert section[gone_at][1] == 1 and section[gone_at + 1][1] == "锦城印务有限公司"


def test_the_cover_shows_the_movement(two_rounds: tuple[Path, Path]) -> None:
    from pypdf import PdfReader

    _, new = two_rounds
    report = next((new / "reports").glob("91430100MA4L7Q2R3H-*.pdf"))
    cover = PdfReader(report).pages[0].extract_text()
    assert "较上轮：" in cover and "→ 专精特新" in cover
    unchanged = next((new / "reports").glob("91510100MA6D8E9F0X-*.pdf"))
    assert "较上轮" not in PdfReader(unchanged).pages[0].extract_text()


def test_a_previous_round_that_cannot_be_read_is_one_clear_line(tmp_path: Path) -> None:
    options = BatchOptions(
        inputs=(SAMPLES / "weak.json",),
        outdir=tmp_path / "out",
        pdf=False,
        progress=False,
        workers=0,
        previous=tmp_path / "nothing",
    )
    with pytest.raises(UserError, match="--previous"):
        run_batch(options)
    (tmp_path / "nothing").mkdir()
    (tmp_path / "nothing" / "results.jsonl").write_text('{"applicant": {"name": "x"}}\n{oops\n')
    with pytest.raises(UserError, match="读完 1 家企业后，其后的内容不是 JSON") as refused:
        run_batch(options)
    assert "\n" not in str(refused.value)
    assert not (tmp_path / "out" / "summary.xlsx").exists()


def test_levels_compare_across_languages(tmp_path: Path) -> None:
    """A last round worded in English, this one in Chinese: the same class levels are no
    change, a level that moved is worded in this round's language."""
    from assess.catalog import using
    from assess.engine import evaluate
    from assess.intake.firm import firm_from_mapping
    from assess.report.jsonout import compact_record
    from assess.rubric.loader import get_rubric

    weak = _sample("strong")
    before = firm_from_mapping({**weak, "rd_expense": 0, "rd_expense_prev": 0}, "strong.json")
    with using("en"):
        record = compact_record(evaluate(get_rubric("srdi-readiness"), before))
    old = tmp_path / "old"
    old.mkdir()
    line = {
        "applicant": {"name": "x", "credit_code": weak["credit_code"], "status": "scored"},
        "results": [record],
    }
    (old / "results.jsonl").write_text(json.dumps(line, ensure_ascii=False) + "\n", "utf-8")
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "strong.json").write_text(json.dumps(weak, ensure_ascii=False), "utf-8")
    out = tmp_path / "out"
    options = BatchOptions(
        inputs=(tmp_path / "in",), outdir=out, pdf=False, progress=False, workers=0, previous=old
    )
    run_batch(options)
    head, row = _sheet(out / "summary.xlsx", "汇总")[:2]
    change = dict(zip(head, row, strict=True))["变化"]
    assert "研发投入" in change and "→ 领先" in change, change  # worded in Chinese
    for level in ("Starting", "Growing", "Mature", "Leading"):
        assert level not in change, change
    for title in ("协同", "细分市场", "创新生态"):  # unchanged classes are not listed
        assert title not in change, change


def test_a_round_written_by_an_older_version_still_compares(tmp_path: Path) -> None:
    """The oldest layout: no tier, no pass_status, only `passed`."""
    old = tmp_path / "old"
    old.mkdir()
    line = {
        "applicant": {
            "name": "成都锦城包装制品有限公司",
            "credit_code": "91510100MA6D8E9F0X",
            "status": "scored",
        },
        "results": [{"rubric": "miit-2022-innovative", "passed": False, "total": 10, "max": 100}],
    }
    (old / "results.jsonl").write_text(json.dumps(line, ensure_ascii=False) + "\n", "utf-8")
    out = tmp_path / "out"
    options = BatchOptions(
        inputs=(SAMPLES / "weak.json",),
        outdir=out,
        pdf=False,
        progress=False,
        workers=0,
        previous=old,
    )
    run_batch(options)
    head, row = _sheet(out / "summary.xlsx", "汇总")[:2]
    got = dict(zip(head, row, strict=True))
    assert got["上轮结论"] == "未达任一梯度" and got["上轮得分率"] == 10

"""The round's rows kept on disk (`assess.batch.rowstore`) read back as they were written,
whatever their order, replacement or size; and the round ranked from them the same as a
plain ranking of the rows in memory."""

from __future__ import annotations

import bisect
import random
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest

from assess.batch import rowstore
from assess.batch.outputs import flag_duplicates
from assess.batch.records import (
    ApplicantRow,
    ClassScore,
    Issue,
    RubricLine,
    rank_round,
    ranked_order,
)
from assess.batch.rowstore import Replaced, RowStore

TIERS = ("innovative", "srdi", "little_giant", "readiness")
VERDICTS = ("pass", "fail", "undetermined", "platform_pending")


class Text(str):
    """A str subclass, as a library might hand one over."""


def invented(rng: random.Random, index: int) -> ApplicantRow:
    """A row with every field filled in some way: shared values and the firm's own."""
    lines = []
    for k, tier in enumerate(rng.sample(TIERS, rng.randint(0, 4))):
        classes = tuple(
            ClassScore(
                f"c{j}", f"类别{j}", Decimal(rng.choice(["0", "2.5", "10", "10.0"])), Decimal(10)
            )
            for j in range(rng.randint(0, 5))
        )
        total = Decimal(rng.randint(0, 10000)) / 100
        lines.append(
            RubricLine(
                f"r{k}",
                f"标准{k}",
                "2026.1",
                tier,
                rng.choice(VERDICTS),
                total,
                Decimal(100),
                classes,
            )
        )
    status = rng.choice(("scored", "scored", "rejected", "failed", "pending"))
    return ApplicantRow(
        index=index,
        key=f"/data/第{index % 3}批.xlsx|批量|{index + 2}",
        source=f"第{index % 3}批.xlsx",
        sheet=rng.choice(("批量", None)),
        row=rng.choice((index + 2, None)),
        name=rng.choice(("", f"企业{index}", "\ud800坏名")),
        credit_code=rng.choice(("", f"91{index:016d}")),
        status=status,  # type: ignore[arg-type]
        size_class=rng.choice((None, "small", "micro")),
        lines=tuple(lines),
        warnings=tuple(f"提示{i}" for i in range(rng.randint(0, 2))),
        issues=tuple(
            Issue("error", f"批量!D{index}", "revenue", "不是数字", rng.choice(("", "intake.x")))
            for _ in range(rng.randint(0, 2))
        ),
        error=rng.choice(("", "boom")),
        report=rng.choice(("", f"reports/{index}.pdf")),
        input_hash=f"{index:040x}",
        target=rng.choice(("", "srdi")),
        unmet=tuple(f"条件{i}（缺 {index}）" for i in range(rng.randint(0, 3))),
        failed=tuple(f"条件{i}" for i in range(rng.randint(0, 2))),
        ineligible=rng.choice(((), ("sme",), ("sme", "compliance"))),
        missing=rng.choice(((), ("revenue", "rd_expense"))),
        cells=rng.choice(((), ("D", ""))),
        info=rng.choice(((), ("湖南省", "长沙市", "岳麓区", "C39", f"产品{index}", ""))),
        extra=rng.choice(((), (("备注", f"第{index}家"),))),
    )


def test_rows_read_back_equal_in_any_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rowstore, "LINES", 50)  # most lines past the table, written out
    monkeypatch.setattr(rowstore, "WINDOW", 4096)  # many windows
    monkeypatch.setattr(rowstore, "SPAN", 1024)
    rng = random.Random(7)
    rows = [invented(rng, i + 1) for i in range(600)]
    with RowStore(tmp_path) as store:
        for row in rows:
            store.append(row, held=row.index % 7 == 0)
        assert len(store) == len(rows)
        assert list(store) == rows
        assert [store[i] for i in range(len(rows))] == rows
        assert store[-1] == rows[-1] and store[10:20] == rows[10:20]
        shuffled = list(range(len(rows)))
        rng.shuffle(shuffled)
        assert list(store.in_order(shuffled)) == [rows[p] for p in shuffled]
        # the held ones are in memory until replaced, the others never are
        assert [r.index for r in store.waiting()] == [r.index for r in rows if r.index % 7 == 0]
        assert store.held(6) is rows[6] and store.held(5) is None
        for pos in range(0, len(rows), 3):
            rows[pos] = invented(rng, pos + 1)
            store[pos] = rows[pos]
        assert list(store) == rows
        assert all(store.held(p) is None for p in range(0, len(rows), 3))
        with pytest.raises(IndexError):
            store[len(rows)]


def test_a_text_of_a_str_subclass_is_kept(tmp_path: Path) -> None:
    rng = random.Random(3)
    row = invented(rng, 1)
    odd = ApplicantRow(
        **{**{f: getattr(row, f) for f in ApplicantRow.__slots__}, "name": Text("企业")}
    )
    with RowStore(tmp_path) as store:
        store.append(odd)
        assert store[0] == odd and type(store[0].name) is str


def test_the_file_has_no_name(tmp_path: Path) -> None:
    with RowStore(tmp_path) as store:
        store.append(invented(random.Random(1), 1))
        assert list(tmp_path.iterdir()) == []  # nobody else can open it, or change it


def _reference_ranking(
    rows: list[ApplicantRow], official: bool
) -> tuple[dict[int, tuple[int, Decimal]], set[int], dict[int, int]]:
    """The ranking written out plainly, on tuples of Decimals: what `rank_round` (one
    pass, packed keys, standings worked out when asked) must agree with."""
    scored = [r for r in rows if r.status == "scored"]
    last: dict[str, int] = {}
    for r in scored:
        code = r.credit_code.strip().upper()
        if code:
            last[code] = max(last.get(code, 0), r.index)
    superseded: dict[int, int] = {}
    barred: set[int] = set()
    keys: dict[int, tuple[Decimal, ...]] = {}
    for r in scored:
        code = r.credit_code.strip().upper()
        if code and last[code] != r.index:
            superseded[r.index] = last[code]
        elif r.ineligible:
            barred.add(r.index)
        else:
            keys[r.index] = r.rank_key(official)
    ordered = sorted(keys.values())
    standing = {}
    for index, key in keys.items():
        below = bisect.bisect_left(ordered, key)
        equal = bisect.bisect_right(ordered, key) - below
        pct = (Decimal(below) + Decimal(equal) / 2) * 100 / len(ordered)
        standing[index] = (
            len(ordered) - below - equal + 1,
            pct.quantize(Decimal("0.1"), ROUND_HALF_UP),
        )
    return standing, barred, superseded


def test_the_round_ranks_as_the_plain_ranking_does(tmp_path: Path) -> None:
    rng = random.Random(11)
    for trial in range(300):
        rows = [invented(rng, i + 1) for i in range(rng.randint(0, 40))]
        for i, row in enumerate(rows):  # shared codes, the same totals: duplicates and ties
            if rng.random() < 0.4:
                rows[i] = ApplicantRow(
                    **{
                        **{f: getattr(row, f) for f in ApplicantRow.__slots__},
                        "credit_code": rng.choice(("A", " a", "B")),
                    }
                )
        order = rows[:] if trial % 3 else rng.sample(rows, len(rows))  # not always in input order
        for official in (True, False):
            ranking = rank_round(order, official)
            standing, barred, superseded = _reference_ranking(order, official)
            got = {i: (s.rank, s.percentile) for i, s in ranking.standing.items()}
            assert got == standing and ranking.barred == barred
            assert dict(ranking.superseded) == superseded
    with RowStore(tmp_path) as store:
        for row in rows:
            store.append(row)
        ranking = rank_round(store, True)
        assert [r.index for r in ranked_order(store, ranking)] == [
            r.index for r in ranked_order(rows, ranking)
        ]


def test_duplicates_are_flagged_on_a_view_of_the_store(tmp_path: Path) -> None:
    rng = random.Random(5)
    rows = [invented(rng, i + 1) for i in range(30)]
    rows = [
        ApplicantRow(
            **{
                **{f: getattr(r, f) for f in ApplicantRow.__slots__},
                "credit_code": "X" if r.index in (3, 9) else "",
            }
        )
        for r in rows
    ]
    with RowStore(tmp_path) as store:
        for row in rows:
            store.append(row)
        flagged, n = flag_duplicates(store, rank_round(store, True))
        assert isinstance(flagged, Replaced) and n == 2
        kinds = [[i.kind for i in r.issues if i.kind == "duplicate"] for r in flagged]
        assert [i for i, k in enumerate(kinds, start=1) if k] == [3, 9]
        assert list(flagged.in_order([8, 0, 2])) == [flagged[8], flagged[0], flagged[2]]
        assert flagged[0] == rows[0] and flagged[2] != rows[2]
        assert flagged[1:10] == [flagged[i] for i in range(1, 10)]
        assert flagged[8].issues[-1].kind == "duplicate"

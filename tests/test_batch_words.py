"""Phase 1 of a round words each indicator and condition once per distinct input it reads
(`engine.decide_reusing`, undecided bounds from `assess.compiled.reacher`): on 1,200
seeded random firms (400 per language and mode) that share many of their values, over
every bundled and sample rubric and in both languages, the assessment is
`engine.decide`'s field by field; values equal as numbers but not as given (1.0 and 1,
True and 1) are not confused; and a round's results.jsonl and summary.xlsx are byte for
byte those of the path that words every applicant afresh (summary.xlsx: every file in it;
the zip stamps them with the time)."""

from __future__ import annotations

import functools
import random
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from assess import compiled, engine
from assess.batch import BatchOptions, run_batch, task
from assess.catalog import using
from assess.engine import decide, decide_reusing
from assess.firm import Firm
from assess.intake.firm import firm_from_mapping
from assess.rubric import models as m
from assess.rubric.loader import builtin_rubrics, load_rubric
from assess.rubric.operators import registered
from assess.rubric.selection import REFERENCE_RUBRIC
from tests.test_fast_path import SEED, random_firm
from tests.test_operators import AtLeast, _toy_rubric

ROOT = Path(__file__).resolve().parent.parent
BUNDLED = builtin_rubrics()
SAMPLES = {p.stem: load_rubric(p) for p in sorted((ROOT / "samples" / "extends").glob("*.yaml"))}
EVERY: dict[str, m.Rubric] = {**BUNDLED, **{f"samples/{k}": r for k, r in SAMPLES.items()}}
REFERENCE = BUNDLED.get(REFERENCE_RUBRIC)
FIRMS = 400


def mixed_firms(rng: random.Random, count: int, pool: int = 40) -> list[dict[str, Any]]:
    """Firms whose every value is taken from one of a few random firms: many items read
    the same values as an earlier firm's (the memo is used), while whole firms differ."""
    bases = [random_firm(rng) for _ in range(pool)]
    names = sorted({k for b in bases for k in b} - {"name"})
    out = []
    for n in range(count):
        picks = rng.sample(bases, 3)
        data: dict[str, Any] = {"name": f"混合企业 {n}"}
        for name in names:
            value = rng.choice(picks).get(name)
            if value is not None:
                data[name] = value
        out.append(data)
    return out


@pytest.mark.parametrize(("lang", "bounds"), [("zh", True), ("en", True), ("zh", False)])
def test_reusing_equals_decide(lang: str, bounds: bool) -> None:
    rng = random.Random(SEED + (lang == "en") + 2 * bounds)
    engine._WORDS.clear()
    firms = [firm_from_mapping(d, f"firm {n}") for n, d in enumerate(mixed_firms(rng, FIRMS))]
    reused = compared = undecided = 0
    seen: set[int] = set()
    with using(lang):  # type: ignore[arg-type]
        for firm in firms:
            for rid, rubric in EVERY.items():
                reaches = functools.partial(compiled.reacher, rubric, firm) if bounds else None
                got = decide_reusing(rubric, firm, REFERENCE, reaches)
                want = decide(rubric, firm, REFERENCE)
                assert got == want, (rid, dict(firm.values))
                items = (*got.indicators, *got.conditions)
                reused += sum(id(x) in seen for x in items)
                seen.update(id(x) for x in items)
                compared += len(items)
                undecided += sum(i.status == "unknown" for i in got.indicators)
    # The memo was used for a good share of the items, undecided ones among those worded.
    assert reused > compared // 3
    assert undecided > FIRMS


def test_values_equal_as_numbers_are_not_confused() -> None:
    """1.0 and 1, True and 1 are equal (and hash alike) in Python: a key holds the type
    and the digits as given, so a reason never quotes another firm's way of writing."""
    rubric = BUNDLED["srdi-readiness"]
    fields = sorted(rubric.inputs)
    engine._WORDS.clear()
    raised = 0
    for name in fields:
        for value in (Decimal("1"), Decimal("1.0"), Decimal("1.00"), 1, True, "1", Decimal(0)):
            firm = Firm({name: value}, "odd")
            want, got = _outcome(decide, rubric, firm), _outcome(decide_reusing, rubric, firm)
            assert got == want, (name, value)
            raised += isinstance(want, tuple)
    assert raised  # a value of the wrong kind makes both raise alike


def _outcome(fn: Any, rubric: m.Rubric, firm: Firm) -> Any:
    """The assessment, or what was raised (its type and message)."""
    try:
        return fn(rubric, firm)
    except Exception as exc:
        return type(exc), str(exc)


def test_an_operator_of_a_rubric_author_is_worded_afresh(tmp_path: Path) -> None:
    """An operator the engine does not know may read anything: no key, every firm worded
    (and still equal)."""
    with registered(AtLeast):
        rubric = load_rubric(_toy_rubric(tmp_path))
        words = engine._words(rubric)
        assert words.indicators and all(leaves is None for leaves in words.indicators)
        for data in ({"rd_expense": 20, "revenue": 1000}, {"rd_expense": 30}, {}, {}):
            firm = firm_from_mapping({"name": "测试企业", **data}, "toy")
            assert decide_reusing(rubric, firm) == decide(rubric, firm)


def test_the_memo_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine, "WORDS_LIMIT", 50)
    engine._WORDS.clear()
    rng = random.Random(SEED)
    rubric = BUNDLED["srdi-readiness"]
    for n in range(200):
        firm = firm_from_mapping(random_firm(rng), f"firm {n}")
        assert decide_reusing(rubric, firm) == decide(rubric, firm)
    tables = engine._words(rubric).remembered("zh").tables
    assert tables and max(len(t) for t in tables.values()) == 50


@pytest.fixture(scope="module")
def round_book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import sys

    sys.path.insert(0, str(ROOT / "bench"))
    sys.path.insert(0, str(ROOT / "samples"))
    from batch import build_workbook  # type: ignore[import-not-found]

    return build_workbook(tmp_path_factory.mktemp("book") / "round.xlsx", 120)  # type: ignore[no-any-return]


def _round(book: Path, outdir: Path, reuse: bool, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(task, "REUSE_WORDS", reuse)
    engine._WORDS.clear()
    result = run_batch(
        BatchOptions(
            inputs=(book, ROOT / "samples" / "agency-batch.xlsx"),
            outdir=outdir,
            pdf=False,
            workers=0,
            progress=False,
            round_name="比对轮次",
        )
    )
    assert result.applicants > 120
    return outdir


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_round_writes_the_same_bytes(
    round_book: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, lang: str
) -> None:
    with using(lang):  # type: ignore[arg-type]
        old = _round(round_book, tmp_path / "old", False, monkeypatch)
        new = _round(round_book, tmp_path / "new", True, monkeypatch)
    assert (new / "results.jsonl").read_bytes() == (old / "results.jsonl").read_bytes()
    assert _members(new / "summary.xlsx") == _members(old / "summary.xlsx")


def _members(path: Path) -> list[tuple[str, bytes]]:
    """Every file of a workbook, byte for byte, in order: the zip around them stamps each
    with the time it was written (two runs a second apart differ there only)."""
    with zipfile.ZipFile(path) as book:
        return [(info.filename, book.read(info)) for info in book.infolist()]

"""The round's statistics read from counts give what sorting every value gives, and
cohort.pdf's leaders are the best ranked rows whatever their order."""

from __future__ import annotations

import random
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from assess.batch.cohort import top_rows
from assess.batch.records import ApplicantRow, RubricLine, Standing, standings
from assess.batch.stats import PERCENTILES, Bin, Cohort, Counted, quantile

SCORES = st.lists(
    st.decimals(min_value=0, max_value=100, places=2, allow_nan=False, allow_infinity=False),
    min_size=1,
    max_size=60,
)


@given(SCORES)
def test_counted_values_read_as_the_sorted_list(values: list[Decimal]) -> None:
    counts: dict[Decimal, int] = {}
    for v in values:
        counts[v] = counts.get(v, 0) + 1
    ordered = sorted(values)
    view = Counted(counts)
    assert len(view) == len(ordered) and list(view) == ordered
    for q in (0, *PERCENTILES, 100):
        assert quantile(view, q) == quantile(ordered, q)


def _row(index: int, points: Decimal, total: Decimal) -> ApplicantRow:
    line = RubricLine("srdi-readiness", "准备度", "1", "readiness", "pass", total, Decimal(100), ())
    other = RubricLine("mini-2026-srdi", "专精特新", "1", "srdi", "fail", points, Decimal(50))
    return ApplicantRow(index=index, key=f"k{index}", source="a.xlsx", lines=(line, other))


def test_equal_totals_written_apart_count_together() -> None:
    totals = [Decimal("72.5"), Decimal("72.50"), Decimal(10), Decimal("72.500")]
    cohort = Cohort()
    for i, total in enumerate(totals, start=1):
        cohort.add(_row(i, Decimal(0), total))
    tally = cohort.rubrics["srdi-readiness"]
    assert tally.totals == {Decimal("72.5"): 3, Decimal(10): 1}
    assert cohort.rubric_bands(tally) == {q: quantile(sorted(totals), q) for q in PERCENTILES}


def test_bands_and_histogram_match_sorting_every_score() -> None:
    rng = random.Random(7)
    rows = [
        _row(i, Decimal(rng.randint(0, 100)) / 2, Decimal(rng.randint(0, 400)) / 4)
        for i in range(1, 2001)
    ]
    cohort = Cohort()
    for r in rows:
        cohort.add(r)
    scores = sorted(cohort.scores.values())
    assert cohort.bands() == {q: quantile(scores, q) for q in PERCENTILES}
    edges = range(0, 100, 10)
    expect = [0] * len(edges)
    for s in scores:
        expect[max(min(int(s // 10), len(edges) - 1), 0)] += 1
    assert cohort.histogram() == [Bin(x, x + 10, n) for x, n in zip(edges, expect, strict=True)]
    for tally in cohort.ordered_rubrics():
        totals = sorted(line.total for r in rows for line in r.lines if line.rubric == tally.rubric)
        assert cohort.rubric_bands(tally) == {q: quantile(totals, q) for q in PERCENTILES}
        assert sum(tally.totals.values()) == tally.n == len(rows)


def test_leaders_are_the_best_ranks_then_input_order() -> None:
    rng = random.Random(3)
    rows = [_row(i, Decimal(0), Decimal(rng.randint(0, 20))) for i in range(1, 300)]
    standing = standings({r.index: r.lines[0].total for r in rows})
    shuffled = rows[:]
    rng.shuffle(shuffled)
    expect = sorted(rows, key=lambda r: (standing[r.index].rank, r.index))[:10]
    assert top_rows(shuffled, standing) == expect
    assert top_rows(iter(shuffled), standing, limit=3) == expect[:3]
    # a standing no row has is passed over, as before
    extra = {**standing, 999: Standing(1, Decimal(100))}
    assert top_rows(shuffled, extra) == expect
    assert top_rows([], standing) == []

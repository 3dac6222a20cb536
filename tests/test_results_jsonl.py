"""results.jsonl with its texts numbered: read back, it gives the records scoring gives;
the earlier layout still reads; the README's pandas and DuckDB examples give every
applicant's indicators with their titles, points, status and reasons."""

from __future__ import annotations

import importlib.util
import json
import random
import re
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from assess.batch import BatchOptions, run_batch
from assess.batch.outputs import read_results
from assess.engine import evaluate
from assess.intake.firm import load_firm_file
from assess.report.jsonout import LEFT_OUT, TEXT_KEYS, compact_record
from assess.rubric.loader import get_rubric
from assess.rubric.selection import REFERENCE_RUBRIC, default_rubrics

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
DATA = Path(__file__).resolve().parent / "data" / "results_jsonl"
INVENTED = 40


def _invented_firms(folder: Path) -> None:
    """Firms from the samples' seeded generator, as JSON files: many share their
    reasons (a round's `texts`), each has its own figures (its `line_texts`)."""
    spec = importlib.util.spec_from_file_location("make_samples", SAMPLES / "make_samples.py")
    assert spec is not None and spec.loader is not None
    make = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make)
    rng = random.Random(make.SEED)
    for i in range(INVENTED):
        firm = make.invent_firm(rng, i, i / (INVENTED - 1))
        text = json.dumps(firm, ensure_ascii=False, default=lambda d: float(Decimal(d)))
        (folder / f"firm-{i:02d}.json").write_text(text, encoding="utf-8")


@pytest.fixture(scope="module")
def rounds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A round of invented firms and three samples (one with blanks), and a round of one
    firm (no text shared: `texts` is empty)."""
    base = tmp_path_factory.mktemp("results_jsonl")
    inputs = base / "inputs"
    inputs.mkdir()
    _invented_firms(inputs)
    for stem in ("strong", "weak", "partial"):
        (inputs / f"{stem}.json").write_bytes((SAMPLES / f"{stem}.json").read_bytes())
    out: dict[str, Path] = {}
    for name, given in (("many", (inputs,)), ("one", (SAMPLES / "strong.json",))):
        outdir = base / name / "第一批"
        run_batch(BatchOptions(inputs=given, outdir=outdir, pdf=False, workers=0, progress=False))
        out[name] = outdir / "results.jsonl"
    return out


def _whole(record: dict[str, Any]) -> dict[str, Any]:
    """`compact_record` less what a results.jsonl line does not keep (`LEFT_OUT`)."""
    out = {k: v for k, v in record.items() if k not in LEFT_OUT}
    out["indicators"] = [
        {k: v for k, v in i.items() if k not in LEFT_OUT} for i in record["indicators"]
    ]
    loaded: dict[str, Any] = json.loads(json.dumps(out))
    return loaded


def _numbers(value: Any) -> list[int]:
    """Every number standing for a text in a line's records."""
    if isinstance(value, list):
        return [n for v in value for n in _numbers(v)]
    if not isinstance(value, dict):
        return []
    found = []
    for key, item in value.items():
        if key in TEXT_KEYS and item is not None:  # a whole record's null maturity
            assert type(item) is int, (key, item)  # every text of a line is a number
            found.append(item)
        else:
            found += _numbers(item)
    return found


def test_read_results_gives_the_records_scoring_gives(rounds: dict[str, Path]) -> None:
    """Every applicant's records, read back with their texts and the rubrics' parts, are
    the records `assess score --format json` makes (less `LEFT_OUT`), key for key."""
    path = rounds["many"]
    lines = list(read_results(path))
    assert len(lines) == INVENTED + 3
    reference = get_rubric(REFERENCE_RUBRIC)
    compared = 0
    for line in lines:
        assert set(line) == {"applicant", "results"}
        assert line["applicant"]["status"] == "scored"
        firm = load_firm_file(Path(line["applicant"]["source"]))
        records = [compact_record(evaluate(r, firm, reference)) for r in default_rubrics(firm)]
        assert len(line["results"]) == len(records)
        for got, expected in zip(line["results"], records, strict=True):
            assert got == {**_whole(expected), "source": got["source"]}
            compared += 1
    assert compared >= 3 * len(lines)


def test_texts_are_written_once_and_numbered(rounds: dict[str, Path]) -> None:
    """The first line's `texts` hold the texts more than one applicant has, each once,
    the most used first; a line's own texts are in its `line_texts`, each once; every
    number points at one of them."""
    raw = [json.loads(x) for x in rounds["many"].read_text(encoding="utf-8").splitlines()]
    texts = raw[0]["texts"]
    assert texts and len(set(texts)) == len(texts)
    assert all("texts" not in x and "rubrics" not in x for x in raw[1:])
    used: Counter[int] = Counter()
    for line in raw:
        own = line["line_texts"]
        assert len(set(own)) == len(own)
        numbers = _numbers(line["results"])
        assert all(-len(own) <= n < len(texts) for n in numbers)
        assert {n for n in numbers if n < 0} == set(range(-len(own), 0))  # all used
        assert not set(own) & set(texts)
        used.update({n for n in numbers if n >= 0})
    assert all(used[n] >= 2 for n in range(len(texts)))  # shared by two applicants at least
    counts = [used[n] for n in range(len(texts))]
    assert counts == sorted(counts, reverse=True)
    assert any(x["line_texts"] for x in raw)
    one = [json.loads(x) for x in rounds["one"].read_text(encoding="utf-8").splitlines()]
    assert one[0]["texts"] == [] and one[0]["line_texts"]


def test_the_second_layout_still_reads() -> None:
    """A results.jsonl of the layout before numbered texts (texts in the records, a
    gate's `ok` on every line, null keys written) reads back as it did then."""
    got = list(read_results(DATA / "layout2.jsonl"))
    expected = [
        json.loads(x) for x in (DATA / "layout2.expected.jsonl").read_text("utf-8").splitlines()
    ]
    assert got == expected
    assert any(r["indicators"] for line in got for r in line["results"])


def test_a_number_without_its_text_is_a_value_error(tmp_path: Path) -> None:
    """A damaged file says so as a ValueError (`--previous` names the file), not an
    IndexError from deep inside."""
    path = tmp_path / "results.jsonl"
    line = {
        "rubrics": [],
        "texts": ["a"],
        "applicant": {"name": "x"},
        "results": [{"rubric": "r", "size_reason": 5}],
        "line_texts": [],
    }
    path.write_text(json.dumps(line) + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match="5"):
        list(read_results(path))


# ---- the README's examples, taken from README.md itself --------------------------------


def _readme_blocks(language: str) -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index("### results.jsonl")
    section = readme[start : readme.index("\n### ", start + 1)]
    return re.findall(rf"```{language}\n(.*?)```", section, flags=re.S)


INDICATOR_KEYS = ("id", "title", "points", "max", "status", "reason")


def _expected_rows(path: Path) -> Counter[tuple[Any, ...]]:
    return _rows(
        (line["applicant"]["name"], r["rubric"], *(i[k] for k in INDICATOR_KEYS))
        for line in read_results(path)
        for r in line["results"]
        for i in r["indicators"]
    )


def _rows(rows: Any) -> Counter[tuple[Any, ...]]:
    return Counter(
        (name, rubric, id_, title, Decimal(str(points)), Decimal(str(maximum)), status, reason)
        for name, rubric, id_, title, points, maximum, status, reason in rows
    )


@pytest.mark.parametrize("which", ["many", "one"])
def test_the_readme_pandas_example(rounds: dict[str, Path], which: str) -> None:
    path = rounds[which]
    [code] = [c for c in _readme_blocks("python") if "import pandas" in c]
    scope: dict[str, Any] = {}
    exec(code.replace('"第一批/results.jsonl"', repr(str(path))), scope)
    table = scope["table"]
    columns = ["name", "rubric", "id", "title", "points", "max", "status", "reason"]
    assert list(table.columns) == columns
    got = _rows(table.itertuples(index=False))
    assert got == _expected_rows(path)
    assert sum(got.values()) > (200 if which == "many" else 20)


@pytest.mark.parametrize("which", ["many", "one"])
def test_the_readme_duckdb_example(rounds: dict[str, Path], which: str) -> None:
    import duckdb

    path = rounds[which]
    [query] = _readme_blocks("sql")
    got = _rows(duckdb.sql(query.replace("第一批/results.jsonl", str(path))).fetchall())
    assert got == _expected_rows(path)


def test_the_readme_stdlib_example(rounds: dict[str, Path]) -> None:
    [code] = [c for c in _readme_blocks("python") if "read_results" in c]
    scope: dict[str, Any] = {}
    path = rounds["many"]
    exec(code.replace('"第一批/results.jsonl"', repr(str(path))), scope)
    assert _rows(scope["rows"]) == _expected_rows(path)


def test_a_whole_record_numbered_and_read_back_is_unchanged() -> None:
    """A rubric file's record (written whole) and a province block's parts number their
    texts like a line's: shared or the line's own, they read back as they were."""
    from dataclasses import replace

    from assess.engine import decide
    from assess.report.jsonout import (
        marked_array,
        marked_dumps,
        marked_texts,
        number_texts,
        resolve_texts,
        unmarked,
    )

    firm = load_firm_file(SAMPLES / "partial.json")
    shandong = replace(firm, values={**firm.values, "province": "山东省"})
    records = [
        compact_record(decide(get_rubric(rubric), f))
        for rubric in ("miit-2022-srdi", "miit-2026-srdi")
        for f in (firm, shandong)
    ]
    assert any("parts" in i for r in records for i in r["indicators"])
    plain = json.loads(json.dumps(records))
    data = marked_array([marked_dumps(r) for r in records])
    assert json.loads(unmarked(data)) == plain
    texts = sorted(marked_texts(data))
    shared = texts[::2]  # every other text shared, the rest the line's own
    numbered, own = number_texts(data, {t: b"%d" % n for n, t in enumerate(shared)})
    assert b"\x1f" not in numbered
    table = [json.loads(t) for t in shared]
    lines = json.loads(numbered)
    assert _numbers(lines) and resolve_texts(lines, table, json.loads(own)) == plain

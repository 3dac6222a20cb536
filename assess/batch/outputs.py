"""What a batch writes into OUTDIR besides the journal: results.jsonl, summary.xlsx and
cohort.pdf, each through `assess.atomic` (a temp file beside it, renamed over the old one
once complete), plus the pieces they share: results.jsonl's applicant object and the
duplicate credit-code check.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from assess.atomic import atomic_stream, write_bytes
from assess.batch.journal import Entry, Journal
from assess.batch.records import ApplicantRow, Issue, Standing

RESULTS_GROUP = 512  # applicants whose scores are read from the journal at once


def utf8(text: str) -> bytes:
    """JSON text as UTF-8.  A lone surrogate (`"\\ud800"` in a firm's JSON, or a file name
    that is not UTF-8) can only sit inside a JSON string, where writing it back as the
    escape `\\ud800` is exact and valid JSON: no applicant's text can stop the file."""
    return text.encode("utf-8", "backslashreplace")


def _number(value: Any) -> Any:
    from assess.report.jsonout import number

    return number(value)


def applicant_json(row: ApplicantRow, standing: Standing | None) -> dict[str, Any]:
    """results.jsonl's "applicant" object."""
    return {
        "index": row.index,
        "source": row.source,
        "sheet": row.sheet,
        "row": row.row,
        "name": row.name,
        "credit_code": row.credit_code,
        "status": row.status,
        "size_class": row.size_class,
        "score": _number(row.score),
        "rank": standing.rank if standing else None,
        "percentile": _number(standing.percentile) if standing else None,
        "report": row.report or None,
        "warnings": list(row.warnings),
        "problems": [
            {"kind": i.kind, "where": i.where, "field": i.field, "message": i.message}
            for i in row.issues
        ],
        "error": row.error or None,
        "input_hash": row.input_hash or None,
    }


def flag_duplicates(rows: Sequence[ApplicantRow]) -> tuple[list[ApplicantRow], int]:
    """Rows sharing a credit code each get a `duplicate` issue naming the others."""
    groups: dict[str, list[int]] = {}
    for pos, row in enumerate(rows):
        code = row.credit_code.strip().upper()
        if code:
            groups.setdefault(code, []).append(pos)
    out = list(rows)
    flagged = 0
    for code, members in groups.items():
        if len(members) < 2:
            continue
        for pos in members:
            others = [rows[p].where for p in members[:4] if p != pos][:3]
            more = len(members) - 1
            shown = "；".join(others) + (f" 等 {more} 处" if more > 3 else "")
            issue = Issue(
                "duplicate",
                rows[pos].where,
                "credit_code",
                f"统一社会信用代码 {code} 重复：另见 {shown}",
            )
            out[pos] = replace(out[pos], issues=(*out[pos].issues, issue))
            flagged += 1
    return out, flagged


def write_results(
    path: Path,
    rows: Sequence[ApplicantRow],
    standing: Mapping[int, Standing],
    journal: Journal,
    entry: Callable[[ApplicantRow], Entry | None],
) -> None:
    """results.jsonl: each row's applicant object and its scores, copied from the journal
    (`entry` says where a row's scores are, None for none)."""
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    with atomic_stream(path) as fh:
        write = fh.write  # in pieces: the scores are not copied once more
        for first in range(0, len(rows), RESULTS_GROUP):
            group = rows[first : first + RESULTS_GROUP]
            scores = journal.results_many([entry(row) for row in group])
            for row, data in zip(group, scores, strict=True):
                write(b'{"applicant":')
                write(utf8(dumps(applicant_json(row, standing.get(row.index)))))
                write(b',"results":')
                write(data or b"[]")
                write(b"}\n")


def publish(path: Path, data: bytes) -> None:
    """An output file (a PDF made by a remote worker, cohort.pdf), atomically."""
    write_bytes(path, data)


def read_results(path: Path) -> Iterator[Mapping[str, Any]]:
    """The lines of a results.jsonl (for tools and tests)."""
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)

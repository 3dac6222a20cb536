"""What a batch writes into OUTDIR besides the journal: results.jsonl, summary.xlsx and
cohort.pdf, each through `assess.atomic` (a temp file beside it, renamed over the old one
once complete), plus the pieces they share: results.jsonl's applicant object and the
duplicate credit-code check.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assess.atomic import atomic_stream, write_bytes
from assess.batch.journal import Entry, Journal, Spot, Spots
from assess.batch.options import COHORT, RESULTS, SUMMARY
from assess.batch.progress import Progress
from assess.batch.records import ApplicantRow, Issue, Ranking, Standing, rank_round
from assess.batch.rowstore import Replaced
from assess.batch.stats import Cohort
from assess.batch.task import cohort_pdf_bytes, describe_exception
from assess.catalog import t

if TYPE_CHECKING:
    from assess.batch.executors import Pool
    from assess.batch.previous import PreviousRound
    from assess.batch.summary_xlsx import RunInfo

RESULTS_GROUP = 128  # applicants whose scores are read from the journal at once


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


def flag_duplicates(
    rows: Sequence[ApplicantRow], ranking: Ranking | None = None
) -> tuple[Sequence[ApplicantRow], int]:
    """Rows sharing a credit code each get a `duplicate` issue naming the others, and
    saying which one the round ranks (the last one scored: `records.rank_round`).  The
    rows come back as a view of `rows` with the flagged ones replaced (`Replaced`)."""
    first: dict[str, int] = {}  # credit code → where it first is
    groups: dict[str, list[int]] = {}  # those met more than once → where each is
    for pos, row in enumerate(rows):
        code = row.credit_code.strip().upper()
        if code:
            at = first.setdefault(code, pos)
            if at != pos:
                groups.setdefault(code, [at]).append(pos)
    del first
    ranked = ranking.standing if ranking is not None else {}
    out: dict[int, ApplicantRow] = {}
    flagged = 0
    for code, members in groups.items():
        group = {p: rows[p] for p in members}
        kept = next((group[p] for p in reversed(members) if group[p].index in ranked), None)
        for pos in members:
            others = [group[p].where for p in members if p != pos]
            shown = t("batch.duplicate.sep").join(others[:3])
            if len(others) > 3:
                shown = t("batch.duplicate.more", shown=shown, count=len(others))
            if kept is None:
                key, message = (
                    "batch.duplicate.plain",
                    t("batch.duplicate.plain", code=code, others=shown),
                )
            elif kept.index == group[pos].index:
                key = "batch.duplicate.ranked"
                message = t(key, code=code, others=shown)
            else:
                key = "batch.duplicate.not_ranked"
                message = t(key, code=code, others=shown, kept=kept.where)
            issue = Issue("duplicate", group[pos].where, "credit_code", message, key)
            out[pos] = replace(group[pos], issues=(*group[pos].issues, issue))
            flagged += 1
    return Replaced(rows, out), flagged


def write_results(
    path: Path,
    rows: Sequence[ApplicantRow],
    standing: Mapping[int, Standing],
    journal: Journal,
    entry: Callable[[ApplicantRow], Entry | Spot | None],
) -> None:
    """results.jsonl: each row's applicant object and its scores, copied from the journal
    (`entry` says where a row's scores are, None for none), each text numbered
    (`jsonout.number_texts`): the texts more than one applicant has are written once, in
    the first line's `texts`, the others in the line's `line_texts`.  The first line also
    holds `rubrics`: what every score record of each bundled rubric of the round shares
    (`rubric_parts`), left out of the records themselves (README, "results.jsonl")."""
    from assess.report.jsonout import number_texts

    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    entries = Spots()
    used: dict[tuple[str, str], None] = {}  # (rubric, version), in order of first use
    for row in rows:
        entries.append(entry(row))
        for line in row.lines:
            used.setdefault((line.rubric, line.version), None)
    shared = shared_texts(journal, entries)
    numbers = {text: b"%d" % n for n, text in enumerate(shared)}
    head = (
        b'{"rubrics":'
        + utf8(dumps(rubric_parts(used)))
        + b',"texts":['
        + b",".join(shared)
        + b'],"applicant":'
    )
    with atomic_stream(path) as fh:
        write = fh.write  # in pieces: the scores are not copied once more
        for first in range(0, len(rows), RESULTS_GROUP):
            group = rows[first : first + RESULTS_GROUP]
            scores = journal.results_many(entries[first : first + RESULTS_GROUP])
            for row, data in zip(group, scores, strict=True):
                results, own = number_texts(bytes(data) or b"[]", numbers)
                write(head)
                head = b'{"applicant":'
                write(utf8(dumps(applicant_json(row, standing.get(row.index)))))
                write(b',"results":')
                write(results)
                write(b',"line_texts":')
                write(own)
                write(b"}\n")


TEXT_BUCKETS = 1 << 24  # `shared_texts`' first pass: a byte per bucket of texts, at most
BUCKETS_EACH = 160  # buckets per applicant: ~16 per text of its own (~10 an applicant)


def shared_texts(journal: Journal, entries: Sequence[Entry | Spot | None]) -> list[bytes]:
    """The texts (each as its JSON) that the score records of more than one of `entries`
    hold, the most used first (then in byte order): the same list for the same round,
    however it was run.

    Two passes over the journal's scores, each a few calls per applicant, none per text
    in Python: the first counts, per bucket of texts (by the text's hash), the applicants
    holding a text of the bucket, up to 2; the second counts exactly the texts of buckets
    reaching 2.  A round of 100,000 applicants holds over a million texts met once (a
    firm's own figures), which are never held at once: only the bucket counts (a byte
    per bucket, `BUCKETS_EACH` buckets an applicant: 16 MB at most) and the texts in
    shared buckets.  The hash and the number of buckets only sort texts into buckets, so
    the list depends on neither."""
    from itertools import compress

    from assess.report.jsonout import marked_texts

    size = min(TEXT_BUCKETS, max(1 << 16, 1 << (BUCKETS_EACH * len(entries)).bit_length()))
    buckets = bytearray(size)
    spot = (size - 1).__and__
    more = bytes([1, 2, *([2] * 254)])  # a bucket's count after one more applicant
    shared_bucket = (2).__le__

    def lines() -> Iterator[bytes]:
        for first in range(0, len(entries), RESULTS_GROUP):
            for data in journal.results_many(entries[first : first + RESULTS_GROUP]):
                yield bytes(data)

    for data in lines():
        at = set(map(spot, map(hash, marked_texts(data))))
        now = bytes(map(buckets.__getitem__, at)).translate(more)
        deque(map(buckets.__setitem__, at, now), maxlen=0)  # buckets[at[i]] = now[i]
    counts: Counter[bytes] = Counter()
    for data in lines():
        texts = marked_texts(data)
        seen = map(buckets.__getitem__, map(spot, map(hash, texts)))
        counts.update(compress(texts, map(shared_bucket, seen)))
    shared = [text for text, count in counts.items() if count > 1]
    shared.sort(key=lambda text: (-counts[text], text))
    return shared


def publish(path: Path, data: bytes) -> None:
    """An output file (a PDF made by a remote worker, cohort.pdf), atomically."""
    write_bytes(path, data)


@dataclass(frozen=True)
class Written:
    """What `write_outputs` did: the rows as written (with their duplicate issues), how
    many were flagged as duplicates, whether cohort.pdf failed, and the seconds of each
    output."""

    rows: Sequence[ApplicantRow]
    duplicates: int
    cohort_failed: bool
    timings: dict[str, float] = field(default_factory=dict)


def journal_entry(journal: Journal, row: ApplicantRow) -> Entry | None:
    """Where the row's scores are in the journal (None: it has none)."""
    if row.status not in ("scored", "failed"):
        return None
    entry = journal.lookup(row.key)
    if entry is None or entry.hash != row.input_hash:
        return None
    return entry


def write_outputs(
    outdir: Path,
    rows: Sequence[ApplicantRow],
    cohort: Cohort,
    journal: Journal,
    info: RunInfo,
    progress: Progress,
    pool: Pool | None = None,
    *,
    previous: PreviousRound | None = None,
    notices: Sequence[Issue] = (),
    scores: Callable[[ApplicantRow], Entry | Spot | None] | None = None,
) -> Written:
    """results.jsonl, summary.xlsx and cohort.pdf for `rows` (every applicant, in input
    order; `cohort` has them all; `scores` says where each one's scores are in the
    journal, by default what `journal_entry` finds).  With a `pool` (still open, idle by
    now), cohort.pdf is rendered there while this process builds the summary, and the
    pool is closed as soon as it is back; results.jsonl, mostly copying (and fsyncing) the
    journal's scores, is written by a thread meanwhile.  A cohort.pdf that cannot be made
    is said on `progress`; the other outputs stand."""
    from assess.batch import cohort as cohort_report
    from assess.batch.summary_xlsx import write_summary

    timings: dict[str, float] = {}
    ranking = rank_round(rows, info.official)
    flagged, duplicates = flag_duplicates(rows, ranking)
    standing = ranking.standing
    changes = previous.match(flagged, info.official) if previous is not None else {}
    new, gone = previous.new_and_gone(flagged) if previous is not None else ([], [])

    def results() -> None:
        started = time.perf_counter()
        entry = scores or (lambda row: journal_entry(journal, row))
        write_results(outdir / RESULTS, flagged, standing, journal, entry)
        timings["results_file"] = time.perf_counter() - started

    cohort_started = time.perf_counter()
    pdf: Future[bytes] = Future()
    try:
        html = cohort_report.render_html(
            cohort,
            title=cohort_report.round_title(info.round_name),
            generated=dt.date.fromisoformat(info.generated),
            interrupted=info.interrupted,
            top=cohort_report.top_rows(flagged, standing),
            standing=standing,
            duplicates=duplicates,
            ranking=ranking,
        )
        if pool is not None:
            pdf = pool.submit(cohort_pdf_bytes, html)
        else:
            pdf.set_result(cohort_pdf_bytes(html))
    except Exception as exc:
        pdf.set_exception(exc)
    # when the cohort.pdf was ready, not when the summary (written meanwhile) was done
    pdf.add_done_callback(
        lambda _: timings.setdefault("cohort_pdf", time.perf_counter() - cohort_started)
    )

    def let_the_pool_go() -> None:
        # cohort.pdf is the pool's last job: its workers (about 100 MB each once one has
        # drawn a PDF) go as soon as it is back, not after the summary and results.jsonl.
        wait([pdf])
        if pool is not None:
            pool.close()

    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="outputs") as writer:
        writing = writer.submit(results)
        closing = writer.submit(let_the_pool_go)
        started = time.perf_counter()
        write_summary(
            outdir / SUMMARY,
            flagged,
            cohort,
            ranking,
            info,
            duplicates=duplicates,
            changes=changes,
            new=new,
            gone=gone,
            notices=notices,
        )
        timings["summary"] = time.perf_counter() - started
        cohort_failed = False
        try:
            data = pdf.result()
        except Exception as exc:  # the other outputs stand; say what went wrong
            reason = describe_exception(exc)
            progress.say(t("cli.error", message=t("batch.cohort_failed", reason=reason)))
            cohort_failed = True
        else:
            publish(outdir / COHORT, data)
        writing.result()
        closing.result()
    return Written(flagged, duplicates, cohort_failed, timings)


def rubric_parts(used: Iterable[tuple[str, str]]) -> list[dict[str, Any]]:
    """The shared part (`task.rubric_part`) of each bundled rubric of `used` ((rubric,
    version) the rows were scored against, in order of first use): a rubric file's
    records are written whole."""
    from assess.batch.task import rubric_part
    from assess.errors import RubricError

    parts = []
    for rubric_id, version in used:
        try:
            part = rubric_part(rubric_id)
        except RubricError:  # not bundled: a rubric file's id
            continue
        if part["version"] == version:
            parts.append(part)
    return parts


def read_results(path: Path) -> Iterator[dict[str, Any]]:
    """Each applicant of a results.jsonl, as {"applicant": {…}, "results": [score
    records]}, every score record whole: its numbered texts put back (the first line's
    `texts`, the line's `line_texts`) and the rubric's shared part (the first line's
    `rubrics`) with them.  Reads the earlier layouts as well: texts in place (no `texts`),
    and whole records on every line (no `rubrics`)."""
    from assess.report.jsonout import expand_record, resolve_texts

    parts: dict[str, dict[str, Any]] = {}
    texts: list[str] | None = None
    with open(path, encoding="utf-8") as fh:
        for text in fh:
            if not text.strip():
                continue
            line = json.loads(text)
            shared = line.pop("rubrics", None)
            if shared is not None:
                parts = {p["rubric"]: p for p in shared}
            table = line.pop("texts", None)
            if table is not None:
                texts = table
            own = line.pop("line_texts", None) or []
            results = line.get("results") or []
            if texts is not None:
                results = [resolve_texts(r, texts, own) for r in results]
            if parts:
                applicant = line.get("applicant") or {}
                results = [
                    expand_record(r, parts.get(r.get("rubric", "")), applicant) for r in results
                ]
            if parts or texts is not None:
                line["results"] = results
            yield line

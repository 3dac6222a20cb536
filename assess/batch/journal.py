"""What a batch has finished, kept in the output folder so `--resume` can skip it.

`OUTDIR/.assess-batch/` holds:

* `done.jsonl`: one line per scored applicant, appended (and flushed) as soon as its
  chunk of outcomes arrives: its key (file, sheet, row), the hash of its input, its summary
  row with its indicator marks, and where its scores are in `results.part`; and one line
  per PDF report made: its key, the input hash it was made from, the hash of its place in
  the round (`task.place_hash`) and its file.  A process killed mid-line leaves a torn
  last line, which is ignored (and cut off) on resume.
* `results.part`: the applicants' score records (JSON arrays, their texts marked:
  `report.jsonout.marked_array`), appended before their lines
  in `done.jsonl`, so a line never points at data that is not there.
* `state.json`: small, rewritten atomically (temp file + rename): the run's options, its
  date and counts, and whether it completed.

Appending, rather than rewriting one state file after every applicant, keeps a batch of
100,000 applicants linear.  Lines are flushed once per chunk of outcomes, never fsynced
(that would cost a disk round trip per applicant): a killed process loses at most the
chunk it was writing; after a power cut, scores that never reached the disk are caught by
`intact` and done again.
"""

from __future__ import annotations

import json
import os
from array import array
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple, overload

from assess.atomic import write_bytes
from assess.batch.records import ApplicantRow

STATE_DIR = ".assess-batch"
DONE = "done.jsonl"
RESULTS = "results.part"
STATE = "state.json"
FORMAT = 3  # 2: compact score records, PDF lines; 3: their texts marked for numbering
SPAN_GAP = 1 << 20  # `results_many` reads across gaps up to this size …
SPAN_MAX = 32 << 20  # … in spans up to this size


class Spot(NamedTuple):
    """Where an applicant's scores are in `results.part`."""

    offset: int
    length: int


class Spots(Sequence["Spot | None"]):
    """Where the scores of many applicants are (None: none), 16 bytes each: what a round of
    100,000 keeps instead of an object per applicant."""

    def __init__(self) -> None:
        self._offset = array("q")  # -1: none
        self._length = array("q")

    def append(self, spot: Spot | Entry | None) -> None:
        self._offset.append(-1 if spot is None else spot.offset)
        self._length.append(0 if spot is None else spot.length)

    def put(self, i: int, spot: Spot | Entry) -> None:
        """`spot` at `i`, the places before it that have none yet given None."""
        short = i + 1 - len(self._offset)
        if short > 0:
            self._offset.extend([-1] * short)
            self._length.extend([0] * short)
        self._offset[i] = spot.offset
        self._length[i] = spot.length

    def __len__(self) -> int:
        return len(self._offset)

    @overload
    def __getitem__(self, i: int) -> Spot | None: ...

    @overload
    def __getitem__(self, i: slice) -> list[Spot | None]: ...

    def __getitem__(self, i: int | slice) -> Spot | list[Spot | None] | None:
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self._offset)))]
        offset = self._offset[i]
        return None if offset < 0 else Spot(offset, self._length[i])


@dataclass(frozen=True, slots=True)
class Entry:
    key: str
    hash: str
    status: str
    offset: int  # of the scores in results.part
    length: int
    line_at: int  # of the line in done.jsonl
    line_length: int


@dataclass(frozen=True)
class ReportEntry:
    """A PDF report made by a run: from which input, for which place in the round."""

    hash: str
    place: str
    report: str


def _dumps(obj: Any) -> str:
    # Written with backslashreplace: a lone surrogate (a file name that is not UTF-8, say)
    # can only be inside a JSON string, where it becomes the escape `\udcff`, exact.
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


class Journal:
    """The append-only record of finished applicants (see the module docstring)."""

    def __init__(self, outdir: Path, *, resume: bool):
        self.folder = outdir / STATE_DIR
        self.folder.mkdir(parents=True, exist_ok=True)
        self.done_path = self.folder / DONE
        self.results_path = self.folder / RESULTS
        self.state_path = self.folder / STATE
        self.entries: dict[str, Entry] = {}
        self.reports: dict[str, ReportEntry] = {}
        self.previous: dict[str, Any] = {}
        if not (resume and self._load()):
            for path in (self.done_path, self.results_path):
                path.unlink(missing_ok=True)
        self._results = open(self.results_path, "ab")  # noqa: SIM115 (kept open for the run)
        self._done = open(self.done_path, "ab")  # noqa: SIM115
        self._results_size = self._results.seek(0, os.SEEK_END)
        self._done_size = self._done.seek(0, os.SEEK_END)
        self._reader_results = os.open(self.results_path, os.O_RDONLY)
        self._reader_done = os.open(self.done_path, os.O_RDONLY)

    # -- loading ---------------------------------------------------------------------------

    def _load(self) -> bool:
        """Load what a previous run recorded; False when there is nothing this version
        can use (the journal of another format is then started afresh)."""
        try:
            self.previous = json.loads(self.state_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            self.previous = {}
        if self.previous.get("format", FORMAT) != FORMAT:
            self.previous = {}
            return False
        try:
            data = self.done_path.read_bytes()
        except FileNotFoundError:
            return False
        try:
            size = self.results_path.stat().st_size
        except FileNotFoundError:
            size = 0
        end = data.rfind(b"\n") + 1
        if end < len(data):  # a torn last line: cut it so new lines start clean
            with open(self.done_path, "r+b") as fh:
                fh.truncate(end)
        at = 0
        for raw in data[:end].split(b"\n")[:-1]:
            length = len(raw) + 1
            try:
                head = json.loads(raw)
                if "report" in head:
                    self.reports[head["key"]] = ReportEntry(
                        head["hash"], head["place"], head["report"]
                    )
                    at += length
                    continue
                entry = Entry(
                    head["key"],
                    head["hash"],
                    head["status"],
                    int(head["offset"]),
                    int(head["length"]),
                    at,
                    len(raw),
                )
            except (ValueError, KeyError, TypeError):
                at += length
                continue
            if entry.offset + entry.length <= size:
                self.entries[entry.key] = entry  # a later line for the same key wins
            at += length
        return True

    # -- writing ---------------------------------------------------------------------------

    def record_many(
        self, items: Iterable[tuple[ApplicantRow, bytes, bytes]], *, keep: bool = True
    ) -> list[Spot]:
        """Append finished applicants: (row, its scores as JSON, its line without the
        position of the scores, as `task.journal_line` makes it).  The scores go first, so
        a line never points at data that is not there; one flush for all of them.  Returns
        where each one's scores went; with `keep`, `lookup` finds them by key as well (a
        batch keeps them by position instead: an entry and its key are ~500 bytes an
        applicant, 50 MB in a round of 100,000)."""
        heads = []
        spots = []
        for row, results, tail in items:
            offset = self._results_size
            self._results.write(results)
            self._results.write(b"\n")
            self._results_size += len(results) + 1
            line = b'{"offset":%d,"length":%d,%s\n' % (offset, len(results), tail)
            heads.append(line)
            spots.append(Spot(offset, len(results)))
            if keep:
                self.entries[row.key] = Entry(
                    row.key,
                    row.input_hash,
                    row.status,
                    offset,
                    len(results),
                    self._done_size,
                    len(line) - 1,
                )
            self._done_size += len(line)
        if heads:
            self._results.flush()
            self._done.write(b"".join(heads))
            self._done.flush()
        return spots

    def record_report(self, key: str, input_hash: str, place: str, report: str) -> None:
        """Append a PDF report made (after its file is in place)."""
        line = (
            _dumps({"report": report, "key": key, "hash": input_hash, "place": place}) + "\n"
        ).encode("utf-8", "backslashreplace")
        self._done.write(line)
        self._done.flush()
        self._done_size += len(line)
        self.reports[key] = ReportEntry(input_hash, place, report)

    def write_state(self, state: Mapping[str, Any]) -> None:
        text = _dumps({"format": FORMAT, **state}) + "\n"
        write_bytes(self.state_path, text.encode("utf-8", "backslashreplace"))

    # -- reading back ----------------------------------------------------------------------

    def lookup(self, key: str) -> Entry | None:
        return self.entries.get(key)

    def report(self, key: str) -> ReportEntry | None:
        return self.reports.get(key)

    def row(self, entry: Entry) -> ApplicantRow:
        raw = os.pread(self._reader_done, entry.line_length, entry.line_at)
        return ApplicantRow.from_json(json.loads(raw)["row"])

    def results(self, entry: Entry) -> bytes:
        """The scores of an entry, as the JSON text they were recorded as."""
        return os.pread(self._reader_results, entry.length, entry.offset)

    def results_many(self, entries: Sequence[Entry | Spot | None]) -> list[bytes | memoryview]:
        """The scores of several entries (b"" for None), in their order, read in a few
        large spans: the scores of a run are nearly in input order in `results.part`, so
        a few hundred consecutive applicants take one system call, not one each (which,
        in a thread beside CPU-bound work, would wait for the GIL after every call)."""
        self._results.flush()
        out: list[bytes | memoryview] = [b""] * len(entries)
        order = sorted((e.offset, i) for i, e in enumerate(entries) if e is not None)
        k = 0
        while k < len(order):
            first = entries[order[k][1]]
            assert first is not None
            start, end, j = first.offset, first.offset + first.length, k + 1
            while j < len(order):
                e = entries[order[j][1]]
                assert e is not None
                if e.offset - end > SPAN_GAP or e.offset + e.length - start > SPAN_MAX:
                    break
                end = max(end, e.offset + e.length)
                j += 1
            data = memoryview(os.pread(self._reader_results, end - start, start))
            for _, i in order[k:j]:
                e = entries[i]
                assert e is not None
                out[i] = data[e.offset - start : e.offset - start + e.length]
            k = j
        return out

    def intact(self, entry: Entry) -> bool:
        """Whether an entry's scores look whole: after a power cut, data that never
        reached the disk reads back as zeros, not as a JSON array."""
        if entry.length < 2:
            return False
        first = os.pread(self._reader_results, 1, entry.offset)
        last = os.pread(self._reader_results, 1, entry.offset + entry.length - 1)
        return first == b"[" and last == b"]"

    def close(self) -> None:
        for fh in (self._results, self._done):
            fh.close()
        for fd in (self._reader_results, self._reader_done):
            os.close(fd)

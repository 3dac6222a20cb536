"""The batch intake streams: the reader hands a file's records over in chunks as it reads
them, and the batch holds no more than a bounded number of them, whatever the file's size."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assess.batch import reader as reader_module
from assess.batch import run as run_module
from assess.batch.inputs import Source
from assess.batch.reader import CHUNK, Chunk, Done, Reader, read
from assess.intake.firm import Record
from assess.intake.sheet import Read
from assess.intake.workbook import iter_workbook, read_workbook

ROOT = Path(__file__).resolve().parent.parent
ROWS = 3 * CHUNK + 10


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        from batch import build_workbook  # type: ignore[import-not-found]
    finally:
        sys.path.remove(str(ROOT / "bench"))
    path = tmp_path_factory.mktemp("stream") / "round.xlsx"
    build_workbook(path, ROWS)
    return path


def test_the_reader_hands_over_a_chunk_before_the_file_is_read(
    book: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    drawn = 0

    def counting(source: Source) -> Iterator[Read]:
        nonlocal drawn
        for item in iter_workbook(source.path):
            drawn += 1
            yield item

    monkeypatch.setattr(reader_module, "records_of", counting)
    messages = read(0, Source(book))
    first = next(messages)
    assert isinstance(first, Chunk) and len(first.records) == CHUNK
    assert drawn == CHUNK  # the rest of the file is not read yet
    rest = list(messages)
    assert drawn == ROWS
    assert [len(m.records) for m in rest if isinstance(m, Chunk)] == [CHUNK, CHUNK, 10]
    assert isinstance(rest[-1], Done) and not rest[-1].issues


def test_chunks_hold_the_records_in_order_and_skip_what_was_handed_over(book: Path) -> None:
    whole = read_workbook(book)
    got: list[Record] = []
    for message in read(0, Source(book), skip=CHUNK + 5):
        if isinstance(message, Chunk):
            got += message.records
    assert [r.row for r in got] == [r.row for r in whole[CHUNK + 5 :]]
    assert [r.firm for r in got] == [r.firm for r in whole[CHUNK + 5 :]]


def test_the_reader_child_sends_one_chunk_at_a_time(book: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not a workbook")
    reader = Reader(pdf=False)
    try:
        reader.start([Source(book), Source(broken)])
        messages: list[Any] = []
        while (message := reader.next().result(timeout=120)) is not None:
            messages.append(message)
    finally:
        reader.close()
    sizes = [(m.file, len(m.records)) for m in messages if isinstance(m, Chunk)]
    assert sizes == [(0, CHUNK), (0, CHUNK), (0, CHUNK), (0, 10)]
    done = [m for m in messages if isinstance(m, Done)]
    assert [d.file for d in done] == [0, 1]
    assert not done[0].issues and done[1].issues  # a file refused whole: no record


def test_the_batch_holds_a_bounded_number_of_applicants(
    book: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from assess.batch import BatchOptions, run_batch

    waiting: list[int] = []
    take = run_module._Batch._take

    def watched(self: Any, source: Source, chunk: Chunk) -> None:
        waiting.append(self.scheduler.queued + len(chunk.records))
        take(self, source, chunk)

    monkeypatch.setattr(run_module._Batch, "_take", watched)
    monkeypatch.setattr(run_module, "QUEUED", CHUNK)
    result = run_batch(
        BatchOptions(inputs=(book,), outdir=tmp_path / "out", pdf=False, workers=1, progress=False)
    )
    assert result.scored == ROWS
    assert len(waiting) == 4  # the file came in four chunks …
    assert max(waiting) <= 2 * CHUNK  # … and never more than two waited for the pool

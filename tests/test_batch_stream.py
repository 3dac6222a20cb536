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


def test_a_ctrl_c_before_the_files_are_read_lists_each_unread_file(
    book: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reader is held after the workbook's first chunk until the batch is interrupted:
    the outputs then list the 256 applicants taken, one row for the rest of the workbook and
    one for each file not read at all, and --resume reads and scores everything."""
    import json
    import threading
    from dataclasses import replace

    from assess.batch import BatchOptions, run_batch
    from assess.batch.outputs import read_results

    folder = tmp_path / "more"
    folder.mkdir()
    for name in ("strong", "weak"):
        (folder / f"{name}.json").write_text(
            (ROOT / "samples" / f"{name}.json").read_text("utf-8"), "utf-8"
        )
    released = threading.Event()
    read_all = reader_module.read_all

    def held(sources: Any, start: int, skip: int) -> Iterator[Any]:
        for n, message in enumerate(read_all(sources, start, skip)):
            if n == 1:  # the workbook's second chunk waits for the Ctrl-C
                released.wait(timeout=60)
            yield message

    close = Reader.close

    def closing(self: Reader) -> None:
        released.set()
        close(self)

    monkeypatch.setattr(reader_module, "read_all", held)
    monkeypatch.setattr(Reader, "close", closing)
    options = BatchOptions(
        inputs=(book, folder), outdir=tmp_path / "out", pdf=False, workers=0, progress=False
    )
    with pytest.raises(KeyboardInterrupt):
        run_batch(replace(options, interrupt_after=1))
    records = [r["applicant"] for r in read_results(tmp_path / "out" / "results.jsonl")]
    assert len(records) == CHUNK + 3
    unread = [r for r in records if any(p["kind"] == "unread" for p in r["problems"])]
    assert [(r["status"], Path(r["source"]).name) for r in unread] == [
        ("pending", "round.xlsx"),
        ("pending", "strong.json"),
        ("pending", "weak.json"),
    ]
    assert f"前 {CHUNK} 家" in unread[0]["problems"][0]["message"]
    assert "尚未读取该文件" in unread[1]["problems"][0]["message"]
    state = json.loads((tmp_path / "out" / ".assess-batch" / "state.json").read_text("utf-8"))
    assert state["interrupted"]
    # in summary.xlsx: listed with the others (note included), not among the problems to send back
    import openpyxl

    wb = openpyxl.load_workbook(tmp_path / "out" / "summary.xlsx", read_only=True)
    main = [[str(c) for c in row if c] for row in wb["汇总"].iter_rows(values_only=True)]
    problems = [str(c) for row in wb["问题清单"].iter_rows(values_only=True) for c in row if c]
    wb.close()
    assert len(main) == 1 + CHUNK + 3
    assert sum("尚未读取" in " ".join(row) and "未完成" in row for row in main) == 3
    # printed without 来源文件, an unread file's row names the file where a firm's name goes
    unnamed = sorted(row[0] for row in main if row[0].startswith("（"))
    assert [Path(n[1:-1]).name for n in unnamed] == ["round.xlsx", "strong.json", "weak.json"]
    assert not any("中断时" in c for c in problems)

    monkeypatch.setattr(reader_module, "read_all", read_all)
    result = run_batch(replace(options, resume=True))
    assert result.applicants == ROWS + 2 and result.reused >= 1
    again = [r["applicant"] for r in read_results(tmp_path / "out" / "results.jsonl")]
    assert len(again) == ROWS + 2 and all(r["status"] == "scored" for r in again)

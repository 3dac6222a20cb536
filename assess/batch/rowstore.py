"""A round's rows kept on disk, not in memory: what lets a batch of 100,000 applicants
run in little more memory than one of 5,000.

`RowStore` is a `Sequence[ApplicantRow]` (by position: applicant index - 1) whose rows
live in a temporary file beside the journal, each encoded as a small tuple (`marshal`)
in which the values many rows hold (rubric ids and titles, verdicts, class scores,
totals, regions, the file's name) are numbers into one table of values held once;
what is an applicant's own (key, name, credit code, warnings, problems) is written out.
In memory: where each row is (16 bytes an applicant), that table, and the rows still
waiting for the pool (`append(..., held=True)`: their row is replaced when their scores
come back).  Replacing a row appends its new version; the file goes when the store is
closed (it has no name on disk: nobody else can open it, or change what is read back).

Reading a row back gives an equal row (`==`), not the same object: the outputs walk the
store a few times, one row at a time.
"""

from __future__ import annotations

import json
import marshal
import os
import tempfile
from array import array
from collections.abc import Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any, overload

from assess.batch.records import (
    SHARED_INFO,
    ApplicantRow,
    ClassScore,
    Issue,
    RubricLine,
    in_order,
)

_NONE = -1  # the token of None
# Rubric lines (a verdict, a total and the class scores) held once each, the first ones
# met up to this many: most applicants of a round share a few hundred lines (the weak
# ones all alike), and a row whose lines are held decodes three times faster; the other
# lines are written out in their row.
LINES = 4096
WINDOW = 2 << 20  # `in_order`: bytes of rows read ahead at most …
SPAN = 1 << 20  # … in reads of at most this many bytes
STEP = 256 << 10  # the window of a walk in input order (its rows lie together on disk)


class RowStore(Sequence[ApplicantRow]):
    """Rows in input order, on disk (see the module docstring)."""

    def __init__(self, folder: Path):
        self._file = tempfile.TemporaryFile(dir=folder, prefix="rows-")  # noqa: SIM115
        self._fd = self._file.fileno()
        self._size = 0
        self._at = array("q")  # position → offset of its row in the file (-1: held)
        self._length = array("l")
        self._held: dict[int, ApplicantRow] = {}
        self._values: list[Any] = []  # token → value
        self._tokens: dict[Any, int] = {}  # (kind, key) → token
        self._lines: dict[tuple[Any, ...], int] = {}  # a line as written → its token
        self._pending: list[bytes] = []  # written, not yet flushed to the file
        self._pending_size = 0

    # -- the table of shared values --------------------------------------------------------

    def _token(self, kind: str, key: Any, value: Any) -> int:
        found = self._tokens.get((kind, key))
        if found is None:
            found = self._tokens[(kind, key)] = len(self._values)
            self._values.append(value)
        return found

    def _text(self, text: str | None) -> int:
        return _NONE if text is None else self._token("s", text, text)

    def _number(self, value: Decimal) -> int:
        # by its text: Decimal("80") and Decimal("80.0") are written differently
        return self._token("d", str(value), value)

    def _class(self, c: ClassScore) -> int:
        key = (c.id, c.title, str(c.points), str(c.max))
        found = self._tokens.get(("c", key))
        if found is None:
            shared = ClassScore(
                self._values[self._text(c.id)],
                self._values[self._text(c.title)],
                self._values[self._number(c.points)],
                self._values[self._number(c.max)],
            )
            found = self._token("c", key, shared)
        return found

    def _line(self, line: RubricLine) -> int | tuple[Any, ...]:
        """A line's token when it is held (`LINES`), else the line as written."""
        text = self._text
        written = (
            text(line.rubric),
            text(line.title),
            text(line.version),
            text(line.tier),
            text(line.pass_status),
            self._number(line.total),
            self._number(line.max),
            tuple(map(self._class, line.classes)),
        )
        found = self._lines.get(written)
        if found is None:
            if len(self._lines) >= LINES:
                return written
            found = self._lines[written] = len(self._values)
            self._values.append(self._make_line(written))
        return found

    def _make_line(self, written: tuple[Any, ...]) -> RubricLine:
        v = self._values
        r, title, version, tier, verdict, total, mx, classes = written
        return RubricLine(
            v[r],
            v[title],
            v[version],
            v[tier],
            v[verdict],
            v[total],
            v[mx],
            tuple(v[c] for c in classes),
        )

    def _texts(self, texts: tuple[str, ...]) -> tuple[int, ...]:
        return tuple(map(self._text, texts))

    # -- encoding --------------------------------------------------------------------------

    def _encode(self, row: ApplicantRow) -> bytes:
        text = self._text
        lines = tuple(map(self._line, row.lines))
        info = row.info
        return marshal.dumps(
            (
                row.index,
                row.key,
                text(row.source),
                text(row.sheet),
                row.row,
                row.name,
                row.credit_code,
                text(row.status),
                text(row.size_class),
                lines,
                row.warnings,
                tuple((i.kind, i.where, i.field, i.message, i.code) for i in row.issues),
                row.error,
                row.report,
                row.input_hash,
                text(row.target),
                row.unmet,
                self._texts(row.failed),
                self._texts(row.ineligible),
                self._texts(row.missing),
                self._texts(row.cells),
                (self._texts(info[:SHARED_INFO]), info[SHARED_INFO:]) if info else (),
                row.extra,
            )
        )

    def _decode(self, data: bytes) -> ApplicantRow:
        v = self._values
        (
            index,
            key,
            source,
            sheet,
            number,
            name,
            credit_code,
            status,
            size_class,
            lines,
            warnings,
            issues,
            error,
            report,
            input_hash,
            target,
            unmet,
            failed,
            ineligible,
            missing,
            cells,
            info,
            extra,
        ) = marshal.loads(data)
        return ApplicantRow(
            index=index,
            key=key,
            source=v[source],
            sheet=None if sheet == _NONE else v[sheet],
            row=number,
            name=name,
            credit_code=credit_code,
            status=v[status],
            size_class=None if size_class == _NONE else v[size_class],
            lines=tuple(v[x] if x.__class__ is int else self._make_line(x) for x in lines),
            warnings=warnings,
            issues=tuple(Issue(*i) for i in issues),
            error=error,
            report=report,
            input_hash=input_hash,
            target=v[target],
            unmet=unmet,
            failed=tuple(v[x] for x in failed),
            ineligible=tuple(v[x] for x in ineligible),
            missing=tuple(v[x] for x in missing),
            cells=tuple(v[x] for x in cells),
            info=(*(v[x] for x in info[0]), *info[1]) if info else (),
            extra=extra,
        )

    # -- writing ---------------------------------------------------------------------------

    def append(self, row: ApplicantRow, *, held: bool = False) -> None:
        """The next row (its `index` is its position + 1).  A `held` row stays in memory
        until it is replaced (an applicant handed to the pool, whose scores replace it)."""
        self._at.append(-1)
        self._length.append(0)
        if held:
            self._held[len(self._at) - 1] = row
        else:
            self._write(len(self._at) - 1, row)

    def held(self, pos: int) -> ApplicantRow | None:
        """The row held at `pos` (appended `held`, not replaced since), or None."""
        return self._held.get(pos)

    def waiting(self) -> list[ApplicantRow]:
        """The rows still held, in input order."""
        return [self._held[pos] for pos in sorted(self._held)]

    def __setitem__(self, pos: int, row: ApplicantRow) -> None:
        if pos < 0:
            pos += len(self._at)
        if not 0 <= pos < len(self._at):
            raise IndexError(pos)
        self._held.pop(pos, None)
        self._write(pos, row)

    def _write(self, pos: int, row: ApplicantRow) -> None:
        try:
            data = self._encode(row)
        except ValueError:  # a text of a subclass of str (marshal takes str only)
            data = self._encode(ApplicantRow.from_json(json.loads(json.dumps(row.to_json()))))
        self._at[pos] = self._size + self._pending_size
        self._length[pos] = len(data)
        self._pending.append(data)
        self._pending_size += len(data)
        if self._pending_size >= 1 << 20:
            self._flush()

    def _flush(self) -> None:
        if self._pending:
            data = b"".join(self._pending)
            written = os.pwrite(self._fd, data, self._size)
            while written < len(data):  # a short write (rare): the rest after it
                written += os.pwrite(self._fd, data[written:], self._size + written)
            self._size += len(data)
            self._pending.clear()
            self._pending_size = 0

    # -- reading ---------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._at)

    @overload
    def __getitem__(self, pos: int) -> ApplicantRow: ...

    @overload
    def __getitem__(self, pos: slice) -> list[ApplicantRow]: ...

    def __getitem__(self, pos: int | slice) -> ApplicantRow | list[ApplicantRow]:
        if isinstance(pos, slice):
            return list(self.in_order(range(*pos.indices(len(self._at))), window=STEP))
        if pos < 0:
            pos += len(self._at)
        if not 0 <= pos < len(self._at):
            raise IndexError(pos)
        return self._row(pos)

    def _row(self, pos: int) -> ApplicantRow:
        held = self._held.get(pos)
        if held is not None:
            return held
        at = self._at[pos]
        if at >= self._size:
            self._flush()
        return self._decode(os.pread(self._fd, self._length[pos], at))

    def __iter__(self) -> Iterator[ApplicantRow]:
        return self.in_order(range(len(self._at)), window=STEP)

    def in_order(self, positions: Iterable[int], *, window: int = 0) -> Iterator[ApplicantRow]:
        """The rows at `positions` (each in range), in that order, read a window of up to
        `WINDOW` bytes of rows at a time in a few large reads: one read per row would,
        beside a thread busy in Python (results.jsonl is written meanwhile), wait for the
        interpreter lock after each of them.  The ranked order of the summary is nowhere
        near the order on disk: a window then takes a pass over the file.  `window`: its
        size in bytes instead (`STEP` for a walk in input order)."""
        self._flush()
        length = self._length
        most = window or WINDOW
        taken: list[int] = []
        size = 0
        for pos in positions:
            taken.append(pos)
            size += length[pos]
            if size >= most:
                yield from self._window(taken)
                taken, size = [], 0
        yield from self._window(taken)

    def _window(self, window: list[int]) -> Iterator[ApplicantRow]:
        at, length, held = self._at, self._length, self._held
        order = sorted({(at[p], p) for p in window if p not in held})
        data: dict[int, bytes] = {}
        k = 0
        while k < len(order):
            start = end = order[k][0]
            j = k
            while j < len(order) and (j == k or order[j][0] + length[order[j][1]] - start <= SPAN):
                end = max(end, order[j][0] + length[order[j][1]])
                j += 1
            chunk = memoryview(os.pread(self._fd, end - start, start))
            for offset, p in order[k:j]:
                data[p] = bytes(chunk[offset - start : offset - start + length[p]])
            k = j
        for pos in window:
            row = held.get(pos)
            yield row if row is not None else self._decode(data[pos])

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> RowStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Replaced(Sequence[ApplicantRow]):
    """`rows` with some replaced (position → its new row), without copying the others."""

    def __init__(self, rows: Sequence[ApplicantRow], changed: Mapping[int, ApplicantRow]):
        self._rows = rows
        self._changed = changed

    def __len__(self) -> int:
        return len(self._rows)

    @overload
    def __getitem__(self, pos: int) -> ApplicantRow: ...

    @overload
    def __getitem__(self, pos: slice) -> list[ApplicantRow]: ...

    def __getitem__(self, pos: int | slice) -> ApplicantRow | list[ApplicantRow]:
        if isinstance(pos, slice):  # read together, as `in_order` reads them
            return list(self.in_order(range(*pos.indices(len(self._rows)))))
        if pos < 0:
            pos += len(self._rows)
        changed = self._changed.get(pos)
        return changed if changed is not None else self._rows[pos]

    def __iter__(self) -> Iterator[ApplicantRow]:
        changed = self._changed
        for pos, row in enumerate(self._rows):
            yield changed.get(pos, row)

    def in_order(self, positions: Iterable[int]) -> Iterator[ApplicantRow]:
        """The rows at `positions`, in that order (`RowStore.in_order` when under one)."""
        positions = list(positions)
        rows = in_order(self._rows, positions)
        changed = self._changed
        for pos, row in zip(positions, rows, strict=True):
            yield changed.get(pos, row)

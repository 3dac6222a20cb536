"""Progress on stderr: a rich bar with ETA on a terminal, plain lines otherwise (logs, CI)."""

from __future__ import annotations

import sys
import time
from typing import Any, Protocol, TextIO

from assess.catalog import t

PLAIN_EVERY = 5.0  # seconds between plain progress lines
BAR_EVERY = 0.1  # seconds between updates of the rich bar (100,000 updates would cost ~2 s)
MAX_NOTES = 50  # refused applicants listed one by one before "and N more"


class Progress(Protocol):
    def grow(self, n: int) -> None: ...

    def all_read(self) -> None: ...

    def advance(self, status: str, note: str = "") -> None: ...

    def stage(self, label: str, total: int) -> None: ...

    def say(self, text: str) -> None: ...

    def close(self) -> None: ...


def _eta(seconds: float) -> str:
    seconds = int(seconds)
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    if seconds >= 60:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds}s"


_COUNTS = {
    "scored": "batch.count.scored",
    "rejected": "batch.count.rejected",
    "failed": "batch.count.failed",
    "pending": "batch.count.pending",
    "made": "batch.count.made",
}


def _count_label(status: str) -> str:
    """An applicant's (or a report's) status as the progress line counts it."""
    key = _COUNTS.get(status)
    return t(key) if key else status


class PlainProgress:
    """A line every few seconds, one per refused applicant (up to MAX_NOTES)."""

    def __init__(self, stream: TextIO | None = None):
        self.stream = stream or sys.stderr
        self.total = 0
        self.done = 0
        self.counts: dict[str, int] = {}
        self.start = time.monotonic()
        self.last = self.start
        self.notes = 0
        self.label = t("batch.stage.scoring")
        # The inputs are read as the applicants are scored: until the last file is read,
        # the total is only what was read so far, and no time left can be told.
        self.reading = True

    def _line(self, *, closing: bool = False) -> str:
        """`batch: 120/300 done (rejected 2, scored 118), 4.1/s, ETA 44s`; a closing line
        has no ETA."""
        elapsed = time.monotonic() - self.start
        rate = self.done / elapsed if elapsed > 0 else 0.0
        left = (self.total - self.done) / rate if rate > 0 else 0.0
        parts = t("batch.summary.sep").join(
            f"{_count_label(k)} {v}" for k, v in sorted(self.counts.items())
        )
        line = t(
            "batch.progress.line",
            stage=self.label,
            done=self.done,
            total=self.total,
            counts=parts,
            rate=f"{rate:.1f}",
        )
        if closing:
            return line
        if self.reading:
            return line + t("batch.progress.reading")
        return line + t("batch.progress.eta", eta=_eta(left))

    def stage(self, label: str, total: int) -> None:
        """A second stage (the PDF reports, once every applicant is scored): counting
        starts again."""
        if self.done:
            self.say(self._line(closing=True))
        self.label = label
        self.total, self.done, self.counts = total, 0, {}
        self.reading = False
        self.start = self.last = time.monotonic()

    def grow(self, n: int) -> None:
        self.total += n

    def all_read(self) -> None:
        """Every input file is read: the total is known from now on."""
        self.reading = False

    def _count(self, status: str, note: str) -> None:
        """One more done; a note is shown for the first MAX_NOTES problems."""
        self.done += 1
        self.counts[status] = self.counts.get(status, 0) + 1
        if note:
            self.notes += 1
            if self.notes <= MAX_NOTES:
                self.say(note)
            elif self.notes == MAX_NOTES + 1:
                self.say(t("batch.progress.more"))

    def advance(self, status: str, note: str = "") -> None:
        self._count(status, note)
        now = time.monotonic()
        if now - self.last >= PLAIN_EVERY:
            self.last = now
            self.say(self._line())

    def say(self, text: str) -> None:
        print(text, file=self.stream, flush=True)

    def close(self) -> None:
        if self.done:
            self.say(self._line(closing=True))


class RichProgress(PlainProgress):
    """A live bar: done/total, rate, elapsed, ETA."""

    def __init__(self) -> None:
        super().__init__()
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.console = Console(stderr=True, highlight=False)
        self.bar = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[detail]}"),
            TimeElapsedColumn(),
            TextColumn(t("batch.progress.eta_label")),
            TimeRemainingColumn(),
            console=self.console,
        )
        # no total (n/?, no time left) until every file is read
        self.task: Any = self.bar.add_task(t("batch.stage.scoring"), total=None, detail="")
        self.bar.start()

    def all_read(self) -> None:
        super().all_read()
        self.bar.update(self.task, total=self.total)

    def stage(self, label: str, total: int) -> None:
        self._update()
        self.total, self.done, self.counts = total, 0, {}
        self.reading = False
        self.task = self.bar.add_task(label, total=total, detail="")

    def advance(self, status: str, note: str = "") -> None:
        self._count(status, note)
        now = time.monotonic()
        if now - self.last >= BAR_EVERY or (self.done == self.total and not self.reading):
            self._update()
            self.last = now

    def _update(self) -> None:
        detail = " ".join(
            f"{_count_label(k)} {v}"
            for k, v in sorted(self.counts.items())
            if k not in ("scored", "made")
        )
        self.bar.update(self.task, completed=self.done, detail=detail)

    def say(self, text: str) -> None:
        self.console.print(text, markup=False)

    def close(self) -> None:
        self._update()
        self.bar.stop()


def make_progress(rich: bool | None = None) -> Progress:
    if rich is None:
        rich = sys.stderr.isatty()
    return RichProgress() if rich else PlainProgress()

"""Scorecards held in memory for a short time, each under an unguessable token.

The result page, its PDF and the filled questionnaire are fetched by links that carry the
token; nothing is written to disk.  Entries expire after `ttl` seconds and the oldest go
first when `capacity` is reached, so the memory they take is bounded whatever the load.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from assess.catalog import Lang


@dataclass
class Held:
    """One scored firm, as the pages and downloads need it."""

    name: str
    lang: Lang
    report_html: str
    body: str  # the report's <body>, shown on the result page
    bars_css: str  # the report's per-result chart rules, served as a stylesheet
    records: list[dict[str, Any]]
    values: dict[str, Any]
    warnings: list[str]
    summary: list[dict[str, str]]
    created: float = field(default_factory=time.monotonic)
    pdf: bytes | None = None


class Store:
    def __init__(self, ttl: float, capacity: int):
        self.ttl = ttl
        self.capacity = capacity
        self._items: OrderedDict[str, Held] = OrderedDict()
        self._lock = threading.Lock()

    def put(self, held: Held) -> str:
        token = secrets.token_urlsafe(24)  # 192 bits
        with self._lock:
            self._expire()
            while len(self._items) >= self.capacity:
                self._items.popitem(last=False)
            self._items[token] = held
        return token

    def get(self, token: str) -> Held | None:
        with self._lock:
            self._expire()
            return self._items.get(token)

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    def _expire(self) -> None:
        now = time.monotonic()
        while self._items:
            token, held = next(iter(self._items.items()))
            if now - held.created < self.ttl:
                break
            del self._items[token]

"""The web mode's guards that come before any firm data is read (SECURITY.md lists them):

* a request body is read into memory up to the upload limit and refused beyond it, by its
  declared length at once, else as soon as the stream passes the limit;
* multipart and form bodies are parsed here, in memory, with a bound on their parts:
  Starlette's own form parser spools a file of over 1 MB to a temporary file, and nothing
  a firm sends may reach the disk;
* a per-client rate limit (a token bucket per address) on everything that does work;
* security headers on every response: a content security policy without any inline script
  or style, nosniff, no framing, no referrer (the result links carry their token).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import AsyncIterator
from dataclasses import dataclass
from urllib.parse import parse_qsl

from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_PARTS = 16  # an upload form has a file and a few options
MAX_FORM_FIELDS = 400  # the online questionnaire has about 120 questions
ENVELOPE_BYTES = 64 * 1024  # multipart boundaries and headers around the file itself

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "font-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
HEADERS = (
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
)


class TooLarge(Exception):
    """The body is larger than the limit."""


class BadBody(Exception):
    """The body is not the form it says it is."""


async def read_limited(headers: dict[str, str], stream: AsyncIterator[bytes], limit: int) -> bytes:
    """The whole body, or `TooLarge` as soon as it is known to pass `limit` bytes."""
    declared = headers.get("content-length")
    if declared is not None:
        try:
            if int(declared) > limit:
                raise TooLarge
        except ValueError:
            raise BadBody from None
    chunks: list[bytes] = []
    size = 0
    async for chunk in stream:
        size += len(chunk)
        if size > limit:
            raise TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


@dataclass(frozen=True)
class Part:
    name: str
    filename: str | None
    data: bytes


def parse_multipart(body: bytes, content_type: str) -> dict[str, Part]:
    """The parts of a multipart/form-data body, by field name (the first of each name)."""
    _, params = parse_options_header(content_type)
    boundary = params.get(b"boundary")
    if not boundary:
        raise BadBody
    parts: list[tuple[dict[bytes, bytes], list[bytes]]] = []
    field_name: list[bytes] = []
    field_value: list[bytes] = []

    def on_part_begin() -> None:
        if len(parts) >= MAX_PARTS:
            raise BadBody
        parts.append(({}, []))

    def on_header_field(data: bytes, start: int, end: int) -> None:
        field_name.append(data[start:end])

    def on_header_value(data: bytes, start: int, end: int) -> None:
        field_value.append(data[start:end])

    def on_header_end() -> None:
        parts[-1][0][b"".join(field_name).lower()] = b"".join(field_value)
        field_name.clear()
        field_value.clear()

    def on_part_data(data: bytes, start: int, end: int) -> None:
        parts[-1][1].append(data[start:end])

    callbacks = {
        "on_part_begin": on_part_begin,
        "on_header_field": on_header_field,
        "on_header_value": on_header_value,
        "on_header_end": on_header_end,
        "on_part_data": on_part_data,
    }
    try:
        parser = MultipartParser(boundary, callbacks)  # type: ignore[arg-type]
        parser.write(body)
        parser.finalize()
    except BadBody:
        raise
    except Exception:  # the parser's own errors: a malformed body
        raise BadBody from None
    out: dict[str, Part] = {}
    for headers, chunks in parts:
        disposition = headers.get(b"content-disposition", b"")
        _, options = parse_options_header(disposition)
        name = options.get(b"name", b"").decode("utf-8", "replace")
        raw_filename = options.get(b"filename")
        filename = raw_filename.decode("utf-8", "replace") if raw_filename is not None else None
        if name and name not in out:
            out[name] = Part(name, filename, b"".join(chunks))
    return out


def parse_form(body: bytes) -> dict[str, str]:
    """An application/x-www-form-urlencoded body (the first value of each name)."""
    try:
        pairs = parse_qsl(
            body.decode("utf-8"),
            keep_blank_values=True,
            strict_parsing=False,
            max_num_fields=MAX_FORM_FIELDS,
        )
    except (UnicodeDecodeError, ValueError):
        raise BadBody from None
    out: dict[str, str] = {}
    for key, value in pairs:
        out.setdefault(key, value)
    return out


def shown_name(filename: str | None, fallback: str) -> str:
    """The uploaded file's name as the firm's browser sent it, for messages only (it never
    reaches a path): its last component, printable characters, at most 80 of them."""
    if not filename:
        return fallback
    last = filename.replace("\\", "/").rsplit("/", 1)[-1]
    clean = "".join(ch for ch in last if ch.isprintable()).strip()
    return clean[:80] or fallback


class RateLimit:
    """A token bucket per client: `burst` requests at once, refilled at `per_minute`."""

    def __init__(self, per_minute: float, burst: int, clients: int = 10_000):
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self.clients = clients
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def allow(self, client: str) -> bool:
        now = time.monotonic()
        with self._lock:
            tokens, stamp = self._buckets.pop(client, (self.burst, now))
            tokens = min(self.burst, tokens + (now - stamp) * self.rate)
            allowed = tokens >= 1.0
            if allowed:
                tokens -= 1.0
            self._buckets[client] = (tokens, now)
            while len(self._buckets) > self.clients:
                self._buckets.popitem(last=False)
            return allowed

    def retry_after(self) -> int:
        return max(1, int(1 / self.rate + 0.999)) if self.rate > 0 else 60


class SecurityHeaders:
    """Adds `HEADERS` to every response (pure ASGI: streaming bodies untouched)."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in HEADERS if k not in present]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, with_headers)

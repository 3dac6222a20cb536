"""`assess serve` as a firm meets it: a real server on 127.0.0.1, a zip bomb posted to it.

The bomb is a 2 MB file whose one sheet expands to 2 GB of real deflate data (built from
one compressed block repeated after full flushes, so the test does not spend seconds
compressing).  It must be refused within a second while no process of the server (the
server itself and every pool worker) passes 200 MB.
"""

from __future__ import annotations

import http.client
import struct
import time
import uuid
import zlib
from pathlib import Path

import pytest

from tests.web_server import children, peak_rss_mb, running

CHUNK = 2**24
BOMB_EXPANDED = 127 * CHUNK  # 2.1 GB (just under 2 GiB): a plain, not zip64, entry


def _entry(name: bytes, data: bytes, size: int, crc: int, offset: int) -> tuple[bytes, bytes]:
    """A deflated zip entry's local header + data, and its central directory record."""
    local = struct.pack(
        "<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0, crc, len(data), size, len(name), 0
    )
    central = struct.pack(
        "<IHHHHHHIIIHHHHHII",
        0x02014B50,
        20,
        20,
        0,
        8,
        0,
        0,
        crc,
        len(data),
        size,
        len(name),
        0,
        0,
        0,
        0,
        0,
        offset,
    )
    return local + name + data, central + name


def zip_bomb() -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    zeros = bytes(CHUNK)
    compressor.compress(zeros)
    compressor.flush(zlib.Z_FULL_FLUSH)
    block = compressor.compress(zeros) + compressor.flush(zlib.Z_FULL_FLUSH)
    count, rest = divmod(BOMB_EXPANDED, CHUNK)
    assert rest == 0
    tail = compressor.flush(zlib.Z_FINISH)  # the final empty block
    data = block * count + tail
    crc = 0
    for _ in range(count):
        crc = zlib.crc32(zeros, crc)
    assert len(zlib.decompressobj(-15).decompress(block + tail, CHUNK * 2)) == CHUNK
    types = b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>'
    parts = [
        (b"[Content_Types].xml", zlib.compress(types, 9)[2:-4], len(types), zlib.crc32(types)),
        (b"xl/worksheets/sheet1.xml", data, BOMB_EXPANDED, crc),
    ]
    body, directory, offset = b"", b"", 0
    for name, packed, size, checksum in parts:
        local, central = _entry(name, packed, size, checksum, offset)
        body += local
        directory += central
        offset += len(local)
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 2, 2, len(directory), len(body), 0)
    return body + directory + end


def post_file(url: str, name: str, data: bytes, timeout: float) -> tuple[int, str]:
    boundary = uuid.uuid4().hex
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
            f"Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    host, port = url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=timeout)
    try:
        conn.request(
            "POST",
            "/upload",
            body=body,
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
        )
        response = conn.getresponse()
        return response.status, response.read().decode("utf-8")
    finally:
        conn.close()


@pytest.fixture(scope="module")
def bomb(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return zip_bomb()


def test_zip_bomb_is_refused_within_a_second_in_little_memory(bomb: bytes) -> None:
    assert 1.5 * 2**20 < len(bomb) < 2.5 * 2**20
    with running("--workers", "1") as server:
        started = time.monotonic()
        status, page = post_file(server.url, "bomb.xlsx", bomb, timeout=30)
        elapsed = time.monotonic() - started
        assert status == 422
        assert "bomb.xlsx" in page and "Traceback" not in page
        assert elapsed < 1.0, f"refused after {elapsed:.2f} s"
        pids = [server.process.pid, *children(server.process.pid)]
        peaks = {pid: peak_rss_mb(pid) for pid in pids}
        assert max(peaks.values()) < 200, peaks
        # The server is still there for the next firm.
        status, _ = post_file(server.url, "a.json", Path("samples/strong.json").read_bytes(), 30)
        assert status == 303

"""`assess serve` as a firm meets it: a real server on 127.0.0.1, a zip bomb posted to it.

The bomb is a 2 MB file whose one sheet expands to 2 GB of real deflate data (built from
one compressed block repeated after full flushes, so the test does not spend seconds
compressing).  It must be refused within a second while no process of the server (the
server itself and every pool worker) passes 200 MB.
"""

from __future__ import annotations

import http.client
import time
import uuid
from pathlib import Path

import pytest

from tests.hostile.make_intake import zip_bomb
from tests.web_server import children, peak_rss_mb, running

BOMB_EXPANDED = 127 * 2**24  # 2.1 GB (just under 2 GiB): a plain, not zip64, entry


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
    folder = tmp_path_factory.mktemp("bomb")
    return zip_bomb(folder / "bomb.xlsx", BOMB_EXPANDED).read_bytes()


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

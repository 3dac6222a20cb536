"""How `assess serve` holds up under load: `python bench/web.py [options]`.

Starts `assess serve` on 127.0.0.1 (a free port, a rate limit high enough not to refuse
the bench's own clients) and runs two bounded loads against it:

1. Upload → result page: `--requests` uploads (default 400) from `--clients` concurrent
   clients (default 20), each a sample questionnaire (.xlsx) posted to /upload and the
   result page it redirects to fetched; every `--pdf-every`-th one (default 10) also
   downloads its PDF.  A probe asks /healthz every 20 ms throughout.
   Printed: requests/s, p50/p95/p99 of upload → result page and of the PDFs, errors, and
   the probe's p99.  Targets on a 2-core machine: p95 ≤ 0.5 s, 0 errors.
2. Health while PDFs render: 4 clients download PDFs only (`--pdf-requests`, default 24)
   while the probe runs.  Target: health p99 ≤ 50 ms.

`--repeat N` runs each load N times and prints min / median / max of every figure.  The
figures depend on what else the machine is doing: the load average is printed before and
after.  No figure is asserted anywhere; the tests never time anything.
"""

from __future__ import annotations

import argparse
import http.client
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_NAMES = ("strong", "borderline", "weak")
TIMEOUT = 60.0  # seconds for any one request
UPLOAD_P95_TARGET = 0.5
HEALTH_P99_TARGET = 0.050


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(workers: int | None) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    command = [sys.executable, "-m", "assess", "serve", "--port", str(port), "--rate", "1e6"]
    if workers:
        command += ["--workers", str(workers)]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                return process, port
        except OSError:
            if process.poll() is not None:
                raise SystemExit(f"assess serve exited: {process.stderr.read().decode()}") from None
            time.sleep(0.2)
    process.kill()
    raise SystemExit("assess serve did not answer within 60 s")


class Client:
    """One keep-alive HTTP connection, as one browser would hold."""

    def __init__(self, port: int):
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, str], bytes]:
        for attempt in (0, 1):
            try:
                self.conn.request(method, path, body=body, headers=headers or {})
                response = self.conn.getresponse()
                return response.status, dict(response.getheaders()), response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.conn.close()  # the server closed an idle keep-alive connection
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=TIMEOUT)
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        self.conn.close()


def multipart(name: str, data: bytes) -> tuple[bytes, dict[str, str]]:
    boundary = uuid.uuid4().hex
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, {"Content-Type": f"multipart/form-data; boundary={boundary}"}


@dataclass
class Run:
    uploads: list[float] = field(default_factory=list)
    pdfs: list[float] = field(default_factory=list)
    health: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0


def probe(port: int, stop: threading.Event, out: list[float]) -> None:
    client = Client(port)
    try:
        while not stop.is_set():
            started = time.perf_counter()
            status, _, _ = client.request("GET", "/healthz")
            if status == 200:
                out.append(time.perf_counter() - started)
            stop.wait(0.02)
    finally:
        client.close()


def with_probe(port: int, work: Callable[[Run], None]) -> Run:
    run = Run()
    stop = threading.Event()
    prober = threading.Thread(target=probe, args=(port, stop, run.health), daemon=True)
    prober.start()
    started = time.perf_counter()
    try:
        work(run)
    finally:
        run.seconds = time.perf_counter() - started
        stop.set()
        prober.join(timeout=TIMEOUT)
    return run


def sample(name: str) -> tuple[str, bytes]:
    path = ROOT / "samples" / f"{name}.xlsx"
    return path.name, path.read_bytes()


def serial(port: int, names: list[str], times: int) -> dict[str, list[float]]:
    """One client, one sample after another: what one upload → result page costs alone."""
    client = Client(port)
    out: dict[str, list[float]] = {}
    try:
        for name in names:
            body, headers = multipart(*sample(name))
            for _ in range(times):
                started = time.perf_counter()
                _, head, _ = client.request("POST", "/upload", body, headers)
                client.request("GET", head.get("location", head.get("Location", "")))
                out.setdefault(name, []).append(time.perf_counter() - started)
    finally:
        client.close()
    return out


def upload_load(port: int, requests: int, clients: int, pdf_every: int, names: list[str]) -> Run:
    files = [sample(name) for name in names]
    lock = threading.Lock()

    def one_client(index: int, run: Run) -> None:
        client = Client(port)
        try:
            for n in range(index, requests, clients):
                name, data = files[n % len(files)]
                body, headers = multipart(name, data)
                started = time.perf_counter()
                status, head, _ = client.request("POST", "/upload", body, headers)
                if status != 303:
                    with lock:
                        run.errors.append(f"upload {status}")
                    continue
                location = head.get("location", head.get("Location", ""))
                status, _, page = client.request("GET", location)
                elapsed = time.perf_counter() - started
                if status != 200 or "report" not in page.decode("utf-8", "replace"):
                    with lock:
                        run.errors.append(f"result page {status}")
                    continue
                with lock:
                    run.uploads.append(elapsed)
                if pdf_every and n % pdf_every == 0:
                    started = time.perf_counter()
                    status, _, pdf = client.request("GET", location.split("?")[0] + "/report.pdf")
                    with lock:
                        if status == 200 and pdf.startswith(b"%PDF"):
                            run.pdfs.append(time.perf_counter() - started)
                        else:
                            run.errors.append(f"pdf {status}")
        except OSError as exc:
            with lock:
                run.errors.append(f"connection: {exc}")
        finally:
            client.close()

    def work(run: Run) -> None:
        with ThreadPoolExecutor(clients) as pool:
            for future in [pool.submit(one_client, i, run) for i in range(clients)]:
                future.result()

    return with_probe(port, work)


def pdf_load(port: int, requests: int, clients: int) -> Run:
    client = Client(port)
    body, headers = multipart(*sample("strong"))
    _, head, _ = client.request("POST", "/upload", body, headers)
    client.close()
    location = head.get("location", head.get("Location", "")).split("?")[0]
    lock = threading.Lock()

    def one_client(index: int, run: Run) -> None:
        # A fresh scorecard for each PDF: a held PDF would be served from memory.
        c = Client(port)
        try:
            for _ in range(index, requests, clients):
                status, head, _ = c.request("POST", "/upload", body, headers)
                where = head.get("location", head.get("Location", location)).split("?")[0]
                started = time.perf_counter()
                status, _, pdf = c.request("GET", where + "/report.pdf")
                with lock:
                    if status == 200 and pdf.startswith(b"%PDF"):
                        run.pdfs.append(time.perf_counter() - started)
                    else:
                        run.errors.append(f"pdf {status}")
        finally:
            c.close()

    def work(run: Run) -> None:
        with ThreadPoolExecutor(clients) as pool:
            for future in [pool.submit(one_client, i, run) for i in range(clients)]:
                future.result()

    return with_probe(port, work)


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]


def spread(values: list[float], unit: str = "s", digits: int = 3) -> str:
    if len(values) == 1:
        return f"{values[0]:.{digits}f} {unit}"
    return (
        f"{min(values):.{digits}f} / {statistics.median(values):.{digits}f} / "
        f"{max(values):.{digits}f} {unit} (min / median / max of {len(values)})"
    )


def loadavg() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f} (1, 5, 15 min; {os.cpu_count()} CPUs)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--pdf-every", type=int, default=10)
    parser.add_argument("--pdf-requests", type=int, default=24)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workers", type=int, default=None, help="assess serve --workers")
    parser.add_argument(
        "--samples",
        default=",".join(SAMPLE_NAMES),
        help="the sample questionnaires the clients upload in turn (samples/NAME.xlsx)",
    )
    args = parser.parse_args()
    names = args.samples.split(",")

    print(f"load average before: {loadavg()}")
    process, port = start_server(args.workers)
    try:
        # One warm-up round: the first requests pay for the workers' lazy imports.
        upload_load(port, args.clients, args.clients, 0, names)
        alone = serial(port, names, 5)
        print("\n0. one upload → result page alone (one client, 5 each), min / median / max:")
        for name, times in alone.items():
            print(f"   {name + '.xlsx':16} {spread(times)}")
        rates, p50s, p95s, p99s, pdf50s, pdf95s, health99s, errors = ([] for _ in range(8))
        for _ in range(args.repeat):
            run = upload_load(port, args.requests, args.clients, args.pdf_every, names)
            rates.append(len(run.uploads) / run.seconds)
            p50s.append(pct(run.uploads, 50))
            p95s.append(pct(run.uploads, 95))
            p99s.append(pct(run.uploads, 99))
            pdf50s.append(pct(run.pdfs, 50))
            pdf95s.append(pct(run.pdfs, 95))
            health99s.append(pct(run.health, 99) * 1000)
            errors.append(float(len(run.errors)))
            if run.errors:
                print(f"  errors: {sorted(set(run.errors))}")
        print(
            f"\n1. upload → result page: {args.requests} uploads of {', '.join(names)} "
            f"from {args.clients} clients, a PDF every {args.pdf_every}th"
        )
        print(f"   requests/s       {spread(rates, '/s', 1)}")
        print(f"   p50              {spread(p50s)}")
        print(f"   p95              {spread(p95s)}   (target ≤ {UPLOAD_P95_TARGET} s)")
        print(f"   p99              {spread(p99s)}")
        print(f"   PDF p50          {spread(pdf50s)}")
        print(f"   PDF p95          {spread(pdf95s)}")
        print(f"   health p99       {spread(health99s, 'ms', 1)}")
        print(f"   errors           {spread(errors, '', 0)}   (target 0)")

        h99s, hmax, pdf50, perr = [], [], [], []
        for _ in range(args.repeat):
            run = pdf_load(port, args.pdf_requests, 4)
            h99s.append(pct(run.health, 99) * 1000)
            hmax.append(max(run.health) * 1000 if run.health else float("nan"))
            pdf50.append(pct(run.pdfs, 50))
            perr.append(float(len(run.errors)))
        print(f"\n2. health while PDFs render: {args.pdf_requests} PDFs from 4 clients")
        target = f"(target ≤ {HEALTH_P99_TARGET * 1000:.0f} ms)"
        print(f"   health p99       {spread(h99s, 'ms', 1)}   {target}")
        print(f"   health max       {spread(hmax, 'ms', 1)}")
        print(f"   PDF p50          {spread(pdf50)}")
        print(f"   errors           {spread(perr, '', 0)}")
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
    print(f"\nload average after: {loadavg()}")


if __name__ == "__main__":
    main()

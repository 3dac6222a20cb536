"""`assess serve`: the web application on uvicorn, one server process and two pools.

`workers` sizes the pools that score and render (see `assess.web.pool`); the server
itself is one process, so that a scorecard held in memory is found by every request for
it.  uvicorn trusts `X-Forwarded-For` only from the addresses in `forwarded_allow_ips`
(127.0.0.1 by default: a reverse proxy on the same machine), so the per-client rate limit
sees the firm's address behind the proxy.
"""

from __future__ import annotations

import errno
import socket

from assess.catalog import t
from assess.errors import UserError
from assess.web.app import Settings, create_app


def check_address(host: str, port: int) -> None:
    """Refuse, in the catalog's words, an address the server could not listen on (uvicorn
    would log it in English and exit), before any pool starts."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        family, kind, proto, _, address = infos[0]
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(address)
    except OSError as exc:
        words = {errno.EADDRINUSE: "web.serve.in_use", errno.EACCES: "web.serve.no_permission"}
        key = words.get(exc.errno or 0)
        reason = t(key) if key else exc.strerror or str(exc)
        raise UserError(t("web.serve.cannot_listen", host=host, port=port, reason=reason)) from None


def serve(
    host: str,
    port: int,
    settings: Settings,
    forwarded_allow_ips: str = "127.0.0.1",
    log_level: str = "info",
) -> None:
    import uvicorn

    check_address(host, port)
    uvicorn.run(
        create_app(settings),
        host=host,
        port=port,
        proxy_headers=True,
        forwarded_allow_ips=forwarded_allow_ips,
        server_header=False,
        date_header=True,
        timeout_keep_alive=5,
        limit_concurrency=200,  # beyond it, 503 at once instead of an unbounded queue
        log_level=log_level,
    )

"""`assess serve`: the web application on uvicorn, one server process and two pools.

`workers` sizes the pools that score and render (see `assess.web.pool`); the server
itself is one process, so that a scorecard held in memory is found by every request for
it.  uvicorn trusts `X-Forwarded-For` only from the addresses in `forwarded_allow_ips`
(127.0.0.1 by default: a reverse proxy on the same machine), so the per-client rate limit
sees the firm's address behind the proxy.
"""

from __future__ import annotations

from assess.web.app import Settings, create_app


def serve(
    host: str,
    port: int,
    settings: Settings,
    forwarded_allow_ips: str = "127.0.0.1",
    log_level: str = "info",
) -> None:
    import uvicorn

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

"""Running the app under uvicorn, in one process or several (``paidfor serve``).

uvicorn's supervisor binds the listening socket itself and hands it to the workers, but it
creates that socket with ``proto`` 0. Accepted connections inherit the listener's ``proto``,
and asyncio turns on ``TCP_NODELAY`` only for a socket whose ``proto`` is ``IPPROTO_TCP``; so
under ``--workers N`` Nagle's algorithm stayed on, the response's body (a second ``send``
after the headers) waited for the client's delayed ACK, and every request after the first on
a kept-alive connection took about 40 ms more on Linux (uvicorn issue #3149). ``TcpConfig``
binds the same socket and labels it TCP, which is what it is.

The supervisor also pings each worker and replaces one that does not answer within
``timeout_worker_healthcheck`` seconds (uvicorn's default: 5). A new worker answers only
once it has imported the app (FastAPI, pydantic, SQLAlchemy: seconds of CPU), so on a busy
machine every worker was killed before it could answer, and replaced, for ever: the server
never served. ``WORKER_HEALTHCHECK`` gives them a minute.
"""

from __future__ import annotations

import gc
import socket
from functools import partial
from typing import Any

import uvicorn
from fastapi import FastAPI
from uvicorn.supervisors import Multiprocess

from paidfor.interfaces.http.api.app import create_app
from paidfor.interfaces.http.api.gcwatch import watch as watch_gc
from paidfor.settings import Settings, proxy_list

#: Seconds a worker has to answer the supervisor's ping (see the module's docstring).
WORKER_HEALTHCHECK = 60


def worker_app(settings: Settings) -> FastAPI:
    """The app of one server process, with the settings the command read (each worker gets
    them with its configuration, not from the environment). What exists once it is made lives
    as long as the process: kept out of the garbage collector's full passes, which otherwise
    walk it every few hundred requests (the 60 ms outliers bench/search.py saw)."""
    watch_gc(settings.gc_stats)  # PAIDFOR_GC_STATS: the benchmarks' view of the collector
    app = create_app(settings.database_url, settings)
    app.state.freeze_when_loaded = True  # and again when the background loads are done
    gc.collect()
    gc.freeze()
    return app


class TcpConfig(uvicorn.Config):
    """uvicorn's configuration, whose bound TCP socket says it is TCP (``proto`` 6)."""

    def bind_socket(self) -> socket.socket:
        sock = super().bind_socket()
        if sock.family in (socket.AF_INET, socket.AF_INET6) and sock.proto != socket.IPPROTO_TCP:
            inheritable = sock.get_inheritable()
            sock = socket.socket(sock.family, sock.type, socket.IPPROTO_TCP, sock.detach())
            sock.set_inheritable(inheritable)
        return sock


def server_options(settings: Settings) -> dict[str, Any]:
    """uvicorn's options from ``settings``: idle connections kept
    ``settings.keep_alive_seconds``; ``X-Forwarded-For`` believed from the trusted proxies
    only. uvicorn's own default believes it from 127.0.0.1, so any local process could name
    any client address; with no trusted proxy the header is not read at all."""
    proxies = proxy_list(settings.trusted_proxies)
    options: dict[str, Any] = {"timeout_keep_alive": settings.keep_alive_seconds}
    if proxies:
        options.update(proxy_headers=True, forwarded_allow_ips=proxies)
    else:
        options.update(proxy_headers=False)
    return options


def serve(settings: Settings, host: str, port: int, workers: int) -> None:
    """The app of ``settings`` on ``host:port`` in ``workers`` processes (one: this one),
    with ``server_options``."""
    options = server_options(settings)
    if workers == 1:
        # uvicorn binds from the host and port itself there: its socket says it is TCP
        uvicorn.run(worker_app(settings), host=host, port=port, **options)
        return
    # the factory and its settings go to each worker process with the configuration (pickled)
    config = TcpConfig(partial(worker_app, settings), factory=True, host=host, port=port,
                       workers=workers, timeout_worker_healthcheck=WORKER_HEALTHCHECK,
                       **options)  # fmt: skip
    Multiprocess(config, sockets=[config.bind_socket()]).run()

"""A real server on 127.0.0.1 for tests whose client speaks HTTP itself (Meta's SDK, the
``threatexchange`` CLI, another paidfor): the app in a uvicorn thread, or ``paidfor serve`` in
a process of its own."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import uvicorn
from fastapi import FastAPI


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def loopback_socket() -> tuple[socket.socket, str]:
    """A socket bound to a port the OS picked on 127.0.0.1, and its base URL (an app whose
    links must name it is made with it as its public URL before it is served)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    return sock, f"http://127.0.0.1:{sock.getsockname()[1]}"


@contextmanager
def app_on_loopback(app: FastAPI, bound: socket.socket | None = None) -> Iterator[str]:
    """``app`` served by uvicorn in a thread on ``bound`` (default: a port the OS picked);
    its base URL."""
    sock = bound or loopback_socket()[0]
    port = sock.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=srv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        thread.join(timeout=20)
        sock.close()


@contextmanager
def paidfor_serve(
    env: dict[str, str], ready: str = "/", timeout: float = 60, workers: int = 1
) -> Iterator[str]:
    """``paidfor serve`` (with ``workers`` processes) in its own process with ``env`` added to
    this one's; its base URL once ``ready`` answers without a 5xx."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "paidfor", "serve", "--host", "127.0.0.1", "--port", str(port),
         "--workers", str(workers)],
        env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
            try:
                if httpx.get(url + ready, timeout=2).status_code < 500:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, f"paidfor serve did not answer on {url}"
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()

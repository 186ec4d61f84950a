"""``covar serve``: start the page on 127.0.0.1 at a free port and open the browser.

Needs the web extra (``pip install "covar[web]"``: starlette and uvicorn); without it
:func:`serve` raises :class:`covar.errors.MissingExtra` naming the extra.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import webbrowser
from contextlib import contextmanager
from typing import Callable, Iterator

from covar.errors import MissingExtra

HOST = "127.0.0.1"


def free_port(host: str = HOST) -> int:
    """A port nobody listens on now (the kernel's choice).

    >>> 0 < free_port() < 65536
    True
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def require_web() -> None:
    """Raise MissingExtra (with the pip command) unless starlette and uvicorn import."""
    try:
        import starlette  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError as exc:
        raise MissingExtra(f"covar serve needs starlette and uvicorn ({exc.name or exc} is not installed): "
                           'pip install "covar[web]"') from None


def serve(port: int | None = None, browser: bool = True, workers: int = 2, timeout: float = 20.0,
          memory_mb: int | None = 3072, say: Callable[[str], None] | None = None) -> None:
    """Serve the page until interrupted; ``port`` None picks a free one; each worker may use
    ``memory_mb`` MiB of address space (None: no cap)."""
    require_web()
    import uvicorn

    from covar.web.app import Settings, create_app

    port = port or free_port()
    url = f"http://{HOST}:{port}/"
    app = create_app(Settings(workers=workers, timeout=timeout, animation_timeout=max(3 * timeout, 30.0),
                              memory_mb=memory_mb))
    if say is not None:
        say(f"covar serve: {url}  (Ctrl+C stops it)")
    if browser:
        threading.Timer(1.0, webbrowser.open, args=(url,)).start()
    uvicorn.run(app, host=HOST, port=port, log_level="warning")


@contextmanager
def server_process(*options: str, start_seconds: float = 60.0) -> Iterator[str]:
    """``covar serve --no-browser OPTIONS`` in a child process on a free port of 127.0.0.1; yields
    its URL once it answers and stops it on exit (the browser test and the load test use it).
    The child sees the same ``sys.path`` as this process, so it serves the same covar."""
    port = free_port()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    child = subprocess.Popen([sys.executable, "-m", "covar.cli.main", "serve", "--no-browser", "--port", str(port),
                              *options], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://{HOST}:{port}/"
    try:
        deadline = time.monotonic() + start_seconds
        while True:
            try:
                urllib.request.urlopen(url + "health", timeout=2).read()
                break
            except OSError:
                if time.monotonic() > deadline or child.poll() is not None:
                    raise RuntimeError(f"covar serve did not start on {url}") from None
                time.sleep(0.3)
        yield url
    finally:
        child.terminate()
        try:
            child.wait(15)
        except subprocess.TimeoutExpired:
            child.kill()

"""``covar serve``: start the page on 127.0.0.1 at a free port and open the browser.

Needs the web extra (``pip install "covar[web]"``: starlette and uvicorn); without it
:func:`serve` raises :class:`covar.errors.MissingExtra` naming the extra.
"""
from __future__ import annotations

import socket
import threading
import webbrowser
from typing import Callable

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
          say: Callable[[str], None] | None = None) -> None:
    """Serve the page until interrupted; ``port`` None picks a free one."""
    require_web()
    import uvicorn

    from covar.web.app import Settings, create_app

    port = port or free_port()
    url = f"http://{HOST}:{port}/"
    app = create_app(Settings(workers=workers, timeout=timeout, animation_timeout=max(3 * timeout, 30.0)))
    if say is not None:
        say(f"covar serve: {url}  (Ctrl+C stops it)")
    if browser:
        threading.Timer(1.0, webbrowser.open, args=(url,)).start()
    uvicorn.run(app, host=HOST, port=port, log_level="warning")

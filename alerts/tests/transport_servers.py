"""Local stand-ins for the notification providers, used by the transport tests.

Each stub is a real HTTP server on 127.0.0.1 that checks a request the way the provider
does (signature, required fields) and answers in the provider's reply format, so the
transports are exercised over the wire with nothing of ours patched.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def query(self) -> str:
        return urlsplit(self.path).query


# A reply is (status, headers, body).
Reply = tuple[int, dict[str, str], bytes]


@dataclass
class ProviderStub:
    """Records every request and answers with ``handle(request)``."""

    handle: Callable[[Received], Reply]
    received: list[Received] = field(default_factory=list)
    url: str = ""


@contextmanager
def serve(handle: Callable[[Received], Reply]) -> Iterator[ProviderStub]:
    stub = ProviderStub(handle)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            self.do_POST("GET")

        def do_POST(self, method: str = "POST") -> None:  # noqa: N802
            length = int(self.headers.get("Content-Length", "0"))
            request = Received(
                method,
                self.path,
                {k.lower(): v for k, v in self.headers.items()},
                self.rfile.read(length),
            )
            stub.received.append(request)
            status, headers, body = stub.handle(request)
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    stub.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield stub
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@contextmanager
def silent_endpoint() -> Iterator[str]:
    """A URL whose server accepts the connection and never answers (forces a timeout)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/"
    finally:
        listener.close()


def free_port() -> int:
    """A port nobody listens on right now (connection refused until someone binds it)."""
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return port


def closed_port_url() -> str:
    return f"http://127.0.0.1:{free_port()}/"

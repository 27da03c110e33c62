"""The bridge's own counters: a log line, a JSON status file and ``/metrics``."""

from __future__ import annotations

import json
import logging
import os
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import asdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from sensors.bridge.pipeline import Counters

log = logging.getLogger(__name__)


class Latency:
    """Uplink time → durably written, in ms, over the last ``keep`` uplinks.

    Uplinks older than ``max_age_ms`` are history (a network server replaying its
    queue, a simulator's backfill), not latency; they would swamp the percentiles.
    """

    def __init__(self, keep: int = 200_000, max_age_ms: float = 15 * 60_000) -> None:
        self.samples: deque[float] = deque(maxlen=keep)
        self.max_age_ms = max_age_ms

    def add_batch(self, now_ms: float, times_ns: list[int]) -> None:
        limit = self.max_age_ms
        self.samples.extend(d for t in times_ns if (d := now_ms - t / 1e6) <= limit)

    def percentiles(self) -> dict[str, float | None]:
        data = sorted(self.samples)
        if not data:
            return {"p50_ms": None, "p95_ms": None, "max_ms": None}
        return {
            "p50_ms": round(data[len(data) // 2], 1),
            "p95_ms": round(data[min(len(data) - 1, int(len(data) * 0.95))], 1),
            "max_ms": round(data[-1], 1),
        }


def snapshot(counters: Counters, latency: Latency, extra: dict[str, Any]) -> dict[str, Any]:
    return {**asdict(counters), **latency.percentiles(), **extra}


def write_status(path: Path, status: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(status, sort_keys=True))
    os.replace(tmp, path)


def prometheus(status: dict[str, Any]) -> str:
    lines = []
    for key, value in sorted(status.items()):
        if isinstance(value, bool) or not isinstance(value, int | float):
            continue
        kind = "gauge" if key.endswith(("_ms", "pending")) or key == "lag_ms" else "counter"
        name = f"agrimon_bridge_{key}" + ("_total" if kind == "counter" else "")
        lines.append(f"# TYPE {name} {kind}\n{name} {value}")
    return "\n".join(lines) + "\n"


def serve(port: int, status: Callable[[], dict[str, Any]]) -> ThreadingHTTPServer:
    """``GET /metrics`` (Prometheus text) and ``GET /status`` (JSON) on 127.0.0.1:port."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server naming
            if self.path == "/metrics":
                body, ctype = prometheus(status()).encode(), "text/plain; version=0.0.4"
            elif self.path == "/status":
                body, ctype = json.dumps(status()).encode(), "application/json"
            else:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, name="bridge-metrics", daemon=True).start()
    return server

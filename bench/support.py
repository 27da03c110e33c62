"""What the benches share: free ports, polling, child processes, a private Mosquitto, the
bridge's status page, and the alert path's bridge and Celery worker (alert latency, phone).

Throw-away databases are ``bench.scratch``'s.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent


def bench_env(
    state: Path, influx_db: str, database_url: str, redis_url: str, **extra: str
) -> dict[str, str]:
    """The environment of every process of a bench: only its own databases and state.

    DEBUG is off as in production, so Django does not record every query.
    """
    return dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="agrimon.settings",
        AGRIMON_ENV="development",
        DEBUG="0",
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        CELERY_BROKER_URL=redis_url,
        INFLUX_DB=influx_db,
        AGRIMON_STATE_DIR=str(state),
        PYTHONUNBUFFERED="1",
        **extra,
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait(check: Callable[[], Any], timeout: float, what: str, interval: float = 0.1) -> Any:
    """Poll ``check`` until it returns something true, which is returned."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(interval)
    raise RuntimeError(f"timed out waiting for {what}")


def listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        return True
    except OSError:
        return False


def percentile(values: list[float], p: float) -> float:
    """Nearest rank: the smallest value with at least ``p`` of the samples at or below it."""
    data = sorted(values)
    if not data:
        return float("nan")
    return data[max(0, math.ceil(p * len(data)) - 1)]


class Processes:
    """Every child started by the bench, each in its own session so it is stopped whole."""

    def __init__(self, state: Path, env: dict[str, str]) -> None:
        self.state = state
        self.env = env
        self.procs: list[tuple[str, subprocess.Popen]] = []
        self.stopped: set[int] = set()

    def start(self, name: str, cmd: list[str]) -> subprocess.Popen:
        log = open(self.state / f"{name}.log", "wb")  # noqa: SIM115 - the child owns it
        try:
            proc = subprocess.Popen(
                cmd,
                cwd=REPO,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        finally:
            log.close()
        self.procs.append((name, proc))
        return proc

    def log_tail(self, name: str, lines: int = 15) -> str:
        try:
            text = (self.state / f"{name}.log").read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, proc: subprocess.Popen, sig: int = signal.SIGTERM, timeout: float = 20) -> None:
        """Signal the child's process group (its own session), then kill it if it lingers."""
        if proc.pid in self.stopped:
            return
        self.stopped.add(proc.pid)
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, sig)
            except ProcessLookupError:
                pass
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait(10)
        # Prefork children left behind by a killed parent share its process group.
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def stop_all(self) -> None:
        for _, proc in reversed(self.procs):
            self.stop(proc)


def mosquitto_config(state: Path, port: int) -> Path:
    """``deploy/mosquitto.conf`` on ``port``, without persistence and logging, in ``state``."""
    conf = (REPO / "deploy" / "mosquitto.conf").read_text()
    conf = conf.replace("listener 1883 ", f"listener {port} ").replace("@STATE@", str(state))
    conf = conf.replace("persistence true", "persistence false")
    conf = "\n".join(line for line in conf.splitlines() if not line.startswith("log_dest"))
    path = state / "mosquitto.conf"
    path.write_text(conf + "\nlog_dest none\n")
    return path


def mosquitto_binary() -> str:
    return shutil.which("mosquitto") or "/usr/sbin/mosquitto"


def start_mosquitto(procs: Processes) -> int:
    """Mosquitto as deployed, without persistence and logging, on a free port."""
    port = free_port()
    procs.start("mosquitto", [mosquitto_binary(), "-c", str(mosquitto_config(procs.state, port))])
    wait(lambda: listening(port), 20, "mosquitto")
    return port


def bridge_status(port: int) -> dict[str, Any]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/status", timeout=2) as r:
            return json.loads(r.read())
    except OSError:
        return {}


def start_alert_path(
    procs: Processes, name: str, mqtt_port: int, influx_db: str
) -> tuple[int, subprocess.Popen]:
    """The bridge with the alert engine's hook and a Celery worker, as in the Procfile
    without the share group (one bridge). Returns the bridge's metrics port and the worker."""
    manage = [sys.executable, str(REPO / "manage.py")]
    metrics_port = free_port()
    procs.start(
        "bridge",
        [
            *manage,
            "run_bridge",
            "--client-id",
            name,
            "--mqtt-url",
            f"mqtt://127.0.0.1:{mqtt_port}",
            "--influx-db",
            influx_db,
            "--metrics-port",
            str(metrics_port),
            "--on-readings",
            "alerts.engine:on_bridge_readings",
            "--log-interval",
            "5",
        ],
    )
    worker = procs.start(
        "worker",
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "agrimon",
            "worker",
            "--concurrency",
            "2",
            "-Q",
            "celery",
            "-n",
            f"{name}-{uuid.uuid4().hex[:6]}@%h",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "-l",
            "warning",
        ],
    )
    return metrics_port, worker


def wait_alert_path(procs: Processes, metrics_port: int, worker: subprocess.Popen) -> None:
    """Until the bridge is connected and the worker answers a ping."""
    from agrimon import celery_app

    wait(lambda: bridge_status(metrics_port).get("connected"), 90, "the bridge to connect")

    def worker_up() -> bool:
        if worker.poll() is not None:
            raise RuntimeError("celery worker exited:\n" + procs.log_tail("worker"))
        return bool(celery_app.control.ping(timeout=0.5))

    wait(worker_up, 90, "the celery worker", interval=0.5)

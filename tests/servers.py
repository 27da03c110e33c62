"""Private Mosquitto and InfluxDB servers for tests and benches that break them on purpose.

Each runs from the project's own config (``deploy/``) in a directory of its own, on free
ports, so it can be killed, frozen and restarted without touching the shared servers.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def wait_for(check, timeout: float, what: str, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


class PrivateBroker:
    """Mosquitto with ``deploy/mosquitto.conf`` as deployed (persistence and autosave on).

    ``extra`` lines are appended (later settings win). The state directory outlives
    ``kill()``, so a restart loads the sessions the broker last saved.
    """

    def __init__(self, state: Path, extra: str = "") -> None:
        self.state = state
        state.mkdir(parents=True, exist_ok=True)
        (state / "mosquitto").mkdir(exist_ok=True)
        (state / "log").mkdir(exist_ok=True)
        self.port = free_port()
        conf = (REPO / "deploy" / "mosquitto.conf").read_text()
        conf = conf.replace("listener 1883 ", f"listener {self.port} ")
        conf = conf.replace("@STATE@", str(state))
        if os.geteuid() == 0:
            # Run as root, mosquitto drops to its own user, who cannot enter private temp dirs.
            conf += "\nuser root\n"
        self.conf = state / "mosquitto.conf"
        self.conf.write_text(conf + "\n" + extra + "\n")
        self.binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    @property
    def database(self) -> Path:
        return self.state / "mosquitto" / "mosquitto.db"

    def start(self) -> PrivateBroker:
        self.proc = subprocess.Popen(
            [self.binary, "-c", str(self.conf)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(lambda: port_open(self.port), 20, "mosquitto to listen")
        return self

    def signal(self, sig: int) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)

    def kill(self) -> None:
        """SIGKILL: no final save, as in a crash."""
        self.signal(signal.SIGKILL)
        if self.proc:
            self.proc.wait(10)

    def stop(self) -> None:
        self.signal(signal.SIGTERM)
        if self.proc:
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()

    def saved_since(self, when: float) -> bool:
        """Whether the broker has written its database after ``when`` (a ``time.time()``)."""
        try:
            return self.database.stat().st_mtime > when
        except FileNotFoundError:
            return False


class PrivateInflux:
    """An influxd of our own from ``deploy/influxdb.conf.in``, stopped like a crash."""

    def __init__(self, state: Path) -> None:
        self.state = state
        state.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        rpc = free_port()
        conf = (REPO / "deploy" / "influxdb.conf.in").read_text()
        conf = conf.replace("@STATE@", str(state)).replace(
            "127.0.0.1:8086", f"127.0.0.1:{self.port}"
        )
        conf = conf.replace("127.0.0.1:8088", f"127.0.0.1:{rpc}")
        self.conf = state / "influxdb.conf"
        self.conf.write_text(conf)
        self.proc: subprocess.Popen | None = None
        self.url = f"http://127.0.0.1:{self.port}"

    def ping(self) -> bool:
        try:
            with urllib.request.urlopen(self.url + "/ping", timeout=1) as r:
                return r.status == 204
        except OSError:
            return False

    def start(self) -> PrivateInflux:
        self.proc = subprocess.Popen(
            ["influxd", "-config", str(self.conf)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(self.ping, 60, "private influxd to answer", 0.2)
        return self

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

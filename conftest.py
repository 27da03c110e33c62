"""Fixtures shared by every test package, and the check that the real services answer."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.shared import shared_data_dir


def _unreachable_services() -> list[str]:
    """The servers the suite talks to that do not accept a connection right now."""
    from django.conf import settings

    db = settings.DATABASES["default"]
    config = settings.CONFIG
    wanted = {
        "PostgreSQL": (db.get("HOST") or "127.0.0.1", int(db.get("PORT") or 5432)),
        "Redis": _host_port(config.redis_url, 6379),
        "Mosquitto": _host_port(config.mqtt_url, 1883),
        "InfluxDB": _host_port(config.influx_url, 8086),
    }
    down = []
    for name, address in wanted.items():
        try:
            socket.create_connection(address, timeout=2).close()
        except OSError:
            down.append(f"{name} at {address[0]}:{address[1]}")
    return down


def _host_port(url: str, default_port: int) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or "127.0.0.1", parts.port or default_port


def pytest_sessionstart(session: pytest.Session) -> None:
    """Fail at once, naming the command to use, instead of 500 errors deep in the suite."""
    down = _unreachable_services()
    if down:
        pytest.exit(
            "not answering: " + ", ".join(down) + ". Start them with scripts/services.sh, "
            "or run the suite with scripts/test.sh, which installs and starts everything.",
            returncode=3,
        )


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Reference data from outside sources, kept in the repository (see its README)."""
    path = shared_data_dir()
    if not path.is_dir():
        raise FileNotFoundError(f"reference data not found at {path}")
    return path


@pytest.fixture(scope="session")
def load_shared_json(shared_data: Path):
    def load(name: str):
        return json.loads((shared_data / name).read_text(encoding="utf-8"))

    return load

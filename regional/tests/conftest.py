"""Fixtures of the regional tests: the demo world, its reviewers, a private InfluxDB database."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator

import pytest
from django.test import Client

from agrimon.config import load
from farm.demo import DEMO_PASSWORD, seed_demo
from sensors.timeseries import TimeSeries


@pytest.fixture
def demo(db):
    return seed_demo()


def login(username: str) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-Hans")
    assert client.login(username=username, password=DEMO_PASSWORD)
    return client


@pytest.fixture
def jingzhou(demo) -> Client:
    return login("bureau_jingzhou")


@pytest.fixture
def honghu(demo) -> Client:
    return login("bureau_honghu")


@pytest.fixture
def influx(monkeypatch) -> Iterator[TimeSeries]:
    """A fresh database on the shared InfluxDB, which the pages read through INFLUX_DB."""
    ts = TimeSeries.from_config(load(), database=f"test_regional_{uuid.uuid4().hex[:12]}")
    ts.ensure_database("30d")
    monkeypatch.setenv("INFLUX_DB", ts.database)
    try:
        yield ts
    finally:
        ts.drop_database()
        ts.close()


# The project's real-server fixtures (Debian Chromium, the demo committed for another process).
from tests.conftest import (  # noqa: E402
    REPO,
    browser,  # noqa: F401
    database_url_of_test_db,
    demo_committed,  # noqa: F401
    free_port,
    wait_http,
)


@pytest.fixture
def asgi_server(demo_committed, tmp_path) -> Iterator[str]:  # noqa: F811
    """uvicorn serving ``agrimon.asgi`` on the test database, as ``tests.conftest`` starts it,
    with more time to start: importing the whole project takes over 30 s on a busy machine."""
    port = free_port()
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url_of_test_db(),
        AGRIMON_STATE_DIR=str(tmp_path / "state"),
        PYTHONUNBUFFERED="1",
        DJANGO_SETTINGS_MODULE="tests.server_settings",
    )
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "agrimon.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],  # fmt: skip
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{base}/accounts/login/", timeout=180, proc=proc)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()

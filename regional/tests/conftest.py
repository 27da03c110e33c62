"""Fixtures of the regional tests: the demo world, its reviewers, a private InfluxDB database."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from django.test import Client

from agrimon.config import load
from demo.farm import DEMO_PASSWORD, seed_demo
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


# The project's real-server fixtures: Debian Chromium, and uvicorn on the test database with
# the demo committed for it (``asgi_server`` needs ``demo_committed`` in scope here too).
from tests.conftest import asgi_server, browser, demo_committed  # noqa: E402, F401

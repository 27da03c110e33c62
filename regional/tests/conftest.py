"""Fixtures of the regional tests: the demo world, its reviewers, a private InfluxDB database."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from django.test import Client

from farm.config import load
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
    asgi_server,  # noqa: F401
    browser,  # noqa: F401
    demo_committed,  # noqa: F401
)

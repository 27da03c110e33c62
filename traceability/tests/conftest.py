"""Fixtures for the lot tests: the demo register and a private InfluxDB database."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

import pytest

from demo.farm import DEMO_PASSWORD, seed_demo
from farm.models import Plot, Pond
from traceability import lots


@pytest.fixture(autouse=True)
def public_domain(settings):
    """Codes carry a public domain, as in production (the tests run with DEBUG off)."""
    settings.RESOLVER_DOMAIN = "trace.example.cn"
    return settings.RESOLVER_DOMAIN


@pytest.fixture
def demo(db):
    return seed_demo()


@pytest.fixture
def login(client, demo):
    def as_user(username: str | None):
        client.logout()
        if username:
            assert client.login(username=username, password=DEMO_PASSWORD)
        return client

    return as_user


@pytest.fixture
def pond(demo) -> Pond:
    return Pond.objects.get(name="1号塘", farm__name="大沙湖草鱼养殖场")


@pytest.fixture
def plot(demo) -> Plot:
    return Plot.objects.get(name="1号连栋大棚")


@pytest.fixture
def fish_lot(pond):
    return lots.create_lot(
        lots.NewLot(
            origin=pond,
            product_name="草鱼",
            lot_number="CY-2026-01",
            quantity=Decimal("800"),
            gtin="",
            growing_started=date(2026, 3, 1),
        )
    )


@pytest.fixture
def timeseries():
    from sensors.timeseries import TimeSeries

    ts = TimeSeries("http://127.0.0.1:8086", f"trace_{uuid.uuid4().hex[:10]}")
    ts.ensure_database("30d")
    yield ts
    ts.drop_database()
    ts.close()


@pytest.fixture(scope="session")
def epcis_validator(shared_data):
    from traceability.epcis_document import EPCISValidator

    return EPCISValidator(shared_data / "epcis" / "schema" / "EPCIS-JSON-Schema.json")


@pytest.fixture
def epcis_schema(settings, shared_data):
    """Point the import service at GS1's schema in the shared reference data."""
    settings.EPCIS_SCHEMA = str(shared_data / "epcis" / "schema" / "EPCIS-JSON-Schema.json")
    return settings.EPCIS_SCHEMA


@pytest.fixture
def influx_down(monkeypatch):
    """Every TimeSeries the app makes for itself talks to a port nobody listens on."""
    from sensors.timeseries import TimeSeries

    monkeypatch.setattr(
        TimeSeries,
        "from_config",
        classmethod(lambda cls, *a, **k: TimeSeries("http://127.0.0.1:9", "none", timeout=0.5)),
    )

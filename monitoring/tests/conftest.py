"""Fixtures for monitoring: a fresh InfluxDB database, demo-like farms with readings."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.contrib.auth import get_user_model

from alerts.models import Rule
from farm.models import Membership, Role
from sensors.models import Device
from sensors.tests import conftest as ingest
from sensors.tests.conftest import make_farm
from sensors.timeseries import Point, TimeSeries, to_ns

DO_DEVICE = "00000000000000d1"
influx = ingest.influx  # a fresh InfluxDB database per test


def water(ts: TimeSeries, farm: dict, when: datetime, device: str = DO_DEVICE, **fields):
    tags = {
        "org": str(farm["org"].pk),
        "farm": str(farm["farm"].pk),
        "site": str(farm["pond"].pk),
        "device": device,
    }
    ts.write([Point("water", tags, fields, to_ns(when))])


def device_point(ts: TimeSeries, farm: dict, when: datetime, device: str = DO_DEVICE, **fields):
    tags = {"farm": str(farm["farm"].pk), "site": str(farm["pond"].pk), "device": device}
    ts.write([Point("device", tags, fields, to_ns(when))])


def low_do_rule(farm: dict, threshold: float = 3.0, severity: str = "critical") -> Rule:
    return Rule.objects.create(
        organisation=farm["org"],
        name="溶解氧过低",
        metric="do",
        condition=Rule.Condition.BELOW,
        threshold=threshold,
        severity=severity,
        match_kind=Rule.TargetKind.POND,
    )


@pytest.fixture
def farms(db):
    mine, theirs = make_farm("A"), make_farm("B")
    for n, f in enumerate((mine, theirs), start=1):
        Device.objects.create(
            dev_eui=f"00000000000000d{n}", farm=f["farm"], site=f["pond"], profile_id="native-water"
        )
    return mine, theirs


@pytest.fixture
def operator(client, farms):
    mine, _ = farms
    user = get_user_model().objects.create_user("op", password="pw-123456")
    m = Membership.objects.create(user=user, role=Role.OPERATOR, organisation=mine["org"])
    m.farms.add(mine["farm"])
    client.force_login(user)
    return client


@pytest.fixture
def readings(influx, monkeypatch):
    """The shared InfluxDB with a database of this test's own, as the pages read it."""
    monkeypatch.setenv("INFLUX_DB", influx.database)
    return influx


NOW = datetime.now(UTC)

"""Seeding completes from any partial state and says what to run when it cannot."""

from __future__ import annotations

import json
import uuid

import pytest
from django.core.management import call_command

from farm.demo import REGIONS_FIXTURE, seed_demo
from farm.models import Farm, Organisation, Region
from sensors.simulator import Fleet, register_fleet


def test_seed_demo_completes_after_the_fleet_simulator_created_regions_of_its_own(db):
    register_fleet(Fleet(4, seed=1))  # creates a province, city, county and a co-op
    assert Region.objects.filter(code="421083").exists()
    assert not Region.objects.filter(code="421088").exists()

    summary = seed_demo()

    codes = {row["pk"] for row in json.loads(REGIONS_FIXTURE.read_text(encoding="utf-8"))}
    assert set(Region.objects.values_list("code", flat=True)) >= codes
    assert Farm.objects.filter(region_id="421088").exists()
    assert summary.farms == 10


def test_seed_demo_twice_changes_nothing(db):
    seed_demo()
    counts = (Region.objects.count(), Organisation.objects.count(), Farm.objects.count())
    seed_demo()
    assert (Region.objects.count(), Organisation.objects.count(), Farm.objects.count()) == counts


def test_prepare_timeseries_creates_the_database_and_its_policies(settings, capsys):
    import dataclasses

    from sensors.timeseries import TimeSeries

    name = f"test_prepare_{uuid.uuid4().hex[:10]}"
    settings.CONFIG = dataclasses.replace(settings.CONFIG, influx_db=name)
    call_command("prepare_timeseries")
    ts = TimeSeries.from_config(settings.CONFIG)
    try:
        policies = {row[0] for s in ts.query("SHOW RETENTION POLICIES") for row in s["values"]}
        assert {"raw", "rollup"} <= policies
        call_command("prepare_timeseries")  # idempotent
    finally:
        ts.drop_database()
        ts.close()
    assert "ready" in capsys.readouterr().out


def test_prepare_timeseries_names_the_command_when_influxdb_is_away(settings):
    import dataclasses

    from django.core.management.base import CommandError

    settings.CONFIG = dataclasses.replace(settings.CONFIG, influx_url="http://127.0.0.1:9")
    with pytest.raises(CommandError, match="scripts/services.sh"):
        call_command("prepare_timeseries", "--wait", "0")

"""``prepare_timeseries`` creates the InfluxDB database and says what to run when it cannot."""

from __future__ import annotations

import uuid

import pytest
from django.core.management import call_command


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

"""The chart on the incident page reads the metric around the event from InfluxDB."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from agrimon.config import load
from alerts import chart
from alerts.engine import evaluate
from alerts.models import Incident
from alerts.tests import alert_fixtures
from alerts.tests.alert_fixtures import World, at
from sensors.timeseries import Point, TimeSeries, to_ns
from vocabulary.events import ReadingEvent

world = alert_fixtures.world


@pytest.fixture
def influx():
    ts = TimeSeries.from_config(load(), database=f"test_alerts_{uuid.uuid4().hex[:12]}")
    ts.ensure_database("30d")
    try:
        yield ts
    finally:
        ts.drop_database()
        ts.close()


def test_chart_shows_the_readings_around_the_event_and_the_limit(world: World, influx):
    base = timezone.now().replace(microsecond=0) - timedelta(hours=2)  # inside the retention

    def t(minutes: int):
        return base + timedelta(minutes=minutes)

    world.rule(threshold=3.0)
    r = world.reading(0, 2.5)
    evaluate([ReadingEvent.at(t(0), r.farm_id, r.site_id, r.dev_eui, "do", 2.5)], now=t(0))
    incident = Incident.objects.get()
    influx.write(
        Point("water", {"site": str(world.pond1.pk)}, {"do": 6.0 - m / 30}, to_ns(t(m)))
        for m in range(-90, 31, 10)
    )
    samples = chart.load(incident, t(60), ts=influx)
    drawn = chart.draw(samples, incident, t(60))
    assert drawn.count == 13
    assert drawn.threshold_y is not None and 0 < drawn.threshold_y < chart.HEIGHT
    assert drawn.opened_x == pytest.approx(chart.WIDTH * 120 / 180, abs=0.1)


def test_no_chart_when_influxdb_cannot_answer(world: World):
    world.rule(threshold=3.0)
    evaluate([world.reading(0, 2.5)], now=at(0))
    incident = Incident.objects.get()
    dead = TimeSeries("http://127.0.0.1:9", "nowhere", timeout=1)
    assert chart.load(incident, at(0) + timedelta(minutes=5), ts=dead) is None

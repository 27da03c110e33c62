"""The engine's time order cannot be wedged by one reading stamped in the future."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from alerts.engine import MAX_CLOCK_SKEW, evaluate, on_bridge_readings
from alerts.models import AlertState, Incident
from alerts.tests import alert_fixtures
from alerts.tests.alert_fixtures import World, at
from vocabulary.events import ReadingEvent as BridgeReading
from vocabulary.events import time_ns_of

world = alert_fixtures.world

YEAR_2100 = datetime(2100, 1, 1, tzinfo=UTC)


def test_a_reading_stamped_2100_does_not_silence_the_low_oxygen_alarm(world: World):
    world.rule(threshold=3.0, for_readings=4)
    evaluate([replace(world.reading(0, 8.0), time_ns=time_ns_of(YEAR_2100))], now=at(0))
    evaluate([world.reading(minute, 1.0) for minute in range(1, 5)], now=at(5))
    assert Incident.objects.filter(resolved_at__isnull=True).count() == 1


def test_the_state_never_records_a_last_seen_beyond_now_plus_the_skew(world: World):
    rule = world.rule(threshold=3.0)
    evaluate([replace(world.reading(0, 8.0), time_ns=time_ns_of(YEAR_2100))], now=at(0))
    state = AlertState.objects.get(rule=rule)
    assert state.last_seen <= at(0) + MAX_CLOCK_SKEW


def test_a_state_wedged_in_the_future_by_older_code_is_repaired_by_the_next_reading(world: World):
    rule = world.rule(threshold=3.0, for_readings=2)
    evaluate([world.reading(0, 8.0)], now=at(0))
    AlertState.objects.filter(rule=rule).update(last_seen=YEAR_2100, since=YEAR_2100)
    evaluate([world.reading(1, 1.0), world.reading(2, 1.0)], now=at(2))
    state = AlertState.objects.get(rule=rule)
    assert state.state == "firing" and state.last_seen == at(2)
    assert Incident.objects.filter(rule=rule).count() == 1


def test_a_late_reading_within_real_time_is_still_skipped(world: World):
    rule = world.rule(threshold=3.0)
    evaluate([world.reading(10, 8.0)], now=at(10))
    evaluate([world.reading(5, 1.0)], now=at(11))  # older than the state: already judged past it
    assert AlertState.objects.get(rule=rule).state == "ok"


def test_a_bridge_reading_from_the_future_is_judged_at_the_time_it_arrived(world: World):
    rule = world.rule(threshold=3.0)
    future_ns = int((datetime.now(UTC) + timedelta(days=365)).timestamp() * 1e9)
    site = world.pond1
    on_bridge_readings(
        [BridgeReading(1, "a000000000000001", site.pk, site.farm_id, "do", 1.0, future_ns)]
    )
    state = AlertState.objects.get(rule=rule)
    assert state.last_seen <= datetime.now(UTC) + MAX_CLOCK_SKEW

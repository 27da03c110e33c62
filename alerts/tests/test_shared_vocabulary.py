"""The alert engine and the bridge speak one vocabulary: one reading event, one catalogue."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sensors.bridge import pipeline
from vocabulary.events import DetectionEvent, ReadingEvent, time_ns_of
from vocabulary.metrics import CANONICAL_UNITS, PLAUSIBLE, reading_text


def test_a_reading_stamped_with_a_datetime_keeps_it_to_the_microsecond():
    when = datetime(2026, 7, 20, 18, 0, 1, 123456, tzinfo=ZoneInfo("Asia/Shanghai"))
    r = ReadingEvent.at(when, 1, 2, "a000000000000001", "do", 3.5)
    assert r.time == when and r.time_ns == time_ns_of(when)
    assert (r.device_id, r.fault) == (None, None)


def test_the_bridge_builds_the_same_reading_event_the_engine_judges():
    assert pipeline.ReadingEvent is ReadingEvent


def test_a_detection_is_judged_as_a_reading_of_its_class():
    when = datetime(2026, 7, 20, 10, tzinfo=ZoneInfo("UTC"))
    r = DetectionEvent(when, 1, 2, "camera-with-a-long-name", "brown_planthopper", 7).as_reading()
    assert (r.metric, r.value, r.dev_eui, r.time) == (
        "detection.brown_planthopper",
        7.0,
        "camera-with-a-lo",
        when,
    )


def test_every_metric_with_a_plausible_range_has_a_unit():
    assert set(PLAUSIBLE) <= set(CANONICAL_UNITS)


def test_readings_are_worded_in_their_catalogue_unit():
    assert reading_text(7.80, "ph") == "7.8 pH"
    assert reading_text(350.0, "orp") == "350 mV"
    assert reading_text(None, "do") == ""

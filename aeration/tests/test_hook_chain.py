"""The bridge's hook path: several hooks run on each batch, a failing one does not starve the
next, and the aeration hook ignores batches that are none of its business."""

from __future__ import annotations

import pytest
from django.db import OperationalError

from aeration import bridge_hook
from sensors.bridge.hooks import no_readings_hook, resolve_hook
from vocabulary.events import ReadingEvent

calls: list[str] = []


def first(batch):
    calls.append("first")
    raise OperationalError("database away")


def second(batch):
    calls.append("second")


def test_every_hook_runs_and_the_first_error_is_raised_for_the_bridge_to_retry():
    calls.clear()
    hook = resolve_hook(f"{__name__}:first, {__name__}:second")
    with pytest.raises(OperationalError):
        hook([])
    assert calls == ["first", "second"]


def test_one_or_no_hook_is_resolved_as_before():
    assert resolve_hook("") is no_readings_hook
    assert resolve_hook(f"{__name__}:second") is second


def test_the_aeration_hook_makes_no_query_for_a_batch_of_sensor_readings(
    db, django_assert_num_queries
):
    batch = [ReadingEvent(1, "00" * 8, None, 1, m, 1.0, 0) for m in ("soil_vwc", "rssi", "ph")]
    with django_assert_num_queries(0):
        bridge_hook.on_bridge_readings(batch)

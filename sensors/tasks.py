"""Celery tasks of the sensors app."""

from __future__ import annotations

from datetime import UTC, datetime

from celery import shared_task

from sensors.timeseries import TimeSeries, rollup_window


@shared_task(name="sensors.rollup_hourly")
def rollup_hourly(hours: int = 3) -> int:
    """Roll the last complete hours up into ``<domain>_1h`` (run hourly, a few minutes past).

    Re-rolling a few hours back picks up late uplinks and spool replays; the
    roll-up points overwrite themselves, so running it twice changes nothing.
    """
    ts = TimeSeries.from_config()
    try:
        start, end = rollup_window(datetime.now(UTC), hours)
        return ts.rollup_hours(start, end)
    finally:
        ts.close()

"""Celery tasks of the sensors app."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from celery import shared_task
from django.conf import settings

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


# Dead letters are for diagnosing and replaying recent trouble; a month is plenty and
# keeps a flood of hostile messages from growing the table without bound.
DEAD_LETTER_RETENTION_DAYS = 30


def dead_letter_retention_days() -> int:
    return int(getattr(settings, "DEAD_LETTER_RETENTION_DAYS", DEAD_LETTER_RETENTION_DAYS))


@shared_task(name="sensors.purge_dead_letters")
def purge_dead_letters(days: int | None = None) -> int:
    """Delete dead letters received more than ``days`` (default: the setting) ago."""
    from sensors.models import DeadLetter

    days = dead_letter_retention_days() if days is None else days
    cutoff = datetime.now(UTC) - timedelta(days=days)
    deleted, _ = DeadLetter.objects.filter(received_at__lt=cutoff).delete()
    return deleted

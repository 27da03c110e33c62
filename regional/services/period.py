"""The weeks a bureau reports on: Monday 00:00 to Monday 00:00 in the site's time zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone


@dataclass(frozen=True)
class Period:
    start: datetime
    end: datetime

    @property
    def monday(self) -> date:
        return self.start.date()

    @property
    def hours(self) -> float:
        return (self.end - self.start).total_seconds() / 3600

    def previous(self) -> Period:
        span = self.end - self.start
        return Period(self.start - span, self.start)

    def days(self) -> list[date]:
        return [self.start.date() + timedelta(days=i) for i in range(round(self.hours / 24))]


def site_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def week_of(day: date) -> Period:
    """The Monday-to-Monday week containing ``day``."""
    monday = day - timedelta(days=day.weekday())
    start = datetime.combine(monday, time(0), tzinfo=site_zone())
    return Period(start, start + timedelta(days=7))


def last_week(now: datetime | None = None) -> Period:
    """The last complete week before ``now``."""
    today = timezone.localtime(now or timezone.now(), site_zone()).date()
    return week_of(today - timedelta(days=7))


def current_week(now: datetime | None = None) -> Period:
    today = timezone.localtime(now or timezone.now(), site_zone()).date()
    return week_of(today)


def parse_week(value: str | None, now: datetime | None = None) -> Period:
    """``?week=YYYY-MM-DD`` (any day of the week) or the current week; junk is a ValueError."""
    if not value:
        return current_week(now)
    day = date.fromisoformat(value[:10])
    if day.year < 2000 or day.year > 2100:
        raise ValueError("week out of range")
    return week_of(day)

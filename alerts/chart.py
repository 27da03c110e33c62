"""The chart around an incident: its metric from two hours before to one hour after,
drawn as an SVG polyline on the incident page (no JavaScript, cheap on a phone)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from alerts.models import Incident
from sensors.timeseries import METRIC_MEASUREMENT, InfluxError, Sample, TimeSeries

log = logging.getLogger(__name__)

WIDTH, HEIGHT = 320.0, 120.0
BEFORE, AFTER = timedelta(hours=2), timedelta(hours=1)


@dataclass(frozen=True)
class Chart:
    points: str  # "x,y x,y …" for <polyline points>
    threshold_y: float | None
    opened_x: float
    low: float
    high: float
    count: int


def window(incident: Incident, now: datetime) -> tuple[datetime, datetime]:
    end = min((incident.resolved_at or now) + AFTER, now)
    return incident.opened_at - BEFORE, max(end, incident.opened_at + timedelta(minutes=1))


def load(incident: Incident, now: datetime, ts: TimeSeries | None = None) -> list[Sample] | None:
    """The samples, or None when there is nothing to chart or InfluxDB cannot answer."""
    metric = incident.rule.metric
    if not incident.site_id or metric not in METRIC_MEASUREMENT:
        return None
    own = ts is None
    ts = ts or TimeSeries.from_config()
    ts.timeout = min(ts.timeout, 3.0)  # the page must not hang on a slow database
    start, end = window(incident, now)
    try:
        return ts.series(incident.site, metric, start, end, max_points=120)
    except InfluxError as exc:
        log.warning("no chart for incident %s: %s", incident.pk, exc)
        return None
    finally:
        if own:
            ts.close()


def draw(samples: list[Sample], incident: Incident, now: datetime) -> Chart | None:
    if not samples:
        return None
    start, end = window(incident, now)
    span = (end - start).total_seconds()
    values = [s.value for s in samples]
    threshold = incident.rule.threshold
    low = min([*values, threshold] if threshold is not None else values)
    high = max([*values, threshold] if threshold is not None else values)
    pad = (high - low) * 0.1 or 1.0
    low, high = low - pad, high + pad

    def x(t: datetime) -> float:
        return round((t - start).total_seconds() / span * WIDTH, 1)

    def y(v: float) -> float:
        return round(HEIGHT - (v - low) / (high - low) * HEIGHT, 1)

    return Chart(
        points=" ".join(f"{x(s.time)},{y(s.value)}" for s in samples),
        threshold_y=y(threshold) if threshold is not None else None,
        opened_x=x(incident.opened_at),
        low=round(low, 2),
        high=round(high, 2),
        count=len(samples),
    )


def for_incident(incident: Incident, now: datetime) -> Chart | None:
    samples = load(incident, now)
    return draw(samples, incident, now) if samples else None

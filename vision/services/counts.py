"""Per-class counts into InfluxDB, through the project's one InfluxDB module."""

from __future__ import annotations

import logging
from datetime import datetime

from sensors.timeseries import InfluxError, Point, TimeSeries, to_ns
from vision.models import Camera, TrapPhoto

log = logging.getLogger(__name__)

STREAM_MEASUREMENT = "vision"  # objects first seen per class per interval, from streams
TRAP_MEASUREMENT = "pest"  # insects per species on trap photos


def camera_tags(camera: Camera) -> dict[str, str]:
    """Identity tags (ids and codes only) of a camera's points."""
    farm = camera.site.farm
    return {
        "org": str(farm.organisation_id),
        "region": str(farm.region_id),
        "farm": str(farm.pk),
        "site": str(camera.site_id),
        "camera": str(camera.pk),
    }


def count_points(camera: Camera, counts: dict[str, int], at: datetime) -> list[Point]:
    tags = camera_tags(camera)
    return [
        Point(STREAM_MEASUREMENT, {**tags, "class": name}, {"count": int(n)}, to_ns(at))
        for name, n in sorted(counts.items())
    ]


def trap_points(photo: TrapPhoto) -> list[Point]:
    tags = camera_tags(photo.camera)
    return [
        Point(
            TRAP_MEASUREMENT,
            {**tags, "species": c.species},
            {"new": c.raw_new, "present": c.raw_present},
            to_ns(photo.taken_at),
        )
        for c in photo.counts.all()
    ]


def write_points(points: list[Point], ts: TimeSeries | None = None) -> bool:
    """Write, returning False (logged) when InfluxDB is down: PostgreSQL keeps the record."""
    if not points:
        return True
    own = ts is None
    ts = ts or TimeSeries.from_config()
    try:
        ts.write(points)
    except InfluxError as exc:
        log.warning("vision counts not written to InfluxDB (%d points): %s", len(points), exc)
        return False
    finally:
        if own:
            ts.close()
    return True


def record_counts(
    camera: Camera, counts: dict[str, int], at: datetime, ts: TimeSeries | None = None
) -> bool:
    """Objects first seen per class on a stream in the interval ending at ``at``."""
    return write_points(count_points(camera, counts, at), ts)


def record_trap_counts(photo: TrapPhoto, ts: TimeSeries | None = None) -> bool:
    return write_points(trap_points(photo), ts)

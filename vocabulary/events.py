"""The events the apps hand each other: plain values, no ORM objects.

The sensor bridge builds a ``ReadingEvent`` for every reading of a durable batch and
hands the list to its ``on_readings`` hooks (alert engine, live pages, aerator
control); the vision worker builds ``DetectionEvent`` values from its detections.
The alert engine judges both, once per batch, and returns the ``Transition`` of
every alert state that changed (pushed to live pages, returned to the hooks).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = datetime.resolution


@dataclass(slots=True)
class ReadingEvent:
    """One canonical reading of one device; treat it as immutable.

    ``fault`` is the node's reason when the probe failed: then ``value`` is None and is
    never compared with a threshold. The time is kept in nanoseconds as the bridge has
    it (no datetime per reading on the hot path); ``time`` gives it as a datetime.
    ``device_id`` is the device's row id when the producer knows it (the bridge does).
    """

    device_id: int | None
    dev_eui: str
    site_id: int | None
    farm_id: int
    metric: str
    value: float | None
    time_ns: int
    fault: str | None = None

    @property
    def time(self) -> datetime:
        return datetime.fromtimestamp(self.time_ns / 1e9, UTC)

    @classmethod
    def at(
        cls,
        time: datetime,
        farm_id: int,
        site_id: int | None,
        dev_eui: str,
        metric: str,
        value: float | None,
        fault: str | None = None,
        *,
        device_id: int | None = None,
    ) -> ReadingEvent:
        """A reading stamped with a datetime (tests, beat checks, detections)."""
        return cls(device_id, dev_eui, site_id, farm_id, metric, value, time_ns_of(time), fault)


def time_ns_of(time: datetime) -> int:
    """Nanoseconds since the epoch, exact to the datetime's microsecond."""
    return (time - _EPOCH) // _MICROSECOND * 1000


@dataclass(frozen=True, slots=True)
class DetectionEvent:
    """Objects of one class seen by one camera in one sampling period."""

    time: datetime
    farm_id: int
    site_id: int | None
    camera: str
    class_name: str
    count: int
    confidence: float = 1.0

    def as_reading(self) -> ReadingEvent:
        """Detections ride the same state machine as readings, keyed ``detection.<class>``."""
        return ReadingEvent.at(
            self.time,
            self.farm_id,
            self.site_id,
            self.camera[:16],
            f"detection.{self.class_name}",
            float(self.count),
        )


@dataclass(frozen=True, slots=True)
class Transition:
    """One change of one alert state, as returned by the engine and pushed to pages."""

    rule_id: int
    target_key: str
    farm_id: int
    site_id: int | None
    old: str
    new: str
    at: datetime
    value: float | None
    incident_id: int | None = None
    inhibited_by: str = ""

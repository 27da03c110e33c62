"""What the producers hand to the engine: plain values, no ORM objects.

The sensor bridge builds ``ReadingEvent`` from each decoded batch and the vision
worker ``DetectionEvent`` from its detections; both call the engine once per batch.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class ReadingEvent:
    """One canonical reading. ``fault`` is the node's reason when the probe failed
    (then ``value`` is None or meaningless and is never compared with a threshold)."""

    time: datetime
    farm_id: int
    site_id: int | None
    device_eui: str
    metric: str
    value: float | None
    fault: str | None = None


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
        return ReadingEvent(
            time=self.time,
            farm_id=self.farm_id,
            site_id=self.site_id,
            device_eui=self.camera[:16],
            metric=f"detection.{self.class_name}",
            value=float(self.count),
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

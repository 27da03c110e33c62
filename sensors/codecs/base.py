"""The contract every payload codec follows.

A codec turns the bytes of one uplink into ``Decoded``: ``raw`` is what the
device's own decoder would report (for vendor devices, byte-for-byte the
vendor's official output), ``readings`` are the same values mapped to the
canonical metrics of the platform (``vocabulary.metrics``, DESIGN.md §5).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from vocabulary.metrics import CANONICAL_UNITS


class DecodeError(ValueError):
    """A payload that does not fit its profile; the message says why."""


@dataclass(frozen=True, slots=True)
class Reading:
    """One canonical reading; ``fault`` names a sensor fault reported by the node.

    A faulted reading has ``value`` None: the node said the probe failed, so no
    number is invented; the bridge flags it and keeps it out of the series.
    """

    metric: str
    value: float | None
    unit: str
    fault: str | None = None

    def as_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"metric": self.metric, "value": self.value, "unit": self.unit}
        if self.fault:
            d["fault"] = self.fault
        return d


@dataclass(slots=True)
class Decoded:
    raw: dict[str, Any]
    readings: list[Reading] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"raw": self.raw, "readings": [r.as_dict() for r in self.readings]}


def reading(metric: str, value: float | None, fault: str | None = None) -> Reading:
    """Build a canonical reading, refusing metric names outside DESIGN.md §5."""
    try:
        unit = CANONICAL_UNITS[metric]
    except KeyError:
        raise ValueError(f"not a canonical metric: {metric!r}") from None
    return Reading(metric, value, unit, fault)


Codec = Callable[[int, bytes], Decoded]

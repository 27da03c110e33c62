"""The contract every payload codec follows.

A codec turns the bytes of one uplink into ``Decoded``: ``raw`` is what the
device's own decoder would report (for vendor devices, byte-for-byte the
vendor's official output), ``readings`` are the same values mapped to the
canonical metrics of the platform (DESIGN.md §5).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# Canonical metric -> unit (DESIGN.md §5). A codec may only emit these names.
CANONICAL_UNITS: dict[str, str] = {
    "soil_vwc": "%",
    "soil_temp": "°C",
    "soil_ec": "µS/cm",
    "soil_ph": "pH",
    "soil_n": "mg/kg",
    "soil_p": "mg/kg",
    "soil_k": "mg/kg",
    "air_temp": "°C",
    "air_rh": "%",
    "water_temp": "°C",
    "do": "mg/L",
    "do_sat": "%",
    "ph": "pH",
    "orp": "mV",
    "tan": "mg/L",
    "nh3": "mg/L",
    "nitrite": "mg/L",
    "salinity": "ppt",
    "turbidity": "NTU",
    "water_level": "cm",
    "battery_v": "V",
    "battery_pct": "%",
    "rssi": "dBm",
    "snr": "dB",
}


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

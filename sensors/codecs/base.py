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
    # Actuators: a relay's contact (1 closed, the load runs; 0 open) and the load's current.
    "relay1": "",
    "relay2": "",
    "current_a1": "A",
    "current_a2": "A",
    "aci1_ma": "mA",  # 4-20 mA current inputs of an I/O controller
    "aci2_ma": "mA",
}

# What people call each metric (zh-Hans, English): pages, charts and notifications.
METRIC_LABELS: dict[str, tuple[str, str]] = {
    "soil_vwc": ("土壤含水量", "soil moisture"),
    "soil_temp": ("土壤温度", "soil temperature"),
    "soil_ec": ("土壤电导率", "soil EC"),
    "soil_ph": ("土壤pH", "soil pH"),
    "soil_n": ("土壤氮", "soil nitrogen"),
    "soil_p": ("土壤磷", "soil phosphorus"),
    "soil_k": ("土壤钾", "soil potassium"),
    "air_temp": ("气温", "air temperature"),
    "air_rh": ("空气湿度", "air humidity"),
    "water_temp": ("水温", "water temperature"),
    "do": ("溶解氧", "dissolved oxygen"),
    "do_sat": ("溶氧饱和度", "DO saturation"),
    "ph": ("pH", "pH"),
    "orp": ("氧化还原电位", "ORP"),
    "tan": ("总氨氮", "total ammonia"),
    "nh3": ("非离子氨", "un-ionised ammonia"),
    "nitrite": ("亚硝酸盐", "nitrite"),
    "salinity": ("盐度", "salinity"),
    "turbidity": ("浊度", "turbidity"),
    "water_level": ("水位", "water level"),
    "battery_v": ("电池电压", "battery voltage"),
    "battery_pct": ("电池电量", "battery level"),
    "rssi": ("信号强度", "signal strength"),
    "snr": ("信噪比", "signal-to-noise ratio"),
    "relay1": ("继电器1", "relay 1"),
    "relay2": ("继电器2", "relay 2"),
    "current_a1": ("电流1", "current 1"),
    "current_a2": ("电流2", "current 2"),
    "aci1_ma": ("电流输入1", "current input 1"),
    "aci2_ma": ("电流输入2", "current input 2"),
    "aerator": ("增氧机", "aerator"),  # not a reading: the subject of aerator incidents
}


def metric_label(metric: str, lang: str = "zh-hans") -> str:
    """The metric's name in ``lang`` (zh-Hans unless the language is English)."""
    labels = METRIC_LABELS.get(metric)
    if labels is None:
        return metric
    return labels[1] if lang.lower().startswith("en") else labels[0]


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

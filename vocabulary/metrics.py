"""The metric catalogue every app shares: names, canonical units, labels, plausible ranges.

Plain Python with no imports of the project's own code, so the bridge, the alert
engine, the pages and the benchmarks can all depend on it. Metric names and units
follow DESIGN.md §5; a codec may emit only these names (``sensors.codecs.reading``).
"""

from __future__ import annotations

# Canonical metric -> unit (DESIGN.md §5). "" for a dimensionless state (a relay contact).
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

# Plausible ranges per canonical metric, after calibration; a reading outside is
# rejected by the bridge. Sources: domain.md §6 (probe ranges: DO 0–20 mg/L and
# 0–200 %, soil VWC 0–100 %, EC 0–20 000 µS/cm, soil pH 3–9, soil temperature
# −40…85 °C, NPK up to 1999 mg/kg); the rest are physical limits of the quantity
# (pH 0–14, RH 0–100 %, LoRa RSSI/SNR) or of the frame that carries it.
PLAUSIBLE: dict[str, tuple[float, float]] = {
    "soil_vwc": (0.0, 100.0),
    "soil_temp": (-40.0, 85.0),
    "soil_ec": (0.0, 20000.0),
    "soil_ph": (3.0, 9.0),
    "soil_n": (0.0, 1999.0),
    "soil_p": (0.0, 1999.0),
    "soil_k": (0.0, 1999.0),
    "air_temp": (-40.0, 85.0),
    "air_rh": (0.0, 100.0),
    "water_temp": (-2.0, 50.0),
    "do": (0.0, 20.0),
    "do_sat": (0.0, 200.0),
    "ph": (0.0, 14.0),
    "orp": (-2000.0, 2000.0),
    "tan": (0.0, 100.0),
    "nh3": (0.0, 10.0),
    "nitrite": (0.0, 100.0),
    "salinity": (0.0, 70.0),
    "turbidity": (0.0, 4000.0),
    "water_level": (-1000.0, 100000.0),
    "battery_v": (0.0, 30.0),
    "battery_pct": (0.0, 100.0),
    "rssi": (-200.0, 0.0),
    "snr": (-30.0, 30.0),
    "relay1": (0.0, 1.0),
    "relay2": (0.0, 1.0),
    "current_a1": (0.0, 655.0),  # what the relay frame's u16 of 0.01 A can carry
    "current_a2": (0.0, 655.0),
    "aci1_ma": (0.0, 30.0),  # 4-20 mA loop; under 4 mA is a broken loop, kept visible
    "aci2_ma": (0.0, 30.0),
}


def unit_of(metric: str) -> str:
    """The metric's canonical unit; "" for a unitless or unknown metric."""
    return CANONICAL_UNITS.get(metric, "")


def reading_text(value: float | None, metric: str) -> str:
    """A value in its unit as alerts word it: "3.5 mg/L", "7.8 pH"; "" for no value."""
    if value is None:
        return ""
    unit = unit_of(metric)
    return f"{value:.2f}".rstrip("0").rstrip(".") + (f" {unit}" if unit else "")


def metric_label(metric: str, lang: str = "zh-hans") -> str:
    """The metric's name in ``lang`` (zh-Hans unless the language is English)."""
    labels = METRIC_LABELS.get(metric)
    if labels is None:
        return metric
    return labels[1] if lang.lower().startswith("en") else labels[0]


def plausible_range(metric: str) -> tuple[float, float] | None:
    """The (low, high) a calibrated reading of ``metric`` must lie within, if known."""
    return PLAUSIBLE.get(metric)

"""Decentlab DL-SMTP, DL-OPTOD, DL-PHEHT, DL-CTD10 and DL-PR26 (protocol v2).

Layout (decentlab/decentlab-decoders and the TTN copies ``vendor/decentlab/dl-*.js``):
version byte (must be 2), device id (uint16 BE), a flags word whose bit *i* says sensor
block *i* follows, then each present block as 16-bit big-endian words; the last block
is always the battery. Signed quantities use an offset of 32768, not two's complement.
``.raw`` is the vendor object: ``protocol_version``, ``device_id`` and one
``{displayName, value[, unit]}`` per quantity, absent blocks leaving their keys out.

Where the vendor decoder turns a short block into NaN, this raises ``DecodeError``; so do
trailing bytes and flag bits the device does not define.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .base import Decoded, DecodeError, Reading, reading
from .jsvalues import js_json

PROTOCOL_VERSION = 2
Convert = Callable[[list[int]], float]
# name, displayName, convert, unit (None: the vendor gives no unit key)
Quantity = tuple[str, str, Convert, str | None]
# one sensor block: number of words, quantities
Block = tuple[int, tuple[Quantity, ...]]

BATTERY: Block = (1, (("battery_voltage", "Battery voltage", lambda x: x[0] / 1000, "V"),))


def _smtp_block() -> Block:
    quantities: list[Quantity] = []
    for depth in range(8):
        m, t = 2 * depth, 2 * depth + 1
        quantities.append(
            (
                f"soil_moisture_at_depth_{depth}",
                f"Soil moisture at depth {depth}",
                lambda x, m=m: (x[m] - 2500) / 500,
                None,
            )
        )
        quantities.append(
            (
                f"soil_temperature_at_depth_{depth}",
                f"Soil temperature at depth {depth}",
                lambda x, t=t: (x[t] - 32768) / 100,
                "°C",
            )
        )
    return (16, tuple(quantities))


SMTP: tuple[Block, ...] = (_smtp_block(), BATTERY)

OPTOD: tuple[Block, ...] = (
    (
        5,
        (
            ("status", "Status", lambda x: x[0], None),
            ("temperature", "Temperature", lambda x: (x[1] - 32768) / 100, "°C"),
            ("oxygen_saturation", "Oxygen saturation", lambda x: (x[2] - 32768) / 100, "%"),
            (
                "oxygen_concentration",
                "Oxygen concentration",
                lambda x: (x[3] - 32768) / 100,
                "mg⋅L⁻¹",
            ),
            (
                "oxygen_concentration_alt",
                "Oxygen concentration (alt)",
                lambda x: (x[4] - 32768) / 100,
                "ppm",
            ),
        ),
    ),
    BATTERY,
)

PHEHT: tuple[Block, ...] = (
    (
        5,
        (
            ("status", "Status", lambda x: x[0], None),
            ("temperature", "Temperature", lambda x: (x[1] - 32768) / 100, "°C"),
            ("ph", "pH", lambda x: (x[2] - 32768) / 100, None),
            ("redox", "Redox", lambda x: (x[3] - 32768) / 10, "mV"),
            ("ph_mv", "pH-mV", lambda x: (x[4] - 32768) / 10, "mV"),
        ),
    ),
    BATTERY,
)

CTD10: tuple[Block, ...] = (
    (
        4,
        (
            ("water_depth", "Water depth", lambda x: x[0] - 32768, "mm"),
            ("temperature", "Temperature", lambda x: (x[1] - 32768) / 10, "°C"),
            ("electrical_conductivity", "Electrical conductivity", lambda x: x[2], "µS⋅cm⁻¹"),
            ("freezing_flag", "Freezing flag", lambda x: x[3], None),
        ),
    ),
    BATTERY,
)

# dl-pr26-0-1.js: the decoder file is built for a 0-1 bar sensor (Pmin, Pmax).
PR26_PMIN, PR26_PMAX = 0.0, 1.0
PR26: tuple[Block, ...] = (
    (
        2,
        (
            (
                "pressure",
                "Pressure",
                lambda x: (x[0] - 16384) / 32768 * (PR26_PMAX - PR26_PMIN) + PR26_PMIN,
                "bar",
            ),
            ("temperature", "Temperature", lambda x: (x[1] - 384) * 0.003125 - 50, "°C"),
        ),
    ),
    BATTERY,
)

# Hydrostatic head of fresh water: 1 bar = 1e5 Pa / (1000 kg/m³ × 9.80665 m/s²) = 1019.7 cm.
CM_WATER_PER_BAR = 1e5 / (1000 * 9.80665) * 100


def _decode(payload: bytes, blocks: tuple[Block, ...], model: str) -> dict[str, Any]:
    if len(payload) < 5:
        raise DecodeError(f"payload {len(payload)} bytes, {model} header needs 5")
    if payload[0] != PROTOCOL_VERSION:
        raise DecodeError(f"protocol version {payload[0]} doesn't match v2")
    flags = (payload[3] << 8) | payload[4]
    if flags >> len(blocks):
        raise DecodeError(f"{model}: flags 0x{flags:04X} announce blocks the device lacks")
    if not flags:
        raise DecodeError(f"{model}: flags announce no sensor data")
    need = 5 + sum(2 * words for i, (words, _) in enumerate(blocks) if flags >> i & 1)
    if len(payload) != need:
        raise DecodeError(f"payload {len(payload)} bytes, flags 0x{flags:04X} need {need}")
    raw: dict[str, Any] = {
        "protocol_version": payload[0],
        "device_id": (payload[1] << 8) | payload[2],
    }
    pos = 5
    for i, (words, quantities) in enumerate(blocks):
        if not flags >> i & 1:
            continue
        x = [(payload[pos + 2 * j] << 8) | payload[pos + 2 * j + 1] for j in range(words)]
        pos += 2 * words
        for name, display, convert, unit in quantities:
            entry: dict[str, Any] = {"displayName": display, "value": convert(x)}
            if unit is not None:
                entry["unit"] = unit
            raw[name] = entry
    return js_json(raw)


def _value(raw: dict[str, Any], name: str) -> float:
    return float(raw[name]["value"])


def _battery(raw: dict[str, Any], out: list[Reading]) -> None:
    if "battery_voltage" in raw:
        out.append(reading("battery_v", _value(raw, "battery_voltage")))


def _status_fault(raw: dict[str, Any]) -> str | None:
    """A non-zero probe status word marks every value of that block as faulted."""
    status = raw["status"]["value"]
    return f"status_{status}" if status else None


def decode_smtp(fport: int, payload: bytes) -> Decoded:
    """Profile ``decentlab-dl-smtp``.

    The moisture values are a unitless probe index, not % VWC, so they stay in ``.raw``;
    the top sensor's temperature becomes ``soil_temp``. An unfitted depth sends 0, which
    the vendor decodes as -327.68 °C: reported as the fault ``no_sensor``.
    """
    raw = _decode(payload, SMTP, "DL-SMTP")
    out: list[Reading] = []
    if "soil_temperature_at_depth_0" in raw:
        if payload[7:9] == b"\x00\x00":
            out.append(reading("soil_temp", None, fault="no_sensor"))
        else:
            out.append(reading("soil_temp", _value(raw, "soil_temperature_at_depth_0")))
    _battery(raw, out)
    return Decoded(raw, out)


def decode_optod(fport: int, payload: bytes) -> Decoded:
    """Profile ``decentlab-dl-optod``: DO in mg/L and % saturation, water temperature."""
    raw = _decode(payload, OPTOD, "DL-OPTOD")
    out: list[Reading] = []
    if "status" in raw:
        fault = _status_fault(raw)
        for name, metric in (
            ("temperature", "water_temp"),
            ("oxygen_concentration", "do"),
            ("oxygen_saturation", "do_sat"),
        ):
            out.append(reading(metric, None if fault else _value(raw, name), fault))
    _battery(raw, out)
    return Decoded(raw, out)


def decode_pheht(fport: int, payload: bytes) -> Decoded:
    """Profile ``decentlab-dl-pheht``: pH, ORP (redox) and water temperature."""
    raw = _decode(payload, PHEHT, "DL-PHEHT")
    out: list[Reading] = []
    if "status" in raw:
        fault = _status_fault(raw)
        for name, metric in (("temperature", "water_temp"), ("ph", "ph"), ("redox", "orp")):
            out.append(reading(metric, None if fault else _value(raw, name), fault))
    _battery(raw, out)
    return Decoded(raw, out)


def decode_ctd10(fport: int, payload: bytes) -> Decoded:
    """Profile ``decentlab-dl-ctd10``: water depth (mm -> cm) and temperature.

    The platform has no canonical water-conductivity metric, so EC stays in ``.raw``.
    """
    raw = _decode(payload, CTD10, "DL-CTD10")
    out: list[Reading] = []
    if "water_depth" in raw:
        out.append(reading("water_level", _value(raw, "water_depth") / 10))
        out.append(reading("water_temp", _value(raw, "temperature")))
    _battery(raw, out)
    return Decoded(raw, out)


def decode_pr26(fport: int, payload: bytes) -> Decoded:
    """Profile ``decentlab-dl-pr26`` (0-1 bar): level from gauge pressure, temperature.

    ``water_level`` is the fresh-water head above the sensor, 1 bar = 1019.7 cm.
    """
    raw = _decode(payload, PR26, "DL-PR26")
    out: list[Reading] = []
    if "pressure" in raw:
        out.append(reading("water_level", _value(raw, "pressure") * CM_WATER_PER_BAR))
        out.append(reading("water_temp", _value(raw, "temperature")))
    _battery(raw, out)
    return Decoded(raw, out)

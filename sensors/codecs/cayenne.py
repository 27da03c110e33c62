"""Cayenne LPP uplinks, decoded into the object ChirpStack v4 publishes.

Wire format (myDevices CayenneLPP README; extended types from ElectronicCats
``CayenneLPP.h``): items of channel (1 byte), type (1 byte, IPSO object id - 3200) and a
big-endian value whose size is fixed by the type. ``.raw`` has the shape of ChirpStack's
``object`` (``chirpstack/src/codec/cayenne_lpp.rs``): nested by type key, then by channel
as a string, e.g. ``{"temperatureSensor": {"3": 27.2}}``; a repeated channel and type
keeps the last value, as there. Unlike ChirpStack, a dangling byte at the end is an
error rather than silently dropped. ElectronicCats' private Polyline type is refused: no
network server decodes it.
"""

from __future__ import annotations

from typing import Any

from .base import Decoded, DecodeError, Reading, reading
from .jsvalues import js_json

# type -> (ChirpStack key, size, divisor, signed, components)
TYPES: dict[int, tuple[str, int, int, bool, tuple[str, ...]]] = {
    0: ("digitalInput", 1, 1, False, ()),
    1: ("digitalOutput", 1, 1, False, ()),
    2: ("analogInput", 2, 100, True, ()),
    3: ("analogOutput", 2, 100, True, ()),
    100: ("genericSensor", 4, 1, False, ()),
    101: ("illuminanceSensor", 2, 1, False, ()),
    102: ("presenceSensor", 1, 1, False, ()),
    103: ("temperatureSensor", 2, 10, True, ()),
    104: ("humiditySensor", 1, 2, False, ()),
    113: ("accelerometer", 6, 1000, True, ("x", "y", "z")),
    115: ("barometer", 2, 10, False, ()),
    116: ("voltage", 2, 100, False, ()),
    117: ("current", 2, 1000, False, ()),
    118: ("frequency", 4, 1, False, ()),
    120: ("percentage", 1, 1, False, ()),
    121: ("altitude", 2, 1, True, ()),
    125: ("concentration", 2, 1, False, ()),
    128: ("power", 2, 1, False, ()),
    130: ("distance", 4, 1000, False, ()),
    131: ("energy", 4, 1000, False, ()),
    132: ("direction", 2, 1, False, ()),
    133: ("unix_time", 4, 1, False, ()),
    134: ("gyrometer", 6, 100, True, ("x", "y", "z")),
    135: ("color", 3, 1, False, ("r", "g", "b")),
    136: ("gpsLocation", 9, 1, True, ("latitude", "longitude", "altitude")),
    142: ("switch", 1, 1, False, ()),
}
GPS_DIVISORS = (10000, 10000, 100)

# The lowest channel of these types becomes a canonical reading; LPP says nothing about
# where a probe sits, so further channels stay in ``.raw`` only.
CANONICAL: dict[str, str] = {
    "temperatureSensor": "air_temp",
    "humiditySensor": "air_rh",
    "voltage": "battery_v",
}


def decode(fport: int, payload: bytes) -> Decoded:
    """Profile ``cayenne-lpp`` (any fPort: LPP has no port convention)."""
    if not payload:
        raise DecodeError("empty payload")
    raw: dict[str, dict[str, Any]] = {}
    pos = 0
    while pos < len(payload):
        if pos + 2 > len(payload):
            raise DecodeError(f"dangling byte at {pos}: an item needs channel and type")
        channel, kind = payload[pos], payload[pos + 1]
        spec = TYPES.get(kind)
        if spec is None:
            raise DecodeError(f"unknown LPP type {kind} (0x{kind:02X}) at byte {pos + 1}")
        key, size, divisor, signed, parts = spec
        start = pos + 2
        if start + size > len(payload):
            raise DecodeError(
                f"{key} on channel {channel} needs {size} bytes, {len(payload) - start} left"
            )
        chunk = payload[start : start + size]
        raw.setdefault(key, {})[str(channel)] = _value(chunk, divisor, signed, parts, kind)
        pos = start + size
    raw = js_json(raw)
    return Decoded(raw=raw, readings=_readings(raw))


def _value(chunk: bytes, divisor: int, signed: bool, parts: tuple[str, ...], kind: int) -> Any:
    if not parts:
        return int.from_bytes(chunk, "big", signed=signed) / divisor
    width = len(chunk) // len(parts)
    values = [
        int.from_bytes(chunk[i * width : (i + 1) * width], "big", signed=signed)
        for i in range(len(parts))
    ]
    divisors = GPS_DIVISORS if kind == 136 else (divisor,) * len(parts)
    return {name: v / d for name, v, d in zip(parts, values, divisors, strict=True)}


def _readings(raw: dict[str, dict[str, Any]]) -> list[Reading]:
    out = []
    for key, metric in CANONICAL.items():
        channels = raw.get(key)
        if channels:
            lowest = min(channels, key=int)
            out.append(reading(metric, float(channels[lowest])))
    return out

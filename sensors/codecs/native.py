"""Decoder of the project's own compact payload, version 1 (firmware/lora_nodes/PAYLOAD.md).

An independent reading of the spec, not an import of the firmware encoder, so the shared
vectors check both sides. Every malformed frame raises ``DecodeError`` with the reason.
"""

from __future__ import annotations

from typing import Any

from .base import Decoded, DecodeError, Reading, reading

FPORT = 1
VERSION = 1

FAULTS = {
    1: "fault",
    2: "no_response",
    3: "crc_error",
    4: "out_of_range",
    5: "not_calibrated",
    6: "warming_up",
}

# (metric, kind, multiplier, low, high) — the field tables of PAYLOAD.md.
Field = tuple[str, str, int, float, float]

SOIL_CORE: tuple[Field, ...] = (
    ("soil_vwc", "u16", 10, 0.0, 100.0),
    ("soil_temp", "i16", 100, -40.0, 85.0),
    ("soil_ec", "u16", 1, 0.0, 65535.0),
    ("battery_v", "u8", 50, 0.0, 5.1),
)
WATER_CORE: tuple[Field, ...] = (
    ("do", "u16", 100, 0.0, 50.0),
    ("water_temp", "i16", 100, -40.0, 85.0),
    ("ph", "u16", 100, 0.0, 14.0),
    ("battery_v", "u8", 50, 0.0, 5.1),
)
EXTENSIONS: dict[int, Field] = {
    0x01: ("soil_ph", "u16", 100, 0.0, 14.0),
    0x02: ("soil_n", "u16", 1, 0.0, 65535.0),
    0x03: ("soil_p", "u16", 1, 0.0, 65535.0),
    0x04: ("soil_k", "u16", 1, 0.0, 65535.0),
    0x05: ("air_temp", "i16", 100, -40.0, 85.0),
    0x06: ("air_rh", "u16", 10, 0.0, 100.0),
    0x07: ("do_sat", "u16", 10, 0.0, 500.0),
    0x08: ("orp", "i16", 1, -2000.0, 2000.0),
    0x09: ("tan", "u16", 100, 0.0, 600.0),
    0x0A: ("nitrite", "u16", 1000, 0.0, 65.0),
    0x0B: ("salinity", "u16", 100, 0.0, 80.0),
    0x0C: ("turbidity", "u16", 10, 0.0, 6000.0),
    0x0D: ("water_level", "i16", 10, -1000.0, 3000.0),
    0x0E: ("battery_pct", "u8", 1, 0.0, 100.0),
}
AGE_ID = 0x3F
SIZE = {"u8": 1, "u16": 2, "i16": 2}


def decode_soil(fport: int, payload: bytes) -> Decoded:
    """Profile ``native-soil``."""
    return _decode(fport, payload, "soil")


def decode_water(fport: int, payload: bytes) -> Decoded:
    """Profile ``native-water``."""
    return _decode(fport, payload, "water")


def _decode(fport: int, payload: bytes, node: str) -> Decoded:
    if fport != FPORT:
        raise DecodeError(f"fport {fport} is not the native measurement port {FPORT}")
    data = bytes(payload)
    if not data:
        raise DecodeError("empty payload")
    header = data[0]
    version = header >> 4
    if version != VERSION:
        raise DecodeError(f"unknown payload version {version}")
    frame_node = "water" if header & 0x08 else "soil"
    if frame_node != node:
        raise DecodeError(f"{frame_node} frame on the native-{node} profile")
    backlog, continuation = bool(header & 0x02), bool(header & 0x01)
    raw: dict[str, Any] = {
        "version": version,
        "node_type": node,
        "event": bool(header & 0x04),
        "backlog": backlog,
        "continuation": continuation,
    }
    faults: dict[str, str] = {}
    readings: list[Reading] = []
    pos = 1
    if not continuation:
        pos = _core(data, pos, SOIL_CORE if node == "soil" else WATER_CORE, raw, faults, readings)
    seen: set[int] = set()
    while pos < len(data):
        pos = _extension(data, pos, seen, raw, faults, readings)
    if backlog and "age_min" not in raw:
        raise DecodeError("backlog frame without an age record")
    if not backlog and "age_min" in raw:
        raise DecodeError("age record on a frame not flagged as backlog")
    if continuation and not readings:
        raise DecodeError("continuation frame without extension records")
    if faults:
        raw["faults"] = faults
    return Decoded(raw=raw, readings=readings)


def _core(
    data: bytes,
    pos: int,
    fields: tuple[Field, ...],
    raw: dict[str, Any],
    faults: dict[str, str],
    readings: list[Reading],
) -> int:
    need = 1 + sum(SIZE[f[1]] for f in fields)
    if len(data) < pos + need:
        raise DecodeError(f"payload {len(data)} bytes, core record needs {pos + need}")
    status = data[pos]
    pos += 1
    for i, field in enumerate(fields):
        code = (status >> (2 * i)) & 0x03
        word = _unsigned(data, pos, field[1])
        pos += SIZE[field[1]]
        if code == 0:
            _valid(field, word, raw, readings)
        elif code == 1:
            if word:
                raise DecodeError(f"{field[0]} not measured but its bytes are {word:#x}")
        elif code == 2:
            _fault(field[0], word, faults, readings)
        else:
            raise DecodeError(f"{field[0]} has the reserved status 3")
    return pos


def _extension(
    data: bytes,
    pos: int,
    seen: set[int],
    raw: dict[str, Any],
    faults: dict[str, str],
    readings: list[Reading],
) -> int:
    tag = data[pos]
    if tag & 0x40:
        raise DecodeError(f"reserved bit 6 set in extension id {tag:#04x} at byte {pos}")
    ext_id, faulted = tag & 0x3F, bool(tag & 0x80)
    if ext_id in seen:
        raise DecodeError(f"extension {ext_id:#04x} repeated")
    seen.add(ext_id)
    if ext_id == AGE_ID:
        if faulted:
            raise DecodeError("the age record cannot be faulted")
        if len(data) < pos + 3:
            raise DecodeError("age record cut short")
        raw["age_min"] = _unsigned(data, pos + 1, "u16")
        return pos + 3
    field = EXTENSIONS.get(ext_id)
    if field is None:
        raise DecodeError(f"unknown extension id {ext_id:#04x} at byte {pos}")
    size = SIZE[field[1]]
    if len(data) < pos + 1 + size:
        raise DecodeError(f"extension {field[0]} cut short at byte {pos}")
    word = _unsigned(data, pos + 1, field[1])
    if faulted:
        _fault(field[0], word, faults, readings)
    else:
        _valid(field, word, raw, readings)
    return pos + 1 + size


def _unsigned(data: bytes, pos: int, kind: str) -> int:
    return data[pos] if kind == "u8" else (data[pos] << 8) | data[pos + 1]


def _valid(field: Field, word: int, raw: dict[str, Any], readings: list[Reading]) -> None:
    metric, kind, mult, low, high = field
    if kind == "i16" and word >= 0x8000:
        word -= 0x10000
    value = word / mult
    if not low <= value <= high:
        raise DecodeError(f"{metric} {value} outside its field range {low}..{high}")
    raw[metric] = value
    readings.append(reading(metric, value))


def _fault(metric: str, word: int, faults: dict[str, str], readings: list[Reading]) -> None:
    reason = FAULTS.get(word)
    if reason is None:
        raise DecodeError(f"{metric} carries the reserved fault code {word}")
    faults[metric] = reason
    readings.append(reading(metric, None, fault=reason))

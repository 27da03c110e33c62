"""Dragino soil, level and climate nodes, as the TTN device repository decodes them.

``.raw`` reproduces ``vendor/dragino/{lse01,lsph01,lsnpk01,ldds75}.js`` (TTN
lorawan-devices @ 0a254aaa) and ``lht65.js`` (@ a60312a8) — including their string
values from ``toFixed`` — while ``.readings`` carry the physically right numbers. Where a
vendor decoder quietly turns a short frame into zeros, these raise ``DecodeError``.

Known vendor bugs kept in ``.raw`` and corrected in ``.readings``:

* LSE01/LSPH01 negative soil temperature is ``(raw - 0xFFFF)``, one count too high
  (0xFF9C gives -0.99 °C instead of -1.00); readings use two's complement.
* LDDS75 accepts only 5-byte frames and then reports the *battery* millivolts as
  ``distance`` and the distance as ``value``; readings use battery and distance as sent.
"""

from __future__ import annotations

from typing import Any

from .base import Decoded, DecodeError, Reading, reading
from .jsvalues import js_json, to_fixed

FPORT = 2
FRAME = 11


def _u16(b: bytes, i: int) -> int:
    return (b[i] << 8) | b[i + 1]


def _s16(b: bytes, i: int) -> int:
    v = _u16(b, i)
    return v - 0x10000 if v & 0x8000 else v


def _frame(fport: int, payload: bytes, model: str) -> None:
    if fport != FPORT:
        raise DecodeError(f"unknown FPort {fport}: {model} reports on fPort {FPORT}")
    if len(payload) != FRAME:
        raise DecodeError(f"payload {len(payload)} bytes, {model} sends {FRAME}")


def _battery(b: bytes) -> float:
    return (_u16(b, 0) & 0x3FFF) / 1000


def _vendor_soil_temp(word: int, divisor: int) -> float:
    """The vendor's negative branch subtracts 0xFFFF (see module docstring)."""
    return (word - 0xFFFF) / divisor if word & 0x8000 else word / divisor


def decode_lse01(fport: int, payload: bytes) -> Decoded:
    """Profile ``dragino-lse01``: battery, DS18B20, moisture, soil temperature, EC."""
    _frame(fport, payload, "LSE01")
    b = payload
    soil_word = _u16(b, 6)
    raw = {
        "Bat": _battery(b),
        "TempC_DS18B20": to_fixed(_s16(b, 2) / 10, 1),
        "water_SOIL": to_fixed(_u16(b, 4) / 100, 2),
        "temp_SOIL": to_fixed(_vendor_soil_temp(soil_word, 100), 2),
        "conduct_SOIL": _u16(b, 8),
    }
    readings = [
        reading("battery_v", raw["Bat"]),
        reading("soil_vwc", _u16(b, 4) / 100),
        reading("soil_temp", _s16(b, 6) / 100),
        reading("soil_ec", float(_u16(b, 8))),
    ]
    return Decoded(js_json(raw), readings)


def decode_lsph01(fport: int, payload: bytes) -> Decoded:
    """Profile ``dragino-lsph01``: soil pH and soil temperature (0.1 °C steps)."""
    _frame(fport, payload, "LSPH01")
    b = payload
    raw = {
        "Bat": _battery(b),
        "TempC_DS18B20": to_fixed(_s16(b, 2) / 10, 2),
        "PH1_SOIL": to_fixed(_u16(b, 4) / 100, 2),
        "TEMP_SOIL": to_fixed(_vendor_soil_temp(_u16(b, 6), 10), 2),
        "Interrupt_flag": b[8],
        "Message_type": b[10],
    }
    ph = _u16(b, 4) / 100
    if ph > 14:
        raise DecodeError(f"soil pH {ph} is outside 0-14")
    readings = [
        reading("battery_v", raw["Bat"]),
        reading("soil_ph", ph),
        reading("soil_temp", _s16(b, 6) / 10),
    ]
    return Decoded(js_json(raw), readings)


def decode_lsnpk01(fport: int, payload: bytes) -> Decoded:
    """Profile ``dragino-lsnpk01``: soil N, P, K in mg/kg."""
    _frame(fport, payload, "LSNPK01")
    b = payload
    raw = {
        "Bat": _battery(b),
        "TempC_DS18B20": to_fixed(_s16(b, 2) / 10, 2),
        "N_SOIL": _u16(b, 4),
        "P_SOIL": _u16(b, 6),
        "K_SOIL": _u16(b, 8),
        "Message_type": b[10] >> 4,
        "Interrupt_flag": b[10] & 0x0F,
    }
    readings = [
        reading("battery_v", raw["Bat"]),
        reading("soil_n", float(raw["N_SOIL"])),
        reading("soil_p", float(raw["P_SOIL"])),
        reading("soil_k", float(raw["K_SOIL"])),
    ]
    return Decoded(js_json(raw), readings)


def decode_ldds75(fport: int, payload: bytes) -> Decoded:
    """Profile ``dragino-ldds75``: ultrasonic distance to the water surface.

    ``water_level`` is the measured distance in cm; the device's calibration (gain -1,
    offset = mounting height) turns it into a level. The stored vendor decoder answers
    "No Sensor" for anything but 5 bytes, although 4-byte frames (no interrupt byte)
    carry battery and distance; those are decoded here from the bytes.
    """
    if fport != FPORT:
        raise DecodeError(f"unknown FPort {fport}: LDDS75 reports on fPort {FPORT}")
    if not 4 <= len(payload) <= 5:
        raise DecodeError(f"payload {len(payload)} bytes, LDDS75 sends 4 or 5")
    b = payload
    battery_mv = _u16(b, 0) & 0x3FFF
    distance_mm = _u16(b, 2)
    raw: dict[str, Any]
    if len(b) == 5:
        # Vendor bug kept: battery millivolts under "distance", distance under "value".
        raw = {"value": distance_mm, "distance": battery_mv}
        if battery_mv < 20:
            raw["distance"] = "Invalid Reading"
    else:
        raw = {"distance": "No Sensor"}
    readings: list[Reading] = [reading("battery_v", battery_mv / 1000)]
    if distance_mm == 0:
        readings.append(reading("water_level", None, fault="no_sensor"))
    elif distance_mm < 20:
        readings.append(reading("water_level", None, fault="invalid_reading"))
    else:
        readings.append(reading("water_level", distance_mm / 10))
    return Decoded(raw, readings)


LHT65_EXT = {
    0: "No external sensor",
    1: "Temperature Sensor",
}


def decode_lht65(fport: int, payload: bytes) -> Decoded:
    """Profile ``dragino-lht65``: SHT air temperature/humidity and an external probe.

    The vendor decoder returns nothing unless the frame is 11 bytes with the poll bit
    clear; both cases are a ``DecodeError`` here.
    """
    if fport != FPORT:
        raise DecodeError(f"unknown FPort {fport}: LHT65 reports on fPort {FPORT}")
    if len(payload) != FRAME:
        raise DecodeError(f"payload {len(payload)} bytes, LHT65 sends {FRAME}")
    b = payload
    ext = b[6] & 0x0F
    if b[6] & 0x40:
        raise DecodeError("poll-message reply: the vendor decoder returns no data for it")
    no_connect = bool(b[6] & 0x80)
    raw: dict[str, Any] = {}
    readings: list[Reading] = []
    if ext == 9:
        raw["TempC_DS"] = float(to_fixed(_s16(b, 0) / 100, 2))
        raw["Bat_status"] = b[4] >> 6
    else:
        raw["BatV"] = _battery(b)
        raw["Bat_status"] = b[0] >> 6
        readings.append(reading("battery_v", raw["BatV"]))
    if ext != 15:
        raw["TempC_SHT"] = float(to_fixed(_s16(b, 2) / 100, 2))
        raw["Hum_SHT"] = float(to_fixed((_u16(b, 4) & 0xFFF) / 10, 1))
        readings.append(reading("air_temp", _s16(b, 2) / 100))
        humidity = (_u16(b, 4) & 0xFFF) / 10
        if humidity > 100:
            readings.append(reading("air_rh", None, fault="out_of_range"))
        else:
            readings.append(reading("air_rh", humidity))
    if no_connect:
        raw["No_connect"] = "Sensor no connection"
    if ext == 0:
        raw["Ext_sensor"] = "No external sensor"
    elif ext == 1:
        raw["Ext_sensor"] = "Temperature Sensor"
        raw["TempC_DS"] = float(to_fixed(_s16(b, 7) / 100, 2))
    elif ext == 4:
        raw["Work_mode"] = "Interrupt Sensor send"
        raw["Exti_pin_level"] = "High" if b[7] else "Low"
        raw["Exti_status"] = "True" if b[8] else "False"
    elif ext == 5:
        raw["Work_mode"] = "Illumination Sensor"
        raw["ILL_lx"] = _u16(b, 7)
    elif ext == 6:
        raw["Work_mode"] = "ADC Sensor"
        raw["ADC_V"] = _u16(b, 7) / 1000
    elif ext == 7:
        raw["Work_mode"] = "Interrupt Sensor count"
        raw["Exit_count"] = _u16(b, 7)
    elif ext == 8:
        raw["Work_mode"] = "Interrupt Sensor count"
        # JavaScript's 32-bit ``|`` makes the count signed.
        raw["Exit_count"] = int.from_bytes(b[7:11], "big", signed=True)
    elif ext == 9:
        raw["Work_mode"] = "DS18B20 & timestamp"
        raw["Systimestamp"] = int.from_bytes(b[7:11], "big", signed=True)
    elif ext == 15:
        raw["Work_mode"] = "DS18B20ID"
        raw["ID"] = "".join(f"{x:02x} " for x in (*b[2:6], *b[7:11]))
    else:
        raise DecodeError(f"reserved external sensor type {ext}")
    if not readings:
        raise DecodeError("DS18B20 ID frame carries no measurement")
    return Decoded(js_json(raw), readings)

"""Tektelic T00059xx agriculture sensor (KIWI / CLOVER), sensor data on fPort 10.

Reproduces the table-driven ``vendor/tektelic/decoder_agriculture_sensor.js`` (TTN
lorawan-devices @ 95cdecbf): two-byte headers each followed by a big-endian value;
the output carries ``raw`` (a bracketed hex string) and ``port`` (a string), the
battery as the ``"Battery Status"`` group and the accelerometer as
``"Accelerometer Data"``. Rounding goes through ``toFixed`` like the vendor's.

Vendor quirks kept in ``.raw``: a signed value equal to exactly 2^(n-1) is not wrapped
(the decoder tests ``>`` instead of ``>=``); the Watermark tension between 1110 and
2820 Hz uses 0.001170 kPa/Hz where the continuous curve needs 0.01170 (at 2820 Hz the
next segment gives 15.0). Tension is not a canonical metric, so no reading depends on it.

Configuration read-back (fPort 100) and downlink acknowledgements (fPort 101) are not
decoded: they carry no measurement. An unknown header or a cut-short value, which the
vendor reports as an ``error`` string inside ``data`` or as garbage, is a
``DecodeError``.
"""

from __future__ import annotations

import math
from typing import Any

from .base import Decoded, DecodeError, Reading, reading
from .jsvalues import js_json, to_fixed

FPORT = 10


def _unsigned(value: int, coefficient: float, round_to: int, addition: float) -> float:
    x = value * coefficient + addition
    return float(to_fixed(x, round_to)) if round_to else x


def _signed(value: int, bits: int, coefficient: float, round_to: int) -> float:
    if value > 2 ** (bits - 1):  # vendor test is ">" (see module docstring)
        value -= 2**bits
    return float(to_fixed(value * coefficient + 0, round_to))


def _battery(v: bytes) -> dict[str, Any]:
    return {
        "Battery Status": {
            "level": _unsigned(v[0] & 0x7F, 0.01, 2, 2.5),
            "eos_alert": v[0] >> 7,
        }
    }


def _u16(name: str):
    return lambda v: {name: _unsigned(int.from_bytes(v, "big"), 1, 0, 0)}


def _accelerometer(v: bytes) -> dict[str, Any]:
    axes = [int.from_bytes(v[i : i + 2], "big") for i in (0, 2, 4)]
    return {
        "Accelerometer Data": {
            name: _signed(axis, 16, 0.001, 3) for name, axis in zip("xyz", axes, strict=True)
        }
    }


def _temperature(name: str):
    return lambda v: {name: _signed(int.from_bytes(v, "big"), 16, 0.1, 1)}


# header -> (value size, field decoder)
HEADERS: dict[tuple[int, int], tuple[int, Any]] = {
    (0x00, 0xBA): (1, _battery),
    (0x01, 0x04): (2, _u16("input1_frequency")),
    (0x02, 0x02): (2, _u16("input2_voltage")),
    (0x03, 0x02): (2, _u16("input3_voltage")),
    (0x04, 0x02): (2, _u16("input4_voltage")),
    (0x05, 0x04): (2, _u16("input5_frequency")),
    (0x06, 0x04): (2, _u16("input6_frequency")),
    (0x09, 0x65): (2, _u16("light_intensity")),
    (0x09, 0x00): (1, lambda v: {"light_alarm": _unsigned(v[0], 1, 0, 0)}),
    (0x0A, 0x71): (6, _accelerometer),
    (0x0A, 0x00): (1, lambda v: {"orientation_alarm": _signed(v[0], 8, 1, 0)}),
    (0x0B, 0x67): (2, _temperature("ambient_temperature")),
    (0x0B, 0x68): (1, lambda v: {"relative_humidity": _unsigned(v[0], 0.5, 1, 0)}),
    (0x0C, 0x67): (2, _temperature("mcu_temperature")),
}


def _watermark_kpa(hz: float) -> float:
    """Watermark tension from probe frequency, segment by segment as the vendor has it."""
    if hz > 6430:
        return 0
    if 4330 <= hz:
        return 9 - (hz - 4330) * 0.004286
    if 2820 <= hz:
        return 15 - (hz - 2820) * 0.003974
    if 1110 <= hz:
        return 35 - (hz - 1110) * 0.001170
    if 770 <= hz:
        return 55 - (hz - 770) * 0.05884
    if 600 <= hz:
        return 75 - (hz - 600) * 0.1176
    if 485 <= hz:
        return 100 - (hz - 485) * 0.2174
    if 293 <= hz:
        return 200 - (hz - 293) * 0.5208
    return 200


def _thermistor_c(millivolts: float) -> float:
    return -31.96 * math.log(millivolts) + 213.25


def decode_agriculture(fport: int, payload: bytes) -> Decoded:
    """Profile ``tektelic-agriculture``."""
    if fport != FPORT:
        raise DecodeError(f"fPort {fport} carries no sensor data (T00059xx uses {FPORT})")
    if not payload:
        raise DecodeError("empty payload")
    fields: dict[str, Any] = {}
    i = 0
    while i < len(payload):
        header = tuple(payload[i : i + 2])
        spec = HEADERS.get(header) if len(header) == 2 else None
        if spec is None:
            shown = " ".join(f"0x{x:02X}" for x in header)
            raise DecodeError(f"unknown header {shown} at byte {i}")
        size, field = spec
        value = payload[i + 2 : i + 2 + size]
        if len(value) != size:
            raise DecodeError(f"header at byte {i} needs {size} value bytes, has {len(value)}")
        fields.update(field(value))
        i += 2 + size
    raw: dict[str, Any] = {"raw": "[" + ", ".join(f"{x:02X}" for x in payload) + "]"}
    raw["port"] = str(fport)
    raw.update(fields)
    for n, volts, freq in (
        (1, "input3_voltage", "input5_frequency"),
        (2, "input4_voltage", "input6_frequency"),
    ):
        if raw.get(volts) and raw.get(freq):
            temperature = _thermistor_c(raw[volts])
            tension = _watermark_kpa(raw[freq])
            raw[f"adj_watermark{n}"] = tension * (1 - 0.019 * (temperature - 24))
            raw[f"temperature{n}"] = temperature
    readings: list[Reading] = []
    if "ambient_temperature" in raw:
        readings.append(reading("air_temp", raw["ambient_temperature"]))
    if "relative_humidity" in raw:
        rh = raw["relative_humidity"]
        readings.append(
            reading("air_rh", rh) if rh <= 100 else reading("air_rh", None, "out_of_range")
        )
    if "Battery Status" in raw:
        readings.append(reading("battery_v", raw["Battery Status"]["level"]))
    return Decoded(js_json(raw), readings)

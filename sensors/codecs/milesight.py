"""Milesight EM500-SMTC, EM500-SWL and EM300-TH: channel-type-value records, little-endian.

``.raw`` follows Milesight's official decoders (Milesight-IoT/SensorDecoders
``em-series/*/*-decoder.js``): same keys, same strings for attributes and sensor errors,
history records as a ``history`` list. Exceptions, each forced by a published example:

* EM500-SWL: the live depth is named ``level`` as in the TTN device-repository decoder
  (``vendor/milesight-iot/em500-swl.js`` @ 0e61ae32) whose example is the reference;
  the official decoder calls the same value ``depth`` (history entries keep ``depth``).

Vendor bug kept in ``.raw``: the EM500-SMTC temperature error check compares a signed
value with 0xFFFF and never fires, so raw 0xFFFF decodes as -0.1 °C and 0xFFFD as
-0.3 °C; ``.readings`` report those as faults.

Unlike the vendor decoders, which stop silently at an unknown record and read missing
bytes as zero, an unknown or cut-short record is a ``DecodeError``. Configuration
read-back records (channel 0xFE/0xFF other than the device attributes) are not decoded.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .base import Decoded, DecodeError, Reading, reading
from .jsvalues import js_json

SENSOR_STATUS = {0xFFFF: "collection failed", 0xFFFD: "out of range"}
FAULT_NAME = {0xFFFF: "collection_failed", 0xFFFD: "out_of_range"}
LORAWAN_CLASS = {0: "Class A", 1: "Class B", 2: "Class C", 3: "Class CtoB"}
TEMPERATURE_ALARM = {0: "threshold alarm release", 1: "threshold alarm", 2: "mutation alarm"}


def _u16(b: bytes, i: int) -> int:
    return b[i] | (b[i + 1] << 8)


def _s16(b: bytes, i: int) -> int:
    v = _u16(b, i)
    return v - 0x10000 if v > 0x7FFF else v


def _u32(b: bytes, i: int) -> int:
    return int.from_bytes(b[i : i + 4], "little")


class _Frame:
    """Decoding state of one uplink: raw output and canonical readings so far."""

    def __init__(self) -> None:
        self.raw: dict[str, Any] = {}
        self.readings: dict[str, Reading] = {}

    def put(self, metric: str, value: float | None, fault: str | None = None) -> None:
        # A later record for the same metric replaces the earlier one, as in ``.raw``.
        self.readings[metric] = reading(metric, value, fault)

    def history(self, entry: dict[str, Any]) -> None:
        self.raw.setdefault("history", []).append(entry)


Handler = Callable[[_Frame, bytes], None]


def _attributes() -> dict[tuple[int, int], tuple[int, Handler]]:
    def ipso(f: _Frame, v: bytes) -> None:
        f.raw["ipso_version"] = f"v{(v[0] & 0xF0) >> 4}.{v[0] & 0x0F}"

    def hardware(f: _Frame, v: bytes) -> None:
        f.raw["hardware_version"] = f"v{v[0]:x}.{v[1] >> 4}"

    def firmware(f: _Frame, v: bytes) -> None:
        f.raw["firmware_version"] = f"v{v[0]:x}.{v[1]:x}"

    def tsl(f: _Frame, v: bytes) -> None:
        f.raw["tsl_version"] = f"v{v[0]}.{v[1]}"

    def serial(f: _Frame, v: bytes) -> None:
        f.raw["sn"] = v.hex()

    def lorawan_class(f: _Frame, v: bytes) -> None:
        f.raw["lorawan_class"] = LORAWAN_CLASS.get(v[0], "unknown")

    def reset(f: _Frame, v: bytes) -> None:
        f.raw["reset_event"] = "reset"

    def status(f: _Frame, v: bytes) -> None:
        f.raw["device_status"] = "on"

    return {
        (0xFF, 0x01): (1, ipso),
        (0xFF, 0x09): (2, hardware),
        (0xFF, 0x0A): (2, firmware),
        (0xFF, 0xFF): (2, tsl),
        (0xFF, 0x16): (8, serial),
        (0xFF, 0x0F): (1, lorawan_class),
        (0xFF, 0xFE): (1, reset),
        (0xFF, 0x0B): (1, status),
    }


ATTRIBUTES = _attributes()


def _battery(f: _Frame, v: bytes) -> None:
    f.raw["battery"] = v[0]
    if v[0] <= 100:
        f.put("battery_pct", float(v[0]))
    else:
        f.put("battery_pct", None, "out_of_range")


def _checked(f: _Frame, target: dict[str, Any], key: str, word: int, value: Any) -> bool:
    """Official sensor-error handling: 0xFFFF/0xFFFD become ``<key>_error`` strings."""
    if word in SENSOR_STATUS:
        target[f"{key}_error"] = SENSOR_STATUS[word]
        return False
    target[key] = value
    return True


# --- EM500-SMTC ----------------------------------------------------------------------------


def _smtc_temperature(f: _Frame, v: bytes) -> None:
    f.raw["temperature"] = _s16(v, 0) / 10  # vendor bug: the error check never fires
    word = _u16(v, 0)
    if word in FAULT_NAME:
        f.put("soil_temp", None, FAULT_NAME[word])
    else:
        f.put("soil_temp", _s16(v, 0) / 10)


def _smtc_moisture_old(f: _Frame, v: bytes) -> None:
    f.raw["moisture"] = v[0] / 2
    f.put("soil_vwc", v[0] / 2)


def _smtc_moisture(f: _Frame, v: bytes) -> None:
    word = _u16(v, 0)
    if _checked(f, f.raw, "moisture", word, word / 100):
        f.put("soil_vwc", word / 100)
    else:
        f.put("soil_vwc", None, FAULT_NAME[word])


def _smtc_ec(f: _Frame, v: bytes) -> None:
    word = _u16(v, 0)
    if _checked(f, f.raw, "electricity", word, word):
        f.put("soil_ec", float(word))
    else:
        f.put("soil_ec", None, FAULT_NAME[word])


def _smtc_mutation(f: _Frame, v: bytes) -> None:
    f.raw["temperature"] = _s16(v, 0) / 10
    f.raw["temperature_mutation"] = _s16(v, 2) / 10
    f.raw["temperature_alarm"] = TEMPERATURE_ALARM.get(v[4], "unknown")
    f.put("soil_temp", _s16(v, 0) / 10)


def _smtc_history(f: _Frame, v: bytes) -> None:
    entry: dict[str, Any] = {"timestamp": _u32(v, 0)}
    _checked(f, entry, "electricity", _u16(v, 4), _u16(v, 4))
    _checked(f, entry, "temperature", _u16(v, 6), _s16(v, 6) / 10)
    _checked(f, entry, "moisture", _u16(v, 8), _u16(v, 8) / 100)
    f.history(entry)


EM500_SMTC: dict[tuple[int, int], tuple[int, Handler]] = {
    **ATTRIBUTES,
    (0x01, 0x75): (1, _battery),
    (0x03, 0x67): (2, _smtc_temperature),
    (0x04, 0x68): (1, _smtc_moisture_old),
    (0x04, 0xCA): (2, _smtc_moisture),
    (0x05, 0x7F): (2, _smtc_ec),
    (0x83, 0xD7): (5, _smtc_mutation),
    (0x20, 0xCE): (10, _smtc_history),
}

# --- EM500-SWL -----------------------------------------------------------------------------


def _swl_depth(f: _Frame, v: bytes) -> None:
    word = _u16(v, 0)
    if word in SENSOR_STATUS:
        f.raw["depth_error"] = SENSOR_STATUS[word]
        f.put("water_level", None, FAULT_NAME[word])
    else:
        f.raw["level"] = word
        f.put("water_level", float(word))


def _swl_history(f: _Frame, v: bytes) -> None:
    entry: dict[str, Any] = {"timestamp": _u32(v, 0)}
    _checked(f, entry, "depth", _u16(v, 4), _u16(v, 4))
    f.history(entry)


EM500_SWL: dict[tuple[int, int], tuple[int, Handler]] = {
    **ATTRIBUTES,
    (0x01, 0x75): (1, _battery),
    (0x03, 0x77): (2, _swl_depth),
    (0x20, 0xCE): (6, _swl_history),
}

# --- EM300-TH ------------------------------------------------------------------------------


def _th_temperature(f: _Frame, v: bytes) -> None:
    f.raw["temperature"] = _s16(v, 0) / 10
    f.put("air_temp", _s16(v, 0) / 10)


def _th_humidity(f: _Frame, v: bytes) -> None:
    f.raw["humidity"] = v[0] / 2
    if v[0] > 200:
        f.put("air_rh", None, "out_of_range")
    else:
        f.put("air_rh", v[0] / 2)


def _th_history(f: _Frame, v: bytes) -> None:
    # This decoder's readUInt32LE omits ``>>> 0``: JavaScript leaves the time signed.
    f.history(
        {
            "timestamp": int.from_bytes(v[0:4], "little", signed=True),
            "temperature": _s16(v, 4) / 10,
            "humidity": v[6] / 2,
        }
    )


EM300_TH: dict[tuple[int, int], tuple[int, Handler]] = {
    **ATTRIBUTES,
    (0x01, 0x75): (1, _battery),
    (0x03, 0x67): (2, _th_temperature),
    (0x04, 0x68): (1, _th_humidity),
    (0x20, 0xCE): (8, _th_history),
}


def _decode(payload: bytes, records: dict[tuple[int, int], tuple[int, Handler]], model: str):
    if not payload:
        raise DecodeError("empty payload")
    frame = _Frame()
    i = 0
    while i < len(payload):
        if i + 2 > len(payload):
            raise DecodeError(f"dangling byte at {i}: a record needs channel and type")
        key = (payload[i], payload[i + 1])
        spec = records.get(key)
        if spec is None:
            raise DecodeError(f"{model}: unknown record {key[0]:02X} {key[1]:02X} at byte {i}")
        size, handler = spec
        value = payload[i + 2 : i + 2 + size]
        if len(value) != size:
            raise DecodeError(
                f"{model}: record {key[0]:02X} {key[1]:02X} needs {size} bytes, has {len(value)}"
            )
        handler(frame, value)
        i += 2 + size
    return Decoded(js_json(frame.raw), list(frame.readings.values()))


def decode_em500_smtc(fport: int, payload: bytes) -> Decoded:
    """Profile ``milesight-em500-smtc`` (fPort is not part of the format)."""
    return _decode(payload, EM500_SMTC, "EM500-SMTC")


def decode_em500_swl(fport: int, payload: bytes) -> Decoded:
    """Profile ``milesight-em500-swl``: depth in cm is the canonical ``water_level``."""
    return _decode(payload, EM500_SWL, "EM500-SWL")


def decode_em300_th(fport: int, payload: bytes) -> Decoded:
    """Profile ``milesight-em300-th``."""
    return _decode(payload, EM300_TH, "EM300-TH")

"""Seeed SenseCAP S210x (S2105 soil moisture/temperature/EC and its siblings).

Reproduces ``vendor/sensecap/sensecap210x-common-decoder.js`` (TTN lorawan-devices
@ 0a254aaa), the same logic as Seeed's ``S210X/TTN/SenseCAP_S210X_TTN_Decoder.js``:
7-byte frames (channel, data id uint16 LE, value 4 bytes LE) and a 2-byte CRC. Ids above
4096 are measurements, signed int32 / 1000. A length that is not 7n + 2, which the vendor
reports as ``valid: false, err: -2``, is a ``DecodeError`` here.

The vendor decoder never checks the CRC (its ``crc16Check`` returns true). Every
published frame carries CRC-16/KERMIT (CCITT polynomial 0x1021, reflected, initial value
0) of the frames, little-endian, so a mismatch is refused here as a corrupted payload.

Measurement ids (Seeed measurement list): 4097 air temperature, 4098 air humidity,
4102 soil temperature, 4103 soil moisture, 4106 pH, 4108 EC in dS/m, 4109 dissolved
oxygen in mg/L.
"""

from __future__ import annotations

from typing import Any

from .base import Decoded, DecodeError, Reading, reading
from .jsvalues import js_json

# measurement id -> (canonical metric, factor to the canonical unit)
MEASUREMENTS: dict[int, tuple[str, float]] = {
    4097: ("air_temp", 1),
    4098: ("air_rh", 1),
    4102: ("soil_temp", 1),
    4103: ("soil_vwc", 1),
    4106: ("ph", 1),
    4108: ("soil_ec", 1000),  # dS/m -> µS/cm
    4109: ("do", 1),
}
SILENT_IDS = {1, 4, 5, 6}  # sensor version, and ids the vendor decoder drops without a word


def crc16_kermit(data: bytes) -> int:
    """CRC-16/KERMIT, bit-reflected form: polynomial 0x8408, initial value 0."""
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x8408 if crc & 1 else crc >> 1
    return crc


def decode_s210x(fport: int, payload: bytes) -> Decoded:
    """Profile ``sensecap-s210x`` (fPort is not part of the format)."""
    if len(payload) < 9 or (len(payload) - 2) % 7:
        raise DecodeError(f"payload {len(payload)} bytes: S210x sends 7-byte frames + CRC")
    sent, computed = int.from_bytes(payload[-2:], "little"), crc16_kermit(payload[:-2])
    if sent != computed:
        raise DecodeError(f"CRC mismatch: frame says 0x{sent:04X}, bytes give 0x{computed:04X}")
    messages: list[dict[str, Any]] = []
    readings: dict[str, Reading] = {}
    eui_low = eui_high = None
    for pos in range(0, len(payload) - 2, 7):
        frame = payload[pos : pos + 7]
        data_id = int.from_bytes(frame[1:3], "little")
        value = frame[3:7]
        if data_id > 4096:
            counts = int.from_bytes(value, "little", signed=True)
            measured = counts / 1000
            messages.append(
                {"type": "report_telemetry", "measurementId": data_id, "measurementValue": measured}
            )
            if data_id in MEASUREMENTS:
                metric, factor = MEASUREMENTS[data_id]
                readings[metric] = reading(metric, counts * factor / 1000)
        elif data_id == 0:
            messages.append(
                {
                    "type": "upload_version",
                    "hardwareVersion": f"{value[3]}.{value[2]}",
                    "softwareVersion": f"{value[1]}.{value[0]}",
                }
            )
        elif data_id == 2:
            eui_low = value[::-1].hex().upper()
        elif data_id == 3:
            eui_high = value[::-1].hex().upper()
        elif data_id == 7:
            battery = int.from_bytes(value[0:2], "little")
            interval_min = int.from_bytes(value[2:4], "little")
            messages.append({"type": "upload_battery", "battery": battery})
            messages.append({"type": "upload_interval", "interval": interval_min * 60})
            if battery <= 100:
                readings["battery_pct"] = reading("battery_pct", float(battery))
            else:
                readings["battery_pct"] = reading("battery_pct", None, fault="out_of_range")
        elif data_id == 0x120:
            # The vendor reports channel 1 whatever the frame's channel byte says.
            messages.append({"type": "report_remove_sensor", "channel": 1})
        elif data_id not in SILENT_IDS:
            messages.append(
                {"type": "unknown_message", "dataID": data_id, "dataValue": value.hex().upper()}
            )
    if eui_high and eui_low:
        messages.insert(
            0, {"type": "upload_sensor_id", "channel": 1, "sensorId": eui_high + eui_low}
        )
    raw = {"valid": True, "err": 0, "payload": payload.hex().upper(), "messages": messages}
    return Decoded(js_json(raw), list(readings.values()))

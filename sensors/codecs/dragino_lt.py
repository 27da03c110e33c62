"""Dragino LT-22222-L (and LT-33222-L) LoRa I/O controller: relays, digital I/O, current inputs.

``.raw`` reproduces the vendor decoder ``vendor/dragino/lt22222-l.js`` of the TTN device
repository (TheThingsNetwork/lorawan-devices @ cec84e85, same code @ 0a254aaa) key for
key and value for value, including its quirks:

* byte 10 carries the hardware (bits 7..6: 0 = LT33222, 1 = LT22222) and the work mode
  (bits 5..0); the DO bits are inverted ("L" when set), the relay bits are not;
* the 32-bit counters are JavaScript bitwise values, so signed;
* mode 5's name starts with a space (" 1ACI+2AVI+1Count");
* mode 6 (trigger/"exit" mode) reports flags instead of relay and DO states.

Where the vendor decoder returns nothing (an uplink that is not 11 bytes) or an error
("unknown FPort", which is also what it answers for the fPort 5 device-status frame),
``decode_lt22222l`` raises ``DecodeError``.

``.readings`` carry the relay states as ``relay1``/``relay2`` (1 = contact closed, the load
runs) and the 4–20 mA current inputs as ``aci1_ma``/``aci2_ma`` — for an aerator, a current
transducer on the motor feed; ``aeration`` turns mA into amps with the transducer's range.

Downlink (vendor manual, "Control Relay Output RO1/RO2", prefix 0x03): ``03 aa bb``, one
byte per relay: ``01`` close, ``00`` open, ``11`` leave as is; "the device will upload a
packet if the downlink code executes successfully", which is what confirms a command.
The wiki's prose line "00: Close, 01: Open" contradicts its own table and example
(``03 01 00`` closes RO1 and opens RO2) and the older manuals; the table is followed here.
The device accepts the command on any FPort.
"""

from __future__ import annotations

from typing import Any

from .base import Decoded, DecodeError, reading
from .jsvalues import js_json, to_fixed

UPLINK_FPORT = 2
FRAME = 11
DOWNLINK_FPORT = 1
RELAY_PREFIX = 0x03
RELAY_CLOSE, RELAY_OPEN, RELAY_KEEP = 0x01, 0x00, 0x11

_MODE_NAMES = {
    1: "2ACI+2AVI",
    2: "Count mode 1",
    3: "2ACI+1Count",
    4: "Count mode 2",
    5: " 1ACI+2AVI+1Count",
    6: "Exit mode",
}


def _s32(b: bytes, i: int) -> int:
    """``b[i]<<24 | b[i+1]<<16 | b[i+2]<<8 | b[i+3]`` as JavaScript evaluates it (int32)."""
    v = (b[i] << 24) | (b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3]
    return v - (1 << 32) if v & 0x80000000 else v


def _s16(b: bytes, i: int) -> int:
    """``b[i]<<24>>16 | b[i+1]``: the high byte sign-extended, then the low byte."""
    v = (b[i] << 8) | b[i + 1]
    return v - 0x10000 if v & 0x8000 else v


def _milli(b: bytes, i: int) -> float:
    """``parseFloat((x / 1000).toFixed(3))``."""
    return float(to_fixed(_s16(b, i) / 1000, 3))


def _flag(bit: int) -> str:
    return "True" if bit else "False"


def decode_lt22222l(fport: int, payload: bytes) -> Decoded:
    """Profile ``dragino-lt22222l``: relay, DI/DO and analogue input states."""
    if fport != UPLINK_FPORT:
        raise DecodeError(f"unknown FPort {fport}: LT-22222-L reports on fPort 2")
    if len(payload) != FRAME:
        raise DecodeError(f"payload {len(payload)} bytes, LT-22222-L sends {FRAME}")
    b = payload
    hardware = (b[10] & 0xC0) >> 6
    mode0 = b[10]
    mode = b[10] & 0x3F
    io = b[8]
    raw: dict[str, Any] = {}
    if hardware == 0:
        raw["Hardware_mode"] = "LT33222"
        raw["DO3_status"] = "L" if io & 0x04 else "H"
        if mode0 == 1:
            raw["DI3_status"] = "H" if io & 0x20 else "L"
    elif hardware == 1:
        raw["Hardware_mode"] = "LT22222"
    if mode != 6:
        raw["DO1_status"] = "L" if io & 0x01 else "H"
        raw["DO2_status"] = "L" if io & 0x02 else "H"
        raw["RO1_status"] = "ON" if io & 0x80 else "OFF"
        raw["RO2_status"] = "ON" if io & 0x40 else "OFF"
        if mode != 1:
            if mode != 5:
                raw["Count1_times"] = _s32(b, 0)
            raw["First_status"] = "Yes" if io & 0x20 else "No"
    if mode in _MODE_NAMES:
        raw["Work_mode"] = _MODE_NAMES[mode]
    if mode == 1:
        raw["AVI1_V"] = _milli(b, 0)
        raw["AVI2_V"] = _milli(b, 2)
        raw["ACI1_mA"] = _milli(b, 4)
        raw["ACI2_mA"] = _milli(b, 6)
        raw["DI1_status"] = "H" if io & 0x08 else "L"
        raw["DI2_status"] = "H" if io & 0x10 else "L"
    elif mode == 2:
        raw["Count2_times"] = _s32(b, 4)
    elif mode == 3:
        raw["ACI1_mA"] = _milli(b, 4)
        raw["ACI2_mA"] = _milli(b, 6)
    elif mode == 4:
        raw["Acount_times"] = _s32(b, 4)
    elif mode == 5:
        raw["AVI1_V"] = _milli(b, 0)
        raw["AVI2_V"] = _milli(b, 2)
        raw["ACI1_mA"] = _milli(b, 4)
        raw["Count1_times"] = (b[6] << 8) | b[7]
    elif mode == 6:
        raw["Mode_status"] = _flag(b[9])
        names = ("AV1L", "AV1H", "AV2L", "AV2H", "AC1L", "AC1H", "AC2L", "AC2H")
        for i, name in enumerate(names):
            raw[f"{name}_flag"] = _flag(b[0] & (0x80 >> i))
        for i, name in enumerate(names):
            raw[f"{name}_status"] = _flag(b[1] & (0x80 >> i))
        raw["DI2_status"] = _flag(b[2] & 0x08)
        raw["DI2_flag"] = _flag(b[2] & 0x04)
        raw["DI1_status"] = _flag(b[2] & 0x02)
        raw["DI1_flag"] = _flag(b[2] & 0x01)

    readings = []
    if mode != 6:
        readings.append(reading("relay1", 1.0 if io & 0x80 else 0.0))
        readings.append(reading("relay2", 1.0 if io & 0x40 else 0.0))
    for n in (1, 2):
        value = raw.get(f"ACI{n}_mA")
        if value is not None:
            readings.append(reading(f"aci{n}_ma", float(value)))
    return Decoded(js_json(raw), readings)


def relay_command(channel: int, on: bool) -> bytes:
    """The downlink that switches one relay (1 = RO1, 2 = RO2) and leaves the other alone."""
    if channel not in (1, 2):
        raise ValueError(f"the LT-22222-L has relays 1 and 2, not {channel!r}")
    state = RELAY_CLOSE if on else RELAY_OPEN
    pair = (state, RELAY_KEEP) if channel == 1 else (RELAY_KEEP, state)
    return bytes((RELAY_PREFIX, *pair))

"""Decoder of the project's relay-controller frame (firmware/lora_nodes/RELAY.md).

An independent reading of the spec, not an import of the firmware encoder, so the shared
vectors (``firmware/lora_nodes/relay_vectors.json``) check both sides. Every malformed
frame raises ``DecodeError`` with the reason.
"""

from __future__ import annotations

from .base import Decoded, DecodeError, reading

UPLINK_FPORT = 3
DOWNLINK_FPORT = 20
HEADER = 0x12  # version 1 (bits 7..4), kind 2 = relay controller (bits 3..0)
FRAME = 6
NOT_MEASURED = 0xFFFF
REPLY = 0x10  # status bit: this uplink answers a relay command
_RESERVED = 0xEC  # status bits that must be zero


def decode_relay(fport: int, payload: bytes) -> Decoded:
    """Profile ``native-relay``: relay states and the motor current per channel."""
    if fport != UPLINK_FPORT:
        raise DecodeError(f"unknown FPort {fport}: native-relay reports on fPort 3")
    if len(payload) != FRAME:
        raise DecodeError(f"payload {len(payload)} bytes, native-relay sends {FRAME}")
    if payload[0] != HEADER:
        raise DecodeError(f"header 0x{payload[0]:02x} is not a version 1 relay frame (0x12)")
    status = payload[1]
    if status & _RESERVED:
        raise DecodeError(f"status 0x{status:02x} sets reserved bits")
    raw: dict = {"relay1": status & 1, "relay2": (status >> 1) & 1, "reply": bool(status & REPLY)}
    readings = [reading("relay1", float(status & 1)), reading("relay2", float((status >> 1) & 1))]
    for n, i in ((1, 2), (2, 4)):
        word = (payload[i] << 8) | payload[i + 1]
        if word == NOT_MEASURED:
            raw[f"current_a{n}"] = None
            continue
        amps = word / 100
        raw[f"current_a{n}"] = amps
        readings.append(reading(f"current_a{n}", amps))
    return Decoded(raw, readings)


def relay_command(channel: int, on: bool) -> bytes:
    """Downlink on fPort 20: a channel mask, then the wanted state of the masked channels."""
    if channel not in (1, 2):
        raise ValueError(f"the relay controller has channels 1 and 2, not {channel!r}")
    mask = 1 << (channel - 1)
    return bytes((mask, mask if on else 0))

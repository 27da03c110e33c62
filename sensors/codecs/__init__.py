"""The codec registry: one ``decode(profile, fport, payload)`` for every device profile.

A profile id names a decoder (``native-soil``, ``cayenne-lpp``, ``dragino-lse01`` ...);
the vendor profile ids are those of ``vendor_devices.md``. Vendor modules are plain
functions registered here, so adding a device is one table row and one function.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from .base import Codec, Decoded, DecodeError, Reading, reading

__all__ = [
    "Decoded",
    "DecodeError",
    "Reading",
    "decode",
    "describe",
    "profiles",
    "reading",
]


@dataclass(frozen=True, slots=True)
class Profile:
    id: str
    description: str
    module: str
    function: str


# id, description, module (relative to this package), function
_TABLE: tuple[tuple[str, str, str, str], ...] = (
    ("native-soil", "Project compact codec v1, soil node", "native", "decode_soil"),
    ("native-water", "Project compact codec v1, water node", "native", "decode_water"),
    ("native-relay", "Project relay controller v1", "native_relay", "decode_relay"),
    ("cayenne-lpp", "Cayenne LPP (ChirpStack v4 object shape)", "cayenne", "decode"),
    ("dragino-lse01", "Dragino LSE01 soil moisture, temperature, EC", "dragino", "decode_lse01"),
    ("dragino-lsnpk01", "Dragino LSNPK01 soil N, P, K", "dragino", "decode_lsnpk01"),
    ("dragino-lsph01", "Dragino LSPH01 soil pH and temperature", "dragino", "decode_lsph01"),
    ("dragino-ldds75", "Dragino LDDS75 ultrasonic distance", "dragino", "decode_ldds75"),
    ("dragino-lht65", "Dragino LHT65 air temperature, humidity, probe", "dragino", "decode_lht65"),
    ("dragino-lt22222l", "Dragino LT-22222-L relay I/O", "dragino_lt", "decode_lt22222l"),
    (
        "milesight-em500-smtc",
        "Milesight EM500-SMTC soil moisture, temperature, EC",
        "milesight",
        "decode_em500_smtc",
    ),
    (
        "milesight-em500-swl",
        "Milesight EM500-SWL submersible water level",
        "milesight",
        "decode_em500_swl",
    ),
    (
        "milesight-em300-th",
        "Milesight EM300-TH air temperature, humidity",
        "milesight",
        "decode_em300_th",
    ),
    ("sensecap-s210x", "Seeed SenseCAP S210x (S2105 soil) frames", "sensecap", "decode_s210x"),
    (
        "decentlab-dl-smtp",
        "Decentlab DL-SMTP soil moisture/temperature profile",
        "decentlab",
        "decode_smtp",
    ),
    (
        "decentlab-dl-optod",
        "Decentlab DL-OPTOD dissolved oxygen, temperature",
        "decentlab",
        "decode_optod",
    ),
    ("decentlab-dl-pheht", "Decentlab DL-PHEHT pH, ORP, temperature", "decentlab", "decode_pheht"),
    (
        "decentlab-dl-ctd10",
        "Decentlab DL-CTD10 water depth, temperature, EC",
        "decentlab",
        "decode_ctd10",
    ),
    (
        "decentlab-dl-pr26",
        "Decentlab DL-PR26 (0-1 bar) pressure / level",
        "decentlab",
        "decode_pr26",
    ),
    (
        "tektelic-agriculture",
        "Tektelic T00059xx agriculture sensor (KIWI/CLOVER)",
        "tektelic",
        "decode_agriculture",
    ),
)

# The native codec module is optional: the registry keeps working while it is absent.
_OPTIONAL_MODULES = frozenset({"native"})

# The native codec's spec defines its own fault frames; every other profile follows the
# vendor policy: a frame whose every reading is a sensor fault carries nothing to store.
_OWN_FAULT_POLICY = frozenset({"native-soil", "native-water"})

_PROFILES: dict[str, Profile] = {row[0]: Profile(*row) for row in _TABLE}
_resolved: dict[str, Codec] = {}


def _codec(profile: Profile) -> Codec | None:
    codec = _resolved.get(profile.id)
    if codec is None:
        try:
            module = importlib.import_module(f"{__name__}.{profile.module}")
        except ImportError as exc:
            missing = getattr(exc, "name", None) == f"{__name__}.{profile.module}"
            if profile.module in _OPTIONAL_MODULES and missing:
                return None
            raise
        codec = getattr(module, profile.function)
        _resolved[profile.id] = codec
    return codec


def profiles() -> list[str]:
    """Profile ids that can be decoded here, in table order."""
    return [p.id for p in _PROFILES.values() if _codec(p) is not None]


def describe() -> dict[str, str]:
    """Profile id -> one-line description, for the CLI and the admin."""
    return {p.id: p.description for p in _PROFILES.values() if _codec(p) is not None}


def decode(profile: str, fport: int, payload: bytes) -> Decoded:
    """Decode one uplink; a payload that does not fit its profile raises ``DecodeError``."""
    entry = _PROFILES.get(profile)
    codec = _codec(entry) if entry is not None else None
    if codec is None:
        raise DecodeError(f"unknown profile {profile!r}")
    if not isinstance(fport, int) or isinstance(fport, bool) or not 0 <= fport <= 255:
        raise DecodeError(f"fport must be an integer 0-255, got {fport!r}")
    if not isinstance(payload, bytes | bytearray | memoryview):
        raise DecodeError(f"payload must be bytes, got {type(payload).__name__}")
    decoded = codec(fport, bytes(payload))
    if profile not in _OWN_FAULT_POLICY and decoded.readings:
        if all(r.fault for r in decoded.readings):
            faults = ", ".join(f"{r.metric}: {r.fault}" for r in decoded.readings)
            raise DecodeError(f"no valid reading left, the node reports faults ({faults})")
    return decoded

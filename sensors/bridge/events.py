"""Network-server MQTT events, parsed with the field names the real servers emit.

ChirpStack v4 (``application/<app>/device/<devEui>/event/<up|join|status>``):
Protobuf JSON mapping in camelCase; defaults may be omitted (4.0 left out
``fCnt`` 0), ``data`` is base64, ``time`` is RFC 3339 with nanoseconds.
The Things Stack v3 (``v3/<app>[@<tenant>]/devices/<device id>/<up|join>``):
snake_case; zero values are omitted (``f_cnt`` 0 is absent), ``dev_eui`` is
upper-case hex. Sources: chirpstack-docs ``integrations/events.md``,
lorawan-stack-docs ``integrations/data-formats``.

Every field is treated as hostile: counters and ports must fit their LoRaWAN
widths (fCnt 32 bits, FPort 8 bits) or the message is refused; radio metadata
(RSSI, SNR, battery) that is not a finite number in its physical range is
dropped with the reason kept in ``Uplink.rejected``; gateway ids that are not
EUI-64s are counted and ignored. Protobuf's JSON mapping lets floats arrive as
the strings ``"NaN"`` and ``"Infinity"``; they parse, and are dropped here.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime

try:  # orjson is optional: 3-4x faster on the hot path when installed
    from orjson import loads as json_loads
except ImportError:  # pragma: no cover
    from json import loads as json_loads

UP, JOIN, STATUS = "up", "join", "status"
CHIRPSTACK, TTS = "chirpstack", "tts"


class EventError(ValueError):
    """A message that is not a well-formed network-server event; the message says why."""


@dataclass(slots=True)
class Uplink:
    """One event; for ``join``/``status`` the payload fields stay empty."""

    server: str
    kind: str
    dev_eui: str
    time_ns: int
    f_cnt: int = 0
    f_port: int = 0
    payload: bytes = b""
    rssi: float | None = None
    snr: float | None = None
    gateways: tuple[str, ...] = ()
    session: str = ""  # TTS session_key_id: changes when the device re-joins
    battery_pct: float | None = None
    ns_time: object = None  # the network server's receive time as sent, parsed only if needed
    clock_skew_ns: int = 0  # event time minus the time stored, when the event time was refused
    rejected: str = ""  # "rssi:not_finite,snr:out_of_range": metadata dropped, and why
    junk_gateways: int = 0  # gateway ids that are not EUI-64s


# Physical ranges of the radio metadata: LoRa receivers report RSSI down to about
# -150 dBm and a few dBm above 0 next to a gateway; SNR spans roughly -25..+15 dB.
# The battery level is a percentage. Anything outside is a broken or forged field.
RADIO_RANGES: dict[str, tuple[float, float]] = {
    "rssi": (-200.0, 20.0),
    "snr": (-40.0, 40.0),
    "battery_pct": (0.0, 100.0),
}
F_CNT_LIMIT = 1 << 32  # LoRaWAN frame counters are 32 bits
F_PORT_LIMIT = 256
MIN_TIME_NS = int(datetime(2000, 1, 1, tzinfo=UTC).timestamp()) * 1_000_000_000
_SESSION = re.compile(r"[A-Za-z0-9+/=_\-]{0,64}")
_GATEWAY_EUI = re.compile(r"[0-9a-f]{16}")


_EPOCH_CACHE: dict[str, int] = {}
_RFC3339 = re.compile(r"(\d{4}-\d\d-\d\d)[Tt ](\d\d:\d\d:\d\d)(?:\.(\d+))?([Zz]|[+-]\d\d:\d\d)")


def rfc3339_ns(text: str) -> int:
    """Nanoseconds since the epoch from an RFC 3339 time with up to 9 fractional digits.

    ``datetime`` keeps microseconds only; ChirpStack and TTS send nanoseconds, and
    the point timestamp must be exactly reproducible from the message so that a
    replayed or redelivered uplink overwrites itself instead of adding a point.
    """
    m = _RFC3339.fullmatch(text)
    if m is None:
        raise EventError(f"not an RFC 3339 time: {text[:40]!r}")
    day, clock, frac, zone = m.groups()
    key = day + clock + zone
    seconds = _EPOCH_CACHE.get(key)
    if seconds is None:
        tz = "+00:00" if zone in ("Z", "z") else zone
        try:
            seconds = int(datetime.fromisoformat(f"{day}T{clock}{tz}").timestamp())
        except (ValueError, OverflowError):  # year 0, or an offset that leaves year 9999
            raise EventError(f"not an RFC 3339 time: {text[:40]!r}") from None
        if len(_EPOCH_CACHE) > 10_000:
            _EPOCH_CACHE.clear()
        _EPOCH_CACHE[key] = seconds
    return seconds * 1_000_000_000 + (int(frac[:9].ljust(9, "0")) if frac else 0)


def _b64(text: str | None) -> bytes:
    if not text:
        return b""
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise EventError("payload is not valid base64") from None


def _hex_eui(value: object) -> str:
    if not isinstance(value, str) or len(value) != 16:
        raise EventError(f"DevEUI {value!r} is not 16 hex digits")
    value = value.lower()
    try:
        int(value, 16)
    except ValueError:
        raise EventError(f"DevEUI {value!r} is not 16 hex digits") from None
    return value


def _counter(value: object, name: str, limit: int) -> int:
    """A LoRaWAN counter or port: a whole number (or its decimal string) below ``limit``."""
    if type(value) is not int:
        if isinstance(value, str) and value.isdigit() and len(value) <= 10:
            value = int(value)
        else:
            raise EventError(f"{name} {str(value)[:20]!r} is not a whole number")
    if not 0 <= value < limit:
        raise EventError(f"{name} {str(value)[:24]} is outside 0..{limit - 1}")
    return value


def _measure(value: object, name: str, rejected: list[str]) -> float | None:
    """A finite radio measurement within its range, or None with the reason noted."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        rejected.append(f"{name}:not_a_number")
        return None
    try:
        number = float(value)
    except (ValueError, OverflowError):  # "abc", or an integer beyond a float (10**400)
        rejected.append(f"{name}:not_a_number")
        return None
    if not math.isfinite(number):
        rejected.append(f"{name}:not_finite")
        return None
    low, high = RADIO_RANGES[name]
    if not low <= number <= high:
        rejected.append(f"{name}:out_of_range")
        return None
    return number


def _session(value: object) -> str:
    """The TTS session key id, kept short and plain (it becomes part of dedup keys)."""
    if not value:
        return ""
    if not isinstance(value, str):
        raise EventError("session_key_id is not a string")
    if _SESSION.fullmatch(value):
        return value
    return hashlib.sha256(value.encode("utf-8", "replace")).hexdigest()[:32]


def _ns_time(text: object) -> int:
    """The network server's own receive time, or 0 when absent or unreadable."""
    if not isinstance(text, str):
        return 0
    try:
        return rfc3339_ns(text)
    except EventError:
        return 0


def _radio(rx: object, key: str) -> tuple[dict | None, float | None, float | None, list[str]]:
    """The best-heard reception (highest valid RSSI) of ``rxInfo``/``rx_metadata``."""
    if not rx:
        return None, None, None, []
    if not isinstance(rx, list) or not all(isinstance(r, dict) for r in rx):
        raise EventError(f"{key} is not a list of objects")
    best = None
    best_rssi = best_snr = None
    ranked = -math.inf
    for r in rx:
        noted: list[str] = []
        rssi = _measure(r.get("rssi"), "rssi", noted)
        if best is None or (rssi is not None and rssi > ranked):
            best, best_rssi, rejected = r, rssi, noted
            best_snr = _measure(r.get("snr"), "snr", rejected)
            if rssi is not None:
                ranked = rssi
    return best, best_rssi, best_snr, rejected


def _gateways(ids: list[object]) -> tuple[tuple[str, ...], int]:
    """EUI-64 gateway ids (lower case, in order, no repeats) and how many were junk."""
    kept: list[str] = []
    junk = 0
    for gw in ids:
        if gw is None or gw == "":
            continue
        if isinstance(gw, str) and len(gw) == 16:
            gw = gw.lower()
            if _GATEWAY_EUI.fullmatch(gw):
                if gw not in kept:
                    kept.append(gw)
                continue
        junk += 1
    return tuple(kept), junk


def settle_time(up: Uplink, received_ns: int, max_future_ns: int, max_age_ns: int) -> bool:
    """Refuse an event time that no real clock gives; True when it was replaced.

    Plausible is from ``max_age_ns`` before the receive time (and not before 2000)
    to ``max_future_ns`` after it. An implausible time is replaced by the network
    server's receive time when that one is plausible, else by the bridge's receive
    time; the difference is kept in ``clock_skew_ns``.
    """
    oldest = max(MIN_TIME_NS, received_ns - max_age_ns)
    newest = received_ns + max_future_ns
    t = up.time_ns
    if oldest <= t <= newest:
        return False
    ns_time = _ns_time(up.ns_time)
    settled = ns_time if oldest <= ns_time <= newest else received_ns
    up.clock_skew_ns = t - settled
    up.time_ns = settled
    return True


def topic_kind(topic: str) -> tuple[str, str, str] | None:
    """(server, event, DevEUI-or-device-id from the topic) or None for foreign topics.

    Works with a topic prefix in front (the bridge may be given one).
    """
    parts = topic.split("/")
    if len(parts) >= 6 and parts[-6] == "application" and parts[-4] == "device":
        if parts[-2] == "event":
            return CHIRPSTACK, parts[-1], parts[-3]
    if len(parts) >= 5 and parts[-5] == "v3" and parts[-3] == "devices":
        return TTS, parts[-1], parts[-2]
    return None


def parse(topic: str, body: bytes, received_ns: int) -> Uplink | None:
    """Parse one message; None for events the bridge does not consume.

    ``received_ns`` stands in for the event time only when the message has none.
    Raises EventError for malformed messages.
    """
    kind = topic_kind(topic)
    if kind is None:
        raise EventError(f"topic {topic!r} is neither ChirpStack v4 nor TTS v3")
    server, event, _ = kind
    try:
        doc = json_loads(body)
    except ValueError:
        raise EventError("message is not JSON") from None
    if not isinstance(doc, dict):
        raise EventError("message is not a JSON object")
    try:
        if server == CHIRPSTACK:
            return _chirpstack(event, doc, received_ns)
        return _tts(event, doc, received_ns)
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        raise EventError(f"{server} {event} event lacks or mistypes {exc}") from None


def _chirpstack(event: str, doc: dict, received_ns: int) -> Uplink | None:
    if event not in (UP, JOIN, STATUS):
        return None
    dev_eui = _hex_eui(doc["deviceInfo"]["devEui"])
    time_text = doc.get("time")
    time_ns = rfc3339_ns(time_text) if time_text else received_ns
    if event == JOIN:
        return Uplink(CHIRPSTACK, JOIN, dev_eui, time_ns)
    if event == STATUS:
        level = doc.get("batteryLevel")
        unavailable = doc.get("batteryLevelUnavailable") or doc.get("externalPowerSource")
        rejected: list[str] = []
        battery = None if unavailable else _measure(level, "battery_pct", rejected)
        return Uplink(
            CHIRPSTACK, STATUS, dev_eui, time_ns, battery_pct=battery, rejected=",".join(rejected)
        )
    rx = doc.get("rxInfo") or []
    best, rssi, snr, rejected = _radio(rx, "rxInfo")
    gateways, junk = _gateways([r.get("gatewayId") for r in rx])
    return Uplink(
        CHIRPSTACK,
        UP,
        dev_eui,
        time_ns,
        f_cnt=_counter(doc.get("fCnt", 0), "fCnt", F_CNT_LIMIT),
        f_port=_counter(doc.get("fPort", 0), "fPort", F_PORT_LIMIT),
        payload=_b64(doc.get("data")),
        rssi=rssi,
        snr=snr,
        gateways=gateways,
        ns_time=best.get("nsTime") if best else None,
        rejected=",".join(rejected),
        junk_gateways=junk,
    )


def _tts(event: str, doc: dict, received_ns: int) -> Uplink | None:
    if event not in (UP, JOIN):
        return None
    if "end_device_ids" not in doc and isinstance(doc.get("result"), dict):
        doc = doc["result"]  # Storage Integration wraps the same body in {"result": ...}
    ids = doc["end_device_ids"]
    dev_eui = _hex_eui(ids["dev_eui"])
    if event == JOIN:
        session = _session((doc.get("join_accept") or {}).get("session_key_id", ""))
        time_text = doc.get("received_at")
        time_ns = rfc3339_ns(time_text) if time_text else received_ns
        return Uplink(TTS, JOIN, dev_eui, time_ns, session=session)
    up = doc["uplink_message"]
    time_text = doc.get("received_at") or up.get("received_at")
    time_ns = rfc3339_ns(time_text) if time_text else received_ns
    rx = up.get("rx_metadata") or []
    _, rssi, snr, rejected = _radio(rx, "rx_metadata")
    battery = _measure(
        (up.get("last_battery_percentage") or {}).get("value"), "battery_pct", rejected
    )
    gateways, junk = _gateways([(r.get("gateway_ids") or {}).get("eui") for r in rx])
    return Uplink(
        TTS,
        UP,
        dev_eui,
        time_ns,
        f_cnt=_counter(up.get("f_cnt", 0), "f_cnt", F_CNT_LIMIT),
        f_port=_counter(up.get("f_port", 0), "f_port", F_PORT_LIMIT),
        payload=_b64(up.get("frm_payload")),
        rssi=rssi,
        snr=snr,
        gateways=gateways,
        session=_session(up.get("session_key_id", "")),
        battery_pct=battery,
        ns_time=up.get("received_at"),
        rejected=",".join(rejected),
        junk_gateways=junk,
    )

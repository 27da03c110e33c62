"""Network-server MQTT events, parsed with the field names the real servers emit.

ChirpStack v4 (``application/<app>/device/<devEui>/event/<up|join|status>``):
Protobuf JSON mapping in camelCase; defaults may be omitted (4.0 left out
``fCnt`` 0), ``data`` is base64, ``time`` is RFC 3339 with nanoseconds.
The Things Stack v3 (``v3/<app>[@<tenant>]/devices/<device id>/<up|join>``):
snake_case; zero values are omitted (``f_cnt`` 0 is absent), ``dev_eui`` is
upper-case hex. Sources: chirpstack-docs ``integrations/events.md``,
lorawan-stack-docs ``integrations/data-formats``.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from datetime import datetime

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
        except ValueError:
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
        battery = None if unavailable or level is None else float(level)
        return Uplink(CHIRPSTACK, STATUS, dev_eui, time_ns, battery_pct=battery)
    rx = doc.get("rxInfo") or []
    best = max(rx, key=lambda r: r.get("rssi", -999), default=None)
    return Uplink(
        CHIRPSTACK,
        UP,
        dev_eui,
        time_ns,
        f_cnt=int(doc.get("fCnt", 0)),
        f_port=int(doc.get("fPort", 0)),
        payload=_b64(doc.get("data")),
        rssi=None if best is None or "rssi" not in best else float(best["rssi"]),
        snr=None if best is None or "snr" not in best else float(best["snr"]),
        gateways=tuple(r["gatewayId"].lower() for r in rx if "gatewayId" in r),
    )


def _tts(event: str, doc: dict, received_ns: int) -> Uplink | None:
    if event not in (UP, JOIN):
        return None
    if "end_device_ids" not in doc and isinstance(doc.get("result"), dict):
        doc = doc["result"]  # Storage Integration wraps the same body in {"result": ...}
    ids = doc["end_device_ids"]
    dev_eui = _hex_eui(ids["dev_eui"])
    if event == JOIN:
        session = (doc.get("join_accept") or {}).get("session_key_id", "")
        time_text = doc.get("received_at")
        time_ns = rfc3339_ns(time_text) if time_text else received_ns
        return Uplink(TTS, JOIN, dev_eui, time_ns, session=session)
    up = doc["uplink_message"]
    time_text = doc.get("received_at") or up.get("received_at")
    time_ns = rfc3339_ns(time_text) if time_text else received_ns
    rx = up.get("rx_metadata") or []
    best = max(rx, key=lambda r: r.get("rssi", -999), default=None)
    battery = (up.get("last_battery_percentage") or {}).get("value")
    gateways = []
    for r in rx:
        gw = r.get("gateway_ids") or {}
        if gw.get("eui"):
            gateways.append(gw["eui"].lower())
    return Uplink(
        TTS,
        UP,
        dev_eui,
        time_ns,
        f_cnt=int(up.get("f_cnt", 0)),
        f_port=int(up.get("f_port", 0)),
        payload=_b64(up.get("frm_payload")),
        rssi=None if best is None or "rssi" not in best else float(best["rssi"]),
        snr=None if best is None or "snr" not in best else float(best["snr"]),
        gateways=tuple(gateways),
        session=up.get("session_key_id", ""),
        battery_pct=None if battery is None else float(battery),
    )

"""Downlinks to devices through the network server's MQTT integration.

Two servers, each with its own topic and JSON body, exactly as their documentation gives
them:

* ChirpStack v4 (MQTT integration, "Scheduling a downlink"): publish to
  ``application/<application id>/device/<dev_eui>/command/down`` the Protobuf JSON mapping
  of ``integration.DownlinkCommand`` — ``{"devEui", "confirmed", "fPort", "data"}`` with
  ``data`` in base64 (``id`` is optional: ChirpStack fills in a UUID).
* The Things Stack v3 (MQTT server, "Publishing downlink traffic"): publish to
  ``v3/<application id>[@<tenant id>]/devices/<device id>/down/push`` the body
  ``{"downlinks": [{"f_port", "frm_payload", "confirmed", "priority"}]}`` with
  ``frm_payload`` in base64. Its MQTT server speaks QoS 0 only.

The uplink side (the long-running subscriber) is the bridge; this module only publishes,
with a short-lived connection, so any process may send a command. Every identifier is
checked before it becomes part of a topic: a ``+``, ``#`` or ``/`` in an id would
address other devices.
"""

from __future__ import annotations

import base64
import json
import re
import threading
from dataclasses import dataclass
from urllib.parse import urlsplit

import paho.mqtt.client as mqtt

CHIRPSTACK, TTS = "chirpstack", "tts"
PRIORITIES = ("LOWEST", "LOW", "BELOW_NORMAL", "NORMAL", "ABOVE_NORMAL", "HIGH", "HIGHEST")
MAX_PAYLOAD = 242  # the largest FRMPayload of any LoRaWAN data rate (EU868 DR7)

_DEV_EUI = re.compile(r"^[0-9a-f]{16}$")
_CHIRPSTACK_APP = re.compile(r"^[0-9A-Za-z\-]{1,64}$")  # a UUID in ChirpStack v4
_TTS_ID = re.compile(r"^[a-z0-9](?:[-]?[a-z0-9]){2,35}$")  # TTS identifier rule
_TENANT = re.compile(r"^[a-z0-9](?:[-]?[a-z0-9]){1,35}$")


class DownlinkError(RuntimeError):
    """A downlink that cannot be built or was not accepted by the broker; says why."""


@dataclass(frozen=True)
class Downlink:
    server: str
    topic: str
    body: bytes
    qos: int


def _check_common(f_port: int, payload: bytes) -> None:
    if not isinstance(f_port, int) or isinstance(f_port, bool) or not 1 <= f_port <= 223:
        raise DownlinkError(f"fPort must be 1-223 (application ports), got {f_port!r}")
    if not isinstance(payload, bytes | bytearray) or not 0 < len(payload) <= MAX_PAYLOAD:
        raise DownlinkError(f"payload must be 1-{MAX_PAYLOAD} bytes")


def chirpstack(
    application_id: str, dev_eui: str, f_port: int, payload: bytes, *, confirmed: bool = False
) -> Downlink:
    """A ChirpStack v4 ``command/down`` message."""
    _check_common(f_port, payload)
    eui = dev_eui.lower()
    if not _DEV_EUI.match(eui):
        raise DownlinkError(f"DevEUI must be 16 hex digits, got {dev_eui!r}")
    if not _CHIRPSTACK_APP.match(application_id):
        raise DownlinkError(f"not a ChirpStack application id: {application_id!r}")
    body = {
        "devEui": eui,
        "confirmed": bool(confirmed),
        "fPort": f_port,
        "data": base64.b64encode(bytes(payload)).decode("ascii"),
    }
    topic = f"application/{application_id}/device/{eui}/command/down"
    return Downlink(CHIRPSTACK, topic, json.dumps(body).encode(), qos=1)


def the_things_stack(
    application_id: str,
    device_id: str,
    f_port: int,
    payload: bytes,
    *,
    tenant_id: str = "",
    confirmed: bool = False,
    priority: str = "NORMAL",
) -> Downlink:
    """A The Things Stack v3 ``down/push`` message (queued after what is already queued)."""
    _check_common(f_port, payload)
    if not _TTS_ID.match(application_id):
        raise DownlinkError(f"not a The Things Stack application id: {application_id!r}")
    if not _TTS_ID.match(device_id):
        raise DownlinkError(f"not a The Things Stack device id: {device_id!r}")
    if tenant_id and not _TENANT.match(tenant_id):
        raise DownlinkError(f"not a tenant id: {tenant_id!r}")
    if priority not in PRIORITIES:
        raise DownlinkError(f"priority must be one of {', '.join(PRIORITIES)}")
    item = {
        "f_port": f_port,
        "frm_payload": base64.b64encode(bytes(payload)).decode("ascii"),
        "confirmed": bool(confirmed),
        "priority": priority,
    }
    app = f"{application_id}@{tenant_id}" if tenant_id else application_id
    topic = f"v3/{app}/devices/{device_id}/down/push"
    return Downlink(TTS, topic, json.dumps({"downlinks": [item]}).encode(), qos=0)


def publish(downlink: Downlink, mqtt_url: str, *, timeout_s: float = 5.0) -> None:
    """Publish one downlink and return once the broker has it (QoS 1) or it is sent (QoS 0).

    Raises ``DownlinkError`` when the broker cannot be reached or does not answer within
    ``timeout_s``, so the caller can mark the command failed instead of waiting for it.
    """
    url = urlsplit(mqtt_url)
    if url.scheme not in ("mqtt", "tcp", ""):
        raise DownlinkError(f"MQTT URL scheme {url.scheme!r}: only mqtt:// is supported")
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv311)
    if url.username:
        client.username_pw_set(url.username, url.password or "")
    connected = threading.Event()
    refused: list[str] = []

    def on_connect(_c, _u, _flags, reason, _props=None) -> None:
        if reason.is_failure:
            refused.append(str(reason))
        connected.set()

    client.on_connect = on_connect
    client.connect_timeout = timeout_s
    try:
        client.connect(url.hostname or "127.0.0.1", url.port or 1883, keepalive=30)
    except OSError as exc:
        raise DownlinkError(f"MQTT broker unreachable: {exc}") from exc
    client.loop_start()
    try:
        if not connected.wait(timeout_s):
            raise DownlinkError("MQTT broker did not answer the connection")
        if refused:
            raise DownlinkError(f"MQTT broker refused the connection: {refused[0]}")
        info = client.publish(downlink.topic, downlink.body, qos=downlink.qos)
        if info.rc != mqtt.MQTT_ERR_SUCCESS:
            raise DownlinkError(f"publish failed: {mqtt.error_string(info.rc)}")
        try:
            info.wait_for_publish(timeout_s)
        except (ValueError, RuntimeError) as exc:
            raise DownlinkError(f"publish failed: {exc}") from exc
        if not info.is_published():
            raise DownlinkError("the MQTT broker did not acknowledge the downlink")
    finally:
        client.disconnect()
        client.loop_stop()

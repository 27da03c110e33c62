"""Simulated relay controllers for the demo and the bench: they obey downlinks and answer.

Each one stands for a real device behind ChirpStack v4: it reads its ``command/down``
messages, applies the relay command the way the device would (Dragino LT-22222-L:
``03 aa bb``; the project's relay firmware: mask and states on fPort 20), and publishes an
``up`` event with its new state at once — as the LT-22222-L "uploads a packet if the
downlink code executes successfully" — and every ``interval_s`` otherwise. A running
aerator draws current (12 mA on the LT's current input, 11.5 A on the native frame).
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import time
import uuid
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import paho.mqtt.client as mqtt

from demo.fleet import rfc3339

log = logging.getLogger(__name__)

GATEWAY = "0016c001ff10a235"


@dataclass
class SimulatedRelay:
    dev_eui: str
    application_id: str
    profile: str  # dragino-lt22222l or native-relay
    relays: list[int] = field(default_factory=lambda: [0, 0])
    f_cnt: int = 0

    def obey(self, f_port: int, data: bytes) -> bool:
        """Apply a relay command; False for anything the device would ignore."""
        if self.profile == "dragino-lt22222l":
            if len(data) != 3 or data[0] != 0x03:
                return False
            for i, b in enumerate(data[1:]):
                if b in (0x00, 0x01):
                    self.relays[i] = b
            return True
        if f_port != 20 or len(data) != 2 or data[0] not in (1, 2, 3) or data[1] & ~data[0]:
            return False
        for i in range(2):
            if data[0] & (1 << i):
                self.relays[i] = 1 if data[1] & (1 << i) else 0
        return True

    def frame(self, reply: bool = False) -> tuple[int, bytes]:
        if self.profile == "dragino-lt22222l":
            ma = [12000 if on else 4000 for on in self.relays]
            io = (0x80 if self.relays[0] else 0) | (0x40 if self.relays[1] else 0)
            payload = bytes(
                [0, 0, 0, 0, ma[0] >> 8, ma[0] & 0xFF, ma[1] >> 8, ma[1] & 0xFF, io, 0xFF, 0x41]
            )
            return 2, payload
        amps = [1150 if on else 0 for on in self.relays]
        status = self.relays[0] | (self.relays[1] << 1) | (0x10 if reply else 0)
        return 3, bytes([0x12, status, amps[0] >> 8, amps[0] & 0xFF, amps[1] >> 8, amps[1] & 0xFF])

    def uplink(self, reply: bool = False) -> tuple[str, bytes]:
        self.f_cnt += 1
        f_port, payload = self.frame(reply)
        body = {
            "deduplicationId": str(uuid.uuid4()),
            "time": rfc3339(time.time_ns()),
            "deviceInfo": {"applicationId": self.application_id, "devEui": self.dev_eui},
            "fCnt": self.f_cnt,
            "fPort": f_port,
            "data": base64.b64encode(payload).decode(),
            "rxInfo": [{"gatewayId": GATEWAY, "rssi": -78, "snr": 8.0}],
        }
        topic = f"application/{self.application_id}/device/{self.dev_eui}/event/up"
        return topic, json.dumps(body).encode()


class RelayFleet:
    """The simulated devices on one MQTT connection; ``prefix`` goes before uplink topics."""

    def __init__(self, mqtt_url: str, relays: list[SimulatedRelay], prefix: str = "") -> None:
        self.by_eui = {r.dev_eui: r for r in relays}
        self.prefix = prefix
        self.received: dict[str, float] = {}  # dev_eui -> monotonic time of the last command
        self.lock = threading.Lock()
        url = urlsplit(mqtt_url)
        self.client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2, client_id=f"relays-{uuid.uuid4().hex[:8]}"
        )
        if url.username:
            self.client.username_pw_set(url.username, url.password or "")
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.subscribed = threading.Event()
        self.client.on_subscribe = lambda *a: self.subscribed.set()
        self.client.connect(url.hostname or "127.0.0.1", url.port or 1883)
        self.client.loop_start()
        if not self.subscribed.wait(10):
            raise RuntimeError("the simulated relays could not subscribe")

    def _on_connect(self, client, _u, _f, _reason, _p=None) -> None:
        client.subscribe("application/+/device/+/command/down", qos=1)

    def _on_message(self, _c, _u, msg) -> None:
        try:
            body = json.loads(msg.payload)
            relay = self.by_eui.get(str(body.get("devEui", "")).lower())
            if relay is None:
                return
            data = base64.b64decode(body.get("data", ""))
            with self.lock:
                self.received[relay.dev_eui] = time.monotonic()
                if relay.obey(int(body.get("fPort", 0)), data):
                    self.publish(relay, reply=True)
        except (ValueError, TypeError):
            log.warning("ignored a malformed downlink on %s", msg.topic)

    def publish(self, relay: SimulatedRelay, reply: bool = False) -> None:
        topic, body = relay.uplink(reply)
        self.client.publish(self.prefix + topic, body, qos=1)

    def report_all(self) -> None:
        with self.lock:
            for relay in self.by_eui.values():
                self.publish(relay)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()

"""The share group's keeper: an unshared session that covers a broker restart.

Mosquitto saves non-shared subscriptions with a session but not shared ones
(``persist__subs_save`` writes only a node's plain subscribers, up to 2.1). After a
broker crash a share group is subscribed again only when its members reconnect, and
uplinks published before that reach nobody. The keeper is a persistent session, held
by one member of the group, subscribed to the same topics but not shared: the broker
restores it, and queues for it while nobody is connected.

Two kinds of connection, one at a time:

* on taking the keeper, or after a broker restart, a *forwarding* connection resumes
  the session and hands what was queued to the bridge, up to a marker published once a
  shared subscription is back (everything before it may have reached nobody). Most of
  it was written already and is de-duplicated; what the group missed is written;
* then a *steady* connection reads and drops what the broker sends, a few large reads a
  second, no parsing: holding the keeper costs next to nothing per uplink.

The keeper subscribes with QoS 0, so the steady connection owes no acks; the broker
queues QoS 0 for it while it is away because ``deploy/mosquitto.conf`` sets
``queue_qos0_messages``. (A QoS 1 keeper that refuses large packets would cost nothing
either, but Mosquitto 2.0 leaks an in-flight slot for every message it drops as too
large, and after Receive Maximum of them queues the rest for good.) Uplinks the holder
was handing over when it died are lost with it; that takes a second fault.

The holder announces itself with a retained ``held <client id>`` on the group's keeper
topic; its will (``down``, delayed ``KEEPER_WILL_DELAY_S``) frees the keeper when it
vanishes. With a broker that saves shared subscriptions, set ``keeper`` off.
"""

from __future__ import annotations

import logging
import random
import select
import socket
import struct
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable

from sensors.bridge.config import BridgeConfig
from sensors.bridge.share_group import (
    DOWN,
    MARKER_RETRY_S,
    InboxItem,
    Link,
    Topics,
    connect,
    holds,
    new_client,
)

log = logging.getLogger("sensors.bridge")

HELD = b"held"
KEEPER_WILL_DELAY_S = 2  # a takeover continues the session: no will then


def keeper_holder(state: bytes) -> str:
    """The client id in a retained keeper state (``held <id>``); empty when it is free."""
    return state[len(HELD) + 1 :].decode() if state.startswith(HELD + b" ") else ""


def jitter() -> float:
    """Seconds to wait before taking a free keeper, so members rarely collide."""
    return random.uniform(0.3, 1.5)


class Keeper:
    """Hold the group's keeper session; hand over what it queued while nobody read it."""

    def __init__(
        self,
        config: BridgeConfig,
        holder: str,
        deliver: Callable[[str, bytes, int, int, Link], None],
        group_subscribed: Callable[[], bool],
    ) -> None:
        self.config = config
        self.holder = holder
        self.topics = Topics(config)
        self.deliver = deliver
        self.group_subscribed = group_subscribed
        self.forwarded = 0
        self.steady: SteadyConnection | None = None
        self.link: Link | None = None
        self.forwarding = False  # handing queued uplinks to the bridge until the marker
        self.started = time.monotonic()
        # No reconnecting by itself: Mosquitto closes a taken-over connection without a
        # reason, and two holders reconnecting would take it from each other for ever.
        # The bridge takes the keeper again when the retained state says it may.
        self.client = new_client(
            config,
            self.topics.keeper_id,
            reconnect=False,
            will=(self.topics.keeper, KEEPER_WILL_DELAY_S),
        )
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.client.on_disconnect = self._on_disconnect
        connect(self.client, config)
        self.client.loop_start()

    # -- the forwarding connection (paho, network thread)

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        if reason_code.is_failure:
            log.warning("keeper: connection refused (%s)", reason_code)
            return
        # A session that was there may hold uplinks the group never got (a broker
        # restart, a holder that vanished): hand them over until the marker.
        self.forwarding = bool(flags.session_present)
        client.publish(self.topics.keeper, HELD + b" " + self.holder.encode(), 1, True)
        filters = [self.config.topic_prefix + t for t in self.config.topics]
        client.subscribe([(f, 0) for f in filters])
        if self.forwarding:
            log.info("keeper: resumed its session; handing queued uplinks to the bridge")
        self.link = Link(client)

    def _on_message(self, client, userdata, message) -> None:
        link = self.link
        if link is None:
            return
        if message.topic.startswith(self.topics.base):
            if link.marker and message.payload == link.marker:
                self.forwarding = False
                link.drained = True
                log.info("keeper: handed over %d queued uplinks", self.forwarded)
        elif self.forwarding:
            self.forwarded += 1
            self.deliver(message.topic, message.payload, message.mid, message.qos, link)
        if message.qos:
            client.ack(message.mid, message.qos)  # QoS 0 subscriptions: only leftovers

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:
        if self.link:
            self.link.live = False

    # -- the bridge's loop

    def tend(self, inbox: deque[InboxItem]) -> bool:
        """Advance the hand-over; False once the keeper's connection has ended."""
        if self.steady:
            if self.steady.closed:
                return False
            return True
        link = self.link
        if (link is not None and not link.live) or (
            link is None and time.monotonic() - self.started > 10
        ):
            self.client.loop_stop()
            return False
        if link is None:
            return True
        if self.forwarding:
            due = not link.marker or time.monotonic() - link.marker_sent_at > MARKER_RETRY_S
            if due and self.group_subscribed():
                self._publish_marker(link)
            return True
        if holds(inbox, link):
            return True  # forwarded uplinks not yet written
        self.client.disconnect()  # the session stays; the will is dropped
        self.client.loop_stop()
        self.steady = SteadyConnection(
            self.config, self.topics.keeper_id, self.topics.keeper, KEEPER_WILL_DELAY_S
        )
        return True

    def _publish_marker(self, link: Link) -> None:
        """A marker behind everything queued for the keeper (QoS 0 keeps the order)."""
        topic = self.topics.marker(self.topics.keeper_id)
        if not link.marker:
            link.marker = uuid.uuid4().hex.encode()
            link.client.subscribe(topic, 0)
        link.client.publish(topic, link.marker, qos=1)
        link.marker_sent_at = time.monotonic()

    def release(self) -> None:
        """Disconnect cleanly (the session stays); the caller clears the retained state."""
        if self.steady:
            self.steady.close()
        else:
            if self.link and self.link.live:
                self.client.disconnect()
            self.client.loop_stop()


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n % 128, n // 128
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _string(value: bytes) -> bytes:
    return struct.pack("!H", len(value)) + value


def connect_packet(
    config: BridgeConfig, client_id: str, will_topic: str, will_delay_s: int
) -> bytes:
    """MQTT v5 CONNECT resuming ``client_id``'s session, with a retained QoS 1 ``down`` will."""
    flags = 0x04 | 0x08 | 0x20  # will, will QoS 1, will retain; clean start off
    props = b"\x11" + struct.pack("!I", config.session_expiry_s)
    payload = _string(client_id.encode())
    will_props = b"\x18" + struct.pack("!I", will_delay_s)
    payload += _varint(len(will_props)) + will_props
    payload += _string(will_topic.encode()) + _string(DOWN)
    if config.mqtt_username:
        flags |= 0x80
        payload += _string(config.mqtt_username.encode())
        if config.mqtt_password:
            flags |= 0x40
            payload += _string(config.mqtt_password.encode())
    variable = _string(b"MQTT") + bytes([5, flags]) + struct.pack("!H", 30)
    body = variable + _varint(len(props)) + props + payload
    return b"\x10" + _varint(len(body)) + body


class SteadyConnection:
    """The keeper's connection between restarts: reads what the broker sends and drops it."""

    PING_S = 15.0  # keep alive is 30 s

    def __init__(
        self, config: BridgeConfig, client_id: str, will_topic: str, will_delay_s: int
    ) -> None:
        self.packet = connect_packet(config, client_id, will_topic, will_delay_s)
        self.address = (config.mqtt_host, config.mqtt_port)
        self.sock: socket.socket | None = None
        self.closed = False
        self.closing = False
        self.thread = threading.Thread(target=self._run, name="keeper", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            sock = socket.create_connection(self.address, timeout=10)
            self.sock = sock
            sock.sendall(self.packet)
            head = sock.recv(5)
            if len(head) < 4 or head[0] != 0x20 or head[3] != 0:
                log.warning("keeper: steady connection refused (%s)", head.hex())
                return
            sock.settimeout(None)
            last_ping = time.monotonic()
            while not self.closing:
                readable, _, _ = select.select([sock], [], [], 1.0)
                if readable and not sock.recv(1 << 20):
                    return  # closed by the broker (taken over, or the broker went away)
                if time.monotonic() - last_ping > self.PING_S:
                    sock.sendall(b"\xc0\x00")  # PINGREQ
                    last_ping = time.monotonic()
        except OSError as exc:
            if not self.closing:
                log.info("keeper: steady connection ended (%s)", exc)
        finally:
            self.closed = True

    def close(self) -> None:
        self.closing = True
        sock = self.sock
        if sock is not None:
            try:
                sock.sendall(b"\xe0\x00")  # DISCONNECT, normal: the will is dropped
            except OSError:
                pass
        self.thread.join(5)
        if sock is not None:
            sock.close()

"""Fail-over in an MQTT share group on Mosquitto: members leave cleanly, crashed ones are adopted.

MQTT v5 lets a broker hand a departed shared subscriber's unacknowledged messages to
another member; Mosquitto 2.0 and 2.1 do not. A clean-start member's in-flight and
queued messages are dropped when it disconnects (eclipse-mosquitto/mosquitto#2662,
open; reproduced here with 2.0.11), and the broker round-robins over persistent
members whether they are connected or not, so a stopped persistent member keeps
collecting its share. The equivalent built here:

* every member keeps a persistent session (clean start off, a session expiry), so a
  crash loses nothing the broker already sent it;
* a member that stops leaves cleanly: it unsubscribes (the broker routes nothing new
  to it), then publishes a marker to a topic only it subscribes to. The broker queues
  the marker behind everything already queued for the member, so when the marker comes
  back every message has arrived; once those are written and acked the member ends its
  session (DISCONNECT with Session Expiry 0). Nothing is lost or left waiting;
* a member announces itself with a retained ``up`` on
  ``<prefix>agrimon/bridges/<group>/members/<client id>`` and a retained will ``down``
  delayed by ``adopt_after_s`` (the broker drops a delayed will if the member reconnects
  in time);
* a member that sees another one ``down`` (and still ``down`` ``adopt_grace_s`` later)
  adopts it: it connects under the crashed member's client id, resumes that session
  (the unacked messages are redelivered), unsubscribes it, drains it as above into its
  own batches and ends it. If the crashed member returns meanwhile the broker gives the
  session back to it (session takeover) and redelivers what the adopter had not acked;
  the shared de-duplication absorbs the repeats.

So stopping a member delays nothing; a crashed member's in-flight window and the share
routed to it until adoption wait ``adopt_after_s + adopt_grace_s`` and are then written.

Mosquitto also does not save shared subscriptions (``persist__subs_save`` writes only the
non-shared ones, up to 2.1), so after a broker crash the group subscribes again only when
its members reconnect, and uplinks published before that reach nobody. One member therefore
holds the group's keeper session (``sensors.bridge.keeper``), which the broker restores.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections import deque
from collections.abc import Callable
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from sensors.bridge.config import BridgeConfig

log = logging.getLogger("sensors.bridge")

UP = b"up"
DOWN = b"down"
ADOPTED = b"adopted"
# An adoption that has not finished after this long is taken over by another member
# (its adopter died with the broker, or is stuck); a normal drain takes seconds.
ADOPTION_STALE_S = 60.0
# The drain marker is published again this often: a full queue can drop it.
MARKER_RETRY_S = 5.0

InboxItem = tuple[str, bytes, int, int, "Link"]


class Link:
    """One MQTT connection. An ack is only valid on the connection that got the message."""

    __slots__ = (
        "client",
        "drained",
        "live",
        "marker",
        "marker_sent_at",
        "subscribe_mid",
        "subscribed",
    )

    def __init__(self, client: mqtt.Client) -> None:
        self.client = client
        self.live = True
        self.subscribe_mid: int | None = None
        self.subscribed = False  # the broker acknowledged our uplink subscriptions
        self.marker: bytes = b""  # token of the drain marker we wait for
        self.marker_sent_at = 0.0
        self.drained = False


class Topics:
    """The group's control topics, beside (never matching) the uplink topics."""

    def __init__(self, config: BridgeConfig) -> None:
        self.base = f"{config.topic_prefix}agrimon/bridges/{config.share_group}/"
        self.members = self.base + "members/+"
        self.keeper = self.base + "keeper"
        self.keeper_id = f"agrimon-keeper-{config.share_group}"

    def state(self, client_id: str) -> str:
        return self.base + "members/" + client_id

    def marker(self, client_id: str) -> str:
        return self.base + "drain/" + client_id


def connect_properties(config: BridgeConfig) -> Properties:
    props = Properties(PacketTypes.CONNECT)
    props.SessionExpiryInterval = config.session_expiry_s
    props.ReceiveMaximum = config.receive_maximum
    props.MaximumPacketSize = config.max_packet_bytes
    return props


def new_client(
    config: BridgeConfig,
    client_id: str,
    *,
    reconnect: bool = True,
    will: tuple[str, int] | None = None,
) -> mqtt.Client:
    """An MQTT v5 client resuming ``client_id``'s session.

    In a group it leaves a retained ``down`` will on its state topic, delayed (by default
    a member's: its state topic, ``adopt_after_s``); ``will`` names another (topic, delay).
    """
    client = mqtt.Client(
        mqtt.CallbackAPIVersion.VERSION2,
        client_id=client_id,
        protocol=mqtt.MQTTv5,
        manual_ack=True,
        reconnect_on_failure=reconnect,
    )
    if config.mqtt_username:
        client.username_pw_set(config.mqtt_username, config.mqtt_password)
    # Back fast after a broker restart: Mosquitto does not save shared subscriptions, so
    # uplinks published before the group subscribes again reach nobody.
    client.reconnect_delay_set(min_delay=0.1, max_delay=0.5)
    if config.share_group:
        topic, delay = will or (Topics(config).state(client_id), config.adopt_after_s)
        props = Properties(PacketTypes.WILLMESSAGE)
        props.WillDelayInterval = delay
        client.will_set(topic, DOWN, qos=1, retain=True, properties=props)
    return client


def connect(client: mqtt.Client, config: BridgeConfig) -> None:
    client.connect_async(
        config.mqtt_host,
        config.mqtt_port,
        keepalive=30,
        clean_start=False,
        properties=connect_properties(config),
    )


def start_drain(link: Link, topic: str) -> None:
    """Ask the broker for a marker behind everything queued for this session."""
    if not link.marker:
        link.marker = uuid.uuid4().hex.encode()
        link.client.subscribe(topic, 1)
    link.client.publish(topic, link.marker, qos=1)
    link.marker_sent_at = time.monotonic()


def end_session(client: mqtt.Client, state_topic: str) -> None:
    """Clear the member's retained state, then DISCONNECT with Session Expiry 0."""
    client.publish(state_topic, b"", qos=1, retain=True)
    props = Properties(PacketTypes.DISCONNECT)
    props.SessionExpiryInterval = 0
    client.disconnect(properties=props)


def holds(inbox: deque[InboxItem], link: Link) -> bool:
    """Whether messages of ``link`` still wait in the inbox (unwritten, unacked)."""
    return any(item[4] is link for item in list(inbox))


class Roster:
    """Members seen ``down`` (or adopted too long ago), and when to adopt them."""

    def __init__(self, me: str, grace_s: float) -> None:
        self.me = me
        self.grace_s = grace_s
        self.due_at: dict[str, float] = {}
        self.states: dict[str, bytes] = {}  # the last state each member announced

    def note(self, member: str, state: bytes) -> None:
        if member == self.me:
            return
        self.states[member] = state
        if state == DOWN:
            self.due_at.setdefault(member, time.monotonic() + self.grace_s)
        elif state.startswith(ADOPTED):
            self.due_at[member] = time.monotonic() + ADOPTION_STALE_S
        else:
            self.due_at.pop(member, None)

    def is_up(self, member: str) -> bool:
        return member == self.me or self.states.get(member) == UP

    def due(self) -> list[str]:
        now = time.monotonic()
        out = [m for m, at in list(self.due_at.items()) if at <= now]
        for m in out:
            self.due_at.pop(m, None)
        return out


class Adoption:
    """Take over a crashed member's session, drain it into our inbox, then end it."""

    def __init__(
        self,
        config: BridgeConfig,
        orphan: str,
        adopter: str,
        deliver: Callable[[str, bytes, int, int, Link], None],
    ) -> None:
        self.config = config
        self.orphan = orphan
        self.adopter = adopter
        self.topics = Topics(config)
        self.deliver = deliver
        self.link: Link | None = None
        self.resumed = False  # the broker still held the orphan's session
        self.gone = False  # our connection ended before the drain did
        self.started = time.monotonic()
        self.client = new_client(config, orphan, reconnect=False)
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.client.on_disconnect = self._on_disconnect
        connect(self.client, config)
        self.client.loop_start()

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        if reason_code.is_failure:
            log.warning("adopting %s: connection refused (%s)", self.orphan, reason_code)
            self.gone = True
            return
        link = Link(client)
        self.link = link
        if not flags.session_present:
            link.drained = True  # the session had ended already: nothing to take over
            return
        self.resumed = True
        log.warning("adopting the session of %s (stopped without leaving)", self.orphan)
        client.publish(
            self.topics.state(self.orphan), ADOPTED + b" " + self.adopter.encode(), 1, True
        )
        client.unsubscribe([*self.config.subscriptions(), self.topics.members, self.topics.keeper])
        start_drain(link, self.topics.marker(self.orphan))

    def _on_message(self, client, userdata, message) -> None:
        link = self.link
        if link is None:
            return
        if message.topic.startswith(self.topics.base):
            if message.topic == self.topics.marker(self.orphan) and message.payload == link.marker:
                link.drained = True
            client.ack(message.mid, message.qos)
            return
        self.deliver(message.topic, message.payload, message.mid, message.qos, link)

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:
        if self.link:
            self.link.live = False
        self.gone = True
        if reason_code == 142:  # session taken over: the member itself came back
            log.info("%s came back while being adopted; its session is its own again", self.orphan)

    def tend(self, inbox: deque[InboxItem]) -> bool:
        """Advance the adoption; True once it is over (drained and ended, or given up)."""
        link = self.link
        if self.gone:
            self.client.loop_stop()
            return True
        if link is None:
            if time.monotonic() - self.started > ADOPTION_STALE_S:
                self.abandon()
                return True
            return False
        if not link.drained:
            if time.monotonic() - link.marker_sent_at > MARKER_RETRY_S:
                start_drain(link, self.topics.marker(self.orphan))
            return False
        if holds(inbox, link):
            return False
        end_session(self.client, self.topics.state(self.orphan))
        self.client.loop_stop()
        if self.resumed:
            log.warning("adopted and ended the session of %s", self.orphan)
        return True

    def abandon(self) -> None:
        """Give the session back to the group: another member adopts it later."""
        if self.link and self.link.live:
            self.client.publish(self.topics.state(self.orphan), DOWN, 1, True)
            self.client.disconnect()
        self.client.loop_stop()

    def status(self) -> dict[str, Any]:
        return {"orphan": self.orphan, "resumed": self.resumed}

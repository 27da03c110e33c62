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
its members reconnect, and uplinks published before that reach nobody. One member holds
the group's *keeper* (``Keeper``, on by default): a persistent session with the same topic
filters, not shared, which the broker restores and queues for. Normally its holder acks
what it gets unread; after a reconnect, or on taking the keeper over, it hands what was
queued to its bridge up to a marker published once a shared subscription is back. Most of
it was written already and is de-duplicated; what the group missed is written. Between
restarts the keeper costs its holder nothing per uplink (see ``Keeper``). With a broker
that saves shared subscriptions, set ``keeper`` off.
"""

from __future__ import annotations

import logging
import random
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
HELD = b"held"
# The keeper's holder announces itself; if it vanishes, its will (after this delay) frees
# the keeper for another member. A takeover continues the session: no will then.
KEEPER_WILL_DELAY_S = 2
# A steady keeper connection accepts no packet this large: every uplink copy is dropped
# by the broker, while CONNACK, SUBACK and PINGRESP still fit.
STEADY_PACKET_BYTES = 64
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

    def ack(self, mid: int, qos: int) -> None:
        if qos and self.live:
            self.client.ack(mid, qos)


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


def keeper_holder(state: bytes) -> str:
    """The client id in a retained keeper state (``held <id>``); empty when it is free."""
    return state[len(HELD) + 1 :].decode() if state.startswith(HELD + b" ") else ""


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


def connect(client: mqtt.Client, config: BridgeConfig, max_packet: int | None = None) -> None:
    props = connect_properties(config)
    if max_packet:
        props.MaximumPacketSize = max_packet
    client.connect_async(
        config.mqtt_host, config.mqtt_port, keepalive=30, clean_start=False, properties=props
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


class Keeper:
    """Hold the group's keeper session; hand over what it queued while nobody read it.

    Two kinds of connection, one at a time. On taking the keeper (or after a broker
    restart) a *forwarding* connection resumes the session and hands what was queued to
    the bridge up to the marker. Then a *steady* connection announces a Maximum Packet
    Size smaller than any uplink: Mosquitto drops each copy for the keeper before sending
    it (``db__message_write_inflight_out_single``), so holding the keeper costs the
    holder nothing per uplink, yet while no connection is up the broker queues for it.
    """

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
        self.steady = False
        self._connect(steady=False)

    def _connect(self, steady: bool) -> None:
        self.steady = steady
        self.link: Link | None = None
        self.forwarding = False  # handing queued uplinks to the bridge until the marker
        self.started = time.monotonic()
        # No reconnecting by itself: Mosquitto closes a taken-over connection without a
        # reason, and two holders reconnecting would take it from each other for ever.
        # The bridge takes the keeper again when the retained state says it may.
        self.client = new_client(
            self.config,
            self.topics.keeper_id,
            reconnect=False,
            will=(self.topics.keeper, KEEPER_WILL_DELAY_S),
        )
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.client.on_disconnect = self._on_disconnect
        connect(self.client, self.config, STEADY_PACKET_BYTES if steady else None)
        self.client.loop_start()

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        if reason_code.is_failure:
            log.warning("keeper: connection refused (%s)", reason_code)
            return
        link = Link(client)
        if not self.steady:
            # A session that was there may hold uplinks the group never got (a broker
            # restart, a holder that vanished): hand them over until the marker.
            self.forwarding = bool(flags.session_present)
            client.publish(self.topics.keeper, HELD + b" " + self.holder.encode(), 1, True)
            filters = [self.config.topic_prefix + t for t in self.config.topics]
            client.subscribe([(f, 1) for f in filters])
            if self.forwarding:
                log.info("keeper: resumed its session; handing queued uplinks to the bridge")
        self.link = link

    def _on_message(self, client, userdata, message) -> None:
        link = self.link
        if link is None:
            return
        if message.topic.startswith(self.topics.base):
            if link.marker and message.payload == link.marker:
                self.forwarding = False
                link.drained = True
                log.info("keeper: handed over %d queued uplinks", self.forwarded)
            client.ack(message.mid, message.qos)
        elif self.forwarding:
            self.forwarded += 1
            self.deliver(message.topic, message.payload, message.mid, message.qos, link)
        else:
            client.ack(message.mid, message.qos)  # a tiny one got through a steady connection

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:
        if self.link:
            self.link.live = False

    def tend(self, inbox: deque[InboxItem]) -> bool:
        """Advance the hand-over; False once the keeper's connection has ended."""
        link = self.link
        if (link is not None and not link.live) or (
            link is None and time.monotonic() - self.started > 10
        ):
            self.client.loop_stop()
            return False
        if link is None or self.steady:
            return True
        if not self.forwarding:
            if holds(inbox, link):
                return True  # acks of forwarded uplinks still to go out on this link
            self.client.disconnect()  # the session stays; the will is dropped
            self.client.loop_stop()
            self._connect(steady=True)
            return True
        due = not link.marker or time.monotonic() - link.marker_sent_at > MARKER_RETRY_S
        # Once a shared subscription is back the group gets every new uplink; everything
        # before the marker is what may have reached nobody.
        if due and self.group_subscribed():
            start_drain(link, self.topics.marker(self.topics.keeper_id))
        return True

    def release(self) -> None:
        """Let another member hold the keeper; its session (and subscriptions) stay."""
        if self.link and self.link.live:
            self.client.publish(self.topics.keeper, b"", 1, True)
            self.client.disconnect()
        self.client.loop_stop()

    @staticmethod
    def jitter() -> float:
        """Seconds to wait before taking a free keeper, so members rarely collide."""
        return random.uniform(0.3, 1.5)

"""The bridge's one MQTT client: connection, subscriptions, acks and share-group membership.

Delivery guarantee: QoS 1 over MQTT v5 with a persistent session (fixed client
id, clean start off, a session expiry) and manual acks. A message is acked only
after its batch is in InfluxDB or fsynced to the spool, and its dead letters are
saved (``sensors.bridge.runner``); a bridge killed before that gets the message
again from the broker on restart. Because every point carries the uplink's own
timestamp, a redelivered message rewrites identical points instead of adding new ones.

Alone (no share group), a stopped bridge keeps its session: the broker queues
uplinks for it (bounded, see ``deploy/mosquitto.conf``) and a restart loses
nothing. In a share group (``$share/<group>/<topic>``) a stopping bridge hands
its share to the others instead and ends its session, and a crashed one's
session is adopted by another member: ``sensors.bridge.share_group`` explains
why Mosquitto needs this rather than clean-start shared subscriptions.

The bridge announces an MQTT v5 Receive Maximum (``receive_maximum``): the
broker sends at most that many unacked messages before waiting for acks. The
bridge therefore flushes as soon as its inbox stops growing (``idle_flush_s``),
not only on size or age.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.reasoncodes import ReasonCode

from sensors.bridge import share_group
from sensors.bridge.config import BridgeConfig
from sensors.bridge.keeper import Keeper, jitter, keeper_holder
from sensors.bridge.share_group import Adoption, InboxItem, Link, Roster, Topics

log = logging.getLogger("sensors.bridge")

WITH_WILL = ReasonCode(PacketTypes.DISCONNECT, "Disconnect with will message")


class BridgeClient:
    """Messages arrive in ``inbox`` as ``(topic, payload, mid, qos, link)``; the loop acks them.

    ``stopping`` is the bridge's stop event: once set, no new share is taken.
    """

    def __init__(
        self, config: BridgeConfig, inbox: deque[InboxItem], stopping: threading.Event
    ) -> None:
        self.config = config
        self.inbox = inbox
        self.stopping = stopping
        self.connected = False
        self.topics = Topics(config)
        self.roster = Roster(config.client_id, config.adopt_grace_s)
        self.adoptions: dict[str, Adoption] = {}
        self.adopted = 0  # crashed members' sessions taken over and drained
        self.left_group = False
        self.keeper: Keeper | None = None
        # The retained keeper state: who holds it ("" nobody), how many states we have
        # seen, and how many we had seen when ours was lost (only a newer one counts).
        self.keeper_holder = ""
        self.keeper_seen = 0
        self.keeper_lost_at_seen = -1
        self.keeper_try_at = 0.0
        self.client = self._client()
        self.link = Link(self.client)
        self.link.live = False

    def _client(self) -> mqtt.Client:
        client = share_group.new_client(self.config, self.config.client_id)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        client.on_subscribe = self._on_subscribe
        return client

    def start(self) -> None:
        share_group.connect(self.client, self.config)
        self.client.loop_start()

    def close(self) -> None:
        """Give up adoptions, hand back the keeper and disconnect, keeping or ending the session."""
        for adoption in self.adoptions.values():
            adoption.abandon()
        self.release_keeper()
        if self.config.share_group and not self.left_group:
            # Our session stays and the will announces it down: another member adopts it.
            self.client.disconnect(WITH_WILL)
        elif not self.left_group:
            self.client.disconnect()  # the session stays: a restart resumes it
        self.client.loop_stop()

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        if reason_code.is_failure:
            log.error("MQTT connection refused: %s", reason_code)
            return
        # Messages of an earlier connection are redelivered on this one; acks of the
        # old one are never sent on it.
        self.link = Link(client)
        self.connected = True
        if self.config.share_group and self.stopping.is_set():
            return  # leaving the group: take no new share
        _, self.link.subscribe_mid = client.subscribe(
            [(topic, 1) for topic in self.config.subscriptions()]
        )
        if self.config.share_group:
            client.subscribe([(self.topics.members, 1), (self.topics.keeper, 1)])
            # Let the retained keeper state arrive before taking a keeper that looks free.
            self.keeper_try_at = time.monotonic() + jitter()
            client.publish(self.topics.state(self.config.client_id), share_group.UP, 1, True)
        log.info(
            "connected to %s:%d as %s (session present: %s)",
            self.config.mqtt_host,
            self.config.mqtt_port,
            self.config.client_id,
            flags.session_present,
        )

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:
        self.link.live = False
        self.connected = False
        if not self.stopping.is_set():
            log.warning("MQTT disconnected (%s); reconnecting", reason_code)

    def _on_message(self, client, userdata, message) -> None:
        topic = message.topic
        if topic.startswith(self.topics.base):
            self._on_group_message(topic, message.payload)
            client.ack(message.mid, message.qos)
            return
        self.inbox.append((topic, message.payload, message.mid, message.qos, self.link))

    def _on_subscribe(self, client, userdata, mid, reason_codes, properties) -> None:
        link = self.link
        if mid == link.subscribe_mid and not any(rc.is_failure for rc in reason_codes):
            link.subscribed = True

    def _on_group_message(self, topic: str, payload: bytes) -> None:
        link, topics = self.link, self.topics
        if topic == topics.keeper:
            self.keeper_holder = keeper_holder(payload)
            self.keeper_seen += 1
            self.keeper_try_at = time.monotonic() + jitter()
        elif topic.startswith(topics.members[:-1]):
            self.roster.note(topic.removeprefix(topics.members[:-1]), payload)
        elif link.marker and payload == link.marker:
            link.drained = True

    def _deliver(self, topic: str, payload: bytes, mid: int, qos: int, link: Link) -> None:
        """Messages of an adopted session join our own batches."""
        self.inbox.append((topic, payload, mid, qos, link))

    def tend_group(self) -> None:
        """Hold the keeper when it is free; adopt members seen down; finish adoptions."""
        c = self.config
        if self.keeper and not self.keeper.tend(self.inbox):
            # Its connection ended: taken over by another member, or the broker went away.
            # A state seen after this says which (``held <other>``, or ours restored).
            self.keeper = None
            self.keeper_lost_at_seen = self.keeper_seen
        if (
            c.keeper
            and self.keeper is None
            and (
                self.keeper_holder in ("", c.client_id) or not self.roster.is_up(self.keeper_holder)
            )
            and self.keeper_seen > self.keeper_lost_at_seen
            and self.link.subscribed
            and not self.stopping.is_set()
            and time.monotonic() >= self.keeper_try_at
        ):
            self.keeper = Keeper(c, c.client_id, self._deliver, lambda: self.link.subscribed)
        if not self.stopping.is_set():
            for orphan in self.roster.due():
                if orphan not in self.adoptions and self.connected:
                    self.adoptions[orphan] = Adoption(
                        self.config, orphan, self.config.client_id, self._deliver
                    )
        for orphan, adoption in list(self.adoptions.items()):
            if adoption.tend(self.inbox):
                del self.adoptions[orphan]
                self.adopted += adoption.resumed

    def release_keeper(self) -> None:
        """Hand the keeper back to the group: its session stays, another member takes it."""
        if self.keeper:
            self.keeper.release()
            self.keeper = None
            if self.link.live:
                self.client.publish(self.topics.keeper, b"", 1, True)

    def leave_group(self, turn: Callable[[], None], flush_all: Callable[[], None]) -> None:
        """Hand our share to the other members and end our session, losing nothing.

        Unsubscribed, the broker routes nothing new to us; the drain marker comes back
        behind everything it had queued for us. Meanwhile the loop keeps turning
        (``turn``); once everything is written and acked (``flush_all``) the session
        ends. If the broker is unreachable the session stays and is adopted.
        """
        c = self.config
        link = self.link
        if not link.live:
            log.warning("leaving share group %s: broker unreachable; session kept", c.share_group)
            return
        self.release_keeper()
        self.client.unsubscribe([*c.subscriptions(), self.topics.members, self.topics.keeper])
        share_group.start_drain(link, self.topics.marker(c.client_id))
        deadline = time.monotonic() + c.drain_timeout_s
        while link.live and time.monotonic() < deadline:
            if link.drained and not self.inbox and not self.adoptions:
                break
            if not link.drained and time.monotonic() - link.marker_sent_at > (
                share_group.MARKER_RETRY_S
            ):
                share_group.start_drain(link, self.topics.marker(c.client_id))
            turn()
        flush_all()
        if not (link.live and link.drained):
            log.warning("leaving share group %s: queue not drained; session kept", c.share_group)
            return
        share_group.end_session(self.client, self.topics.state(c.client_id))
        self.left_group = True
        log.info("left share group %s; session ended", c.share_group)

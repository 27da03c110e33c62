"""The bridge process: the only MQTT client, and the loop that batches, writes and acks.

Delivery guarantee: QoS 1 over MQTT v5 with a persistent session (fixed client
id, clean start off, a session expiry) and manual acks. A message is acked only
after its batch is in InfluxDB or fsynced to the spool, and its dead letters are
saved; a bridge killed before that gets the message again from the broker on
restart. Because every point carries the uplink's own timestamp, a redelivered
message rewrites identical points instead of adding new ones.

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

import importlib
import logging
import signal
import threading
import time
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import paho.mqtt.client as mqtt
from django.db import DatabaseError, InterfaceError, OperationalError, close_old_connections
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.reasoncodes import ReasonCode

from sensors.bridge import share_group
from sensors.bridge.config import BridgeConfig
from sensors.bridge.keeper import Keeper, jitter, keeper_holder
from sensors.bridge.metrics import Latency, serve, snapshot, write_status
from sensors.bridge.pipeline import (
    Counters,
    DeadLetterRow,
    DeviceDirectory,
    Pipeline,
    ReadingEvent,
)
from sensors.bridge.share_group import Adoption, InboxItem, Link, Roster, Topics
from sensors.bridge.spool import Spool
from sensors.bridge.writer import DurableWriter
from sensors.timeseries import InfluxError, TimeSeries

log = logging.getLogger("sensors.bridge")

OnReadings = Callable[[list[ReadingEvent]], None]


def no_readings_hook(batch: list[ReadingEvent]) -> None:
    """Default ``on_readings``: the alert engine replaces it through the config."""


def resolve_hook(path: str) -> OnReadings:
    """One hook ``package.module:function``, or several separated by commas.

    Several are called in order on each batch, each even when an earlier one failed;
    the first error is raised afterwards, so the bridge's retry (database away) or
    drop accounting applies to the batch as before.
    """
    hooks = [_import_hook(p.strip()) for p in path.split(",") if p.strip()]
    if not hooks:
        return no_readings_hook
    if len(hooks) == 1:
        return hooks[0]

    def fan_out(batch: list[ReadingEvent]) -> None:
        error: Exception | None = None
        for hook in hooks:
            try:
                hook(batch)
            except Exception as exc:
                error = error or exc
        if error is not None:
            raise error

    return fan_out


def _import_hook(path: str) -> OnReadings:
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


# Readings kept for the hook while its database is away (about ten minutes of a busy
# county at a few hundred readings a second); beyond that the oldest are dropped and counted.
HOOK_BACKLOG_MAX = 200_000
# Preparing the InfluxDB database again while it is away: first retry, longest wait.
SCHEMA_RETRY_S = (1.0, 30.0)
WITH_WILL = ReasonCode(PacketTypes.DISCONNECT, "Disconnect with will message")


def _datetime(ns: int) -> datetime:
    return datetime.fromtimestamp(ns / 1e9, UTC)


class Bridge:
    def __init__(
        self,
        config: BridgeConfig,
        *,
        decode: Callable[[str, int, bytes], Any] | None = None,
        on_readings: OnReadings | None = None,
    ) -> None:
        self.config = config
        self.counters = Counters()
        self.latency = Latency()
        self.directory = DeviceDirectory(config.device_refresh_s)
        self.pipeline = Pipeline.from_config(config, self.directory, self.counters, decode=decode)
        self.ts = TimeSeries(
            config.influx_url,
            config.influx_db,
            username=config.influx_username,
            password=config.influx_password,
        )
        self.spool = Spool(config.spool_dir)
        self.writer = DurableWriter(self.ts, self.spool)
        self.on_readings = on_readings or resolve_hook(config.on_readings)
        self.hook_backlog: deque[list[ReadingEvent]] = deque()
        self.hook_retry_at = 0.0
        # Without a hook nobody reads the per-reading events: do not build them.
        self.pipeline.collect_readings = self.on_readings is not no_readings_hook
        self.inbox: deque[InboxItem] = deque()
        self.connected = False
        self.stopping = threading.Event()
        self.unsaved_dead: list[DeadLetterRow] = []
        self.schema_ready = False
        self.schema_retry_at = 0.0
        self.schema_backoff = SCHEMA_RETRY_S[0]
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

    # -- MQTT

    def _client(self) -> mqtt.Client:
        client = share_group.new_client(self.config, self.config.client_id)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        client.on_subscribe = self._on_subscribe
        return client

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

    # -- the loop

    def run(self) -> None:
        c = self.config
        self._ensure_schema()
        self.directory.load()
        http = serve(c.metrics_port, self.status) if c.metrics_port else None
        share_group.connect(self.client, c)
        self.client.loop_start()
        log.info("bridge %s subscribed to %s", c.client_id, ", ".join(c.subscriptions()))
        self._next_status = time.monotonic() + c.status_flush_s
        self._next_log = time.monotonic() + c.log_interval_s
        self._next_tend = 0.0
        self._first_seen = self._last_change = 0.0
        self._last_len = 0
        try:
            while not self.stopping.is_set():
                self._step()
            if c.share_group:
                self._leave_group()
            # Graceful stop: whatever arrived is made durable and acked.
            inbox = self.inbox
            while inbox:
                self.flush(min(len(inbox), c.max_batch))
            if self.counters.hook_pending:
                log.warning(
                    "stopping with %d readings the alert hook has not evaluated",
                    self.counters.hook_pending,
                )
        finally:
            self.save_status()
            for adoption in self.adoptions.values():
                adoption.abandon()
            self._release_keeper()
            if self.config.share_group and not self.left_group:
                # Our session stays and the will announces it down: another member adopts it.
                self.client.disconnect(WITH_WILL)
            elif not self.left_group:
                self.client.disconnect()  # the session stays: a restart resumes it
            self.client.loop_stop()
            write_status(c.status_path, self.status())
            if http:
                http.shutdown()
            self.spool.close()
            self.ts.close()

    def _step(self) -> None:
        """One turn of the loop: flush a due batch, or do the periodic chores and nap."""
        c = self.config
        now = time.monotonic()
        n = len(self.inbox)
        if n:
            if n != self._last_len:
                if not self._last_len:
                    self._first_seen = now
                self._last_len, self._last_change = n, now
            if (
                n >= c.max_batch
                or now - self._first_seen >= c.max_delay_s
                or now - self._last_change >= c.idle_flush_s
            ):
                self.flush(min(n, c.max_batch))
                self._last_len = 0
                return
        else:
            self._last_len = 0
        if self.spool.pending:
            if not self.schema_ready and now >= self.schema_retry_at:
                self._ensure_schema()
            self.counters.written += self.writer.replay()
        if now >= self._next_status:
            self.save_status()
            self._next_status = now + c.status_flush_s
        if self.hook_backlog:
            self.run_hook()
        if self.directory.due():
            self._refresh_devices()
        if c.share_group and now >= self._next_tend:
            self._tend_group()
            self._next_tend = now + 0.05
        if now >= self._next_log:
            self.log_counters()
            self._next_log = now + c.log_interval_s
        # Short naps while a batch is filling, longer ones when idle.
        time.sleep(0.001 if n else 0.005)

    def _tend_group(self) -> None:
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

    def _release_keeper(self) -> None:
        """Hand the keeper back to the group: its session stays, another member takes it."""
        if self.keeper:
            self.keeper.release()
            self.keeper = None
            if self.link.live:
                self.client.publish(self.topics.keeper, b"", 1, True)

    def _leave_group(self) -> None:
        """Hand our share to the other members and end our session, losing nothing.

        Unsubscribed, the broker routes nothing new to us; the drain marker comes back
        behind everything it had queued for us. Once that is written and acked the
        session ends. If the broker is unreachable the session stays and is adopted.
        """
        c = self.config
        link = self.link
        if not link.live:
            log.warning("leaving share group %s: broker unreachable; session kept", c.share_group)
            return
        self._release_keeper()
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
            self._step()
        while self.inbox:
            self.flush(min(len(self.inbox), c.max_batch))
        if not (link.live and link.drained):
            log.warning("leaving share group %s: queue not drained; session kept", c.share_group)
            return
        share_group.end_session(self.client, self.topics.state(c.client_id))
        self.left_group = True
        log.info("left share group %s; session ended", c.share_group)

    def stop(self, *args) -> None:
        self.stopping.set()

    def install_signal_handlers(self) -> None:
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)

    def flush(self, n: int) -> None:
        inbox = self.inbox
        items = [inbox.popleft() for _ in range(n)]
        batch = self.pipeline.process([(topic, body) for topic, body, _, _, _ in items])
        if batch.lines:
            body = "\n".join(batch.lines).encode()
            if self.writer.write(body):
                self.counters.written += len(batch.lines) - self.writer.last_rejected
                now_ms = time.time() * 1000
                self.latency.add_batch(now_ms, batch.times)
                if batch.times:
                    self.counters.lag_ms = round(now_ms - batch.times[-1] / 1e6, 1)
            else:
                self.counters.spooled += len(batch.lines)
            self.counters.uplinks_written += len(batch.times)
        refused = self.writer.take_rejected()  # points InfluxDB refused, with its error
        self.counters.points_rejected += len(refused)
        batch.dead += refused
        if batch.dead or self.unsaved_dead:
            self._save_dead_letters(batch.dead)
        for _, _, mid, qos, link in items:
            if qos and link.live:
                link.client.ack(mid, qos)
        if batch.readings:
            self.hook_backlog.append(batch.readings)
            self.counters.hook_pending += len(batch.readings)
        self.run_hook()

    def run_hook(self) -> None:
        """Hand the waiting batches to ``on_readings`` in order.

        The readings are already durable in InfluxDB; what must not be lost is their
        evaluation. While the hook's database is unreachable the batches wait (bounded)
        and are retried every ``hook_retry_s``; a batch the hook rejects for any other
        reason is logged and dropped, so one bad batch cannot stall the ones behind it.
        """
        if not self.hook_backlog or time.monotonic() < self.hook_retry_at:
            return
        counters = self.counters
        while self.hook_backlog:
            readings = self.hook_backlog[0]
            try:
                self.on_readings(readings)
            except (OperationalError, InterfaceError):
                counters.hook_failures += 1
                log.warning(
                    "on_readings: database unreachable; %d readings wait", counters.hook_pending
                )
                close_old_connections()
                self.hook_retry_at = time.monotonic() + self.config.hook_retry_s
                self._trim_hook_backlog()
                return
            except Exception:
                counters.hook_dropped += len(readings)
                log.exception("on_readings hook failed; %d readings not evaluated", len(readings))
            self.hook_backlog.popleft()
            counters.hook_pending -= len(readings)

    def _trim_hook_backlog(self) -> None:
        counters = self.counters
        while counters.hook_pending > HOOK_BACKLOG_MAX and len(self.hook_backlog) > 1:
            dropped = self.hook_backlog.popleft()
            counters.hook_pending -= len(dropped)
            counters.hook_dropped += len(dropped)

    def _save_dead_letters(self, rows: list[DeadLetterRow]) -> None:
        from sensors.models import DeadLetter

        pending = self.unsaved_dead + rows
        try:
            DeadLetter.objects.bulk_create(
                [DeadLetter(**r.as_model_kwargs()) for r in pending], batch_size=1000
            )
        except DatabaseError:
            log.exception("could not save %d dead letters; retrying next batch", len(pending))
            close_old_connections()
            self.unsaved_dead = pending[-10_000:]
            return
        self.unsaved_dead = []
        self.counters.dead_lettered += len(pending)

    def _ensure_schema(self) -> None:
        try:
            self.ts.ensure_database(self.config.influx_retention)
            self.schema_ready = True
        except InfluxError as exc:
            log.warning(
                "cannot prepare InfluxDB database yet (retry in %.0f s): %s",
                self.schema_backoff,
                exc,
            )
            self.schema_retry_at = time.monotonic() + self.schema_backoff
            self.schema_backoff = min(self.schema_backoff * 2, SCHEMA_RETRY_S[1])

    def _refresh_devices(self) -> None:
        try:
            self.directory.load()
        except DatabaseError:
            log.exception("device refresh failed; keeping the previous directory")
            close_old_connections()
            self.directory.loaded_at = time.monotonic()

    def save_status(self) -> None:
        """Write device and gateway status collected since the last call, in bulk."""
        from sensors.devices import save_radio_status

        status, gateways = self.pipeline.take_status()
        if self.writer.rejected:  # refused while replaying the spool
            refused = self.writer.take_rejected()
            self.counters.points_rejected += len(refused)
            self._save_dead_letters(refused)
        try:
            save_radio_status(status, gateways)
        except DatabaseError:
            log.exception("could not save device status; it is refreshed by the next uplinks")
            close_old_connections()

    def status(self) -> dict[str, Any]:
        return snapshot(
            self.counters,
            self.latency,
            {
                "client_id": self.config.client_id,
                "connected": self.connected,
                "inbox": len(self.inbox),
                "adopting": sorted(self.adoptions),
                "keeper": self.keeper is not None,
                "keeper_forwarded": self.keeper.forwarded if self.keeper else 0,
                "adopted": self.adopted,
                "spool_pending": int(self.spool.pending),
                "rejected_batches": self.writer.rejected_batches,
            },
        )

    def log_counters(self) -> None:
        s = self.status()
        log.info(
            "received=%d decoded=%d written=%d dead_lettered=%d spooled=%d duplicates=%d "
            "faults=%d lag_ms=%s p95_ms=%s spool_pending=%d",
            s["received"],
            s["decoded"],
            s["written"],
            s["dead_lettered"],
            s["spooled"],
            s["duplicates"],
            s["faults"],
            s["lag_ms"],
            s["p95_ms"],
            s["spool_pending"],
        )
        write_status(self.config.status_path, s)

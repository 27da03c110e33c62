"""The bridge process: the only MQTT client, and the loop that batches, writes and acks.

Delivery guarantee: QoS 1 with a persistent session (fixed client id,
``clean_session`` off) and manual acks. A message is acked only after its batch
is in InfluxDB or fsynced to the spool, and its dead letters are saved; a
bridge killed before that gets the message again from the broker on restart.
Because every point carries the uplink's own timestamp, a redelivered message
rewrites identical points instead of adding new ones.

The broker's ``max_inflight_messages`` bounds how many unacked messages it
sends before waiting for acks; the bridge therefore flushes as soon as its
inbox stops growing (``idle_flush_s``), not only on size or age.
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

from sensors.bridge.config import BridgeConfig
from sensors.bridge.metrics import Latency, serve, snapshot, write_status
from sensors.bridge.pipeline import (
    Counters,
    DeadLetterRow,
    DeviceDirectory,
    Pipeline,
    ReadingEvent,
)
from sensors.bridge.spool import Spool
from sensors.bridge.writer import DurableWriter
from sensors.timeseries import InfluxError, TimeSeries

log = logging.getLogger("sensors.bridge")

OnReadings = Callable[[list[ReadingEvent]], None]


def no_readings_hook(batch: list[ReadingEvent]) -> None:
    """Default ``on_readings``: the alert engine replaces it through the config."""


def resolve_hook(path: str) -> OnReadings:
    if not path:
        return no_readings_hook
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


# Readings kept for the hook while its database is away (about ten minutes of a busy
# county at a few hundred readings a second); beyond that the oldest are dropped and counted.
HOOK_BACKLOG_MAX = 200_000


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
        self.pipeline = Pipeline(
            self.directory, self.counters, dedup_window_s=config.dedup_window_s, decode=decode
        )
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
        self.inbox: deque[tuple[str, bytes, int, int, int]] = deque()
        self.generation = 0
        self.connected = False
        self.stopping = threading.Event()
        self.unsaved_dead: list[DeadLetterRow] = []
        self.schema_ready = False
        self.client = self._client()

    # -- MQTT

    def _client(self) -> mqtt.Client:
        c = self.config
        client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2,
            client_id=c.client_id,
            clean_session=False,
            protocol=mqtt.MQTTv311,
            manual_ack=True,
        )
        if c.mqtt_username:
            client.username_pw_set(c.mqtt_username, c.mqtt_password)
        client.reconnect_delay_set(min_delay=1, max_delay=10)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        return client

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        if reason_code.is_failure:
            log.error("MQTT connection refused: %s", reason_code)
            return
        # Messages of an earlier connection are redelivered on this one; never ack them.
        self.generation += 1
        self.connected = True
        client.subscribe([(topic, 1) for topic in self.config.subscriptions()])
        log.info(
            "connected to %s:%d as %s (session present: %s)",
            self.config.mqtt_host,
            self.config.mqtt_port,
            self.config.client_id,
            flags.session_present,
        )

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:
        self.connected = False
        if not self.stopping.is_set():
            log.warning("MQTT disconnected (%s); reconnecting", reason_code)

    def _on_message(self, client, userdata, message) -> None:
        self.inbox.append(
            (message.topic, message.payload, message.mid, message.qos, self.generation)
        )

    # -- the loop

    def run(self) -> None:
        c = self.config
        self._ensure_schema()
        self.directory.load()
        http = serve(c.metrics_port, self.status) if c.metrics_port else None
        self.client.connect_async(c.mqtt_host, c.mqtt_port, keepalive=30)
        self.client.loop_start()
        log.info("bridge %s subscribed to %s", c.client_id, ", ".join(c.subscriptions()))
        next_status = time.monotonic() + c.status_flush_s
        next_log = time.monotonic() + c.log_interval_s
        first_seen = 0.0
        last_len = 0
        last_change = 0.0
        inbox = self.inbox
        try:
            while not self.stopping.is_set():
                now = time.monotonic()
                n = len(inbox)
                if n:
                    if n != last_len:
                        if not last_len:
                            first_seen = now
                        last_len, last_change = n, now
                    if (
                        n >= c.max_batch
                        or now - first_seen >= c.max_delay_s
                        or now - last_change >= c.idle_flush_s
                    ):
                        self.flush(min(n, c.max_batch))
                        last_len = 0
                        continue
                else:
                    last_len = 0
                if self.spool.pending:
                    if not self.schema_ready:
                        self._ensure_schema()
                    self.counters.written += self.writer.replay()
                if now >= next_status:
                    self.save_status()
                    next_status = now + c.status_flush_s
                if self.hook_backlog:
                    self.run_hook()
                if self.directory.due():
                    self._refresh_devices()
                if now >= next_log:
                    self.log_counters()
                    next_log = now + c.log_interval_s
                # Short naps while a batch is filling, longer ones when idle.
                time.sleep(0.001 if n else 0.005)
            # Graceful stop: whatever arrived is made durable and acked.
            while inbox:
                self.flush(min(len(inbox), c.max_batch))
            if self.counters.hook_pending:
                log.warning(
                    "stopping with %d readings the alert hook has not evaluated",
                    self.counters.hook_pending,
                )
        finally:
            self.save_status()
            self.client.disconnect()
            self.client.loop_stop()
            write_status(c.status_path, self.status())
            if http:
                http.shutdown()
            self.spool.close()
            self.ts.close()

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
                self.counters.written += len(batch.lines)
                now_ms = time.time() * 1000
                self.latency.add_batch(now_ms, batch.times)
                if batch.times:
                    self.counters.lag_ms = round(now_ms - batch.times[-1] / 1e6, 1)
            else:
                self.counters.spooled += len(batch.lines)
            self.counters.uplinks_written += len(batch.times)
        if batch.dead or self.unsaved_dead:
            self._save_dead_letters(batch.dead)
        generation = self.generation
        ack = self.client.ack
        for _, _, mid, qos, gen in items:
            if qos and gen == generation:
                ack(mid, qos)
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
            log.warning("cannot prepare InfluxDB database yet: %s", exc)

    def _refresh_devices(self) -> None:
        try:
            self.directory.load()
        except DatabaseError:
            log.exception("device refresh failed; keeping the previous directory")
            close_old_connections()
            self.directory.loaded_at = time.monotonic()

    def save_status(self) -> None:
        """Write device and gateway status collected since the last call, in bulk."""
        from sensors.models import Device, Gateway

        status, gateways = self.pipeline.take_status()
        try:
            with_battery, without = [], []
            for device_id, (t, battery, rssi, snr, f_cnt, _) in status.items():
                d = Device(id=device_id, last_seen=_datetime(t), rssi=rssi, snr=snr, f_cnt=f_cnt)
                if battery is not None:
                    d.battery_v = battery
                    with_battery.append(d)
                else:
                    without.append(d)
            fields = ["last_seen", "rssi", "snr", "f_cnt"]
            Device.objects.bulk_update(without, fields, batch_size=500)
            Device.objects.bulk_update(with_battery, [*fields, "battery_v"], batch_size=500)
            if gateways:
                Gateway.objects.bulk_create(
                    [Gateway(gateway_eui=eui) for eui in gateways if len(eui) == 16],
                    ignore_conflicts=True,
                )
                known = list(Gateway.objects.filter(gateway_eui__in=list(gateways)))
                for gw in known:
                    gw.last_seen = _datetime(gateways[gw.gateway_eui])
                Gateway.objects.bulk_update(known, ["last_seen"], batch_size=500)
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

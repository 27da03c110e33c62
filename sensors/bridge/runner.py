"""The bridge process's loop: batch the inbox, write it, save dead letters, ack, run the hook.

Each message is acked only after its batch is in InfluxDB or fsynced to the spool and
its dead letters are saved (``sensors.bridge.mqtt`` explains why that loses nothing).
Between batches the loop does the chores: replay the spool, save device status, retry
the hook's backlog, refresh the device directory and tend the share group.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from django.db import DatabaseError, close_old_connections

from sensors.bridge.config import BridgeConfig
from sensors.bridge.deadletters import DeadLetterSaver
from sensors.bridge.hooks import HookBacklog, OnReadings, no_readings_hook, resolve_hook
from sensors.bridge.metrics import Latency, serve, snapshot, write_status
from sensors.bridge.mqtt import BridgeClient
from sensors.bridge.pipeline import Counters, DeviceDirectory, Pipeline
from sensors.bridge.share_group import InboxItem
from sensors.bridge.spool import Spool
from sensors.bridge.writer import DurableWriter
from sensors.timeseries import InfluxError, TimeSeries

log = logging.getLogger("sensors.bridge")

# Preparing the InfluxDB database again while it is away: first retry, longest wait.
SCHEMA_RETRY_S = (1.0, 30.0)


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
        on_readings = on_readings or resolve_hook(config.on_readings)
        self.hooks = HookBacklog(on_readings, self.counters, config.hook_retry_s)
        # Without a hook nobody reads the per-reading events: do not build them.
        self.pipeline.collect_readings = on_readings is not no_readings_hook
        self.dead_letters = DeadLetterSaver(self.counters)
        self.inbox: deque[InboxItem] = deque()
        self.stopping = threading.Event()
        self.schema_ready = False
        self.schema_retry_at = 0.0
        self.schema_backoff = SCHEMA_RETRY_S[0]
        self.mqtt = BridgeClient(config, self.inbox, self.stopping)

    @property
    def connected(self) -> bool:
        return self.mqtt.connected

    def run(self) -> None:
        c = self.config
        self._ensure_schema()
        self.directory.load()
        http = serve(c.metrics_port, self.status) if c.metrics_port else None
        self.mqtt.start()
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
                self.mqtt.leave_group(self._step, self._flush_inbox)
            # Graceful stop: whatever arrived is made durable and acked.
            self._flush_inbox()
            if self.counters.hook_pending:
                log.warning(
                    "stopping with %d readings the alert hook has not evaluated",
                    self.counters.hook_pending,
                )
        finally:
            self.save_status()
            self.mqtt.close()
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
        if self.hooks.batches:
            self.hooks.run()
        if self.directory.due():
            self._refresh_devices()
        if c.share_group and now >= self._next_tend:
            self.mqtt.tend_group()
            self._next_tend = now + 0.05
        if now >= self._next_log:
            self.log_counters()
            self._next_log = now + c.log_interval_s
        # Short naps while a batch is filling, longer ones when idle.
        time.sleep(0.001 if n else 0.005)

    def stop(self, *args) -> None:
        self.stopping.set()

    def install_signal_handlers(self) -> None:
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)

    def _flush_inbox(self) -> None:
        inbox = self.inbox
        while inbox:
            self.flush(min(len(inbox), self.config.max_batch))

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
        if batch.dead or self.dead_letters.unsaved:
            self.dead_letters.save(batch.dead)
        for _, _, mid, qos, link in items:
            if qos and link.live:
                link.client.ack(mid, qos)
        if batch.readings:
            self.hooks.add(batch.readings)
        self.hooks.run()

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
            self.dead_letters.save(refused)
        try:
            save_radio_status(status, gateways)
        except DatabaseError:
            log.exception("could not save device status; it is refreshed by the next uplinks")
            close_old_connections()

    def status(self) -> dict[str, Any]:
        mqtt = self.mqtt
        return snapshot(
            self.counters,
            self.latency,
            {
                "client_id": self.config.client_id,
                "connected": mqtt.connected,
                "inbox": len(self.inbox),
                "adopting": sorted(mqtt.adoptions),
                "keeper": mqtt.keeper is not None,
                "keeper_forwarded": mqtt.keeper.forwarded if mqtt.keeper else 0,
                "adopted": mqtt.adopted,
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

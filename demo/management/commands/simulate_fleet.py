"""Publish ChirpStack v4 uplinks from a virtual fleet: ``manage.py simulate_fleet --nodes N``."""

from __future__ import annotations

import os
import time
from urllib.parse import urlsplit

import paho.mqtt.client as mqtt
from django.core.management.base import BaseCommand, CommandError

from agrimon.config import load
from demo.burst_publisher import BrokerError, BurstPublisher
from demo.fleet import BurstTemplates, Fleet, register_fleet


class Command(BaseCommand):
    # A long-running worker that serves no URLs: the web checks are the web's business.
    requires_system_checks: list[str] = []
    help = (
        "Simulate soil and water nodes publishing ChirpStack v4 uplinks. Real-time by "
        "default (one uplink per node every --interval seconds); --rate sends a burst."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--nodes", type=int, default=20)
        parser.add_argument("--first-node", type=int, default=0, help="number of the first node")
        parser.add_argument("--interval", type=float, default=60.0, help="seconds per node")
        parser.add_argument("--rate", type=float, default=0, help="burst: uplinks per second")
        parser.add_argument("--count", type=int, default=0, help="stop after this many uplinks")
        parser.add_argument("--duration", type=float, default=0, help="stop after seconds")
        parser.add_argument("--backfill-hours", type=float, default=0, help="history first")
        parser.add_argument("--lost", type=float, default=0.02, help="share of lost packets")
        parser.add_argument("--corrupt", type=float, default=0.01, help="share corrupt")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--mqtt-url", help="default: MQTT_URL")
        parser.add_argument("--topic-prefix", default="")
        parser.add_argument("--client-id", default="")
        parser.add_argument("--no-register", action="store_true", help="do not create devices")

    def handle(self, *args, **opts) -> None:
        fleet = Fleet(
            opts["nodes"],
            seed=opts["seed"],
            lost=0.0 if opts["rate"] else opts["lost"],
            corrupt=0.0 if opts["rate"] else opts["corrupt"],
            prefix=opts["topic_prefix"],
            first=opts["first_node"],
        )
        if not opts["no_register"]:
            try:
                created = register_fleet(fleet)
            except RuntimeError as exc:
                raise CommandError(str(exc)) from None
            self.stdout.write(f"registered {created} new simulated device(s)")
        url = opts["mqtt_url"] or load().mqtt_url
        if opts["rate"]:
            sent = self._burst(url, fleet, opts)
            self.stdout.write(f"published {sent} uplink(s)")
            return
        client = self._connect(url, opts["client_id"])
        try:
            sent = self._real_time(client, fleet, opts)
        except KeyboardInterrupt:
            sent = -1
        finally:
            client.disconnect()
            client.loop_stop()
            client.loop(0.1)
        if sent >= 0:
            self.stdout.write(f"published {sent} uplink(s)")

    def _connect(self, url: str, client_id: str) -> mqtt.Client:
        parts = urlsplit(url)
        client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id)
        client.max_inflight_messages_set(2000)
        client.max_queued_messages_set(0)
        if parts.username:
            client.username_pw_set(parts.username, parts.password)
        try:
            client.connect(parts.hostname or "127.0.0.1", parts.port or 1883)
        except OSError as exc:
            raise CommandError(f"cannot reach MQTT broker {url}: {exc}") from None
        client.loop_start()
        return client

    def _publish(self, client: mqtt.Client, messages) -> list[mqtt.MQTTMessageInfo]:
        return [client.publish(topic, body, qos=1) for topic, body in messages]

    def _real_time(self, client: mqtt.Client, fleet: Fleet, opts) -> int:
        interval = opts["interval"]
        sent = 0
        if opts["backfill_hours"]:
            t = time.time_ns() - int(opts["backfill_hours"] * 3600e9)
            step = int(interval * 1e9)
            while t < time.time_ns():
                infos = self._publish(client, [(u.topic, u.body) for u in fleet.tick(t, interval)])
                sent += len(infos)
                for info in infos:
                    info.wait_for_publish(30)
                t += step
            self.stdout.write(f"backfilled {sent} uplink(s)")
        started = time.monotonic()
        spread = interval / max(1, len(fleet.nodes))  # nodes are not synchronised
        while not self._done(sent, started, opts):
            for node in fleet.nodes:
                up = fleet.uplink(node, time.time_ns(), interval)
                if up is not None:
                    client.publish(up.topic, up.body, qos=1)
                    sent += 1
                time.sleep(spread)
                if self._done(sent, started, opts):
                    break
        return sent

    def _burst(self, url: str, fleet: Fleet, opts) -> int:
        """Publish pre-rendered uplinks at ``--rate`` with the lean burst publisher.

        The generator must not eat the cores the bridge is measured on (see
        ``demo.burst_publisher``); rounds are written in chunks of 50, paced to the
        rate, and the command waits until the broker has acknowledged every message.
        """
        parts = urlsplit(url)
        if parts.scheme not in ("mqtt", "tcp", ""):
            raise CommandError("bursts need a plain mqtt:// broker URL")
        try:
            pub = BurstPublisher(
                parts.hostname or "127.0.0.1",
                parts.port or 1883,
                opts["client_id"] or f"sim-burst-{os.getpid()}",
                parts.username,
                parts.password,
            )
        except (OSError, BrokerError) as exc:
            raise CommandError(f"cannot reach MQTT broker {url}: {exc}") from None
        templates = BurstTemplates(fleet)
        rate = opts["rate"]
        started = time.monotonic()
        try:
            while not self._done(pub.sent, started, opts):
                messages = templates.round()
                if opts["count"]:
                    messages = messages[: opts["count"] - pub.sent]
                for topic, body in messages:
                    pub.publish(topic, body)
                    if pub.sent % 50 == 0:
                        pub.flush()
                        self._pace(pub.sent, rate, started)
                pub.flush()
                self._pace(pub.sent, rate, started)
            complete = pub.wait_acked(120)
        except BrokerError as exc:
            raise CommandError(f"broker: {exc}") from None
        finally:
            pub.close()
        elapsed = time.monotonic() - started
        self.stdout.write(
            f"burst: {pub.sent} uplinks in {elapsed:.2f}s ({pub.sent / elapsed:.0f}/s)"
        )
        if not complete:
            raise CommandError(f"{pub.sent - pub.acked} uplinks not acknowledged by the broker")
        return pub.sent

    @staticmethod
    def _pace(sent: int, rate: float, started: float) -> None:
        """Hold the publish rate: sleep until the schedule catches up."""
        ahead = sent / rate - (time.monotonic() - started)
        if ahead > 0:
            time.sleep(ahead)

    @staticmethod
    def _done(sent: int, started: float, opts) -> bool:
        if opts["count"] and sent >= opts["count"]:
            return True
        return bool(opts["duration"]) and time.monotonic() - started >= opts["duration"]

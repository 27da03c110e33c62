"""Run the MQTT → InfluxDB bridge: ``manage.py run_bridge [--share-group G] [--client-id ID]``."""

from __future__ import annotations

import logging

from django.core.management.base import BaseCommand, CommandError

from agrimon.config import load
from sensors.bridge.config import bridge_config
from sensors.bridge.runner import Bridge


class Command(BaseCommand):
    # A long-running worker that serves no URLs: the web checks are the web's business.
    requires_system_checks: list[str] = []
    help = "Consume ChirpStack v4 / TTS v3 events over MQTT and write readings to InfluxDB."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--mqtt-url", help="default: MQTT_URL")
        parser.add_argument("--influx-url", help="default: INFLUX_URL")
        parser.add_argument("--influx-db", help="default: INFLUX_DB")
        parser.add_argument("--client-id", help="fixed MQTT client id (persistent session)")
        parser.add_argument("--share-group", help="join $share/<group>/… to split the load")
        parser.add_argument("--topic-prefix", help="prefix before every subscribed topic")
        parser.add_argument("--state-dir", help="spool and status files (default: state dir)")
        parser.add_argument("--max-batch", type=int)
        parser.add_argument("--max-delay", dest="max_delay_s", type=float, help="seconds")
        parser.add_argument("--log-interval", dest="log_interval_s", type=float)
        parser.add_argument("--status-interval", dest="status_flush_s", type=float)
        parser.add_argument("--device-refresh", dest="device_refresh_s", type=float)
        parser.add_argument("--metrics-port", type=int, help="serve /metrics and /status")
        parser.add_argument("--on-readings", help="hook 'package.module:function'")

    def handle(self, *args, **opts) -> None:
        keys = (
            "mqtt_url influx_url influx_db client_id share_group topic_prefix state_dir "
            "max_batch max_delay_s log_interval_s status_flush_s device_refresh_s "
            "metrics_port on_readings"
        ).split()
        try:
            config = bridge_config(load(), **{k: opts.get(k) for k in keys})
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        logging.getLogger("sensors").setLevel(logging.INFO)
        bridge = Bridge(config)
        bridge.install_signal_handlers()
        bridge.run()

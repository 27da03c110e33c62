"""Simulated relay controllers for the demo: ``manage.py simulate_relays [--seed]``.

They obey the aerator commands the app sends through the MQTT broker and answer with
uplinks at once, and report their state every ``--interval`` seconds.
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from agrimon.config import load
from demo.aeration import seed_aerators, simulated_relays
from demo.relays import RelayFleet


class Command(BaseCommand):
    requires_system_checks: list[str] = []
    help = "Simulate the demo's relay controllers (Dragino LT-22222-L) behind ChirpStack v4."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--seed", action="store_true", help="create the demo aerators first")
        parser.add_argument("--interval", type=float, default=120.0, help="seconds per report")
        parser.add_argument("--mqtt-url", help="default: MQTT_URL")
        parser.add_argument("--duration", type=float, default=0, help="stop after seconds")

    def handle(self, *args, **opts) -> None:
        if opts["seed"]:
            self.stdout.write(f"{seed_aerators()} demo aerators")
        relays = simulated_relays()
        if not relays:
            raise CommandError("no demo relay controllers: run with --seed")
        try:
            fleet = RelayFleet(opts["mqtt_url"] or load().mqtt_url, relays)
        except (OSError, RuntimeError) as exc:
            raise CommandError(f"MQTT broker: {exc}") from None
        self.stdout.write(f"simulating {len(relays)} relay controllers")
        started = time.monotonic()
        try:
            while not opts["duration"] or time.monotonic() - started < opts["duration"]:
                fleet.report_all()
                time.sleep(opts["interval"])
        except KeyboardInterrupt:
            pass
        finally:
            fleet.close()

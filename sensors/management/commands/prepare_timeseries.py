"""``manage.py prepare_timeseries``: the InfluxDB database and retention policies, before any write.

Raw points go to a finite policy and hourly roll-ups to ``rollup``; a writer that comes first
would otherwise fail (``retention policy not found``) and lose what it wrote.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from sensors.timeseries import InfluxUnavailable, TimeSeries


class Command(BaseCommand):
    help = "Create the InfluxDB database and its retention policies (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--wait", type=float, default=30.0, help="seconds to wait for InfluxDB")

    def handle(self, *args, wait: float, **options):
        config = settings.CONFIG
        ts = TimeSeries.from_config(config)
        deadline = time.monotonic() + wait
        try:
            while True:
                try:
                    ts.ensure_database(config.influx_retention)
                    break
                except InfluxUnavailable as exc:
                    if time.monotonic() >= deadline:
                        raise CommandError(
                            f"InfluxDB at {config.influx_url} is not answering ({exc}). "
                            "Start it with scripts/services.sh, then run this again."
                        ) from None
                    time.sleep(1.0)
        finally:
            ts.close()
        self.stdout.write(
            f"time series: database {config.influx_db} ready "
            f"(raw kept {config.influx_retention}, hourly roll-ups kept)"
        )

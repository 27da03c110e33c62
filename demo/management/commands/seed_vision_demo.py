"""Set up the vision demo: the shipped detectors registered, a pond camera replaying real
underwater frames, a trap camera with a week of real trap photos. Idempotent."""

from __future__ import annotations

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from farm.readiness import require_migrated_database
from vision.offline import configure_offline


class Command(BaseCommand):
    help = "Create or check the vision demo (run after seed_demo; uses the shipped weights)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--device", default="auto", help="auto, cpu or cuda[:N]")

    def handle(self, *args, **opts) -> None:
        require_migrated_database()
        # Before anything imports Ultralytics: no downloads, no telemetry.
        configure_offline(settings.CONFIG.state_dir)
        from demo.vision import DemoError, seed_vision_demo

        started = time.monotonic()
        try:
            summary = seed_vision_demo(opts["device"])
        except DemoError as exc:
            raise CommandError(str(exc)) from exc
        registered = ", ".join(summary.registered) or "none (already registered)"
        self.stdout.write(f"vision demo: models {', '.join(summary.models)}; new: {registered}")
        for camera in summary.cameras_created:
            self.stdout.write(f"  camera created: {camera}")
        if summary.trap_photos:
            self.stdout.write(f"  trap photos counted: {summary.trap_photos}")
        for camera, token in summary.upload_tokens.items():
            self.stdout.write(f"  upload token of {camera} (shown once): {token}")
        self.stdout.write(f"vision demo ready in {time.monotonic() - started:.1f}s")

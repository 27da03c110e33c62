"""Set up the vision demo: detectors trained offline on generated pictures, cameras replaying
generated clips, trap photos. Idempotent: the first run trains, later runs only check."""

from __future__ import annotations

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from farm.readiness import require_migrated_database
from vision.offline import configure_offline


class Command(BaseCommand):
    help = "Create or check the vision demo (run after seed_demo; trains once, then cached)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--device", default="auto", help="auto, cpu or cuda[:N]")
        parser.add_argument(
            "--epochs", type=int, default=None, help="override every detector's epochs"
        )
        parser.add_argument(
            "--train-images",
            type=int,
            default=None,
            help="override every detector's number of generated training images",
        )

    def handle(self, *args, **opts) -> None:
        require_migrated_database()
        # Before anything imports Ultralytics: no downloads, no telemetry.
        configure_offline(settings.CONFIG.state_dir)
        from vision.demo import DemoError, seed_vision_demo

        for option in ("epochs", "train_images"):
            if opts[option] is not None and opts[option] < 1:
                raise CommandError(f"--{option.replace('_', '-')} must be at least 1")
        started = time.monotonic()
        try:
            summary = seed_vision_demo(opts["device"], opts["epochs"], opts["train_images"])
        except DemoError as exc:
            raise CommandError(str(exc)) from exc
        trained = ", ".join(summary.trained) or "none (cached weights)"
        self.stdout.write(f"vision demo: models {', '.join(summary.models)}; trained: {trained}")
        for camera in summary.cameras_created:
            self.stdout.write(f"  camera created: {camera}")
        if summary.trap_photos:
            self.stdout.write(f"  trap photos counted: {summary.trap_photos}")
        for camera, token in summary.upload_tokens.items():
            self.stdout.write(f"  upload token of {camera} (shown once): {token}")
        self.stdout.write(f"vision demo ready in {time.monotonic() - started:.1f}s")

"""Bulk-register devices from CSV, all or nothing: ``manage.py import_devices devices.csv``."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from sensors.devices import RegistrationError, import_devices, read_csv


class Command(BaseCommand):
    help = (
        "Import devices from a CSV with columns dev_eui, profile, site "
        "[, name, install_depth_cm, calibration]. Nothing is saved if any row fails."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("csv_path")

    def handle(self, *args, **opts) -> None:
        try:
            with open(opts["csv_path"], newline="", encoding="utf-8-sig") as f:
                rows = read_csv(f)
        except OSError as exc:
            raise CommandError(f"cannot read {opts['csv_path']}: {exc.strerror}") from None
        except RegistrationError as exc:
            raise CommandError(str(exc)) from None
        devices, errors = import_devices(rows)
        if errors:
            for error in errors:
                self.stderr.write(error)
            raise CommandError(f"{len(errors)} row(s) failed; nothing imported")
        self.stdout.write(f"imported {len(devices)} device(s)")

"""Register one device: ``manage.py add_device --dev-eui … --profile … --site …``."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from sensors.devices import DeviceSpec, RegistrationError, register_device


class Command(BaseCommand):
    help = "Register a LoRaWAN device on a site (by id or 'farm name/site name')."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--dev-eui", required=True)
        parser.add_argument("--profile", required=True, help="codec profile id")
        parser.add_argument("--site", required=True, help="site id or 'farm name/site name'")
        parser.add_argument("--name", default="")
        parser.add_argument("--install-depth-cm", type=int)
        parser.add_argument("--calibration", help='JSON, e.g. {"do": {"offset": 0.2}}')

    def handle(self, *args, **opts) -> None:
        try:
            calibration = json.loads(opts["calibration"]) if opts["calibration"] else None
        except json.JSONDecodeError as exc:
            raise CommandError(f"--calibration is not JSON: {exc.msg}") from None
        spec = DeviceSpec(
            dev_eui=opts["dev_eui"],
            profile=opts["profile"],
            site=opts["site"],
            name=opts["name"],
            install_depth_cm=opts["install_depth_cm"],
            calibration=calibration,
        )
        try:
            device = register_device(spec)
        except RegistrationError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"registered {device.dev_eui} on {device.site}")

"""``manage.py seed_aerators``: the demo ponds' relay controllers and aerators (idempotent)."""

from django.core.management.base import BaseCommand

from demo.aeration import seed_aerators


class Command(BaseCommand):
    help = "Create the demo relay controllers and aerators that are missing."

    def handle(self, *args, **opts) -> None:
        self.stdout.write(f"{seed_aerators()} demo aerators")

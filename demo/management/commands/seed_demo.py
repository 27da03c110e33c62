"""``manage.py seed_demo``: load the regions and the demo farms, people, roles and the
people's contact profiles."""

from django.core.management.base import BaseCommand

from demo.alerts import seed_contacts
from demo.farm import DEMO_PASSWORD, seed_demo
from farm.readiness import require_migrated_database


class Command(BaseCommand):
    help = "Create or refresh the demo data (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--password",
            default=DEMO_PASSWORD,
            help="password for every demo user (local demo only)",
        )

    def handle(self, *args, password: str, **options):
        require_migrated_database()
        summary = seed_demo(password)
        contacts = seed_contacts()
        self.stdout.write(
            f"demo: {summary.organisations} organisations, {summary.farms} farms, "
            f"{summary.plots} plots, {summary.ponds} ponds, {contacts} new contact profiles"
        )
        for username, role in summary.users:
            self.stdout.write(f"  {username:<16} {role}  (password: {password})")

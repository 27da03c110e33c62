"""``manage.py seed_trace_demo``: demo lots at every stage (after ``seed_demo``)."""

from django.core.management.base import BaseCommand, CommandError

from demo.traceability import seed_trace_demo
from farm.models import Farm
from farm.readiness import require_migrated_database


class Command(BaseCommand):
    help = "Create the demo lots: shipped fish, fish inside a withdrawal period, sold rice."

    def handle(self, *args, **options):
        require_migrated_database()
        if not Farm.objects.filter(name="大沙湖草鱼养殖场").exists():
            raise CommandError("run seed_demo first")
        self.stdout.write(str(seed_trace_demo()))

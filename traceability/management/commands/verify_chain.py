"""``manage.py verify_chain``: recompute every lot's hash chain and signatures."""

from django.core.management.base import BaseCommand, CommandError

from traceability.events import verify
from traceability.models import Lot


class Command(BaseCommand):
    help = "Verify the signed hash chain of every lot (or of the given lot ids)."

    def add_arguments(self, parser):
        parser.add_argument("lot_ids", nargs="*", type=int)

    def handle(self, *args, lot_ids: list[int], **options):
        lots = Lot.objects.all() if not lot_ids else Lot.objects.filter(pk__in=lot_ids)
        broken = 0
        for lot in lots.order_by("pk").iterator():
            result = verify(lot)
            if result.ok:
                self.stdout.write(f"ok      lot {lot.pk} {lot}: {result.events} events")
            else:
                broken += 1
                self.stdout.write(
                    f"BROKEN  lot {lot.pk} {lot}: event {result.first_broken_seq}: {result.problem}"
                )
        if broken:
            raise CommandError(f"{broken} lot chain(s) broken")

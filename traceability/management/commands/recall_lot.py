"""``manage.py recall_lot <trace code> --reason … --by <manager>``: take a lot off the market.

The lot stops getting labels and certificates, and its public page says it is recalled
with the reason given (``traceability.lots.recall``; the recall is an event in its chain).
"""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from farm.readiness import require_migrated_database
from traceability import lots
from traceability.models import Lot
from traceability.trace_code import normalise


class Command(BaseCommand):
    help = "Recall a lot by its trace code: no more labels; its public page says why."

    def add_arguments(self, parser):
        parser.add_argument("trace_code")
        parser.add_argument("--reason", required=True, help="shown to consumers on the page")
        parser.add_argument("--by", required=True, help="username of a manager of the lot")

    def handle(self, *args, trace_code: str, reason: str, by: str, **options):
        require_migrated_database()
        try:
            code = normalise(trace_code)
        except ValueError:
            code = ""
        lot = Lot.objects.filter(trace_code=code).first() if code else None
        if lot is None:
            raise CommandError(f"no lot with trace code {trace_code!r}")
        user = get_user_model().objects.filter(username=by).first()
        if user is None:
            raise CommandError(f"no user {by!r}")
        try:
            lots.recall(lot, reason, user=user)
        except (lots.LotError, lots.NotAllowed) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"recalled {lot} ({lot.trace_code})")

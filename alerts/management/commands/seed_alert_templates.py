"""Create the alert rule templates of domain.md §5, optionally adopting them.

Each organisation that adopts them also gets the default notification policy (unless
it has one (``alerts.default_policy``).
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from alerts import rule_templates
from alerts.default_policy import ensure_default_policies
from farm.models import Organisation
from farm.readiness import require_migrated_database


class Command(BaseCommand):
    help = "Seed the default alert rule templates (idempotent)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--adopt",
            action="append",
            default=[],
            metavar="ORGANISATION",
            help="also copy the templates into this organisation (name); repeatable",
        )
        parser.add_argument("--all-organisations", action="store_true")
        parser.add_argument(
            "--group", action="append", choices=sorted(rule_templates.GROUPS), default=[]
        )

    def handle(self, *args, **opts) -> None:
        require_migrated_database()
        n = rule_templates.seed()
        self.stdout.write(f"{n} templates seeded")
        orgs = list(Organisation.objects.filter(name__in=opts["adopt"]))
        missing = set(opts["adopt"]) - {o.name for o in orgs}
        if missing:
            raise CommandError(f"no organisation named {', '.join(sorted(missing))}")
        if opts["all_organisations"]:
            orgs = list(Organisation.objects.all())
        for org in orgs:
            rules = rule_templates.adopt(org.pk, opts["group"] or None)
            self.stdout.write(f"{org.name}: {len(rules)} rules")
        if orgs:
            policies = ensure_default_policies(orgs)
            self.stdout.write(f"{policies} notification policies")

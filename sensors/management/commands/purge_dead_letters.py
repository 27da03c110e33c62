"""Delete old dead letters: ``manage.py purge_dead_letters [--days N]`` (beat runs it daily)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from sensors.tasks import dead_letter_retention_days, purge_dead_letters


class Command(BaseCommand):
    help = "Delete dead letters older than the retention (DEAD_LETTER_RETENTION_DAYS)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--days", type=int, help="default: the configured retention")

    def handle(self, *args, **opts) -> None:
        days = opts.get("days")
        days = dead_letter_retention_days() if days is None else days
        if days < 1:
            raise CommandError("--days must be at least 1")
        deleted = purge_dead_letters(days)
        self.stdout.write(f"deleted {deleted} dead letters older than {days} days")

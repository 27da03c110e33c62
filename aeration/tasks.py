"""Beat tasks of aeration: expire unconfirmed commands, and automatic mode's clock."""

from __future__ import annotations

from datetime import datetime

from celery import shared_task
from django.utils import timezone

from aeration import automation, control


def _now(now: str | None) -> datetime:
    return datetime.fromisoformat(now) if now else timezone.now()


@shared_task(name="aeration.expire_commands")
def expire_commands(now: str | None = None) -> int:
    return control.expire(_now(now))


@shared_task(name="aeration.automatic")
def automatic(now: str | None = None) -> int:
    return automation.tick(_now(now))

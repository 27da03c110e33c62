"""Celery tasks of the alerts app: delivery, and the time-based checks for beat.

Each beat task accepts an ISO ``now`` so a test (or an operator replaying a
window) can run it for a given time; by default it is the current time.
"""

from __future__ import annotations

from datetime import datetime

from celery import shared_task
from django.utils import timezone

from alerts import checks, delivery


def _now(now: str | None) -> datetime:
    return datetime.fromisoformat(now) if now else timezone.now()


@shared_task(bind=True, name="alerts.deliver", max_retries=None, acks_late=True)
def deliver(self, delivery_id: int) -> str:
    """Send one delivery; retried with exponential back-off while the provider is down.

    Idempotent: the delivery row's lock and outcome make a duplicate a no-op.
    """
    attempt = delivery.send(delivery_id)
    if attempt.retry_in is not None:
        raise self.retry(countdown=attempt.retry_in)
    return attempt.outcome


@shared_task(name="alerts.check_no_data")
def check_no_data(now: str | None = None) -> int:
    return len(checks.check_no_data(_now(now)))


@shared_task(name="alerts.check_gateways")
def check_gateways(now: str | None = None) -> int:
    return len(checks.check_gateways(_now(now)))


@shared_task(name="alerts.check_low_battery")
def check_low_battery(now: str | None = None) -> int:
    return len(checks.check_low_battery(_now(now)))


@shared_task(name="alerts.escalate")
def escalate(now: str | None = None) -> int:
    return checks.escalate(_now(now))


@shared_task(name="alerts.remind")
def remind(now: str | None = None) -> int:
    return checks.remind(_now(now))


@shared_task(name="alerts.expire")
def expire(now: str | None = None) -> int:
    return checks.expire(_now(now))


@shared_task(name="alerts.flush_deferred")
def flush_deferred(now: str | None = None) -> int:
    return checks.flush_deferred(_now(now))


@shared_task(name="alerts.requeue_stalled")
def requeue_stalled(now: str | None = None) -> int:
    return checks.requeue_stalled(_now(now))

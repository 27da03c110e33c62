"""Forget a push subscription once the push service says it is gone (HTTP 404 or 410).

The web push transport reports such an answer as a failed delivery whose address is
invalid (RFC 8030 §7.3: the subscription expired or the user revoked it). Sending to
it again for the next incident can only fail, and the failed row in the delivery log
already says why; so the subscription is deleted as soon as that row is saved.
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_save

from alerts.models import Delivery, PushSubscription

GONE_PREFIX = "push subscription gone"  # the transport's detail for 404 and 410


def forget_gone_subscription(sender: type, instance: Delivery, **kwargs: Any) -> None:
    if (
        instance.channel == "webpush"
        and instance.outcome == Delivery.Outcome.FAILED
        and instance.detail.startswith(GONE_PREFIX)
        and instance.address
    ):
        PushSubscription.objects.filter(endpoint=instance.address).delete()


def connect() -> None:
    post_save.connect(
        forget_gone_subscription, sender=Delivery, dispatch_uid="phone.forget_gone_subscription"
    )

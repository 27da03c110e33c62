"""A push subscription the push service reports gone (404, 410) is deleted; others stay.

The alert goes through the real delivery path and web push transport to a local push
service on 127.0.0.1 that answers as FCM and Mozilla autopush do for an expired or
unsubscribed endpoint.
"""

from __future__ import annotations

import base64
import os

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.test import override_settings
from django.utils import timezone

from alerts import delivery
from alerts.models import Delivery, PushSubscription
from alerts.tests import alert_fixtures
from alerts.tests.alert_fixtures import World
from alerts.tests.transport_servers import serve
from alerts.transports.webpush import generate_vapid_keys

from .phone_fixtures import open_incident

world = alert_fixtures.world
PRIVATE, _PUBLIC = generate_vapid_keys()
WEBPUSH = {"webpush": {"vapid_private_key": PRIVATE, "vapid_subject": "mailto:ops@example.cn"}}


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def browser_keys() -> tuple[str, str]:
    """A subscription's p256dh (a P-256 public point) and auth secret, as a browser makes them."""
    key = ec.generate_private_key(ec.SECP256R1()).public_key()
    point = key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return b64u(point), b64u(os.urandom(16))


def deliver_to(world: World, endpoint: str) -> Delivery:
    p256dh, auth = browser_keys()
    PushSubscription.objects.create(user=world.farmer, endpoint=endpoint, p256dh=p256dh, auth=auth)
    incident = open_incident(world)
    d = Delivery.objects.create(
        incident=incident,
        user=world.farmer,
        recipient_key=f"user:{world.farmer.pk}",
        recipient_label="王德明",
        address=endpoint,
        channel="webpush",
        kind="firing",
        idempotency_key=f"incident:{incident.pk}:user:{world.farmer.pk}:webpush:firing:0",
        created=timezone.now(),
    )
    with override_settings(ALERT_TRANSPORTS=WEBPUSH):
        delivery.send(d.pk)
    d.refresh_from_db()
    return d


@pytest.mark.parametrize("status", [404, 410])
def test_a_subscription_the_push_service_calls_gone_is_deleted(world: World, status: int):
    with serve(lambda request: (status, {}, b"")) as push_service:
        d = deliver_to(world, f"{push_service.url}/push/expired-token")
        assert len(push_service.received) == 1
    assert d.outcome == Delivery.Outcome.FAILED
    assert d.detail == f"push subscription gone: HTTP {status}"
    assert not PushSubscription.objects.exists()


@pytest.mark.parametrize("status", [201, 429, 413])
def test_a_subscription_is_kept_when_the_push_service_did_not_call_it_gone(
    world: World, status: int
):
    with serve(lambda request: (status, {"Location": "/m/1"}, b"")) as push_service:
        deliver_to(world, f"{push_service.url}/push/live-token")
    assert PushSubscription.objects.count() == 1

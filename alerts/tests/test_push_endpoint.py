"""Web Push subscriptions: a user cannot take over another user's endpoint, and an
endpoint must be https on a public host (the worker posts every alert to it)."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from alerts.forms import validate_push_endpoint
from alerts.models import PushSubscription
from alerts.tests import alert_fixtures
from alerts.tests.alert_fixtures import World

world = alert_fixtures.world

ENDPOINT = "https://fcm.googleapis.com/fcm/send/victim-token"


def client_for(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def subscribe(user, endpoint: str = ENDPOINT, p256dh: str = "BKeyOfTheOwner", auth: str = "a1"):
    body = {"endpoint": endpoint, "keys": {"p256dh": p256dh, "auth": auth}}
    return client_for(user).post(
        "/alerts/push/subscribe/", json.dumps(body), content_type="application/json"
    )


def test_another_users_endpoint_is_not_reassigned(world: World):
    assert subscribe(world.farmer).status_code == 201
    taken = subscribe(world.stranger, p256dh="BAttackerKey", auth="evil")
    assert taken.status_code == 409
    sub = PushSubscription.objects.get(endpoint=ENDPOINT)
    assert sub.user == world.farmer and sub.p256dh == "BKeyOfTheOwner" and sub.auth == "a1"


def test_the_owner_refreshes_the_keys_of_their_own_endpoint(world: World):
    subscribe(world.farmer)
    again = subscribe(world.farmer, p256dh="BNewKey", auth="a2")
    assert again.status_code == 200
    sub = PushSubscription.objects.get(endpoint=ENDPOINT)
    assert sub.user == world.farmer and sub.p256dh == "BNewKey"


def test_another_user_cannot_unsubscribe_an_endpoint_they_do_not_own(world: World):
    subscribe(world.farmer)
    client_for(world.stranger).post(
        "/alerts/push/unsubscribe/",
        json.dumps({"endpoint": ENDPOINT}),
        content_type="application/json",
    )
    assert PushSubscription.objects.filter(endpoint=ENDPOINT, user=world.farmer).exists()


@pytest.mark.parametrize(
    "endpoint",
    [
        "http://fcm.googleapis.com/fcm/send/x",
        "https://localhost/push",
        "https://push.localhost/push",
        "https://127.0.0.1/push",
        "https://127.0.0.1:6379/",
        "https://10.0.0.5/push",
        "https://172.16.3.4/push",
        "https://192.168.1.1/push",
        "https://169.254.169.254/latest/meta-data/",
        "https://100.64.0.1/push",
        "https://0.0.0.0/push",
        "https://[::1]/push",
        "https://[fe80::1]/push",
        "https://[fd00::1]/push",
        "https://[::ffff:127.0.0.1]/push",
        "https://printer.local/push",
        "https://redis.internal/push",
        "ftp://push.example.com/x",
        "javascript:alert(1)",
    ],
)
def test_non_https_and_internal_endpoints_are_refused(world: World, endpoint: str):
    assert subscribe(world.farmer, endpoint=endpoint).status_code == 400
    assert not PushSubscription.objects.exists()


@pytest.mark.parametrize(
    "endpoint",
    [
        "https://fcm.googleapis.com/fcm/send/abc:def",
        "https://updates.push.services.mozilla.com/wpush/v2/gAAAA",
        "https://web.push.apple.com/QGuQyavXutnMH",
        "https://8.8.8.8/push",
        "https://[2001:4860:4860::8888]/push",
    ],
)
def test_public_https_endpoints_are_accepted(endpoint: str):
    assert validate_push_endpoint(endpoint) == endpoint

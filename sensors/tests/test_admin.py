"""Admin pages of the sensors app, including dead-letter counts by reason."""

from __future__ import annotations

import base64

from django.contrib.auth import get_user_model
from django.utils import timezone

from sensors.models import DeadLetter


def test_dead_letter_list_shows_counts_by_reason(client, farm):
    user = get_user_model().objects.create_superuser("root", "root@example.org", "pw-123456")
    client.force_login(user)
    now = timezone.now()
    for reason, n in (("decode_error", 3), ("unknown_device", 1)):
        for _ in range(n):
            DeadLetter.objects.create(
                received_at=now,
                reason=reason,
                topic="application/x/device/0011223344556677/event/up",
                message_b64=base64.b64encode(b"{}").decode(),
                network_server="chirpstack",
            )
    response = client.get(
        "/admin/sensors/deadletter/?reason__exact=decode_error", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200
    assert response.context["reason_counts"] == [("Payload does not fit the profile", 3)]
    response = client.get("/admin/sensors/deadletter/")
    assert sorted(n for _, n in response.context["reason_counts"]) == [1, 3]
    detail = client.get(f"/admin/sensors/deadletter/{DeadLetter.objects.first().pk}/change/")
    assert detail.status_code == 200


def test_device_admin_lists_devices(client, farm):
    user = get_user_model().objects.create_superuser("root", "root@example.org", "pw-123456")
    client.force_login(user)
    assert client.get("/admin/sensors/device/").status_code == 200
    assert client.get("/admin/sensors/device/add/").status_code == 200

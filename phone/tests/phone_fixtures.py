"""An open incident on the alerts tests' world, and a logged-in client for the phone."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from alerts.models import Incident
from alerts.tests.alert_fixtures import World
from farm.models import Membership, Role


def open_incident(world: World, site=None, opened_at: datetime | None = None) -> Incident:
    site = site or world.pond1
    rule = world.rule(threshold=3.0, severity="critical", name=f"溶解氧低 {site.pk}")
    return Incident.objects.create(
        rule=rule,
        target_key=f"site:{site.pk}",
        farm=site.farm,
        site=site,
        severity="critical",
        title=f"{site.name} 溶解氧低于3 mg/L",
        subject="溶解氧",
        value=1.6,
        value_text="1.6 mg/L",
        opened_at=opened_at or timezone.now() - timedelta(minutes=20),
    )


def reviewer(world: World):
    user = get_user_model().objects.create_user("bureau", password="x")
    Membership.objects.create(user=user, role=Role.BUREAU, region=world.farm.region)
    return user


def client_for(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def op(kind: str, incident: int, **extra) -> dict:
    return {"id": str(uuid.uuid4()), "kind": kind, "incident": incident, **extra}


def post(client: Client, body) -> tuple[int, dict]:
    text = body if isinstance(body, str | bytes) else json.dumps(body)
    response = client.post("/phone/ops/", text, content_type="application/json")
    return response.status_code, response.json()

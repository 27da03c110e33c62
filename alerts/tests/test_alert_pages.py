"""The alert inbox and incident page, scoped by ``farm.access``."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client

from alerts import rule_templates
from alerts.engine import evaluate
from alerts.models import Incident
from alerts.tests import alert_fixtures
from alerts.tests.alert_fixtures import World, at

world = alert_fixtures.world


@pytest.fixture
def incident(world: World) -> Incident:
    world.rule(threshold=3.0, severity="critical")
    evaluate([world.reading(0, 2.0)], now=at(0))
    return Incident.objects.get()


def client_for(user, csrf: bool = False) -> Client:
    c = Client(enforce_csrf_checks=csrf)
    c.force_login(user)
    return c


def test_inbox_lists_the_incidents_of_the_users_farms(world: World, incident: Incident):
    page = client_for(world.farmer).get("/alerts/").content.decode()
    assert incident.title in page
    other = client_for(world.stranger).get("/alerts/").content.decode()
    assert incident.title not in other


def test_incident_of_another_organisation_is_not_found(world: World, incident: Incident):
    assert client_for(world.stranger).get(f"/alerts/incidents/{incident.pk}/").status_code == 404
    r = client_for(world.stranger).post(f"/alerts/incidents/{incident.pk}/acknowledge/")
    assert r.status_code == 404


def test_one_tap_acknowledge_records_who_in_the_audit_trail(world: World, incident: Incident):
    c = client_for(world.farmer, csrf=True)
    page = c.get(f"/alerts/incidents/{incident.pk}/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    r = c.post(f"/alerts/incidents/{incident.pk}/acknowledge/", {"csrfmiddlewaretoken": token})
    assert r.status_code == 302
    incident.refresh_from_db()
    assert incident.acknowledged_by == world.farmer
    detail = c.get(f"/alerts/incidents/{incident.pk}/").content.decode()
    assert 'data-testid="acknowledged"' in detail and "王德明" in detail


def test_acknowledge_without_a_csrf_token_is_refused(world: World, incident: Incident):
    r = client_for(world.farmer, csrf=True).post(f"/alerts/incidents/{incident.pk}/acknowledge/")
    assert r.status_code == 403
    incident.refresh_from_db()
    assert incident.acknowledged_at is None


def test_snooze_needs_a_reason_and_is_recorded(world: World, incident: Incident):
    c = client_for(world.farmer)
    url = f"/alerts/incidents/{incident.pk}/snooze/"
    assert c.post(url, {"minutes": "60", "reason": " "}).status_code == 400
    assert c.post(url, {"minutes": "60", "reason": "已开增氧机"}).status_code == 302
    incident.refresh_from_db()
    assert incident.snooze_reason == "已开增氧机"
    event = incident.events.get(kind="snoozed")
    assert event.actor == world.farmer and "已开增氧机" in event.reason


def test_message_short_link_opens_the_incident(world: World, incident: Incident):
    r = client_for(world.farmer).get(f"/i/{incident.pk}")
    assert r.status_code == 302 and r.url == f"/alerts/incidents/{incident.pk}/"


def test_a_phone_registers_its_push_subscription_for_its_user(world: World):
    sub = {
        "endpoint": "https://push.example.com/send/abc",
        "keys": {"p256dh": "BPublicKey", "auth": "secret16"},
    }
    c = client_for(world.farmer)
    r = c.post("/alerts/push/subscribe/", json.dumps(sub), content_type="application/json")
    assert r.status_code == 201
    [stored] = world.farmer.push_subscriptions.all()
    assert stored.as_json() == sub
    bad = c.post("/alerts/push/subscribe/", "{}", content_type="application/json")
    assert bad.status_code == 400
    gone = c.post(
        "/alerts/push/unsubscribe/",
        json.dumps({"endpoint": sub["endpoint"]}),
        content_type="application/json",
    )
    assert gone.status_code == 204 and not world.farmer.push_subscriptions.exists()


def test_a_manager_adopts_the_templates_and_an_operator_cannot(world: World):
    rule_templates.seed()
    url = f"/alerts/rules/{world.org.pk}/adopt/"
    assert client_for(world.farmer).post(url, {"group": "grass_carp_pond"}).status_code == 403
    assert client_for(world.stranger).post(url).status_code == 404
    assert client_for(world.manager).post(url, {"group": "grass_carp_pond"}).status_code == 302
    page = client_for(world.farmer).get("/alerts/rules/").content.decode()
    assert "过去 24 小时内溶解氧累计 8 小时不高于 5 mg/L 时提醒。" in page  # the plain summary
    assert "GB 11607-89" not in page  # the sources are for managers
    page = client_for(world.manager).get("/alerts/rules/").content.decode()
    assert 'data-testid="rule-basis"' in page and "GB 11607-89" in page
    assert world.org.alert_rules.filter(template_key="gc.do.floor").exists()

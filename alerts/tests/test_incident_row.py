"""The inbox row fragment that live pages fetch: the same partial, the same scope."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from alerts.models import Incident, Rule
from demo.farm import DEMO_PASSWORD, seed_demo
from farm.models import Farm

pytestmark = pytest.mark.django_db


def incident_on(farm_name: str) -> Incident:
    farm = Farm.objects.get(name=farm_name)
    rule = Rule.objects.create(
        organisation=farm.organisation, name="溶解氧过低", metric="do", condition="below"
    )
    return Incident.objects.create(
        rule=rule, target_key="site:1", farm=farm, severity="critical",
        title="1号塘 溶解氧低于3 mg/L", opened_at=datetime.now(UTC),
    )  # fmt: skip


@pytest.fixture
def farmer(client, db):
    seed_demo()
    assert client.login(username="farmer_wang", password=DEMO_PASSWORD)
    return client


def test_row_fragment_is_the_inbox_row_of_the_incident(farmer):
    item = incident_on("大沙湖草鱼养殖场")
    response = farmer.get(f"/alerts/incidents/{item.pk}/row/")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith("<li") and f'data-incident="{item.pk}"' in html
    assert item.title in html and 'data-state="open"' in html


def test_row_fragment_of_another_organisations_incident_is_not_found(farmer):
    item = incident_on("埠河番茄大棚基地")
    assert farmer.get(f"/alerts/incidents/{item.pk}/row/").status_code == 404


def test_row_fragment_needs_a_login(client, db):
    seed_demo()
    item = incident_on("大沙湖草鱼养殖场")
    assert client.get(f"/alerts/incidents/{item.pk}/row/").status_code == 302

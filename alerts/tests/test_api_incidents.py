"""The incidents API: scope, filters, pagination, and acknowledging as the pages do."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from rest_framework.test import APIClient

from alerts.models import Incident, IncidentEvent, Rule
from demo.farm import DEMO_PASSWORD, seed_demo
from farm.models import Farm

pytestmark = pytest.mark.django_db

NOW = datetime.now(UTC)


def incident(farm: Farm, n: int, *, severity="critical", **fields) -> Incident:
    rule = Rule.objects.get_or_create(
        organisation=farm.organisation,
        name="溶解氧过低",
        defaults={"metric": "do", "condition": Rule.Condition.BELOW, "threshold": 3.0},
    )[0]
    return Incident.objects.create(
        rule=rule,
        target_key=f"site:{farm.pk}-{n}",
        farm=farm,
        severity=severity,
        title=f"{farm.name} 告警 {n}",
        opened_at=NOW - timedelta(minutes=n),
        **fields,
    )


@pytest.fixture
def farms(db) -> dict[str, Farm]:
    seed_demo()
    return {
        "own": Farm.objects.get(name="大沙湖草鱼养殖场"),
        "other": Farm.objects.get(name="埠河番茄大棚基地"),
    }


@pytest.fixture
def api(farms):
    def as_user(username: str) -> APIClient:
        client = APIClient()
        assert client.login(username=username, password=DEMO_PASSWORD)
        return client

    return as_user


def test_farmer_lists_only_the_incidents_of_their_farms(api, farms):
    mine = incident(farms["own"], 1)
    incident(farms["other"], 1)
    rows = api("farmer_wang").get("/api/incidents/").json()["results"]
    assert [r["id"] for r in rows] == [mine.pk]
    assert rows[0]["state"] == "open" and rows[0]["farm_name"] == "大沙湖草鱼养殖场"


def test_incident_of_another_organisation_is_not_found(api, farms):
    theirs = incident(farms["other"], 1)
    client = api("farmer_wang")
    assert client.get(f"/api/incidents/{theirs.pk}/").status_code == 404
    assert client.post(f"/api/incidents/{theirs.pk}/acknowledge/").status_code == 404
    assert Incident.objects.get(pk=theirs.pk).acknowledged_at is None


def test_incidents_filter_by_state_severity_and_farm(api, farms):
    own = farms["own"]
    open_ = incident(own, 1)
    acked = incident(own, 2, severity="warning", acknowledged_at=NOW)
    resolved = incident(own, 3, resolved_at=NOW)
    client = api("manager_honghu")

    def ids(query: str) -> set[int]:
        return {r["id"] for r in client.get(f"/api/incidents/?{query}").json()["results"]}

    assert ids("state=open") == {open_.pk, acked.pk}
    assert ids("state=unacknowledged") == {open_.pk}
    assert ids("state=acknowledged") == {acked.pk}
    assert ids("state=resolved") == {resolved.pk}
    assert ids("severity=warning") == {acked.pk}
    assert ids(f"farm={own.pk}&severity=critical") == {open_.pk, resolved.pk}
    assert client.get("/api/incidents/?state=burning").status_code == 400


def test_incident_list_is_paginated_newest_first(api, farms):
    for n in range(55):
        incident(farms["own"], n)
    first = api("farmer_wang").get("/api/incidents/").json()
    assert first["count"] == 55 and len(first["results"]) == 50 and first["next"]
    assert first["results"][0]["title"].endswith("告警 0")


def test_detail_carries_the_incident_history(api, farms):
    item = incident(farms["own"], 1)
    IncidentEvent.objects.create(incident=item, at=NOW, kind="firing", reason="1.6 mg/L")
    body = api("bureau_honghu").get(f"/api/incidents/{item.pk}/").json()
    assert [(e["kind"], e["reason"]) for e in body["events"]] == [("firing", "1.6 mg/L")]


def test_farmer_acknowledges_through_the_same_service_as_the_page(api, farms):
    item = incident(farms["own"], 1)
    response = api("farmer_wang").post(f"/api/incidents/{item.pk}/acknowledge/")
    assert response.status_code == 200
    body = response.json()
    assert body["state"] == "acknowledged" and body["acknowledged_by"] == "farmer_wang"
    assert [e["kind"] for e in body["events"]] == ["acknowledged"]


def test_acknowledging_twice_changes_nothing(api, farms):
    item = incident(farms["own"], 1)
    client = api("farmer_wang")
    client.post(f"/api/incidents/{item.pk}/acknowledge/")
    again = client.post(f"/api/incidents/{item.pk}/acknowledge/")
    assert again.status_code == 200
    assert IncidentEvent.objects.filter(incident=item, kind="acknowledged").count() == 1


def test_bureau_reviewer_reads_incidents_but_cannot_acknowledge(api, farms):
    item = incident(farms["own"], 1)
    client = api("bureau_honghu")
    assert client.get(f"/api/incidents/{item.pk}/").status_code == 200
    response = client.post(f"/api/incidents/{item.pk}/acknowledge/")
    assert response.status_code == 403 and response.json()["detail"]
    assert Incident.objects.get(pk=item.pk).acknowledged_at is None


def test_incidents_cannot_be_edited_or_deleted_through_the_api(api, farms):
    item = incident(farms["own"], 1)
    client = api("manager_honghu")
    assert client.delete(f"/api/incidents/{item.pk}/").status_code == 405
    assert client.patch(f"/api/incidents/{item.pk}/", {"title": "x"}).status_code == 405

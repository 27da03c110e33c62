"""The OpenAPI description covers devices, readings, incidents and lots, cleanly."""

from __future__ import annotations

import pytest
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator

from demo.farm import DEMO_PASSWORD, seed_demo

pytestmark = pytest.mark.django_db

OURS = ("sensors/api/", "alerts/api/", "traceability/api/")
VIEWS = ("DeviceViewSet", "ReadingsViewSet", "IncidentViewSet", "LotViewSet")
PATHS = (
    "/api/devices/",
    "/api/devices/{dev_eui}/",
    "/api/readings/",
    "/api/incidents/",
    "/api/incidents/{id}/",
    "/api/incidents/{id}/acknowledge/",
    "/api/lots/",
    "/api/lots/{id}/",
    "/api/lots/{id}/events/",
)


def test_schema_generates_without_warnings_for_the_device_alert_and_lot_endpoints():
    GENERATOR_STATS.reset()
    with GENERATOR_STATS.silence():
        schema = SchemaGenerator().get_schema(request=None, public=True)
    problems = [
        m
        for m in (*GENERATOR_STATS._warn_cache, *GENERATOR_STATS._error_cache)
        if any(name in m for name in OURS + VIEWS)
    ]
    assert problems == []
    assert set(PATHS) <= set(schema["paths"])


def test_schema_endpoint_lists_the_new_paths_and_their_query_parameters(client):
    seed_demo()
    assert client.login(username="admin", password=DEMO_PASSWORD)
    response = client.get("/api/schema/?format=json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert set(PATHS) <= set(paths)
    readings = {p["name"] for p in paths["/api/readings/"]["get"]["parameters"]}
    assert readings == {"device", "site", "metric", "start", "end"}
    incidents = {p["name"] for p in paths["/api/incidents/"]["get"]["parameters"]}
    assert {"state", "severity", "farm", "page"} <= incidents
    assert "post" in paths["/api/incidents/{id}/acknowledge/"]

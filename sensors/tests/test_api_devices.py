"""The devices and readings API: scope, pagination, validation, and InfluxDB being away."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from rest_framework.test import APIClient

from demo.farm import DEMO_PASSWORD, seed_demo
from farm.models import Farm, Pond
from sensors.models import Device, DeviceProfile
from sensors.timeseries import Point

pytestmark = pytest.mark.django_db

OWN = "00000000000000a1"  # on 大沙湖草鱼养殖场, farmer_wang's farm
OTHER = "00000000000000b1"  # on 埠河番茄大棚基地, another organisation's farm
CLOSED_PORT = "http://127.0.0.1:9"


@pytest.fixture
def devices(db) -> dict[str, Device]:
    seed_demo()
    DeviceProfile.objects.get_or_create(id="native-water", defaults={"name": "water"})
    own_farm = Farm.objects.get(name="大沙湖草鱼养殖场")
    other_farm = Farm.objects.get(name="埠河番茄大棚基地")
    pond = Pond.objects.filter(farm=own_farm).order_by("pk").first()
    return {
        OWN: Device.objects.create(
            dev_eui=OWN, name="1号塘水质", farm=own_farm, site=pond, profile_id="native-water"
        ),
        OTHER: Device.objects.create(
            dev_eui=OTHER, name="大棚", farm=other_farm, profile_id="native-water"
        ),
    }


@pytest.fixture
def api(devices):
    def as_user(username: str) -> APIClient:
        client = APIClient()
        assert client.login(username=username, password=DEMO_PASSWORD)
        return client

    return as_user


@pytest.fixture
def readings(devices, influx, monkeypatch):
    """Half-hourly DO for the last day on the farmer's device, in a private database."""
    monkeypatch.setenv("INFLUX_DB", influx.database)
    device = devices[OWN]
    tags = {"device": device.dev_eui, "site": str(device.site_id), "farm": str(device.farm_id)}
    now = time.time_ns()
    influx.write(
        Point("water", tags, {"do": 5.0 + i / 10}, now - i * 1800 * 10**9) for i in range(48)
    )
    influx.write([Point("device", tags, {"battery_v": 3.6}, now)])
    return device


@pytest.fixture
def influx_down(monkeypatch):
    monkeypatch.setenv("INFLUX_URL", CLOSED_PORT)


def iso(when: datetime) -> str:
    return when.isoformat().replace("+00:00", "Z")


# --- devices ---------------------------------------------------------------------------------


def test_farmer_lists_only_the_devices_of_their_farms(api, influx_down):
    rows = api("farmer_wang").get("/api/devices/").json()["results"]
    assert [r["dev_eui"] for r in rows] == [OWN]


def test_device_of_another_organisation_is_not_found(api, influx_down):
    assert api("farmer_wang").get(f"/api/devices/{OTHER}/").status_code == 404


def test_bureau_reviewer_reads_devices_of_their_region_only(api, influx_down):
    rows = api("bureau_honghu").get("/api/devices/").json()["results"]
    assert [r["dev_eui"] for r in rows] == [OWN]  # 埠河 lies in another county


def test_device_list_and_detail_carry_the_latest_reading_of_each_metric(api, readings):
    client = api("farmer_wang")
    listed = client.get("/api/devices/").json()["results"][0]
    detail = client.get(f"/api/devices/{OWN.upper()}/").json()
    for body in (listed, detail):
        assert body["latest"]["do"]["value"] == 5.0
        assert body["latest"]["do"]["unit"] == "mg/L"
        assert body["latest"]["battery_v"]["value"] == 3.6
        assert body["latest"]["do"]["time"].endswith("+08:00")  # the site's time zone
        assert body["latest_error"] == ""


def test_device_list_still_answers_without_latest_readings_when_influxdb_is_down(api, influx_down):
    response = api("farmer_wang").get("/api/devices/")
    assert response.status_code == 200
    row = response.json()["results"][0]
    assert row["latest"] is None and row["latest_error"]


def test_device_list_is_paginated(api, devices, influx_down):
    farm = devices[OWN].farm
    Device.objects.bulk_create(
        Device(dev_eui=f"{n:016x}", farm=farm, profile_id="native-water") for n in range(1, 60)
    )
    client = api("farmer_wang")
    first = client.get("/api/devices/").json()
    assert first["count"] == 60 and len(first["results"]) == 50 and first["next"]
    second = client.get(first["next"]).json()
    assert len(second["results"]) == 10 and second["next"] is None


def test_devices_cannot_be_changed_through_the_api(api, influx_down):
    client = api("farmer_wang")
    assert client.delete(f"/api/devices/{OWN}/").status_code == 405
    assert client.post("/api/devices/", {"dev_eui": "00000000000000c1"}).status_code == 405


# --- readings --------------------------------------------------------------------------------


def test_readings_of_a_device_over_a_range_come_averaged_per_bucket(api, readings):
    end = datetime.now(UTC) + timedelta(minutes=1)
    start = end - timedelta(hours=6)
    response = api("farmer_wang").get(
        "/api/readings/",
        {"device": OWN, "metric": "do", "start": iso(start), "end": iso(end)},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["metric"] == "do" and body["unit"] == "mg/L" and body["device"] == OWN
    values = sorted(p["value"] for p in body["points"])
    assert len(values) == 12 and values[0] == 5.0  # 6 h of half-hourly points, 30 s buckets


def test_readings_of_a_site_come_from_its_devices(api, readings):
    response = api("farmer_wang").get("/api/readings/", {"site": readings.site_id, "metric": "do"})
    assert response.status_code == 200, response.content
    assert len(response.json()["points"]) >= 47  # the default range is the last 24 hours


def test_readings_times_without_an_offset_are_read_in_the_site_time_zone(api, readings):
    response = api("farmer_wang").get(
        "/api/readings/",
        {"device": OWN, "metric": "do", "start": "2026-01-01T08:00", "end": "2026-01-01T09:00"},
    )
    assert response.json()["start"] == "2026-01-01T08:00:00+08:00"


def test_readings_of_another_organisations_device_or_site_are_not_found(api, devices, influx_down):
    client = api("farmer_wang")
    other_site = Pond.objects.exclude(farm__name="大沙湖草鱼养殖场").exclude(
        farm__organisation=devices[OWN].farm.organisation
    )[0]
    assert client.get("/api/readings/", {"device": OTHER, "metric": "do"}).status_code == 404
    assert client.get("/api/readings/", {"site": other_site.pk, "metric": "do"}).status_code == 404


@pytest.mark.parametrize(
    ("params", "field", "words"),
    [
        ({"device": OWN, "metric": "oxygen"}, "metric", "Unknown metric"),
        ({"device": OWN}, "metric", "required"),
        ({"device": OWN, "metric": "do", "start": "yesterday"}, "start", "format"),
        ({"device": OWN, "metric": "do", "end": "2026-13-01T00:00Z"}, "end", "format"),
        (
            {
                "device": OWN,
                "metric": "do",
                "start": "2026-02-01T00:00Z",
                "end": "2026-01-01T00:00Z",
            },
            "end",
            "after the start",
        ),
        (
            {
                "device": OWN,
                "metric": "do",
                "start": "2024-01-01T00:00Z",
                "end": "2026-01-01T00:00Z",
            },
            "start",
            "400 days",
        ),
        ({"metric": "do"}, "non_field_errors", "exactly one of device and site"),
        ({"device": OWN, "site": 1, "metric": "do"}, "non_field_errors", "exactly one"),
        ({"device": "not-an-eui", "metric": "do"}, "device", "pattern"),
    ],
)
def test_bad_readings_queries_are_refused_with_the_reason(api, influx_down, params, field, words):
    response = api("farmer_wang").get("/api/readings/", params, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert words in " ".join(response.json()[field])


def test_readings_answer_503_with_a_message_when_influxdb_is_down(api, influx_down):
    response = api("farmer_wang").get("/api/readings/", {"device": OWN, "metric": "do"})
    assert response.status_code == 503
    assert response.json()["detail"]


def test_readings_need_a_login(devices):
    response = APIClient().get("/api/readings/", {"device": OWN, "metric": "do"})
    assert response.status_code in (401, 403)


def test_latest_of_a_page_of_devices_keeps_each_device_apart_and_skips_future_points(influx):
    now = time.time_ns()
    hour = 3600 * 10**9
    influx.write(
        [
            Point("water", {"device": OWN}, {"do": 5.5}, now - hour),
            Point("water", {"device": OWN}, {"do": 9.9}, now + 24 * hour),  # a bad clock
            Point("water", {"device": OTHER}, {"do": 7.0, "ph": 7.2}, now - hour),
        ]
    )
    latest = influx.latest_many([OWN, OTHER, "00000000000000c1"])
    assert {m: v for m, (_, v) in latest[OWN].items()} == {"do": 5.5}
    assert {m: v for m, (_, v) in latest[OTHER].items()} == {"do": 7.0, "ph": 7.2}
    assert latest["00000000000000c1"] == {}

"""Device pages and the dead-letter list, scoped to the farms the user may see."""

from __future__ import annotations

import base64
import time

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from farm.models import Membership, Role
from sensors.models import DeadLetter, Device
from sensors.tests.conftest import make_farm
from sensors.timeseries import Point, tag_set


@pytest.fixture
def two_farms(db):
    mine, theirs = make_farm("A"), make_farm("B")
    for n, f in enumerate((mine, theirs), start=1):
        Device.objects.create(
            dev_eui=f"00000000000000a{n}",
            name=f"probe {n}",
            farm=f["farm"],
            site=f["pond"],
            profile_id="native-water",
            battery_v=3.7,
            rssi=-80,
            snr=7.5,
        )
    return mine, theirs


@pytest.fixture
def operator(client, two_farms):
    mine, _ = two_farms
    user = get_user_model().objects.create_user("op", password="pw-123456")
    m = Membership.objects.create(user=user, role=Role.OPERATOR, organisation=mine["org"])
    m.farms.add(mine["farm"])
    client.force_login(user)
    return client


def test_device_list_shows_only_devices_of_visible_farms(operator):
    page = operator.get("/devices/").content.decode()
    assert "00000000000000a1" in page and "00000000000000a2" not in page


def test_device_of_another_farm_is_not_found(operator, monkeypatch, influx):
    monkeypatch.setenv("INFLUX_DB", influx.database)
    assert operator.get("/devices/00000000000000a2/").status_code == 404


def test_device_detail_shows_last_values_signal_and_a_chart_per_metric(
    operator, monkeypatch, influx
):
    monkeypatch.setenv("INFLUX_DB", influx.database)
    device = Device.objects.get(dev_eui="00000000000000a1")
    tags = {"device": device.dev_eui, "site": str(device.site_id)}
    now = time.time_ns()
    influx.write(
        Point("water", tags, {"do": 5.0 + i / 10, "ph": 7.5}, now - i * 600 * 10**9)
        for i in range(20)
    )
    influx.write([Point("device", tags, {"battery_v": 3.7, "rssi": -80.0}, now)])
    response = operator.get("/devices/00000000000000a1/?hours=24", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    charts = {c["metric"]: c for c in response.context["charts"]}
    assert set(charts) == {"do", "ph", "battery_v", "rssi"}
    assert len(charts["do"]["points"].split()) == 20
    values = {v["metric"]: v["value"] for v in response.context["values"]}
    assert values["do"] == 5.0
    assert tag_set(tags)  # the same tags the bridge writes


def test_device_detail_still_renders_when_influxdb_is_unreachable(operator, monkeypatch):
    monkeypatch.setenv("INFLUX_URL", "http://127.0.0.1:9")
    response = operator.get("/devices/00000000000000a1/")
    assert response.status_code == 200 and response.context["influx_error"]


def _letter(dev_eui: str, reason: str = "decode_error") -> DeadLetter:
    return DeadLetter.objects.create(
        received_at=timezone.now(),
        reason=reason,
        topic="t",
        dev_eui=dev_eui,
        message_b64=base64.b64encode(b"{}").decode(),
        network_server="chirpstack",
    )


def test_dead_letters_of_other_farms_and_unknown_devices_are_hidden_from_operators(operator):
    _letter("00000000000000a1")
    _letter("00000000000000a2")
    _letter("ffffffffffffffff", "unknown_device")
    response = operator.get("/devices/dead-letters/")
    assert [d.dev_eui for d in response.context["page"]] == ["00000000000000a1"]
    assert [n for _, _, n in response.context["counts"]] == [1]


def test_administrators_see_every_dead_letter_with_counts(client, two_farms):
    _letter("00000000000000a1")
    _letter("ffffffffffffffff", "unknown_device")
    _letter("fffffffffffffffe", "unknown_device")
    client.force_login(get_user_model().objects.create_superuser("root", "r@example.org", "pw"))
    response = client.get("/devices/dead-letters/?reason=unknown_device")
    assert {d.dev_eui for d in response.context["page"]} == {"ffffffffffffffff", "fffffffffffffffe"}
    assert sorted(n for _, _, n in response.context["counts"]) == [1, 2]

"""The installable app: manifest, icons, service worker script, the home page's content."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.staticfiles import finders
from django.test import Client, override_settings
from PIL import Image

from agrimon.config import load
from alerts.tests import alert_fixtures
from alerts.tests.alert_fixtures import World
from alerts.transports.webpush import generate_vapid_keys
from phone import home
from sensors.models import Device, DeviceProfile
from sensors.timeseries import Point, TimeSeries, device_tags, to_ns

from .phone_fixtures import client_for, open_incident, reviewer

world = alert_fixtures.world
PRIVATE, PUBLIC = generate_vapid_keys()
WEBPUSH = {"webpush": {"vapid_private_key": PRIVATE, "vapid_subject": "mailto:ops@example.cn"}}


def test_the_manifest_makes_the_app_installable_in_chinese(db):
    response = Client().get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json"
    data = json.loads(response.content)
    assert data["name"] == "智慧农渔监测" and data["short_name"] == "农渔监测"
    assert data["display"] == "standalone" and data["start_url"] == "/phone/"
    assert data["scope"] == "/" and data["theme_color"] == "#2e7d32"
    sizes = {}
    for icon in data["icons"]:
        path = finders.find(icon["src"].removeprefix("/static/"))
        with Image.open(path) as image:
            assert icon["sizes"] == f"{image.width}x{image.height}" and image.format == "PNG"
        sizes.setdefault(icon["purpose"], set()).add(icon["sizes"])
    assert sizes == {"any": {"192x192", "512x512"}, "maskable": {"512x512"}}


def test_the_service_worker_is_served_from_the_root_for_the_whole_site(db):
    response = Client().get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Service-Worker-Allowed"] == "/"
    assert response["Cache-Control"] == "no-cache"
    text = response.content.decode()
    precache = json.loads(text.split("const PRECACHE = ", 1)[1].split(";\n", 1)[0])
    assert "/phone/offline/" in precache
    for url in precache:
        if url.startswith("/static/"):
            assert finders.find(url.removeprefix("/static/")), url
    assert '"acknowledge": "确认"' in text
    assert Client().get("/phone/offline/").status_code == 200


def test_the_home_page_lists_open_alerts_with_their_actions(world: World):
    incident = open_incident(world)
    page = client_for(world.farmer).get("/phone/").content.decode()
    assert incident.title in page
    assert 'data-testid="acknowledge"' in page
    assert "数据刚刚更新" in page and 'id="phone-sync"' in page


def test_a_reviewer_sees_the_alert_without_buttons(world: World):
    incident = open_incident(world)
    page = client_for(reviewer(world)).get("/phone/").content.decode()
    assert incident.title in page
    assert 'data-testid="acknowledge"' not in page


def test_push_says_not_configured_without_a_vapid_key(world: World):
    with override_settings(ALERT_TRANSPORTS={}):
        page = client_for(world.farmer).get("/phone/").content.decode()
    assert 'data-key=""' in page and "未配置" in page


def test_push_offers_the_switch_with_the_servers_public_key(world: World):
    with override_settings(ALERT_TRANSPORTS=WEBPUSH):
        page = client_for(world.farmer).get("/phone/").content.decode()
    assert f'data-key="{PUBLIC}"' in page and 'data-testid="push-toggle"' in page


@pytest.fixture
def readings_db():
    ts = TimeSeries.from_config(load(), database=f"test_phone_{uuid.uuid4().hex[:12]}")
    ts.ensure_database("30d")
    try:
        yield ts
    finally:
        ts.drop_database()
        ts.close()


def test_the_last_readings_of_the_persons_sites_come_with_their_time(world: World, readings_db):
    DeviceProfile.objects.get_or_create(id="native-water", defaults={"name": "water"})
    device = Device.objects.create(
        dev_eui="a840410000000a01", farm=world.farm, site=world.pond1, profile_id="native-water"
    )
    when = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)
    fields = {"do": 4.25, "water_temp": 27.5, "rssi": -90.0}
    readings_db.write([Point("water", device_tags(device), fields, to_ns(when))])
    sites, ok = home.sites_now(world.farmer, readings_db)
    assert ok
    pond = next(s for s in sites if s.site.pk == world.pond1.pk)
    assert [(r.label, r.value, r.at) for r in pond.readings] == [
        ("溶解氧", "4.25 mg/L", when),
        ("水温", "27.5 °C", when),
    ]
    others, _ = home.sites_now(world.stranger, readings_db)
    assert world.pond1.pk not in {s.site.pk for s in others}


def test_influxdb_away_is_said_instead_of_an_error(world: World):
    DeviceProfile.objects.get_or_create(id="native-water", defaults={"name": "water"})
    Device.objects.create(
        dev_eui="a840410000000a02", farm=world.farm, site=world.pond1, profile_id="native-water"
    )
    away = TimeSeries("http://127.0.0.1:9", "nothing", timeout=1)
    sites, ok = home.sites_now(world.farmer, away)
    assert not ok and all(not s.readings for s in sites)

"""The region drill-down: counts from the database, scope from farm.access."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from alerts.models import Incident, Rule
from farm.models import Farm, Organisation, Region
from regional.tests.conftest import login
from sensors.models import Device, DeviceProfile

pytestmark = pytest.mark.django_db


def _device(farm: Farm, n: int, **status) -> Device:
    profile, _ = DeviceProfile.objects.get_or_create(id="native-water", defaults={"name": "w"})
    return Device.objects.create(
        dev_eui=f"aa{n:014x}", farm=farm, profile=profile, name=f"n{n}", **status
    )


def _incident(farm: Farm, severity: str, opened, acked=None) -> Incident:
    rule = Rule.objects.create(
        organisation=farm.organisation, name="DO", metric="do", condition="below", threshold=3
    )
    return Incident.objects.create(
        rule=rule,
        target_key=f"farm:{farm.pk}",
        farm=farm,
        severity=severity,
        title=f"{farm.name} 溶解氧低于3 mg/L",
        opened_at=opened,
        acknowledged_at=acked,
    )


def test_city_reviewer_sees_every_county_and_drills_down_to_a_farm(jingzhou):
    page = jingzhou.get("/regional/")
    assert page.status_code == 200
    html = page.content.decode()
    for county in ("洪湖市", "监利市", "公安县"):
        assert county in html
    county = jingzhou.get("/regional/?region=421083")
    assert county.status_code == 200
    assert "大沙湖草鱼养殖场" in county.content.decode()
    assert county.context["data"].level == "farm"
    assert county.context["data"].total.farms == 4


def test_county_reviewer_sees_only_their_county(honghu):
    assert honghu.get("/regional/").context["region"].code == "421083"
    assert honghu.get("/regional/?region=421000").status_code == 404
    assert honghu.get("/regional/?region=421088").status_code == 404
    assert honghu.get("/regional/water/?region=421088").status_code == 404
    assert honghu.get("/regional/farms.geojson?region=421088").status_code == 404
    names = {
        f["properties"]["name"] for f in honghu.get("/regional/farms.geojson").json()["features"]
    }
    assert names == set(Farm.objects.filter(region_id="421083").values_list("name", flat=True))


def test_hostile_region_and_week_are_404_not_500(jingzhou):
    for q in ("region=42'--", "region=4210830", "week=2026-13-45", "week=x", "region=999999"):
        assert jingzhou.get(f"/regional/?{q}").status_code == 404


def test_a_farmer_is_told_the_pages_are_for_reviewers(demo):
    page = login("farmer_wang").get("/regional/")
    assert page.status_code == 200
    assert 'data-testid="no-region"' in page.content.decode()
    assert login("farmer_wang").get("/regional/?region=421083").status_code == 404


def test_counts_devices_incidents_and_acknowledgement_times(jingzhou):
    now = timezone.now()
    farm = Farm.objects.get(name="大沙湖草鱼养殖场")
    _device(farm, 1, last_seen=now - timedelta(minutes=5), battery_v=3.6)
    _device(farm, 2, last_seen=now - timedelta(days=2), battery_v=2.5)
    _device(farm, 3)  # never reported
    _incident(farm, "critical", now - timedelta(hours=30), now - timedelta(hours=29, minutes=50))
    _incident(farm, "warning", now - timedelta(hours=1), now - timedelta(minutes=30))
    page = jingzhou.get("/regional/?region=421083")
    data = page.context["data"]
    row = next(c for c in data.children if c.name == farm.name)
    assert (row.devices, row.online, row.offline, row.never_reported) == (3, 1, 1, 1)
    assert row.low_battery == 1
    assert row.coverage_pct == pytest.approx(33.3)
    assert row.open_by_severity == {"critical": 1, "warning": 1}
    assert row.open_over_24h == 1
    # opened this week? both fall in the current week unless it began within 30 h
    t = data.total
    opened = Incident.objects.filter(
        opened_at__gte=data.period.start, opened_at__lt=data.period.end
    ).count()
    assert t.opened_in_period == opened
    assert data.attention[0].farm == farm
    assert ("critical", 1) in data.attention[0].reasons
    city = jingzhou.get("/regional/?region=421000").context["data"]
    honghu_row = next(c for c in city.children if c.key == "421083")
    assert honghu_row.devices == 3 and honghu_row.open_critical == 1
    # a county without farms is listed with zeros of farms and no coverage, not 0 %
    empty = next(c for c in city.children if c.key == "421002")
    assert empty.farms == 0 and empty.coverage_pct is None


def test_acknowledgement_percentiles_come_from_postgresql(jingzhou):
    now = timezone.now()
    farm = Farm.objects.get(name="大沙湖草鱼养殖场")
    start = jingzhou.get("/regional/").context["period"].start
    base = max(start + timedelta(minutes=1), now - timedelta(hours=2))
    for minutes in (1, 2, 3, 4, 10):
        _incident(farm, "warning", base, base + timedelta(minutes=minutes))
    t = jingzhou.get("/regional/?region=421083").context["data"].total
    assert t.ack_median_min == pytest.approx(3.0)
    assert t.ack_p90_min == pytest.approx(7.6)  # percentile_cont: 4 + 0.6 × (10 − 4)


def test_farms_without_coordinates_are_listed_not_dropped(jingzhou):
    org = Organisation.objects.first()
    Farm.objects.create(organisation=org, region_id="421083", name="无坐标渔场", kind="aquaculture")
    page = jingzhou.get("/regional/?region=421083")
    assert "无坐标渔场" in page.content.decode()
    assert [f.name for f in page.context["unplaced"]] == ["无坐标渔场"]
    points = jingzhou.get("/regional/farms.geojson?region=421083").json()["features"]
    assert "无坐标渔场" not in {f["properties"]["name"] for f in points}


def test_a_region_with_no_farms_reads_clearly(jingzhou):
    page = jingzhou.get("/regional/?region=421002")
    assert page.status_code == 200
    assert page.context["data"].total.farms == 0
    assert Region.objects.get(code="421002").name in page.content.decode()


def test_big_screen_data_holds_only_the_reviewers_region(honghu):
    now = timezone.now()
    inside = _incident(Farm.objects.get(name="大沙湖草鱼养殖场"), "critical", now)
    _incident(Farm.objects.get(name="大垸鲫鱼养殖场"), "critical", now)  # Jianli
    data = honghu.get("/regional/screen/data.json").json()
    assert [i["id"] for i in data["incidents"]] == [inside.pk]
    assert data["total"]["critical"] == 1
    assert honghu.get("/regional/screen/data.json?region=421088").status_code == 404
    assert honghu.get("/regional/screen/?region=421000").status_code == 404


def test_devices_that_never_reported_are_named_as_such_not_online_or_zero(jingzhou):
    farm = Farm.objects.get(name="大沙湖草鱼养殖场")
    _device(farm, 1)  # registered, never heard from
    _device(farm, 2)
    page = jingzhou.get("/regional/?region=421083")
    row = next(c for c in page.context["data"].children if c.name == farm.name)
    assert (row.devices, row.online, row.offline, row.never_reported) == (2, 0, 0, 2)
    assert row.coverage_pct == 0.0 and row.status == "offline"  # no device online: not "normal"
    html = page.content.decode()
    assert "2 台设备从未上报" in html  # the attention list says why, in words
    assert page.context["data"].attention[0].farm == farm
    screen = jingzhou.get("/regional/screen/data.json?region=421083").json()
    assert screen["total"]["offline"] == 2 and screen["total"]["coverage"] == 0.0


def test_a_region_with_no_farms_on_the_big_screen_has_no_coverage_not_zero(jingzhou):
    data = jingzhou.get("/regional/screen/data.json?region=421002").json()
    assert data["total"]["farms"] == 0 and data["total"]["devices"] == 0
    assert data["total"]["coverage"] is None  # shown as "—": nothing to cover is not 0 %
    assert data["incidents"] == []
    assert jingzhou.get("/regional/screen/?region=421002").status_code == 200

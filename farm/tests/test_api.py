"""The farm REST API: filters, pagination, validation and the OpenAPI schema."""

from __future__ import annotations

import pytest

from farm.models import Farm, Region

pytestmark = pytest.mark.django_db


def test_region_filter_includes_the_whole_subtree(login):
    client = login("bureau_jingzhou")
    rows = client.get("/api/farms/?region=421083").json()["results"]
    assert rows and {r["region"] for r in rows} == {"421083"}
    city = client.get("/api/farms/?region=421000").json()["count"]
    assert city == Farm.objects.filter(region__code__startswith="4210").count()


def test_malformed_region_filter_matches_nothing(login):
    client = login("bureau_jingzhou")
    assert client.get("/api/farms/?region=42%27%20OR%201=1").json()["count"] == 0


def test_filter_by_kind_and_farm(login):
    client = login("admin")
    kinds = {r["kind"] for r in client.get("/api/farms/?kind=aquaculture").json()["results"]}
    assert kinds == {"aquaculture"}
    farm = Farm.objects.get(name="大沙湖草鱼养殖场")
    ponds = client.get(f"/api/ponds/?farm={farm.pk}").json()["results"]
    assert len(ponds) == 3 and all(p["farm"] == farm.pk for p in ponds)


def test_lists_are_paginated(login):
    data = login("admin").get("/api/sites/?page=1").json()
    assert {"count", "next", "previous", "results"} <= set(data)


def test_manager_creates_a_pond_with_validated_fields(login):
    client = login("manager_honghu")
    farm = Farm.objects.get(name="大沙湖草鱼养殖场")
    bad = client.post(
        "/api/ponds/",
        {"farm": farm.pk, "name": "4号塘", "area_m2": "-5", "species": "草鱼", "depth_m": "2"},
        content_type="application/json",
    )
    assert bad.status_code == 400 and "area_m2" in bad.json()
    ok = client.post(
        "/api/ponds/",
        {"farm": farm.pk, "name": "4号塘", "area_m2": "3000", "species": "草鱼", "depth_m": "2"},
        content_type="application/json",
    )
    assert ok.status_code == 201 and ok.json()["kind"] == "pond"


def test_farm_must_sit_in_a_county(login):
    client = login("manager_honghu")
    farm = Farm.objects.get(name="大沙湖草鱼养殖场")
    resp = client.patch(
        f"/api/farms/{farm.pk}/", {"region": "421000"}, content_type="application/json"
    )
    assert resp.status_code == 400 and "region" in resp.json()


def test_manager_cannot_move_a_farm_to_an_organisation_they_do_not_manage(login):
    client = login("manager_honghu")
    farm = Farm.objects.get(name="大沙湖草鱼养殖场")
    other = farm.organisation.__class__.objects.exclude(pk=farm.organisation_id).first()
    resp = client.patch(
        f"/api/farms/{farm.pk}/", {"organisation": other.pk}, content_type="application/json"
    )
    assert resp.status_code == 400


def test_openapi_schema_describes_the_farm_endpoints(login):
    resp = login("admin").get("/api/schema/?format=json")
    assert resp.status_code == 200
    paths = resp.json()["paths"]
    for path in ("/api/farms/", "/api/ponds/{id}/", "/api/plots/", "/api/regions/"):
        assert path in paths


def test_region_fixture_has_every_province_and_the_demo_counties(demo):
    assert Region.objects.filter(level="province").count() == 34
    for code in ("421083", "421088", "421022"):
        county = Region.objects.get(code=code)
        assert county.level == "county" and county.parent.code == "421000"
        assert county.parent.parent.code == "420000"


def test_region_subtree_is_a_code_prefix(demo):
    hubei = Region.objects.get(code="420000")
    assert hubei.subtree().filter(code="421083").exists()
    assert not hubei.subtree().filter(code="110000").exists()
    assert Region.objects.get(code="421000").contains("421088")


def test_anonymous_page_visit_redirects_to_login(client, demo):
    resp = client.get("/")
    assert resp.status_code == 302 and resp["Location"].startswith("/accounts/login/")


def test_pages_are_chinese_by_default(login):
    page = login("farmer_wang").get("/").content.decode()
    assert "我的农场" in page


@pytest.mark.parametrize(
    "username, farms",
    [("farmer_wang", 1), ("bureau_honghu", 4), ("bureau_jingzhou", 10), ("manager_gongan", 3)],
)
def test_csv_export_holds_only_the_visible_farms(login, username, farms):
    body = login(username).get("/farms/export.csv").content.decode("utf-8-sig")
    rows = body.strip().splitlines()
    assert rows[0].startswith("id,name,organisation") and len(rows) == farms + 1


def test_csv_export_neutralises_formulas(login):
    farm = Farm.objects.get(name="大沙湖草鱼养殖场")
    farm.address = '=HYPERLINK("http://x")'
    farm.save()
    body = login("farmer_wang").get("/farms/export.csv").content.decode("utf-8-sig")
    assert "'=HYPERLINK" in body


def test_api_docs_load_their_assets_locally(login):
    page = login("admin").get("/api/docs/").content.decode()
    assert "cdn" not in page.lower() and "/static/drf_spectacular_sidecar/" in page

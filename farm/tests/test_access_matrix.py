"""The whole access matrix: every role × every endpoint × every farm.

Each cell's expectation comes from the role's definition, computed here
independently of ``farm.access``; any cell that differs is a leak (or a
lockout) and the test lists them all.
"""

from __future__ import annotations

import json

import pytest
from django.db import transaction

from farm.models import Farm, Plot, Pond, Site

HONGHU_COOP = "洪湖市清水湖水产养殖专业合作社"

# username -> (farms readable, farms writable), as predicates over Farm
ROLES = {
    "admin": (lambda f: True, lambda f: True),
    "manager_honghu": (lambda f: f.organisation.name == HONGHU_COOP,) * 2,
    "farmer_wang": (lambda f: f.name == "大沙湖草鱼养殖场",) * 2,
    "farmer_zhang": (lambda f: f.name in {"埠河番茄大棚基地", "孟家溪葡萄园"},) * 2,
    "bureau_honghu": (lambda f: f.region_id == "421083", lambda f: False),
    "bureau_jingzhou": (lambda f: f.region_id.startswith("4210"), lambda f: False),
    None: (lambda f: False, lambda f: False),
}


def _site(farm: Farm, model) -> Site | None:
    return model.objects.filter(farm=farm).first()


def _cells(farm: Farm):
    """(name, method, url, body, is_write) for every endpoint touching ``farm``."""
    plot, pond = _site(farm, Plot), _site(farm, Pond)
    site = plot or pond
    yield "page farm", "get", f"/farms/{farm.pk}/", None, False
    yield "page site", "get", f"/sites/{site.pk}/", None, False
    yield "api farm get", "get", f"/api/farms/{farm.pk}/", None, False
    yield "api farm patch", "patch", f"/api/farms/{farm.pk}/", {"address": "新地址"}, True
    yield "api farm delete", "delete", f"/api/farms/{farm.pk}/", None, True
    yield "api site get", "get", f"/api/sites/{site.pk}/", None, False
    yield "api site delete", "delete", f"/api/sites/{site.pk}/", None, True
    if plot:
        yield "api plot get", "get", f"/api/plots/{plot.pk}/", None, False
        yield "api plot patch", "patch", f"/api/plots/{plot.pk}/", {"crop": "水稻"}, True
        body = {"farm": farm.pk, "name": "新地块", "area_m2": "100", "crop": "油菜"}
        yield "api plot create", "post", "/api/plots/", body, True
    if pond:
        yield "api pond get", "get", f"/api/ponds/{pond.pk}/", None, False
        yield "api pond patch", "patch", f"/api/ponds/{pond.pk}/", {"species": "鲫鱼"}, True
        body = {
            "farm": farm.pk,
            "name": "新塘",
            "area_m2": "100",
            "species": "草鱼",
            "depth_m": "1.5",
        }
        yield "api pond create", "post", "/api/ponds/", body, True


def _expected(username, name: str, is_write: bool, can_read: bool, can_write: bool) -> set[int]:
    page = name.startswith("page")
    if username is None:
        return {302} if page else {401, 403}
    if not can_read:
        # Unknown to this user: 404 for a URL, "no such farm" (400) for a reference.
        return {400} if name.endswith("create") else {404}
    if not is_write:
        return {200}
    if not can_write:
        return {403}
    return {201} if name.endswith("create") else ({204} if name.endswith("delete") else {200})


@pytest.mark.django_db
@pytest.mark.parametrize("username", list(ROLES), ids=lambda u: u or "anonymous")
def test_access_matrix_has_no_leaks(username, login):
    client = login(username)
    readable, writable = ROLES[username]
    leaks = []
    for farm in Farm.objects.select_related("organisation").order_by("pk"):
        can_read, can_write = readable(farm), writable(farm)
        for name, method, url, body, is_write in _cells(farm):
            with transaction.atomic():
                kwargs = {}
                if body is not None:
                    kwargs = {"data": json.dumps(body), "content_type": "application/json"}
                status = getattr(client, method)(url, **kwargs).status_code
                transaction.set_rollback(True)
            want = _expected(username, name, is_write, can_read, can_write)
            if status not in want:
                leaks.append(f"{farm.name}: {name} {method.upper()} {url} -> {status}, want {want}")
    assert not leaks, "\n".join(leaks)


@pytest.mark.django_db
@pytest.mark.parametrize("username", [u for u in ROLES if u], ids=str)
def test_lists_show_exactly_the_readable_farms(username, login):
    client = login(username)
    readable, _ = ROLES[username]
    want = {f.pk for f in Farm.objects.select_related("organisation") if readable(f)}
    api = client.get("/api/farms/?page_size=1000").json()
    assert {row["id"] for row in api["results"]} == want
    sites = client.get("/api/sites/").json()
    assert {row["farm"] for row in sites["results"]} == {
        pk for pk in want if Site.objects.filter(farm_id=pk).exists()
    }
    page = client.get("/").content.decode()
    shown = {f.pk for f in Farm.objects.all() if f'href="/farms/{f.pk}/"' in page}
    assert shown == want

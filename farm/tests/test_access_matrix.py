"""The access matrix, generated from the URL resolver.

Every URL pattern of the project (``get_resolver()``, through every include) is
requested as every role — anonymous, operator, manager, bureau reviewer, admin —
against an object of the role's own organisation and one of another organisation.
URL kwargs are filled from ``KWARGS`` (by kwarg name) and, for ``pk``-like kwargs,
the model the view serves (``PAGE_MODELS`` by URL name, a DRF view's queryset,
the admin's URL name). A pattern with a kwarg or a ``pk`` the registry does not
know FAILS the test with the pattern's name, so a new endpoint cannot slip by.

What each cell must answer comes from the roles' definitions written here,
independently of ``farm.access``:

* anonymous: the login page (pages), 401/403 (API), the admin login (admin);
  only ``PUBLIC`` patterns answer them;
* another organisation's object: 404 for everyone but the admin;
* a read of one's own object: allowed (2xx, a redirect, or a domain answer such
  as 400/409, anything but 401/403/404/405 and 5xx);
* a write (POST with empty data, PATCH/DELETE on the API): allowed for the roles
  with that kind of right (``WRITES``), 403 for the others (bureau reviewers
  always); reads use GET.

Then: API list endpoints return only rows of the role's farms; CSV exports hold
only the role's farms; WebSocket routes accept a role only on its own farm.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from http.cookies import SimpleCookie
from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.resolvers import RegexPattern, RoutePattern
from django.utils import timezone

from alerts.models import Incident, NotificationPolicy, Rule, Silence
from demo.farm import DEMO_PASSWORD, seed_demo
from farm.models import Farm, Organisation, Plot, Pond, Region, Site
from sensors.models import Device, DeviceProfile
from traceability import lots
from traceability.models import Lot
from vision.models import Camera, Detection, TrapPhoto

OWN_FARM = "大沙湖草鱼养殖场"  # Honghu cooperative, county 421083: every role below reads it
OTHER_FARM = "大垸鲫鱼养殖场"  # Jianli cooperative, county 421088: only the admin reads it

ROLES = ["anonymous", "farmer_wang", "manager_honghu", "bureau_honghu", "admin"]
# Kinds of write right: FARM (operators, managers, admins on their farms), ORG (the
# organisation's managers and admins), SELF (any signed-in user, about themselves).
FARM, ORG, SELF = "farm", "org", "self"
RIGHTS = {
    "farmer_wang": {FARM, SELF},
    "manager_honghu": {FARM, ORG, SELF},
    "bureau_honghu": {SELF},
    "admin": {FARM, ORG, SELF},
}

# Answer anyone, signed in or not (only a server error is wrong there).
PUBLIC = {
    "login",
    "logout",
    "admin:login",
    "admin:logout",
    "set_language",
    "scan",
    "gs1resolver",
    "digital-link",
    "api-schema",
    "api-docs",
    "healthz",
    # the installable app: fetched by the browser before anyone logs in
    "manifest",
    "service-worker",
    "phone:offline",
}
# Authenticated by a device token, not a session: without the token every role is 401.
TOKEN = {
    "vision:trap-upload",
    "alerts:callback-aliyun-sms",
    "alerts:callback-tencent-sms",
    "alerts:callback-aliyun-voice",
    "alerts:callback-tencent-voice",
}

# Writes, by URL name: the right they need, and whether GET already needs it (a form
# page). Any other endpoint that refuses GET (405) is a FARM write done by POST.
WRITES: dict[str, tuple[str, bool]] = {
    "alerts:adopt-templates": (ORG, False),
    "alerts:rule-create": (ORG, True),
    "alerts:rule-edit": (ORG, True),
    "alerts:rule-toggle": (ORG, False),
    "alerts:rule-delete": (ORG, False),
    "alerts:policy-create": (ORG, True),
    "alerts:policy-edit": (ORG, True),
    "alerts:policy-delete": (ORG, False),
    "traceability:epcis-import": (ORG, True),
    "traceability:lot-create": (FARM, True),
    "traceability:input-create": (FARM, True),
    "traceability:lot-labels": (FARM, True),
    "alerts:push-subscribe": (SELF, False),
    "alerts:push-unsubscribe": (SELF, False),
    "alerts:me": (SELF, False),
    "alerts:me-send-code": (SELF, False),
    "alerts:me-verify": (SELF, False),
    "alerts:me-test": (SELF, False),
}

# ``pk`` of a page, by URL name: which model it names.
PAGE_MODELS: dict[str, type] = {
    "farm:farm-detail": Farm,
    "farm:site-detail": Site,
    "incident-short": Incident,
    "alerts:incident": Incident,
    "alerts:incident-row": Incident,
    "alerts:acknowledge": Incident,
    "alerts:snooze": Incident,
    "alerts:silence": Incident,
    "alerts:rule-edit": Rule,
    "alerts:rule-toggle": Rule,
    "alerts:rule-delete": Rule,
    "alerts:policy-edit": NotificationPolicy,
    "alerts:policy-delete": NotificationPolicy,
    "alerts:silence-end": Silence,
    "vision:trap-review": TrapPhoto,
    "vision:trap-photo-image": TrapPhoto,
    "vision:trap-photo-annotated": TrapPhoto,
    "vision:detection-snapshot": Detection,
    **{
        f"traceability:lot-{a}": Lot
        for a in (
            "detail harvest inspect release ship receive pack process sell labels "
            "certificate epcis verify"
        ).split()
    },
    "epcis_xml:lot-epcis-xml": Lot,
}
# kwarg name -> model, for kwargs that say what they are
KWARG_MODELS: dict[str, type] = {
    "farm_id": Farm,
    "site_id": Site,
    "site_pk": Site,
    "org_id": Organisation,
    "camera_id": Camera,
    "dev_eui": Device,
}
# The farm of each model's rows (for list endpoints), from the model.
FARM_PATHS: dict[type, str] = {
    Farm: "",
    Site: "farm",
    Plot: "farm",
    Pond: "farm",
    Device: "farm",
    Incident: "farm",
    Lot: "origin__farm",
    Camera: "site__farm",
    Detection: "camera__site__farm",
    TrapPhoto: "camera__site__farm",
}


def readable(username: str, farm: Farm) -> bool:
    """The roles' read scopes, from their definitions (not from farm.access)."""
    return {
        "admin": True,
        "manager_honghu": farm.organisation.name == "洪湖市清水湖水产养殖专业合作社",
        "farmer_wang": farm.name == OWN_FARM,
        "bureau_honghu": farm.region_id == "421083",
    }.get(username, False)


# --- the world: one object of each kind on the own farm and on the other one -------


@dataclass
class Side:
    farm: Farm
    objects: dict[type, Any] = field(default_factory=dict)


def _side(farm: Farm, n: int, profile: DeviceProfile) -> Side:
    pond = Pond.objects.filter(farm=farm).order_by("pk").first()
    plot = Plot.objects.create(farm=farm, name=f"矩阵地块{n}", crop="水稻", area_m2=100)
    org = farm.organisation
    now = timezone.now()
    device = Device.objects.create(
        dev_eui=f"ac{n:014x}", farm=farm, site=pond, profile=profile, name=f"节点{n}"
    )
    rule = Rule.objects.create(
        organisation=org,
        farm=farm,
        name=f"矩阵规则{n}",
        metric="do",
        condition="below",
        threshold=3,
    )
    incident = Incident.objects.create(
        rule=rule,
        farm=farm,
        site=pond,
        target_key=f"site:{pond.pk}",
        severity="warning",
        title="溶解氧低",
        opened_at=now,
    )
    lot = lots.create_lot(
        lots.NewLot(
            origin=pond,
            product_name="矩阵鱼",
            lot_number=f"MX-{n}",
            quantity=Decimal("10"),
            gtin="06901234567892" if n == 1 else "",
            growing_started=date(2026, 3, 1),
        )
    )
    camera = Camera.objects.create(
        site=pond, name=f"相机{n}", kind="insect_trap", source_kind="upload"
    )
    detection = Detection.objects.create(
        camera=camera, time=now, class_name="aphid", confidence=0.9, box=[0.1, 0.1, 0.2, 0.2]
    )
    detection.snapshot.save(f"mx{n}.jpg", ContentFile(b"\xff\xd8\xff\xd9"))
    photo = TrapPhoto(camera=camera, taken_at=now, width=4, height=4)
    photo.image.save(f"mx{n}.jpg", ContentFile(b"\xff\xd8\xff\xd9"), save=False)
    photo.annotated.save(f"mx{n}a.jpg", ContentFile(b"\xff\xd8\xff\xd9"), save=False)
    photo.save()
    return Side(
        farm,
        {
            Farm: farm,
            Site: pond.site_ptr,
            Pond: pond,
            Plot: plot,
            Organisation: org,
            Region: farm.region,
            Device: device,
            Rule: rule,
            Incident: incident,
            NotificationPolicy: NotificationPolicy.objects.create(
                organisation=org, farm=farm, name=f"矩阵通知{n}"
            ),
            Silence: Silence.objects.create(
                organisation=org,
                farm=farm,
                starts_at=now,
                ends_at=now + timedelta(hours=1),
                reason="矩阵",
            ),
            Lot: lot,
            Camera: camera,
            Detection: detection,
            TrapPhoto: photo,
        },
    )


@pytest.fixture
def world(db, settings, tmp_path) -> dict[str, Side]:
    settings.MEDIA_ROOT = tmp_path / "media"
    seed_demo()
    profile = DeviceProfile.objects.create(id="matrix", name="matrix")
    return {
        "own": _side(Farm.objects.get(name=OWN_FARM), 1, profile),
        "other": _side(Farm.objects.get(name=OTHER_FARM), 2, profile),
    }


# --- the URL patterns, with their kwargs filled -------------------------------------------


@dataclass
class Endpoint:
    name: str  # namespaced URL name (or the route when unnamed)
    parts: list  # the patterns from the root to this one
    callback: Any

    @property
    def route(self) -> str:
        return "".join(str(p) for p in self.parts)

    @property
    def kwargs(self) -> list[str]:
        names: list[str] = []
        for p in self.parts:
            names += (
                re.findall(r"<(?:[^>:]+:)?(\w+)>", str(p))
                if isinstance(p, RoutePattern)
                else re.findall(r"\(\?P<(\w+)>", str(p))
            )
        return names

    @property
    def object_kwargs(self) -> list[str]:
        """The kwargs that name an object (own or another organisation's)."""
        return [k for k in self.kwargs if k not in ("format", "app_label", "url")]

    @property
    def api(self) -> bool:
        return self.route.startswith("api/")

    @property
    def admin(self) -> bool:
        return self.route.startswith("admin/")

    @property
    def drf_actions(self) -> dict[str, str]:
        return getattr(self.callback, "actions", None) or {}

    @property
    def drf_view(self):
        return getattr(self.callback, "cls", None)


def endpoints() -> list[Endpoint]:
    found: list[Endpoint] = []

    def walk(resolver: URLResolver, parts: list, ns: str) -> None:
        for p in resolver.url_patterns:
            if isinstance(p, URLResolver):
                inner = f"{ns}{p.namespace}:" if p.namespace else ns
                walk(p, [*parts, p.pattern], inner)
            elif isinstance(p, URLPattern):
                name = f"{ns}{p.name}" if p.name else "".join(map(str, [*parts, p.pattern]))
                found.append(Endpoint(name, [*parts, p.pattern], p.callback))

    walk(get_resolver(), [], "")
    return found


class UnknownKwarg(Exception):
    pass


def model_of(ep: Endpoint, kwarg: str) -> type | None:
    if kwarg in KWARG_MODELS:
        return KWARG_MODELS[kwarg]
    if kwarg not in ("pk", "id", "object_id"):
        return None
    if ep.admin:
        m = re.match(r"admin/(\w+)/(\w+)/", ep.route)
        return apps.get_model(m.group(1), m.group(2)) if m else None
    if ep.name in PAGE_MODELS:
        return PAGE_MODELS[ep.name]
    view = ep.drf_view
    queryset = getattr(view, "queryset", None)
    if queryset is not None:
        return queryset.model
    meta = getattr(getattr(view, "serializer_class", None), "Meta", None)
    return getattr(meta, "model", None)


def lookup_value(ep: Endpoint, model: type, obj: Any, kwarg: str) -> str:
    view = ep.drf_view
    field_name = getattr(view, "lookup_field", "pk") if view else "pk"
    if kwarg == "dev_eui":
        field_name = "dev_eui"
    return str(getattr(obj, field_name))


def fill(ep: Endpoint, world: dict[str, Side], which: str) -> str:
    """The URL of ``ep`` for the object on ``which`` side; UnknownKwarg if it cannot."""
    values: dict[str, str] = {}
    own = world[which].objects
    for kwarg in ep.kwargs:
        if kwarg == "format":
            values[kwarg] = "json"
        elif kwarg == "code":
            values[kwarg] = own[Lot].trace_code
        elif kwarg == "path":
            values[kwarg] = f"01/{world['own'].objects[Lot].gtin}/10/MX-1"
        elif kwarg == "app_label":
            values[kwarg] = "farm"
        elif kwarg == "url":
            values[kwarg] = "no-such-page/"
        elif kwarg == "content_type_id":
            from django.contrib.contenttypes.models import ContentType

            values[kwarg] = str(ContentType.objects.get_for_model(Farm).pk)
        elif ep.name == "admin:auth_user_password_change" and kwarg == "id":
            values[kwarg] = str(get_user_model().objects.get(username="admin").pk)
        elif ep.name == "admin:view_on_site" and kwarg == "object_id":
            values[kwarg] = str(own[Farm].pk)
        else:
            model = model_of(ep, kwarg)
            if model is None:
                raise UnknownKwarg(f"{ep.name} ({ep.route}): no registry entry for <{kwarg}>")
            obj = own.get(model)
            if obj is None and ep.admin:
                obj = model.objects.order_by("pk").first()
                values[kwarg] = str(obj.pk) if obj else "0"
                continue
            if obj is None:
                raise UnknownKwarg(f"{ep.name} ({ep.route}): no factory for {model.__name__}")
            values[kwarg] = lookup_value(ep, model, obj, kwarg)
    url = "/"
    for p in ep.parts:
        text = str(p)
        if isinstance(p, RoutePattern):
            text = re.sub(r"<(?:[^>:]+:)?(\w+)>", lambda m: values[m.group(1)], text)
            if "drf_format_suffix" in str(p):
                text = text.replace("json", ".json")
        elif isinstance(p, RegexPattern):
            text = re.sub(r"\(\?P<(\w+)>[^()]*\)", lambda m: values[m.group(1)], text)
            text = text.lstrip("^").rstrip("$").replace("/?", "/").replace("\\.", ".")
        url += text
    match = resolve(url.split("?")[0])
    if match.func is not ep.callback and getattr(match.func, "cls", 0) is not ep.drf_view:
        raise UnknownKwarg(f"{ep.name} ({ep.route}): built {url}, which resolves elsewhere")
    return url


# --- the cells -------------------------------------------------------------------------------


def outcome(resp, ep: Endpoint) -> str:
    """What a response means for access: login, denied, forbidden, hidden, allowed, ..."""
    code = resp.status_code
    if code >= 500:
        return f"error {code}"
    if code == 302 and "/login/" in resp.get("Location", ""):
        return "login"
    if code in (401, 403):
        return "forbidden" if code == 403 else "denied"
    if code == 404:
        return "hidden"
    if code == 405:
        return "method"
    return "allowed"


def expected(ep: Endpoint, role: str, which: str | None, right: str | None) -> set[str]:
    """Outcomes that are right for ``role`` on ``ep`` (``right``: None for a read)."""
    if ep.name in PUBLIC:
        return {"allowed", "hidden", "login", "method", "forbidden"}
    if ep.name in TOKEN:
        return {"denied"}
    if role == "anonymous":
        if ep.api:
            return {"denied", "forbidden"}
        return {"login"}
    if ep.admin:
        # Only staff get in; inside, the admin's own model permissions decide (append-only
        # records have no add page: 403), which is not what this matrix checks.
        return {"allowed", "forbidden", "hidden"} if role == "admin" else {"login"}
    if which == "other" and role != "admin":
        if ep.drf_view is not None and model_of(ep, "pk") is Region and role != "bureau_honghu":
            return {"allowed"}  # reference data; only a reviewer's view stops at their region
        return {"hidden"}
    if right is None:
        return {"allowed"}
    return {"allowed"} if right in RIGHTS[role] else {"forbidden"}


def login(username: str) -> Client:
    client = Client(raise_request_exception=False)  # a 500 is a cell like any other
    if username != "anonymous":
        assert client.login(username=username, password=DEMO_PASSWORD)
    return client


def _request(client: Client, method: str, url: str, api: bool):
    """One request, its database changes rolled back and its cookies forgotten (a logout
    or a language switch must not change who makes the next request)."""
    cookies = SimpleCookie()
    cookies.update(client.cookies)
    with transaction.atomic():
        if method == "get":
            resp = client.get(url)
        elif api:
            resp = getattr(client, method)(url, data="{}", content_type="application/json")
        else:
            resp = client.post(url, {})
        transaction.set_rollback(True)
    client.cookies = cookies
    return resp


def cells(ep: Endpoint):
    """(method, right) pairs to try on ``ep``; the right is None for a read."""
    if ep.drf_actions:
        served = set(getattr(ep.drf_view, "http_method_names", ()))
        for method in list(ep.drf_actions):
            if method not in served:
                continue  # the router offers it, the viewset refuses it (405)
            if method in ("get", "head", "options"):
                yield "get", None
            elif method != "put":  # PATCH covers updates; PUT needs a full body
                yield method, FARM
        return
    write = WRITES.get(ep.name)
    if write is None:
        yield "get", None  # a 405 here turns into a POST below
    elif write[1]:
        yield "get", write[0]
        yield "post", write[0]
    else:
        yield "post", write[0]


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_access_matrix_from_the_url_resolver(role, world):
    client = login(role)
    wrong: list[str] = []
    unknown: list[str] = []
    for ep in endpoints():
        per_object = bool(ep.object_kwargs) and not ep.admin and ep.name not in PUBLIC
        sides = ["own", "other"] if per_object else ["own"]
        for which in sides:
            try:
                url = fill(ep, world, which)
            except UnknownKwarg as exc:
                unknown.append(str(exc))
                break
            side = which if per_object else None
            for method, right in cells(ep):
                resp = _request(client, method, url, ep.api)
                got = outcome(resp, ep)
                if got == "method" and method == "get" and not ep.drf_actions:
                    right = WRITES.get(ep.name, (FARM,))[0]
                    method = "post"
                    resp = _request(client, method, url, ep.api)
                    got = outcome(resp, ep)
                want = expected(ep, role, side, right)
                if got not in want:
                    wrong.append(
                        f"{role} {method.upper()} {url} ({ep.name}, {which}): "
                        f"{resp.status_code} {got}, want {sorted(want)}"
                    )
    assert not unknown, "URL kwargs the matrix cannot fill:\n" + "\n".join(sorted(set(unknown)))
    assert not wrong, f"{len(wrong)} cells differ:\n" + "\n".join(wrong)


# --- list endpoints, exports, WebSockets --------------------------------------------------


def _rows(client: Client, url: str) -> list[dict]:
    rows: list[dict] = []
    for _ in range(50):
        body = client.get(url).json()
        if isinstance(body, list):
            return rows + body
        rows += body.get("results", [])
        url = body.get("next")
        if not url:
            return rows
    raise AssertionError(f"{url}: more than 50 pages")


@pytest.mark.django_db
@pytest.mark.parametrize("role", [r for r in ROLES if r != "anonymous"])
def test_api_lists_return_only_rows_of_the_roles_farms(role, world):
    client = login(role)
    problems: list[str] = []
    for ep in endpoints():
        if ep.drf_actions.get("get") != "list" or ep.kwargs:
            continue
        model = model_of(ep, "pk")
        if model not in FARM_PATHS:
            if model not in (Region, Organisation, None):
                problems.append(f"{ep.name}: rows of {model.__name__} have no farm path here")
            continue
        url = fill(ep, world, "own")
        key = getattr(ep.drf_view, "lookup_field", "pk")
        rows = _rows(client, url)
        ids = {str(r.get(key if key != "pk" else "id")) for r in rows}
        for which in ("own", "other"):
            obj = world[which].objects[model]
            shown = lookup_value(ep, model, obj, key) in ids
            if shown != readable(role, world[which].farm):
                problems.append(f"{url}: {which} {model.__name__} shown={shown}")
        path = FARM_PATHS[model]
        farm_ids = model.objects.filter(
            **{f"{key}__in": ids if key != "pk" else [int(i) for i in ids if i.isdigit()]}
        ).values_list(f"{path}__pk" if path else "pk", flat=True)
        outside = {f for f in farm_ids if not readable(role, Farm.objects.get(pk=f))}
        if outside:
            problems.append(f"{url}: rows of farms {sorted(outside)} outside the role's farms")
    assert not problems, "\n".join(problems)


@pytest.mark.django_db
@pytest.mark.parametrize("role", [r for r in ROLES if r != "anonymous"])
def test_csv_exports_hold_only_the_roles_farms(role, world):
    client = login(role)
    exports = [ep for ep in endpoints() if ep.route.endswith(".csv")]
    assert exports, "no CSV export found: the matrix lost its way"
    for ep in exports:
        resp = client.get(fill(ep, world, "own"))
        body = b"".join(resp.streaming_content if resp.streaming else [resp.content])
        text = body.decode("utf-8-sig")
        for which in ("own", "other"):
            farm = world[which].farm
            assert (farm.name in text) == readable(role, farm), f"{ep.name}: {which} {farm.name}"


@pytest.mark.django_db
@pytest.mark.parametrize("role", [r for r in ROLES if r != "anonymous"])
def test_the_dashboard_links_exactly_the_roles_farms(role, world):
    page = login(role).get("/").content.decode()
    shown = {f.pk for f in Farm.objects.all() if f'href="/farms/{f.pk}/"' in page}
    assert shown == {f.pk for f in Farm.objects.select_related("organisation") if readable(role, f)}


def test_every_pattern_kwarg_is_in_the_registry():
    """A new endpoint with an unknown kwarg fails here too, before any request is made."""
    missing = []
    for ep in endpoints():
        for kwarg in ep.kwargs:
            known = kwarg in {"format", "code", "path", "app_label", "url", "content_type_id"}
            if not (known or ep.admin or model_of(ep, kwarg) is not None):
                missing.append(f"{ep.name} ({ep.route}): <{kwarg}>")
    assert not missing, "URL kwargs the matrix cannot fill:\n" + "\n".join(missing)


def test_an_api_write_without_rights_is_forbidden_not_a_validation_error(world):
    """A reviewer's POST to a create endpoint is refused before its body is read."""
    resp = login("bureau_honghu").post("/api/ponds/", data="{}", content_type="application/json")
    assert resp.status_code == 403
    assert json.loads(resp.content)["detail"]


# --- WebSockets, on a real ASGI server ------------------------------------------------------

from tests.conftest import asgi_server, demo_committed  # noqa: E402,F401  (fixtures)


def _ws_routes() -> list[tuple[str, list[str]]]:
    """(route, kwargs) of every WebSocket pattern, through nested routers."""
    from channels.routing import URLRouter

    from agrimon.routing import websocket_urlpatterns

    found: list[tuple[str, list[str]]] = []

    def walk(patterns, prefix: str) -> None:
        for p in patterns:
            app = getattr(p, "callback", None)
            inner = getattr(app, "routes", None) if isinstance(app, URLRouter) else None
            route = prefix + str(p.pattern)
            if inner:
                walk(inner, route)
            else:
                found.append((route, re.findall(r"<(?:[^>:]+:)?(\w+)>", route)))

    walk(websocket_urlpatterns, "")
    return found


async def _ws_events(url: str, cookie: str | None, first: int, last: int) -> list[int] | None:
    """Farms whose events arrive after one event to ``first``, then one to ``last``, up to
    the one of ``last`` (one channel keeps the order); None when the socket is refused."""
    import asyncio

    import websockets
    from channels.layers import get_channel_layer

    from farm.consumers import farm_group

    headers = {"Origin": "http://127.0.0.1", **({"Cookie": cookie} if cookie else {})}
    try:
        async with websockets.connect(url, additional_headers=headers) as ws:
            layer = get_channel_layer()
            for farm_id in (first, last):
                message = {"type": "farm.event", "farm": farm_id, "payload": {"farm": farm_id}}
                await layer.group_send(farm_group(farm_id), message)
            got: list[int] = []
            while last not in got:
                got.append(json.loads(await asyncio.wait_for(ws.recv(), timeout=10))["farm"])
            return got
    except (websockets.exceptions.InvalidStatus, websockets.exceptions.ConnectionClosed):
        return None


@pytest.mark.django_db(transaction=True)
def test_websocket_routes_accept_each_role_only_on_its_farms(asgi_server):  # noqa: F811
    from asgiref.sync import async_to_sync

    from tests.test_websocket import session_cookie

    own = Farm.objects.get(name=OWN_FARM).pk
    other = Farm.objects.get(name=OTHER_FARM).pk
    routes = _ws_routes()
    assert routes, "no WebSocket route found"
    wrong: list[str] = []
    for role in ROLES:
        cookie = None if role == "anonymous" else session_cookie(asgi_server, role)
        for route, kwargs in routes:
            unknown = [k for k in kwargs if k != "farm_id"]
            assert not unknown, f"WebSocket route {route}: no registry entry for {unknown}"
            targets = [("own", own), ("other", other)] if kwargs else [("any", own)]
            for which, farm_id in targets:
                path = re.sub(r"<(?:[^>:]+:)?farm_id>", str(farm_id), route)
                url = asgi_server.replace("http", "ws") + "/" + path
                first, last = (own, other) if which == "other" else (other, own)
                got = async_to_sync(_ws_events)(url, cookie, first, last)
                if role == "anonymous":
                    want = None
                elif which == "other":
                    want = [other] if role == "admin" else None
                elif kwargs:
                    want = [own]
                else:  # a page socket of every readable farm: the other farm only for admin
                    want = [other, own] if role == "admin" else [own]
                if got != want:
                    wrong.append(f"{role} {path}: got {got}, want {want}")
    assert not wrong, "\n".join(wrong)

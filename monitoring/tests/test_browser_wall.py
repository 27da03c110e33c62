"""The farm wall in Debian's Chromium: live tiles, a server restart, no outside request.

A real uvicorn server on the test database and a private InfluxDB database; readings
are written to InfluxDB and handed to the bridge's hook (``monitoring.live``) exactly
as the bridge does after a durable write. A ``window`` marker would be lost on reload.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest

import tests.conftest as e2e
from alerts.models import Rule
from demo.farm import DEMO_PASSWORD
from farm.models import Farm, Pond
from monitoring.live import on_bridge_readings
from sensors.timeseries import Point, to_ns
from tests.test_browser_live_pages import Server, in_worker
from vocabulary.events import ReadingEvent

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
browser = e2e.browser
demo_committed = e2e.demo_committed

PHONE = {"width": 390, "height": 844}
WALL = {"width": 1920, "height": 1080}
FARM = "大沙湖草鱼养殖场"


def uplink(influx, pond: Pond, do: float, when: datetime | None = None) -> None:
    """What the bridge does with one DO uplink: store it, then call the hook."""
    when = when or datetime.now(UTC)
    eui = f"{pond.pk:016x}"
    tags = {"farm": str(pond.farm_id), "site": str(pond.pk), "device": eui}
    influx.write([Point("water", tags, {"do": do, "water_temp": 27.0, "ph": 7.8}, to_ns(when))])
    event = ReadingEvent(0, eui, pond.pk, pond.farm_id, "do", do, to_ns(when))
    in_worker(lambda: on_bridge_readings([event]))


@pytest.fixture
def wall_server(demo_committed, tmp_path, influx, monkeypatch):
    monkeypatch.setenv("INFLUX_DB", influx.database)
    farm = Farm.objects.get(name=FARM)
    Rule.objects.create(
        organisation=farm.organisation, name="溶解氧过低", metric="do",
        condition=Rule.Condition.BELOW, threshold=3.0, clear_threshold=4.0,
        severity="critical", match_kind=Rule.TargetKind.POND,
    )  # fmt: skip
    start = datetime.now(UTC) - timedelta(minutes=30)
    for pond in Pond.objects.filter(farm=farm):
        uplink(influx, pond, 6.5, start)
        uplink(influx, pond, 6.2, start + timedelta(minutes=25))
    s = Server(tmp_path / "state")
    s.start()
    try:
        yield s
    finally:
        s.stop()


def open_wall(browser, server: Server, viewport: dict, path: str, outside: list):
    context = browser.new_context(
        locale="zh-CN", viewport=viewport, is_mobile=viewport is PHONE, has_touch=viewport is PHONE
    )

    def guard(route):
        host = urlsplit(route.request.url).hostname
        if host not in ("127.0.0.1", "localhost"):
            outside.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    context.route("**/*", guard)
    page = context.new_page()
    page.goto(f"{server.base}/accounts/login/?next={path}")
    page.fill("input[name=username]", "farmer_wang")
    page.fill("input[name=password]", DEMO_PASSWORD)
    sockets: list = []
    page.on("websocket", lambda ws: sockets.append(ws))
    page.click("form:not(.inline) button[type=submit]")
    page.wait_for_selector("[data-wall]")
    page.wait_for_load_state("load")
    page.evaluate("window.__notReloaded = true")
    loads: list = []
    page.on("load", lambda: loads.append(1))
    page.wait_for_selector("[data-live-status][data-state=live]", timeout=30_000)
    return page, sockets, loads


def test_a_breaching_uplink_turns_its_tile_without_reload_on_a_phone(
    browser, wall_server, influx, tmp_path
):
    outside: list = []
    pond = Pond.objects.get(farm__name=FARM, name="2号塘")
    page, sockets, loads = open_wall(browser, wall_server, PHONE, "/monitoring/wall/", outside)
    tile = f"#tile-{pond.pk}"
    assert page.get_attribute(tile, "data-status") == "ok"
    page.screenshot(path=str(tmp_path / "wall_phone_before.png"), full_page=True)

    uplink(influx, pond, 2.1)
    page.wait_for_selector(f"{tile}[data-status=critical]", timeout=15_000)
    do = page.inner_text(f"{tile} [data-testid=fig-do]")
    assert "2.1" in do and ("危险" in do or "Danger" in do)
    page.wait_for_selector(f"{tile} [data-testid=tile-incidents]", timeout=15_000)
    # Sorted by risk: the pond in danger is now the first tile.
    assert page.evaluate("document.querySelector('.tile').id") == f"tile-{pond.pk}"
    page.screenshot(path=str(tmp_path / "wall_phone_breach.png"), full_page=True)

    assert page.evaluate("window.__notReloaded === true") and loads == []
    assert sum(1 for ws in sockets if not ws.is_closed()) == 1
    assert outside == []
    page.context.close()


def test_the_wall_screen_survives_a_server_restart_and_says_it_was_offline(
    browser, wall_server, influx, tmp_path
):
    outside: list = []
    pond = Pond.objects.get(farm__name=FARM, name="1号塘")
    page, sockets, loads = open_wall(
        browser, wall_server, WALL, "/monitoring/wall/?screen=1", outside
    )
    assert page.is_visible("[data-testid=clock]") and page.inner_text("[data-testid=clock]")
    assert page.is_visible("[data-live-status]")
    page.screenshot(path=str(tmp_path / "wall_screen_live.png"))

    wall_server.stop()
    page.wait_for_selector("[data-live-status][data-state=reconnecting]", timeout=30_000)
    page.screenshot(path=str(tmp_path / "wall_screen_reconnecting.png"))
    uplink(influx, pond, 1.8)  # while the wall cannot hear about it
    wall_server.start()
    page.wait_for_selector("[data-live-status][data-state=live]", timeout=45_000)
    page.wait_for_selector("[data-testid=offline-note]:not([hidden])", timeout=15_000)
    page.wait_for_selector(f"#tile-{pond.pk}[data-status=critical]", timeout=15_000)
    page.screenshot(path=str(tmp_path / "wall_screen_after_restart.png"))

    assert page.evaluate("window.__notReloaded === true") and loads == []
    assert sum(1 for ws in sockets if not ws.is_closed()) == 1
    assert outside == []
    page.context.close()


def test_pond_page_on_a_phone_shows_the_water_now_and_draws_its_chart(
    browser, wall_server, influx, tmp_path
):
    outside: list = []
    pond = Pond.objects.get(farm__name=FARM, name="3号塘")
    context = browser.new_context(locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True)
    context.route(
        "**/*",
        lambda route: (
            route.continue_()
            if urlsplit(route.request.url).hostname in ("127.0.0.1", "localhost")
            else (outside.append(route.request.url), route.abort())
        ),
    )
    page = context.new_page()
    page.goto(f"{wall_server.base}/accounts/login/?next=/sites/{pond.pk}/")
    page.fill("input[name=username]", "farmer_wang")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("form:not(.inline) button[type=submit]")
    page.wait_for_selector("[data-testid=site-now]")
    page.wait_for_selector("[data-chart][data-state=ready]", timeout=30_000)
    assert page.locator("[data-chart-area] canvas").count() >= 1
    assert "6.2" in page.inner_text("[data-testid=fig-do]")
    csv_href = page.get_attribute("[data-csv]", "href")
    assert "range=24h" in csv_href and f"sites={pond.pk}" in csv_href
    page.wait_for_selector("[data-live-status][data-state=live]", timeout=30_000)
    page.screenshot(path=str(tmp_path / "pond_page_phone.png"), full_page=True)

    uplink(influx, pond, 2.0)
    page.wait_for_selector("[data-testid=site-status][data-status=critical]", timeout=15_000)
    page.check("input[name=range][value='7d']")
    page.wait_for_selector("[data-chart][data-state=ready]", timeout=30_000)
    assert "range=7d" in page.get_attribute("[data-csv]", "href")
    page.screenshot(path=str(tmp_path / "pond_page_phone_breach.png"), full_page=True)
    assert outside == []
    context.close()

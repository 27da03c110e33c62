"""The regional pages in real Chromium, as the demo's two bureau reviewers.

Every request the page makes is recorded: anything not to our own server fails the test,
so the map really works with no internet (no tiles, fonts or scripts from elsewhere).
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connections
from django.utils import timezone

from alerts.live import publish_incident
from alerts.models import Incident, Rule
from demo.farm import DEMO_PASSWORD
from farm.models import Farm

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def shots(tmp_path_factory) -> Path:
    """Screenshots to look at after a run (pytest's temporary directory, kept for a while)."""
    return tmp_path_factory.mktemp("regional-screenshots")


def open_as(browser, base: str, username: str, viewport: dict):
    context = browser.new_context(locale="zh-CN", viewport=viewport)
    page = context.new_page()
    outside: list[str] = []
    page.on(
        "request",
        lambda r: None if r.url.startswith((base, "data:", "blob:")) else outside.append(r.url),
    )
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("form:not(.inline) button[type=submit]")
    page.wait_for_load_state("networkidle")
    return context, page, outside


def _incident(farm: Farm, title: str, severity: str = "critical") -> Incident:
    rule = Rule.objects.create(
        organisation=farm.organisation, name="DO", metric="do", condition="below", threshold=3
    )
    return Incident.objects.create(
        rule=rule,
        target_key=f"farm:{farm.pk}",
        farm=farm,
        severity=severity,
        title=title,
        opened_at=timezone.now() - timedelta(minutes=3),
    )


def test_city_reviewer_finds_the_county_in_trouble_and_drills_down_to_the_pond(
    browser, asgi_server, shots
):
    farm = Farm.objects.get(name="大沙湖草鱼养殖场")
    _incident(farm, "1号塘 溶解氧低于3 mg/L")
    context, page, outside = open_as(
        browser, asgi_server, "bureau_jingzhou", {"width": 1366, "height": 900}
    )
    page.click("[data-testid=regional-link]")
    page.wait_for_selector("[data-testid=children]")
    rows = page.locator("[data-testid=child-row]")
    honghu = rows.filter(has_text="洪湖市")
    assert "严重" in honghu.inner_text()  # the word, not only a colour
    assert "大沙湖草鱼养殖场" in page.locator("[data-testid=attention]").inner_text()
    page.wait_for_function(
        "document.getElementById('region-map').dataset.loaded === '10'", timeout=15000
    )
    assert page.locator(".farm-pin").count() == 10
    page.wait_for_function("document.getElementById('region-map').dataset.outlines === '3'")
    assert page.locator(".leaflet-overlay-pane path").count() == 3  # the county outlines
    page.screenshot(path=str(shots / "city.png"), full_page=True)
    honghu.locator("[data-testid=drill]").click()
    page.wait_for_url("**region=421083**")
    page.wait_for_function("document.getElementById('region-map').dataset.loaded === '4'")
    page.locator(".farm-pin.status-critical").click()
    popup = page.locator(".leaflet-popup-content")
    assert "大沙湖草鱼养殖场" in popup.inner_text() and "严重" in popup.inner_text()
    popup.locator("a").click()
    page.wait_for_selector("text=1号塘")
    page.click("text=1号塘")
    page.wait_for_load_state("networkidle")
    assert "1号塘" in page.content()
    assert outside == []
    context.close()


def test_county_reviewer_sees_only_their_county_on_a_phone(browser, asgi_server, shots):
    context, page, outside = open_as(
        browser, asgi_server, "bureau_honghu", {"width": 390, "height": 844}
    )
    page.goto(f"{asgi_server}/regional/")
    page.wait_for_function("document.getElementById('region-map').dataset.loaded === '4'")
    names = set(page.locator("[data-testid=child-row] td:first-child a").all_inner_texts())
    assert names == set(Farm.objects.filter(region_id="421083").values_list("name", flat=True))
    page.screenshot(path=str(shots / "county-phone.png"), full_page=True)
    response = page.goto(f"{asgi_server}/regional/?region=421000")
    assert response.status == 404
    assert outside == []
    context.close()


def publish_from_another_thread(farm_id: int, incident_id: int) -> None:
    """Publish as the alert engine would, from a thread without an event loop.

    Playwright's sync API keeps an asyncio loop running on the test's thread, where
    ``async_to_sync`` refuses to run: ``alerts.live`` would log the failure and drop the
    push (by design, a page missing an update must not fail an evaluation).
    """

    def publish() -> None:
        try:
            publish_incident(farm_id, incident_id, "opened")
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(publish).result()


def test_big_screen_updates_live_when_an_incident_opens(browser, asgi_server, shots, caplog):
    context, page, outside = open_as(
        browser, asgi_server, "bureau_jingzhou", {"width": 1920, "height": 1080}
    )
    page.goto(f"{asgi_server}/regional/screen/")
    page.wait_for_function(
        "document.querySelector('[data-testid=connection]').classList.contains('live')"
    )
    page.wait_for_function(
        "document.querySelector('[data-testid=screen-critical]').textContent === '0'"
    )
    # The refresh the socket's opening starts must be over, or it could read the new
    # incident by itself and the test would pass without any push arriving.
    page.wait_for_function("document.getElementById('screen').dataset.refreshing === '0'")
    farm = Farm.objects.get(name="新滩南美白对虾淡化养殖场")
    incident = _incident(farm, "高位池A 溶解氧低于3 mg/L")
    with caplog.at_level(logging.ERROR, logger="alerts.live"):
        publish_from_another_thread(farm.pk, incident.pk)
    assert not caplog.records, "the push did not reach the channel layer"
    page.wait_for_selector(f"[data-incident='{incident.pk}']", timeout=15000)
    assert page.locator("[data-testid=screen-critical]").inner_text() == "1"
    assert "高位池A 溶解氧低于3 mg/L" in page.locator("[data-testid=screen-feed]").inner_text()
    page.wait_for_selector(".farm-pin.status-critical")
    page.screenshot(path=str(shots / "screen.png"))
    assert outside == []
    context.close()

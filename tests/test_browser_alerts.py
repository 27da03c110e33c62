"""A farmer's phone: an alert appears live in the inbox and is acknowledged in two taps.

The incident is raised by the real engine in this process; the page learns of it over the
farm's WebSocket from a real ASGI server, as in production.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
from django.db import connection

from alerts.engine import evaluate
from alerts.models import Incident, Rule
from demo.farm import DEMO_PASSWORD
from farm.models import Farm, Pond
from vocabulary.events import ReadingEvent

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def low_oxygen_rule(farm: Farm) -> Rule:
    return Rule.objects.create(
        organisation=farm.organisation,
        name="溶解氧过低",
        metric="do",
        condition=Rule.Condition.BELOW,
        threshold=3.0,
        clear_threshold=4.0,
        severity="critical",
        match_kind=Rule.TargetKind.POND,
    )


def raise_low_oxygen(farm: Farm, pond: Pond) -> None:
    """Evaluate a breaching reading as the bridge does: in a thread with no event loop
    (Playwright's sync API keeps one on the test's own thread)."""
    reading = ReadingEvent.at(datetime.now(UTC), farm.pk, pond.pk, "a840410000000001", "do", 1.6)

    def run() -> None:
        try:
            evaluate([reading])
        finally:
            connection.close()

    with ThreadPoolExecutor(1) as pool:
        pool.submit(run).result()


def log_in(browser, server: str, username: str):
    page = browser.new_page(locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True)
    page.goto(f"{server}/accounts/login/?next=/alerts/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("form:not(.inline) button[type=submit]")
    page.wait_for_selector("#incidents")
    return page


def test_farmer_sees_a_new_alert_live_and_acknowledges_it(browser, asgi_server):
    farm = Farm.objects.get(name="大沙湖草鱼养殖场")
    pond = Pond.objects.filter(farm=farm).first()
    low_oxygen_rule(farm)
    page = log_in(browser, asgi_server, "farmer_wang")
    assert page.locator("[data-testid=incident]").count() == 0
    page.wait_for_timeout(500)  # let the page's WebSocket connect

    raise_low_oxygen(farm, pond)
    page.wait_for_selector("[data-testid=incident]", timeout=15_000)  # no manual reload
    assert pond.name in page.locator("[data-testid=incident]").first.inner_text()

    page.locator("[data-testid=incident] a").first.tap()
    page.locator("[data-testid=acknowledge]").tap()
    page.wait_for_selector("[data-testid=acknowledged]")
    incident = Incident.objects.get(farm=farm)
    assert incident.acknowledged_by.username == "farmer_wang"
    page.close()


def test_bureau_reviewer_reads_the_alert_but_cannot_act(browser, asgi_server):
    farm = Farm.objects.get(name="大沙湖草鱼养殖场")
    pond = Pond.objects.filter(farm=farm).first()
    low_oxygen_rule(farm)
    raise_low_oxygen(farm, pond)
    page = log_in(browser, asgi_server, "bureau_honghu")
    page.locator("[data-testid=incident] a").first.tap()
    page.wait_for_selector("h1")
    assert page.locator("[data-testid=acknowledge]").count() == 0
    page.close()

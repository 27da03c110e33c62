"""On a phone, in real Chromium: farmer_wang switches an aerator on with the confirmation
step, and the state the device confirms (through the real bridge) appears; a reviewer sees
no switch."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from aeration.models import Aerator, Command
from demo.aeration import seed_aerators, simulated_relays
from demo.farm import DEMO_PASSWORD
from demo.relays import RelayFleet
from sensors.bridge.hooks import resolve_hook
from tests.conftest import asgi_server, browser, demo_committed  # noqa: F401

from .conftest import BridgeThread, make_bridge_config, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HOOKS = "alerts.engine:on_bridge_readings,aeration.bridge_hook:on_bridge_readings"
SHOTS = Path(__file__).resolve().parents[2] / ".state" / "screenshots"


def login(browser, base: str, username: str):  # noqa: F811
    page = browser.new_page(locale="zh-CN", viewport={"width": 390, "height": 844})
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("form:not(.inline) button[type=submit]")
    page.wait_for_selector("[data-testid=farm-list], main")
    return page


def test_farmer_switches_an_aerator_on_and_sees_the_confirmed_state(
    browser,  # noqa: F811
    asgi_server,  # noqa: F811
    influx,
    tmp_path,
):
    from django.conf import settings

    seed_aerators()
    aerator = Aerator.objects.filter(pond__farm__name="大沙湖草鱼养殖场").order_by("pk").first()
    config = make_bridge_config(
        settings.CONFIG.mqtt_url,
        influx.url,
        influx.database,
        tmp_path / "state",
        on_readings=HOOKS,
    )
    bridge = BridgeThread(config, on_readings=resolve_hook(HOOKS)).start()
    fleet = RelayFleet(settings.CONFIG.mqtt_url, simulated_relays(), config.topic_prefix)
    try:
        page = login(browser, asgi_server, "farmer_wang")
        page.goto(f"{asgi_server}/aeration/ponds/{aerator.pond_id}/")
        box = page.locator(f"[data-aerator='{aerator.pk}']")
        assert "状态未知" in box.inner_text()
        box.locator("[data-testid=aerator-on]").click()
        page.wait_for_selector("[data-testid=aerator-confirm]")
        assert f"确认开启{aerator.pond.name}的{aerator.name}？" in page.inner_text("h1")
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "aerator-confirm-phone.png"), full_page=True)
        assert not Command.objects.exists()  # nothing sent before the confirmation
        page.fill("input[name=reason]", "凌晨溶氧偏低")
        page.click("[data-testid=aerator-confirm-button]")
        page.wait_for_selector("[data-testid=aerator-log]")

        cmd = Command.objects.get(aerator=aerator)
        assert cmd.user.username == "farmer_wang" and cmd.reason == "凌晨溶氧偏低"

        def shows_running():
            page.reload()
            return "运行中" in page.locator(f"[data-aerator='{aerator.pk}']").inner_text()

        wait_until(shows_running, 30, "the confirmed state on the page", 0.5)
        cmd.refresh_from_db()
        assert cmd.status == Command.Status.CONFIRMED
        log = page.inner_text("[data-testid=aerator-log]")
        assert "已确认" in log and "凌晨溶氧偏低" in log
        page.screenshot(path=str(SHOTS / "aerator-confirmed-phone.png"), full_page=True)
        page.close()

        reviewer = login(browser, asgi_server, "bureau_honghu")
        reviewer.goto(f"{asgi_server}/aeration/ponds/{aerator.pond_id}/")
        assert "运行中" in reviewer.inner_text(f"[data-aerator='{aerator.pk}']")
        assert reviewer.locator("[data-testid=aerator-on]").count() == 0
        reviewer.close()
    finally:
        fleet.close()
        bridge.stop()
        time.sleep(0)

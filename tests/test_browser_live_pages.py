"""Alert pages stay calm: one socket, rows updated in place, reconnects that say so.

A real uvicorn server (stopped and started again on the same port to drop the
socket), the real alert engine raising and clearing incidents in this process, and
Debian's Chromium on a phone viewport. A ``window`` marker would be lost on reload.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.db import connection

from alerts import incidents
from alerts.engine import evaluate
from alerts.models import Incident, Rule
from demo.farm import DEMO_PASSWORD
from farm.models import Farm, Pond
from tests.conftest import REPO, database_url_of_test_db, free_port, wait_http
from vocabulary.events import ReadingEvent

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


class Server:
    """uvicorn on a fixed port that a test can stop and start again."""

    def __init__(self, state: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.state = state
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        env = dict(os.environ)
        env.update(
            DATABASE_URL=database_url_of_test_db(),
            AGRIMON_STATE_DIR=str(self.state),
            PYTHONUNBUFFERED="1",
            DJANGO_SETTINGS_MODULE="tests.server_settings",
        )
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "agrimon.asgi:application", "--host", "127.0.0.1",
             "--port", str(self.port), "--log-level", "warning"],
            cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_http(f"{self.base}/accounts/login/", proc=self.proc)

    def stop(self) -> None:
        if self.proc is None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc = None


@pytest.fixture
def server(demo_committed, tmp_path) -> Iterator[Server]:
    s = Server(tmp_path / "state")
    s.start()
    try:
        yield s
    finally:
        s.stop()


def in_worker(fn: Callable[[], object]) -> object:
    """Run domain code as the bridge does: in a thread with no event loop
    (Playwright's sync API keeps one on the test's own thread)."""

    def run():
        try:
            return fn()
        finally:
            connection.close()

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(run).result()


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


def reading(farm: Farm, pond: Pond, value: float) -> None:
    event = ReadingEvent.at(datetime.now(UTC), farm.pk, pond.pk, "a840410000000001", "do", value)
    in_worker(lambda: evaluate([event]))


def older_incidents(rule: Rule, farm: Farm, count: int) -> None:
    """Enough closed history for the inbox to scroll on a phone."""
    now = datetime.now(UTC)
    Incident.objects.bulk_create(
        Incident(
            rule=rule, target_key=f"site:old{n}", farm=farm, severity="warning",
            title=f"历史告警 {n}", opened_at=now - timedelta(hours=n + 2),
            resolved_at=now - timedelta(hours=n + 1),
        )
        for n in range(count)
    )  # fmt: skip


def open_page(browser, server: Server, username: str, path: str):
    context = browser.new_context(locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.goto(f"{server.base}/accounts/login/?next={path}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    sockets: list = []
    page.on("websocket", lambda ws: sockets.append(ws))
    page.click("form:not(.inline) button[type=submit]")
    page.wait_for_selector("[data-live-status]")
    page.wait_for_load_state("load")  # later "load" events would be reloads
    page.evaluate("window.__notReloaded = true")
    loads: list = []
    page.on("load", lambda: loads.append(1))
    return page, sockets, loads


def open_sockets(sockets: list) -> int:
    return sum(1 for ws in sockets if not ws.is_closed())


def wait_state(page, state: str, timeout: float = 45_000) -> None:
    page.wait_for_selector(f"[data-live-status][data-state={state}]", timeout=timeout)


def row_top(page, incident_id: int) -> float:
    return page.evaluate(
        f"document.querySelector('[data-incident=\"{incident_id}\"]').getBoundingClientRect().top"
    )


def test_inbox_updates_rows_in_place_over_one_socket_without_reloading(browser, server):
    farm = Farm.objects.get(name="大沙湖草鱼养殖场")
    pond = Pond.objects.filter(farm=farm).first()
    rule = low_oxygen_rule(farm)
    older_incidents(rule, farm, 15)
    page, sockets, loads = open_page(browser, server, "bureau_honghu", "/alerts/?show=all")
    wait_state(page, "live")

    # Read the middle of the list, as a reviewer scrolling through history would.
    watched = Incident.objects.get(title="历史告警 6").pk
    page.evaluate(f"document.querySelector('[data-incident=\"{watched}\"]').scrollIntoView()")
    page.evaluate("window.scrollBy(0, -40)")
    before = row_top(page, watched)
    scrolled = page.evaluate("window.scrollY")
    assert scrolled > 0

    reading(farm, pond, 1.6)  # opens an incident
    new = Incident.objects.get(rule=rule, resolved_at__isnull=True)
    row = f"[data-incident='{new.pk}']"
    page.wait_for_selector(f"{row} [data-state=open]", timeout=15_000)
    assert abs(row_top(page, watched) - before) < 1  # the new row above did not move the view

    manager = get_user_model().objects.get(username="manager_honghu")
    in_worker(lambda: incidents.acknowledge(new, manager, datetime.now(UTC)))
    page.wait_for_selector(f"{row} [data-state=acknowledged]", timeout=15_000)

    reading(farm, pond, 6.5)  # clears it
    page.wait_for_selector(f"{row} [data-state=resolved]", timeout=15_000)

    assert page.locator(row).count() == 1
    assert abs(row_top(page, watched) - before) < 1
    assert page.evaluate("window.__notReloaded === true")
    assert loads == []
    assert len(sockets) == 1 and open_sockets(sockets) == 1
    page.context.close()


def test_page_reconnects_after_the_server_drops_its_socket_and_shows_the_state(
    browser, server, tmp_path
):
    farm = Farm.objects.get(name="大沙湖草鱼养殖场")
    pond = Pond.objects.filter(farm=farm).first()
    rule = low_oxygen_rule(farm)
    page, sockets, loads = open_page(browser, server, "farmer_wang", "/alerts/")
    wait_state(page, "live")

    server.stop()  # closes every socket, as a restart or a dropped network does
    wait_state(page, "reconnecting")
    page.screenshot(path=str(tmp_path / "inbox_reconnecting_phone.png"))
    reading(farm, pond, 1.6)  # happens while the page cannot hear about it
    server.start()
    wait_state(page, "live")
    incident = Incident.objects.get(rule=rule)
    page.wait_for_selector(f"[data-incident='{incident.pk}']", timeout=15_000)  # resync

    page.context.set_offline(True)
    wait_state(page, "offline")
    page.context.set_offline(False)
    wait_state(page, "live")

    assert page.evaluate("window.__notReloaded === true")
    assert loads == []
    assert open_sockets(sockets) == 1  # the retries left no socket behind
    assert page.evaluate("document.querySelector('[data-live-status]').innerText").strip()
    page.context.close()


def test_incident_page_updates_in_place_and_keeps_what_the_farmer_is_typing(
    browser, server, tmp_path
):
    farm = Farm.objects.get(name="大沙湖草鱼养殖场")
    pond = Pond.objects.filter(farm=farm).first()
    rule = low_oxygen_rule(farm)
    reading(farm, pond, 1.6)
    incident = Incident.objects.get(rule=rule)
    path = f"/alerts/incidents/{incident.pk}/"
    page, sockets, loads = open_page(browser, server, "farmer_wang", path)
    wait_state(page, "live")
    page.fill("input[name=reason]", "正在开增氧机")
    page.focus("input[name=reason]")

    manager = get_user_model().objects.get(username="manager_honghu")
    in_worker(lambda: incidents.acknowledge(incident, manager, datetime.now(UTC)))
    page.wait_for_selector("[data-testid=acknowledged]", timeout=15_000)

    assert page.locator("[data-testid=acknowledge]").count() == 0
    assert page.input_value("input[name=reason]") == "正在开增氧机"
    assert page.evaluate("document.activeElement.name") == "reason"
    assert page.evaluate("window.__notReloaded === true") and loads == []
    assert open_sockets(sockets) == 1
    page.screenshot(path=str(tmp_path / "incident_live_phone.png"), full_page=True)
    page.context.close()

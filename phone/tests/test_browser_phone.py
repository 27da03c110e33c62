"""The phone app in real Chromium: installed service worker, a push delivered through the
DevTools protocol, "确认" from the notification, and an acknowledgement made offline that
survives a reload and reaches the server exactly once when the network returns.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from alerts.models import Incident, IncidentEvent, Rule
from alerts.transports.messages import IncidentSummary, render
from alerts.transports.webpush import payload
from demo.farm import DEMO_PASSWORD
from farm.models import Farm, Pond

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ACK = IncidentEvent.Kind.ACKNOWLEDGED


def incident_on(pond: Pond, minutes_ago: int) -> Incident:
    rule = Rule.objects.create(
        organisation=pond.farm.organisation,
        name=f"溶解氧过低 {pond.name}",
        metric="do",
        condition=Rule.Condition.BELOW,
        threshold=3.0,
        severity="critical",
        site=pond,
    )
    return Incident.objects.create(
        rule=rule,
        target_key=f"site:{pond.pk}",
        farm=pond.farm,
        site=pond,
        severity="critical",
        title=f"{pond.name} 溶解氧低于3 mg/L",
        subject="溶解氧",
        value=1.6,
        value_text="1.6 mg/L",
        threshold_text="3 mg/L",
        opened_at=timezone.now() - timedelta(minutes=minutes_ago),
    )


def acks(incident: Incident) -> int:
    return IncidentEvent.objects.filter(incident=incident, kind=ACK).count()


def push_json(incident: Incident) -> str:
    """What the web push transport encrypts for this incident (its own payload function)."""
    message = render(
        "firing",
        IncidentSummary(
            incident_id=incident.pk,
            url=f"http://127.0.0.1/i/{incident.pk}",
            severity=incident.severity,
            site=incident.site.name,
            subject=incident.subject,
            value=incident.value_text,
            threshold=incident.threshold_text,
        ),
    )
    return payload(message)


def wait_until(page, check, what: str, timeout_ms: int = 15_000):
    waited = 0
    while waited < timeout_ms:
        value = check()
        if value:
            return value
        page.wait_for_timeout(100)
        waited += 100
    raise AssertionError(f"timed out waiting for {what}")


def registration_id(page, cdp, origin: str) -> str:
    found: dict[str, str] = {}

    def updated(event: dict) -> None:
        for reg in event["registrations"]:
            if reg["scopeURL"].startswith(origin) and not reg.get("isDeleted"):
                found["id"] = reg["registrationId"]

    cdp.on("ServiceWorker.workerRegistrationUpdated", updated)
    cdp.send("ServiceWorker.enable")
    return wait_until(page, lambda: found.get("id"), "the service worker's registration")


def test_push_notification_and_offline_acknowledgement(phone_context, phone_server, tmp_path):
    shots = Path(os.environ.get("PHONE_SCREENSHOTS") or tmp_path)
    farm = Farm.objects.get(name="大沙湖草鱼养殖场")
    pond_a, pond_b = list(Pond.objects.filter(farm=farm).order_by("name"))[:2]
    pond_c = list(Pond.objects.filter(farm=farm).order_by("name"))[2]
    pushed = incident_on(pond_a, 12)
    offline = incident_on(pond_b, 30)
    snoozed = incident_on(pond_c, 40)

    page = phone_context.new_page()
    page.goto(f"{phone_server}/accounts/login/?next=/phone/")
    page.fill("input[name=username]", "farmer_wang")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("form:not(.inline) button[type=submit]")
    page.wait_for_selector("#phone-home")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload()
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    assert page.locator("[data-testid=push-toggle]").inner_text() == "开启推送通知"
    # Headless Chromium reaches no push service (as Chrome in mainland China often does
    # not): the switch waits a while, then says so instead of pretending.
    page.locator("[data-testid=push-toggle]").tap()
    assert page.locator("[data-testid=push-state]").inner_text() == "正在连接推送服务…"
    page.wait_for_function(
        "document.querySelector('[data-testid=push-state]').textContent.includes('没有响应')",
        timeout=40_000,
    )

    # A push delivered to the worker as the push service would, through DevTools.
    cdp = phone_context.new_cdp_session(page)
    reg = registration_id(page, cdp, phone_server)
    # Chromium's own verdict: the manifest parses and the app can be installed.
    manifest = cdp.send("Page.getAppManifest")
    assert manifest["errors"] == [] and manifest["url"].endswith("/manifest.webmanifest")
    assert cdp.send("Page.getInstallabilityErrors")["installabilityErrors"] == []
    cdp.send(
        "ServiceWorker.deliverPushMessage",
        {"origin": phone_server, "registrationId": reg, "data": push_json(pushed)},
    )
    handled = wait_until(
        page, lambda: page.evaluate("AgrimonStore.all('pushes')"), "the worker to handle the push"
    )
    assert handled[0]["alert"]["incident"] == str(pushed.pk)
    assert handled[0]["alert"]["severity"] == "critical" and handled[0]["error"] == ""
    worker = phone_context.service_workers[0]
    shown = worker.evaluate(
        """self.registration.getNotifications().then((all) => all.map((n) => ({
            title: n.title, body: n.body, tag: n.tag, data: n.data,
            actions: n.actions.map((a) => [a.action, a.title])})))"""
    )
    assert len(shown) == 1
    assert shown[0]["title"] == f"[严重] {pond_a.name}溶解氧告警"
    assert shown[0]["actions"] == [["ack", "确认"]]
    assert shown[0]["data"]["incident"] == str(pushed.pk)

    # "确认" on the notification acknowledges without opening a page.
    pages_before = len(phone_context.pages)
    outcome = worker.evaluate(f"handleNotificationClick({{incident: {pushed.pk}}}, 'ack')")
    assert outcome["decided"][0]["answer"]["result"] == "applied"
    assert len(phone_context.pages) == pages_before
    assert acks(pushed) == 1

    # Offline: the acknowledgement is queued, marked, and kept across a reload.
    page.reload()
    generated = page.get_attribute("#phone-home", "data-generated-at")
    phone_context.set_offline(True)
    item = page.locator(f"[data-testid=incident][data-incident='{offline.pk}']")
    item.locator("[data-testid=acknowledge]").tap()
    item.locator("[data-testid=pending]").wait_for(state="visible")
    later = page.locator(f"[data-testid=incident][data-incident='{snoozed.pk}']")
    later.locator("summary").tap()
    later.locator("select[name=minutes]").select_option("60")
    later.locator("input[name=reason]").fill("已开增氧机，去塘边看")
    later.locator("form[data-action=snooze] button").tap()
    later.locator("[data-testid=pending]").wait_for(state="visible")
    assert later.locator("[data-testid=state]").inner_text() == "已暂缓 60 分钟"
    page.reload()
    item = page.locator(f"[data-testid=incident][data-incident='{offline.pk}']")
    item.locator("[data-testid=pending]").wait_for(state="visible")
    assert page.get_attribute("#phone-home", "data-generated-at") == generated  # from the cache
    assert "数据更新于" in page.locator("[data-testid=data-age]").inner_text()
    assert page.locator("[data-testid=pending-sync]").inner_text() == "⟳ 待同步 2"
    shots.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shots / "phone_offline.png"), full_page=True)
    assert acks(offline) == 0
    # A page never opened on this phone: the offline page, not the browser's error page.
    never = phone_context.new_page()
    never.goto(f"{phone_server}/devices/")
    assert never.locator("[data-testid=offline-page]").is_visible()
    assert "没有网络" in never.inner_text("h1")
    never.close()

    # Back online: sent once, applied once, however many times it is sent.
    phone_context.set_offline(False)
    item.locator("[data-testid=pending]").wait_for(state="hidden")
    assert item.locator("[data-testid=answer]").inner_text() == "已确认。"
    page.reload()
    page.evaluate("AgrimonSync.sync()")
    assert acks(offline) == 1
    assert acks(pushed) == 1
    snoozed.refresh_from_db()
    assert snoozed.snooze_reason == "已开增氧机，去塘边看"
    assert IncidentEvent.objects.filter(incident=snoozed, kind="snoozed").count() == 1
    assert page.locator("[data-testid=pending-sync]").is_hidden()
    page.screenshot(path=str(shots / "phone_synced.png"), full_page=True)
    assert page.evaluate("AgrimonStore.all('ops')") == []

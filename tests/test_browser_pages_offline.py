"""Every main page renders in a real browser from this server alone: no CDN, no font
service, no broken asset — Chinese networks often cannot reach foreign hosts."""

from __future__ import annotations

import pytest

from demo.farm import DEMO_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAGES = [
    "/",
    "/alerts/",
    "/alerts/rules/",
    "/devices/",
    "/devices/dead-letters/",
    "/vision/",
    "/vision/cameras/",
    "/vision/detections/",
    "/vision/traps/",
    "/trace/lots/",
    "/api/docs/",
]


def test_main_pages_load_only_from_this_server(browser, asgi_server):
    from demo.traceability import seed_trace_demo
    from traceability.models import Lot

    seed_trace_demo()
    lot = Lot.objects.get(lot_number="DSH-CY-01")
    pages = [*PAGES, f"/trace/lots/{lot.pk}/", f"/t/{lot.trace_code}", "/alerts/policies/"]
    page = browser.new_page(locale="zh-CN")
    requests: list[str] = []
    failures: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.on("requestfailed", lambda r: failures.append(f"{r.url}: {r.failure}"))
    page.on(
        "response",
        lambda r: failures.append(f"{r.url}: HTTP {r.status}") if r.status >= 400 else None,
    )
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))

    page.goto(f"{asgi_server}/accounts/login/")
    page.fill("input[name=username]", "manager_honghu")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("form:not(.inline) button[type=submit]")
    page.wait_for_selector("[data-testid=farm-list]")
    for path in pages:
        response = page.goto(f"{asgi_server}{path}")
        assert response is not None and response.status == 200, path
        page.wait_for_load_state("networkidle")

    foreign = [u for u in requests if not u.startswith((asgi_server, "data:", "blob:"))]
    assert foreign == []
    assert failures == []
    assert errors == []
    page.close()

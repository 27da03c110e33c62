"""Traceability pages on a phone: a held lot's public page and the label page.

Chromium at a phone viewport against uvicorn; the screenshots (under the test's
tmp_path, or ``AGRIMON_SCREENSHOTS`` when set) are for people to look at.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from demo.farm import DEMO_PASSWORD
from demo.traceability import seed_trace_demo
from tests.conftest import REPO, database_url_of_test_db, free_port, wait_http
from traceability.models import Lot

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def trace_server(demo_committed, tmp_path) -> Iterator[str]:
    """uvicorn on the test database, given time for a first request on a loaded machine.

    The first request imports every app's URLs (the vision app brings in PyTorch), which
    on a busy two-core machine takes longer than ``asgi_server`` waits.
    """
    port = free_port()
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url_of_test_db(),
        AGRIMON_STATE_DIR=str(tmp_path / "state"),
        DJANGO_SETTINGS_MODULE="tests.server_settings",
    )
    cmd = [sys.executable, "-m", "uvicorn", "agrimon.asgi:application", "--host", "127.0.0.1",
           "--port", str(port), "--log-level", "warning"]  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{base}/accounts/login/", timeout=120, proc=proc)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture
def public_origin(monkeypatch):
    """The server the test starts prints this domain in its codes (read from the environment)."""
    monkeypatch.setenv("RESOLVER_DOMAIN", "https://trace.qingshuihu-coop.example.cn")
    return "https://trace.qingshuihu-coop.example.cn"


@pytest.fixture
def shots(tmp_path) -> Path:
    path = Path(os.environ.get("AGRIMON_SCREENSHOTS") or tmp_path)
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def trace_demo(demo_committed):
    seed_trace_demo()
    return {lot.lot_number: lot for lot in Lot.objects.all()}


def _phone(browser):
    context = browser.new_context(locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True)
    return context.new_page()


def test_a_held_lots_public_page_says_so_plainly(
    public_origin, browser, trace_server, trace_demo, shots
):
    lot = trace_demo["CJ-LX-01"]  # harvested, residue test failed
    page = _phone(browser)
    page.goto(f"{trace_server}/t/{lot.trace_code}")
    state = page.locator("[data-testid=release-state]")
    assert state.get_attribute("data-kind") == "held"
    text = state.inner_text()
    assert "此批次未获放行，不应上市销售" in text
    assert "最近一次农药或兽药残留检测不合格" in text
    verified = page.locator("[data-testid=verified]").inner_text()
    assert "✔" not in verified and "完整" not in verified
    # The statement is the first thing under the title, not below the fold.
    box = state.bounding_box()
    assert box is not None and box["y"] + box["height"] < PHONE["height"]
    page.screenshot(path=str(shots / "trace_public_held_phone.png"), full_page=True)
    page.context.close()


def test_a_growing_lot_held_by_a_withdrawal_period_says_why(
    public_origin, browser, trace_server, trace_demo, shots
):
    lot = trace_demo["DSH-LY-01"]  # growing, inside a degree-day withdrawal period
    page = _phone(browser)
    page.goto(f"{trace_server}/t/{lot.trace_code}")
    text = page.locator("[data-testid=release-state]").inner_text()
    assert "此批次尚未收获" in text and "兽药" in text
    page.screenshot(path=str(shots / "trace_public_growing_phone.png"), full_page=True)
    page.context.close()


def _login(page, base: str, username: str, path: str) -> None:
    page.goto(f"{base}/accounts/login/?next={path}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("form:not(.inline) button[type=submit]")
    page.wait_for_load_state("load")


def test_the_label_page_on_a_phone_names_the_domain_and_the_print_record(
    public_origin, browser, trace_server, trace_demo, shots
):
    rice = trace_demo["CJ-DM-01"]  # released, GTIN: a GS1 Digital Link label
    page = _phone(browser)
    _login(page, trace_server, "manager_jianli", f"/trace/lots/{rice.pk}/labels/")
    assert page.locator("[data-testid=origin]").inner_text() == public_origin
    assert page.locator("[data-testid=code]").inner_text().startswith(f"{public_origin}/01/")
    form = page.locator("[data-testid=print] form[method=post]")
    form.locator("select[name=template]").select_option("thermal-40x30")
    form.locator("input[name=count]").fill("30")
    with page.expect_response(lambda r: r.request.method == "POST") as printed:
        form.locator("button[type=submit]").click()
    assert printed.value.status == 200
    assert printed.value.headers["content-type"] == "application/pdf"
    page.goto(f"{trace_server}/trace/lots/{rice.pk}/labels/")
    assert page.locator("[data-testid=job]").count() == 1
    assert "40 × 30 mm" in page.locator("[data-testid=job]").inner_text()
    # Nothing wider than the phone: the page does not scroll sideways.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot(path=str(shots / "trace_labels_phone.png"), full_page=True)

    held = trace_demo["CJ-LX-01"]
    page.goto(f"{trace_server}/trace/lots/{held.pk}/labels/")
    refused = page.locator("[data-testid=print-refused]").inner_text()
    assert "未打印" in refused and "不合格" in refused
    page.screenshot(path=str(shots / "trace_labels_held_phone.png"), full_page=True)
    page.context.close()

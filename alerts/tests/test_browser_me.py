"""A farmer on a 390-px phone sets up how alerts reach them (real server, real Chromium)."""

from __future__ import annotations

import os

import pytest

from alerts.models import ContactProfile
from demo.farm import DEMO_PASSWORD
from tests.conftest import asgi_server, browser, demo_committed  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
SHOTS = os.environ.get("ALERT_SCREENSHOTS", "")


def test_farmer_enters_a_number_and_sees_which_channels_the_server_has(
    browser,  # noqa: F811
    asgi_server,  # noqa: F811
):
    page = browser.new_page(locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True)
    page.goto(f"{asgi_server}/accounts/login/?next=/alerts/me/")
    page.fill("input[name=username]", "farmer_wang")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("form:not(.inline) button[type=submit]")
    page.wait_for_selector("[data-testid=contact-form]")
    assert "未配置" in page.locator("[data-testid=channels]").inner_text()  # no SMS vendor set
    page.fill("input[name=phone]", "137 1234")
    page.locator("[data-testid=save]").tap()
    page.wait_for_selector("[data-testid=contact-form] .errorlist")
    assert "11 位" in page.locator("[data-testid=contact-form]").inner_text()
    page.fill("input[name=phone]", "137 1234 5678")
    page.locator("[data-testid=save]").tap()
    page.wait_for_load_state()
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, "me_after_save.png"), full_page=True)
    page.wait_for_selector("[data-testid=phone] b")
    assert page.locator("[data-testid=phone] b").inner_text() == "+8613712345678"
    # Nothing but the inbox reaches this farmer yet, and the page says so in words.
    assert "转告您的管理员" in page.locator("[data-testid=reach]").inner_text()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"]  # nothing wider than the phone
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, "me_phone.png"), full_page=True)
    profile = ContactProfile.objects.get(user__username="farmer_wang")
    assert profile.phone == "+8613712345678"

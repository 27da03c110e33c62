"""Logging in as each demo role in a real browser shows exactly that role's farms."""

from __future__ import annotations

import pytest

from demo.farm import DEMO_PASSWORD
from farm.models import Farm

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EXPECTED = {
    "farmer_wang": {"大沙湖草鱼养殖场"},
    "manager_honghu": {
        "清水湖河蟹养殖基地",
        "大沙湖草鱼养殖场",
        "新滩南美白对虾淡化养殖场",
        "瞿家湾莲藕种植基地",
    },
    "bureau_honghu": {
        "清水湖河蟹养殖基地",
        "大沙湖草鱼养殖场",
        "新滩南美白对虾淡化养殖场",
        "瞿家湾莲藕种植基地",
    },
    "bureau_jingzhou": None,  # every demo farm
}


@pytest.mark.parametrize("username", list(EXPECTED))
def test_each_role_sees_exactly_its_farms(browser, asgi_server, username):
    want = EXPECTED[username] or set(Farm.objects.values_list("name", flat=True))
    page = browser.new_page(locale="zh-CN")
    page.goto(f"{asgi_server}/")
    assert "/accounts/login/" in page.url  # anonymous visitors are sent to log in
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("form:not(.inline) button[type=submit]")
    page.wait_for_selector("[data-testid=farm-list]")
    shown = set(page.locator("[data-testid=farm]").all_inner_texts())
    assert shown == want
    assert ("只读" in page.content()) == username.startswith("bureau")
    page.close()

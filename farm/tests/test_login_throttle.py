"""Password guessing is throttled: five wrong passwords for one user from one address
lock that pair out, on the login form and on the API's basic auth alike."""

from __future__ import annotations

import base64

import pytest
from django.test import Client

from demo.farm import DEMO_PASSWORD

pytestmark = pytest.mark.django_db

ATTACKER = "198.51.100.7"
OTHER = "203.0.113.20"


def _form_login(client: Client, password: str, ip: str = ATTACKER):
    return client.post(
        "/accounts/login/",
        {"username": "farmer_wang", "password": password},
        REMOTE_ADDR=ip,
    )


def _basic(password: str, ip: str = ATTACKER, username: str = "farmer_wang"):
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return Client().get("/api/farms/", HTTP_AUTHORIZATION=f"Basic {token}", REMOTE_ADDR=ip)


def test_the_login_form_locks_out_after_five_wrong_passwords(demo):
    client = Client()
    for _ in range(4):
        assert _form_login(client, "guess").status_code == 200  # the form again, with an error
    locked = _form_login(client, "guess")
    assert locked.status_code == 429 and 'data-testid="lockout"' in locked.content.decode()
    right = _form_login(client, DEMO_PASSWORD)
    assert right.status_code == 429 and "_auth_user_id" not in client.session


def test_the_lockout_page_is_chinese_and_says_when_to_retry(demo):
    client = Client()
    for _ in range(5):
        resp = _form_login(client, "guess")
    assert resp.status_code == 429 and resp["Retry-After"] == "900"
    page = resp.content.decode()
    assert '<html lang="zh-hans">' in page and "15" in page


def test_a_lockout_is_per_user_and_address(demo):
    for _ in range(5):
        _form_login(Client(), "guess")
    elsewhere = Client()
    assert _form_login(elsewhere, DEMO_PASSWORD, ip=OTHER).status_code == 302
    assert elsewhere.session["_auth_user_id"]


def test_a_good_login_before_the_limit_clears_the_count(demo):
    for _ in range(4):
        _form_login(Client(), "guess")
    assert _form_login(Client(), DEMO_PASSWORD).status_code == 302
    for _ in range(4):
        _form_login(Client(), "guess")
    assert _form_login(Client(), DEMO_PASSWORD).status_code == 302


def test_api_basic_auth_locks_out_after_five_wrong_passwords(demo):
    assert _basic(DEMO_PASSWORD).status_code == 200
    # DRF answers a refused login with 403 (session auth comes first, and it sends no
    # WWW-Authenticate challenge); the lockout then refuses even the right password.
    for _ in range(5):
        assert _basic("guess").status_code in (401, 403)
    assert _basic(DEMO_PASSWORD).status_code in (401, 403, 429)
    assert _basic(DEMO_PASSWORD, ip=OTHER).status_code == 200

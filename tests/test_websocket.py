"""Live updates over WebSocket go through the same access rules as pages."""

from __future__ import annotations

import asyncio
import json
import re
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar

import pytest
import websockets
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from demo.farm import DEMO_PASSWORD
from farm.consumers import farm_group
from farm.models import Farm

pytestmark = pytest.mark.django_db(transaction=True)


def session_cookie(base: str, username: str) -> str:
    """Log in through the real login form and return the Cookie header."""
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{base}/accounts/login/").read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    body = urllib.parse.urlencode(
        {"username": username, "password": DEMO_PASSWORD, "csrfmiddlewaretoken": token}
    ).encode()
    opener.open(
        urllib.request.Request(
            f"{base}/accounts/login/", data=body, headers={"Referer": f"{base}/accounts/login/"}
        )
    )
    return "; ".join(f"{c.name}={c.value}" for c in jar)


async def _receive_event(url: str, cookie: str, farm_id: int) -> dict:
    async with websockets.connect(
        url, additional_headers={"Cookie": cookie, "Origin": "http://127.0.0.1"}
    ) as ws:
        layer = get_channel_layer()
        payload = {"kind": "reading", "metric": "do", "value": 4.2}
        await layer.group_send(farm_group(farm_id), {"type": "farm.event", "payload": payload})
        return json.loads(await asyncio.wait_for(ws.recv(), timeout=10))


async def _rejected(url: str, cookie: str | None) -> bool:
    headers = {"Origin": "http://127.0.0.1"}
    if cookie:
        headers["Cookie"] = cookie
    try:
        async with websockets.connect(url, additional_headers=headers) as ws:
            await asyncio.wait_for(ws.recv(), timeout=5)
    except (websockets.exceptions.ConnectionClosed, websockets.exceptions.InvalidStatus):
        return True
    return False


def test_operator_receives_live_events_of_own_farm(asgi_server):
    farm = Farm.objects.get(name="大沙湖草鱼养殖场")
    cookie = session_cookie(asgi_server, "farmer_wang")
    url = asgi_server.replace("http", "ws") + f"/ws/farms/{farm.pk}/"
    event = async_to_sync(_receive_event)(url, cookie, farm.pk)
    assert event == {"kind": "reading", "metric": "do", "value": 4.2}


def test_operator_cannot_subscribe_to_another_farm(asgi_server):
    other = Farm.objects.get(name="埠河番茄大棚基地")
    cookie = session_cookie(asgi_server, "farmer_wang")
    url = asgi_server.replace("http", "ws") + f"/ws/farms/{other.pk}/"
    assert async_to_sync(_rejected)(url, cookie)


def test_anonymous_websocket_is_rejected(asgi_server):
    farm = Farm.objects.get(name="大沙湖草鱼养殖场")
    url = asgi_server.replace("http", "ws") + f"/ws/farms/{farm.pk}/"
    assert async_to_sync(_rejected)(url, None)

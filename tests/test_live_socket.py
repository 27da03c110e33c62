"""The page socket ``/ws/live/``: one connection for every farm a page shows, scoped
by ``farm.access`` when it opens and again while it streams."""

from __future__ import annotations

import asyncio
import json

import pytest
import websockets
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import connection

from farm.consumers import farm_group
from farm.models import Farm, Membership
from tests.test_websocket import session_cookie

pytestmark = pytest.mark.django_db(transaction=True)

HEADERS = {"Origin": "http://127.0.0.1"}


def ws_url(server: str, query: str = "") -> str:
    return server.replace("http", "ws") + "/ws/live/" + query


async def _send(farm_id: int, payload: dict) -> None:
    message = {"type": "farm.event", "farm": farm_id, "payload": payload}
    await get_channel_layer().group_send(farm_group(farm_id), message)


async def _events_until_last(url: str, cookie: str, farm_ids: list[int]) -> list[int]:
    """Send event ``n`` to the n-th farm; what arrives up to the last one, in order
    (one channel delivers in the order sent, so a leaked event would come first)."""
    async with websockets.connect(url, additional_headers={**HEADERS, "Cookie": cookie}) as ws:
        for n, farm_id in enumerate(farm_ids):
            await _send(farm_id, {"kind": "reading", "n": n})
        received: list[int] = []
        while not received or received[-1] != len(farm_ids) - 1:
            received.append(json.loads(await asyncio.wait_for(ws.recv(), timeout=10))["n"])
        return received


async def _pong(url: str, cookie: str) -> dict:
    async with websockets.connect(url, additional_headers={**HEADERS, "Cookie": cookie}) as ws:
        await ws.send(json.dumps({"type": "ping"}))
        return json.loads(await asyncio.wait_for(ws.recv(), timeout=10))


async def _close_code(url: str, cookie: str | None) -> int | None:
    headers = dict(HEADERS, **({"Cookie": cookie} if cookie else {}))
    try:
        async with websockets.connect(url, additional_headers=headers) as ws:
            await asyncio.wait_for(ws.recv(), timeout=5)
    except websockets.exceptions.ConnectionClosed as exc:
        return exc.rcvd.code if exc.rcvd else None
    except websockets.exceptions.InvalidStatus:
        return 403
    return None


def test_one_page_socket_receives_events_of_every_farm_the_reviewer_may_read(asgi_server):
    farms = list(Farm.objects.filter(region__code__startswith="421083").order_by("pk"))
    assert len(farms) >= 2
    cookie = session_cookie(asgi_server, "bureau_honghu")
    received = async_to_sync(_events_until_last)(ws_url(asgi_server), cookie, [f.pk for f in farms])
    assert received == list(range(len(farms)))


def test_page_socket_does_not_carry_events_of_farms_outside_the_scope(asgi_server):
    own = Farm.objects.get(name="大沙湖草鱼养殖场")
    other = Farm.objects.get(name="埠河番茄大棚基地")
    cookie = session_cookie(asgi_server, "farmer_wang")
    received = async_to_sync(_events_until_last)(ws_url(asgi_server), cookie, [other.pk, own.pk])
    assert received == [1]


def test_page_socket_answers_a_ping_so_the_page_can_tell_a_dead_connection(asgi_server):
    cookie = session_cookie(asgi_server, "farmer_wang")
    assert async_to_sync(_pong)(ws_url(asgi_server), cookie) == {"kind": "pong"}


def test_page_socket_naming_only_farms_outside_the_scope_is_refused(asgi_server):
    other = Farm.objects.get(name="埠河番茄大棚基地")
    cookie = session_cookie(asgi_server, "farmer_wang")
    url = ws_url(asgi_server, f"?farms={other.pk}")
    assert async_to_sync(_close_code)(url, cookie) == 403  # refused at the handshake


def test_anonymous_page_socket_is_refused(asgi_server):
    assert async_to_sync(_close_code)(ws_url(asgi_server), None) == 403


async def _closed_after_revocation(url: str, cookie: str, farm_id: int, revoke) -> int | None:
    async with websockets.connect(url, additional_headers={**HEADERS, "Cookie": cookie}) as ws:
        await _send(farm_id, {"kind": "reading"})
        json.loads(await asyncio.wait_for(ws.recv(), timeout=10))
        await revoke()
        deadline = asyncio.get_running_loop().time() + 20
        while asyncio.get_running_loop().time() < deadline:  # poll: rechecks are rate-limited
            await _send(farm_id, {"kind": "reading"})
            try:
                await asyncio.wait_for(ws.recv(), timeout=0.5)
            except TimeoutError:
                continue
            except websockets.exceptions.ConnectionClosed as exc:
                return exc.rcvd.code if exc.rcvd else None
        return None


def test_page_socket_stops_when_the_membership_is_removed_while_it_is_open(asgi_server):
    farm = Farm.objects.get(name="大沙湖草鱼养殖场")
    cookie = session_cookie(asgi_server, "farmer_wang")

    def delete_memberships() -> None:
        try:
            Membership.objects.filter(user__username="farmer_wang").delete()
        finally:
            connection.close()

    async def revoke() -> None:
        await asyncio.to_thread(delete_memberships)

    url = ws_url(asgi_server, f"?farms={farm.pk}")
    assert async_to_sync(_closed_after_revocation)(url, cookie, farm.pk, revoke) == 4403

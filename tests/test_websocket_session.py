"""An open WebSocket loses its farm when the user loses it: membership removed, user
deactivated or logged out. Checked on a real uvicorn with the Redis channel layer."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import urllib.request
from collections.abc import Callable, Iterator

import pytest
import websockets
from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import get_channel_layer
from django.contrib.auth import get_user_model

from farm.consumers import CLOSE_REVOKED, farm_group
from farm.models import Farm, Membership
from tests.conftest import REPO, database_url_of_test_db, free_port, wait_http
from tests.test_websocket import session_cookie

pytestmark = pytest.mark.django_db(transaction=True)

HEADERS = {"Origin": "http://127.0.0.1"}
FARM = "大沙湖草鱼养殖场"


@pytest.fixture
def server_rechecking_every_event(demo_committed, tmp_path) -> Iterator[str]:
    """uvicorn whose sockets re-check access before every event (no signal needed)."""
    port = free_port()
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url_of_test_db(),
        AGRIMON_STATE_DIR=str(tmp_path / "state"),
        DJANGO_SETTINGS_MODULE="tests.server_settings",
        LIVE_RECHECK_SECONDS="0",
    )
    cmd = [sys.executable, "-m", "uvicorn", "agrimon.asgi:application", "--port", str(port)]
    proc = subprocess.Popen(
        [*cmd, "--host", "127.0.0.1", "--log-level", "warning"],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{base}/accounts/login/", proc=proc)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)


async def _send(farm_id: int, n: int) -> None:
    message = {"type": "farm.event", "farm": farm_id, "payload": {"n": n}}
    await get_channel_layer().group_send(farm_group(farm_id), message)


async def _after_change(
    server: str, cookie: str, farm_id: int, change: Callable[[], None], send_after: bool
) -> tuple[list[int], int | None]:
    """Events received, and the close code, after ``change`` on a live socket."""
    url = server.replace("http", "ws") + f"/ws/farms/{farm_id}/"
    received: list[int] = []
    async with websockets.connect(url, additional_headers={**HEADERS, "Cookie": cookie}) as ws:
        await _send(farm_id, 0)
        received.append(json.loads(await asyncio.wait_for(ws.recv(), timeout=10))["n"])
        await sync_to_async(change)()
        if send_after:
            await _send(farm_id, 1)
        try:
            while True:
                received.append(json.loads(await asyncio.wait_for(ws.recv(), timeout=10))["n"])
        except websockets.exceptions.ConnectionClosed as closed:
            return received, closed.rcvd.code if closed.rcvd else None
        except TimeoutError:
            return received, None


def _remove_farm_from_membership() -> None:
    membership = Membership.objects.get(user__username="farmer_wang")
    membership.farms.remove(Farm.objects.get(name=FARM))


def test_removing_the_membership_closes_an_open_socket_at_once(asgi_server):
    farm = Farm.objects.get(name=FARM)
    cookie = session_cookie(asgi_server, "farmer_wang")
    received, code = async_to_sync(_after_change)(
        asgi_server, cookie, farm.pk, _remove_farm_from_membership, send_after=False
    )
    assert received == [0] and code == CLOSE_REVOKED


def test_a_change_no_signal_reports_stops_the_next_event(server_rechecking_every_event):
    """Rows deleted with a queryset send no signal: the re-check before sending catches it."""
    server = server_rechecking_every_event
    farm = Farm.objects.get(name=FARM)
    cookie = session_cookie(server, "farmer_wang")

    def silently_remove() -> None:
        Membership.farms.through.objects.filter(
            membership__user__username="farmer_wang", farm=farm
        ).delete()

    received, code = async_to_sync(_after_change)(
        server, cookie, farm.pk, silently_remove, send_after=True
    )
    assert received == [0] and code == CLOSE_REVOKED


def test_deactivating_the_user_closes_their_socket(asgi_server):
    farm = Farm.objects.get(name=FARM)
    cookie = session_cookie(asgi_server, "farmer_wang")

    def deactivate() -> None:
        user = get_user_model().objects.get(username="farmer_wang")
        user.is_active = False
        user.save()

    received, code = async_to_sync(_after_change)(
        asgi_server, cookie, farm.pk, deactivate, send_after=False
    )
    assert received == [0] and code == CLOSE_REVOKED


def test_logging_out_in_another_tab_closes_the_socket(asgi_server):
    farm = Farm.objects.get(name=FARM)
    cookie = session_cookie(asgi_server, "farmer_wang")

    def log_out() -> None:
        page = urllib.request.Request(f"{asgi_server}/", headers={"Cookie": cookie})
        token = next(
            part.split("=", 1)[1] for part in cookie.split("; ") if part.startswith("csrftoken=")
        )
        logout = urllib.request.Request(
            f"{asgi_server}/accounts/logout/",
            data=b"",
            headers={"Cookie": cookie, "X-CSRFToken": token, "Referer": f"{asgi_server}/"},
        )
        urllib.request.urlopen(page).read()
        urllib.request.urlopen(logout).read()

    received, code = async_to_sync(_after_change)(
        asgi_server, cookie, farm.pk, log_out, send_after=False
    )
    assert received == [0] and code == CLOSE_REVOKED


def test_a_socket_of_another_user_keeps_streaming(asgi_server):
    farm = Farm.objects.get(name=FARM)
    cookie = session_cookie(asgi_server, "manager_honghu")
    received, code = async_to_sync(_after_change)(
        asgi_server, cookie, farm.pk, _remove_farm_from_membership, send_after=True
    )
    assert received == [0, 1] and code is None

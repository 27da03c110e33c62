"""Alert transitions reach the farm's open pages through a real ASGI server."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

import pytest
import websockets
from asgiref.sync import async_to_sync, sync_to_async

import tests.conftest as e2e
from alerts.engine import evaluate
from alerts.models import Incident, Rule
from farm.models import Farm, Pond
from tests.test_websocket import session_cookie
from vocabulary.events import ReadingEvent

pytestmark = pytest.mark.django_db(transaction=True)
asgi_server = e2e.asgi_server
demo_committed = e2e.demo_committed


async def _watch_while(url: str, cookie: str, action) -> dict:
    headers = {"Cookie": cookie, "Origin": "http://127.0.0.1"}
    async with websockets.connect(url, additional_headers=headers) as ws:
        await sync_to_async(action)()
        while True:
            message = json.loads(await asyncio.wait_for(ws.recv(), timeout=15))
            if message.get("kind") == "alert":
                return message


def test_a_firing_transition_is_pushed_to_the_farm_page_of_its_operator(asgi_server):
    farm = Farm.objects.get(name="大沙湖草鱼养殖场")
    pond = Pond.objects.get(farm=farm, name="1号塘")
    rule = Rule.objects.create(
        organisation=farm.organisation,
        name="溶解氧低于3",
        metric="do",
        condition=Rule.Condition.BELOW,
        threshold=3.0,
        severity="critical",
    )
    now = datetime(2026, 7, 20, 20, 30, tzinfo=UTC)
    reading = ReadingEvent.at(now, farm.pk, pond.pk, "a000000000000001", "do", 2.2)
    cookie = session_cookie(asgi_server, "farmer_wang")
    url = asgi_server.replace("http", "ws") + f"/ws/farms/{farm.pk}/"
    message = async_to_sync(_watch_while)(url, cookie, lambda: evaluate([reading], now=now))
    incident = Incident.objects.get(rule=rule)
    assert message["to"] == "firing" and message["from"] == "ok"
    assert message["incident"] == incident.pk
    assert message["site"] == pond.pk and message["value"] == 2.2

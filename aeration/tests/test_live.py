"""State changes reach the farm's open pages as live messages of kind "aerator"."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from aeration import control
from farm.consumers import farm_group


@pytest.mark.django_db(transaction=True)
def test_a_reported_state_change_is_pushed_to_the_farm_group():
    from aeration.tests.conftest import make_aeration

    p = make_aeration("-live")
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(farm_group(p["farm"].pk), channel)
    try:
        at = datetime.now(UTC)
        control.apply_reports([control.Report(p["device"].pk, 1, True, at, ("aci1_ma", 12.0))])
        message = async_to_sync(layer.receive)(channel)
    finally:
        async_to_sync(layer.group_discard)(farm_group(p["farm"].pk), channel)
    body = message["payload"]
    assert message["type"] == "farm.event" and body["kind"] == "aerator"
    assert body["site"] == p["pond"].pk and body["state"] == "on"
    assert body["current_a"] == 10.0 and body["pending"] is None

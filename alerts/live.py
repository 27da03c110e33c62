"""Live push of alert changes to the farm's open pages, over the Channels layer.

Pages subscribe through ``farm.consumers.FarmLiveConsumer``, which checks
``farm.access``; here we only publish to the farm's group after the commit.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from farm.consumers import farm_group
from vocabulary.events import Transition

log = logging.getLogger(__name__)


def payload(t: Transition) -> dict:
    return {
        "kind": "alert",
        "rule": t.rule_id,
        "target": t.target_key,
        "site": t.site_id,
        "from": t.old,
        "to": t.new,
        "at": t.at.isoformat(),
        "value": t.value,
        "incident": t.incident_id,
        "inhibited_by": t.inhibited_by,
    }


def publish(transitions: Iterable[Transition]) -> None:
    """Send each transition to its farm's group once the transaction has committed."""
    items = [(t.farm_id, payload(t)) for t in transitions]
    if items:
        transaction.on_commit(lambda: _send(items))


def publish_incident(farm_id: int, incident_id: int, change: str) -> None:
    """A human change (acknowledge, snooze) is news for the other open pages too."""
    item = (farm_id, {"kind": "incident", "incident": incident_id, "change": change})
    transaction.on_commit(lambda: _send([item]))


def _send(items: list[tuple[int, dict]]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        # One event loop (and one Redis connection) for the whole batch: a busy
        # evaluation can change hundreds of states at once.
        async_to_sync(_send_all)(layer, items)
    except Exception:  # a page missing an update must never fail the evaluation
        log.exception("live push of %d alert changes failed", len(items))


async def _send_all(layer, items: list[tuple[int, dict]]) -> None:
    for farm_id, body in items:
        message = {"type": "farm.event", "farm": farm_id, "payload": body}
        await layer.group_send(farm_group(farm_id), message)

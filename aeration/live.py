"""Live push of aerator changes to the farm's open pages (kind ``aerator``).

The same route as ``alerts.live``: after the commit, to ``farm.consumers.farm_group``;
the consumer checks access. A page missing an update must never fail a command.
"""

from __future__ import annotations

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from aeration.models import Aerator, Command
from aeration.status import state_word
from farm.consumers import farm_group

log = logging.getLogger(__name__)


def payload(aerator: Aerator, pending: Command | None) -> dict:
    return {
        "kind": "aerator",
        "site": aerator.pond_id,
        "aerator": aerator.pk,
        "name": aerator.name,
        "state": state_word(aerator.reported_on),
        "pending": None
        if pending is None
        else {"id": pending.pk, "desired": "on" if pending.desired_on else "off"},
        "mode": aerator.mode,
        "current_a": aerator.current_a,
        "reported_at": aerator.reported_at.isoformat() if aerator.reported_at else None,
    }


def publish(farm_id: int, aerator: Aerator, pending: Command | None) -> None:
    """Send the aerator's state to its farm's pages once the transaction commits."""
    body = payload(aerator, pending)
    transaction.on_commit(lambda: _send(farm_id, body))


def _send(farm_id: int, body: dict) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(
            farm_group(farm_id), {"type": "farm.event", "farm": farm_id, "payload": body}
        )
    except Exception:  # a page missing an update must never fail a command
        log.exception("live push of aerator %s failed", body.get("aerator"))

"""Readings reach open walls and site pages: the bridge hook that tells them.

``monitoring.live:on_bridge_readings`` is the bridge's ``on_readings`` hook: it runs
the alert engine (``alerts.engine.on_bridge_readings``) and then sends one
``{"kind": "reading", "site": …}`` per site of the batch to the farm's group. The
readings are already stored when the hook runs, so a page that re-reads the site's
tile on this message shows the new values.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from alerts.engine import on_bridge_readings as evaluate_batch
from farm.consumers import farm_group
from vocabulary.events import ReadingEvent, Transition

log = logging.getLogger(__name__)


def on_bridge_readings(batch: Sequence[ReadingEvent]) -> list[Transition]:
    """The alert engine, then one live message per site that reported."""
    transitions = evaluate_batch(batch)
    publish_readings(batch)
    return transitions


def reading_messages(batch: Sequence[ReadingEvent]) -> list[tuple[int, dict]]:
    """(farm id, payload) per site of the batch, stamped with its newest reading."""
    newest: dict[tuple[int, int], int] = {}
    for r in batch:
        if r.site_id is None:
            continue
        key = (r.farm_id, r.site_id)
        newest[key] = max(newest.get(key, 0), r.time_ns)
    return [
        (farm, {"kind": "reading", "site": site, "at_ms": t // 1_000_000})
        for (farm, site), t in sorted(newest.items())
    ]


def publish_readings(batch: Sequence[ReadingEvent]) -> None:
    items = reading_messages(batch)
    layer = get_channel_layer()
    if not items or layer is None:
        return
    try:
        async_to_sync(_send_all)(layer, items)
    except Exception:  # a page missing an update must never fail the bridge
        log.exception("live push of %d site readings failed", len(items))


async def _send_all(layer, items: list[tuple[int, dict]]) -> None:
    for farm_id, body in items:
        message = {"type": "farm.event", "farm": farm_id, "payload": body}
        await layer.group_send(farm_group(farm_id), message)

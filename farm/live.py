"""One WebSocket per page, for every farm the page shows, scoped by ``farm.access``.

``/ws/farms/<id>/`` serves one farm; a page that lists several (a bureau
reviewer's alert inbox) would need one socket each. ``/ws/live/`` joins the
groups of every farm the user may read, or of ``?farms=1,2`` among those.

Access is re-read at most every ``RECHECK_S`` seconds while events flow, from the
database rather than the session's cached scope, so a membership removed while
the page is open stops its farm's events (close code 4403 when nothing is left).
A ``{"type": "ping"}`` from the page is answered with ``{"kind": "pong"}`` so the
page can tell a dead mobile connection from a quiet farm.
"""

from __future__ import annotations

import time
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.contrib.auth import get_user_model

from farm import access
from farm.consumers import farm_group

RECHECK_S = 2.0
MAX_REQUESTED = 500  # farm ids a page may name; more is not a page, it is a scan


def requested_farms(query_string: bytes) -> set[int] | None:
    """The ``farms`` ids a page asked for, or None for "every farm I may read"."""
    raw = parse_qs(query_string.decode("latin-1")).get("farms")
    if not raw:
        return None
    ids: set[int] = set()
    for part in ",".join(raw).split(","):
        if part.strip().isdigit():
            ids.add(int(part))
    return set(sorted(ids)[:MAX_REQUESTED])


def readable_farms(user_id: int | None, wanted: set[int] | None) -> set[int]:
    """Farm ids the user may read now (a fresh user row, not the cached scope)."""
    if user_id is None:
        return set()
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return set()
    farms = access.visible_farms(user)
    if wanted is not None:
        farms = farms.filter(pk__in=wanted)
    return set(farms.values_list("pk", flat=True))


class PageLiveConsumer(AsyncJsonWebsocketConsumer):
    """Streams the live events of the page's farms; producers send ``farm.event``."""

    async def connect(self) -> None:
        user = self.scope.get("user")
        self.user_id = user.pk if getattr(user, "is_authenticated", False) else None
        self.farm_ids: set[int] = set()
        wanted = requested_farms(self.scope.get("query_string", b""))
        farms = await database_sync_to_async(readable_farms)(self.user_id, wanted)
        if not farms:
            await self.close(code=4404)
            return
        for farm_id in farms:
            await self.channel_layer.group_add(farm_group(farm_id), self.channel_name)
        self.farm_ids = farms
        self.checked_at = time.monotonic()
        await self.accept()

    async def disconnect(self, code: int) -> None:
        for farm_id in getattr(self, "farm_ids", ()):
            await self.channel_layer.group_discard(farm_group(farm_id), self.channel_name)

    async def receive_json(self, content, **kwargs) -> None:
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"kind": "pong"})

    async def farm_event(self, event: dict) -> None:
        if time.monotonic() - self.checked_at >= RECHECK_S and not await self._recheck():
            return
        farm = event.get("farm")
        if farm is not None and farm not in self.farm_ids:
            return  # queued before its group was left
        await self.send_json(event.get("payload", {}))

    async def _recheck(self) -> bool:
        """Leave the groups of farms no longer readable; False (and close) if none is."""
        still = await database_sync_to_async(readable_farms)(self.user_id, self.farm_ids)
        self.checked_at = time.monotonic()
        for farm_id in self.farm_ids - still:
            await self.channel_layer.group_discard(farm_group(farm_id), self.channel_name)
        self.farm_ids = still
        if not still:
            await self.close(code=4403)
            return False
        return True

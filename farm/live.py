"""One WebSocket per page, for every farm the page shows, scoped by ``farm.access``.

``/ws/farms/<id>/`` serves one farm; a page that lists several (a bureau
reviewer's alert inbox) would need one socket each. ``/ws/live/`` joins the
groups of every farm the user may read, or of ``?farms=1,2`` among those.

Access is re-checked as for ``/ws/farms/<id>/`` (``farm.consumers``): at once when
``farm.signals`` reports a change to the user's memberships, account or session, and
before sending once ``LIVE_RECHECK_SECONDS`` have passed — from the database and the
session store, not the session's cached scope. Farms no longer readable are left;
the socket closes with 4403 when nothing is left or its session was logged out.
A ``{"type": "ping"}`` from the page is answered with ``{"kind": "pong"}`` so the
page can tell a dead mobile connection from a quiet farm.
"""

from __future__ import annotations

import time
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings

from farm import access
from farm.consumers import (
    CLOSE_NOT_FOUND,
    CLOSE_REVOKED,
    ends_session,
    farm_group,
    session_user,
    socket_identity,
    user_group,
)

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


def readable_farms(
    user_id: int | None, session_key: str | None, wanted: set[int] | None
) -> set[int]:
    """Farm ids the socket's user may read now (fresh user row and session)."""
    user = session_user(user_id, session_key)
    if user is None:
        return set()
    farms = access.visible_farms(user)
    if wanted is not None:
        farms = farms.filter(pk__in=wanted)
    return set(farms.values_list("pk", flat=True))


class PageLiveConsumer(AsyncJsonWebsocketConsumer):
    """Streams the live events of the page's farms; producers send ``farm.event``."""

    async def connect(self) -> None:
        self.user_id, self.session_key = socket_identity(self.scope)
        self.farm_ids: set[int] = set()
        wanted = requested_farms(self.scope.get("query_string", b""))
        farms = await database_sync_to_async(readable_farms)(self.user_id, self.session_key, wanted)
        if not farms:
            await self.close(code=CLOSE_NOT_FOUND)
            return
        await self.channel_layer.group_add(user_group(self.user_id), self.channel_name)
        for farm_id in farms:
            await self.channel_layer.group_add(farm_group(farm_id), self.channel_name)
        self.farm_ids = farms
        self.checked_at = time.monotonic()
        await self.accept()

    async def disconnect(self, code: int) -> None:
        for farm_id in getattr(self, "farm_ids", ()):
            await self.channel_layer.group_discard(farm_group(farm_id), self.channel_name)
        if getattr(self, "farm_ids", None):
            await self.channel_layer.group_discard(user_group(self.user_id), self.channel_name)
        self.farm_ids = set()

    async def receive_json(self, content, **kwargs) -> None:
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"kind": "pong"})

    async def farm_event(self, event: dict) -> None:
        if not self.farm_ids:
            return  # closed, but a queued event can still arrive
        stale = time.monotonic() - self.checked_at >= settings.CONFIG.live_recheck_s
        if stale and not await self._recheck():
            return
        farm = event.get("farm")
        if farm is not None and farm not in self.farm_ids:
            return  # queued before its group was left
        await self.send_json(event.get("payload", {}))

    async def access_changed(self, event: dict) -> None:
        if not self.farm_ids:
            return
        if ends_session(event, self.session_key):
            await self._close(CLOSE_REVOKED)
        else:
            await self._recheck()

    async def _recheck(self) -> bool:
        """Leave the groups of farms no longer readable; False (and close) if none is."""
        still = await database_sync_to_async(readable_farms)(
            self.user_id, self.session_key, self.farm_ids
        )
        self.checked_at = time.monotonic()
        for farm_id in self.farm_ids - still:
            await self.channel_layer.group_discard(farm_group(farm_id), self.channel_name)
        if not still:
            await self._close(CLOSE_REVOKED)
            return False
        self.farm_ids = still
        return True

    async def _close(self, code: int) -> None:
        await self.disconnect(code)
        await self.close(code=code)

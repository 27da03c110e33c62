"""Live updates for a farm's pages over WebSocket, scoped by ``farm.access``.

A socket outlives the request that opened it, so access is not only checked at
connect. It is checked again, from the database and the session store rather than
the user object the socket started with:

* at once when the user's access may have changed — a membership saved, deleted or
  its farms edited, the user saved (deactivated, password changed) or logged out.
  ``farm.signals`` sends ``access.changed`` to the user's group (``user_group``)
  after the change commits, from whichever process made it;
* at most ``LIVE_RECHECK_SECONDS`` (``agrimon.config``) after the last check, before
  an event is sent, for changes no signal reports (a farm moved to another
  organisation or region, rows changed with SQL or ``QuerySet.update``).

A socket that may no longer read its farm is closed with code 4403 and the event
that found out is dropped.
"""

from __future__ import annotations

import logging
import time
from importlib import import_module

from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.layers import get_channel_layer
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.utils.crypto import constant_time_compare

from farm import access

log = logging.getLogger(__name__)

CLOSE_NOT_FOUND = 4404  # never allowed: as for a page, the farm's existence does not leak
CLOSE_REVOKED = 4403  # was allowed, is no longer


def farm_group(farm_id: int) -> str:
    """Channel-layer group that receives every live event of one farm."""
    return f"farm.{farm_id}"


def user_group(user_id: int) -> str:
    """Channel-layer group of one user's sockets, told when their access may have changed."""
    return f"user.{user_id}"


def notify_access_changed(user_id: int, ended_session: str | None = None) -> None:
    """Ask every open socket of the user to check its access again (any process).

    ``ended_session``: a session being logged out; its sockets close without a
    re-check (the session row is deleted only after the logout signal is sent).
    Never raises: the interval re-check still catches the change if the channel layer
    is unreachable, and a membership edit must not fail because Redis is down.
    """
    message = {"type": "access.changed"}
    if ended_session:
        message["ended_session"] = ended_session
    try:
        async_to_sync(get_channel_layer().group_send)(user_group(user_id), message)
    except Exception:  # any channel-layer failure: see the docstring; logged here, once
        log.warning("could not notify live sockets of user %s", user_id, exc_info=True)


def session_user(user_id: int | None, session_key: str | None):
    """The socket's user as the database says now, or None if the session no longer logs them in.

    The user row is read afresh (``farm.access`` caches a scope on the user object) and
    the session must still log in this user with the current password hash, as
    ``django.contrib.auth.get_user`` requires for a page.
    """
    if user_id is None:
        return None
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return None
    if session_key is not None:
        engine = import_module(settings.SESSION_ENGINE)
        data = engine.SessionStore(session_key).load()
        if str(data.get(SESSION_KEY)) != str(user_id) or BACKEND_SESSION_KEY not in data:
            return None
        stored = data.get(HASH_SESSION_KEY)
        if not stored or not constant_time_compare(stored, user.get_session_auth_hash()):
            return None
    return user


def may_read_farm(user_id: int | None, session_key: str | None, farm_id: int) -> bool:
    """Whether the socket's user, as the database and session store say now, may read the farm."""
    user = session_user(user_id, session_key)
    return user is not None and access.can_read_farm(user, farm_id)


def socket_identity(scope: dict) -> tuple[int | None, str | None]:
    """The user id and session key a socket was opened with."""
    user = scope.get("user")
    user_id = user.pk if getattr(user, "is_authenticated", False) else None
    return user_id, getattr(scope.get("session"), "session_key", None)


def ends_session(event: dict, session_key: str | None) -> bool:
    """Whether an ``access.changed`` message reports the logout of this socket's session."""
    ended = event.get("ended_session")
    return bool(ended and session_key and constant_time_compare(ended, session_key))


class FarmLiveConsumer(AsyncJsonWebsocketConsumer):
    """Streams events (readings, alerts, detections) of one farm to its page.

    Producers call ``channel_layer.group_send(farm_group(id), {"type": "farm.event", ...})``.
    """

    async def connect(self) -> None:
        self.farm_id = int(self.scope["url_route"]["kwargs"]["farm_id"])
        self.user_id, self.session_key = socket_identity(self.scope)
        if not await self._allowed():
            await self.close(code=CLOSE_NOT_FOUND)
            return
        await self.channel_layer.group_add(user_group(self.user_id), self.channel_name)
        await self.channel_layer.group_add(farm_group(self.farm_id), self.channel_name)
        self.joined = True
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if getattr(self, "joined", False):
            await self.channel_layer.group_discard(farm_group(self.farm_id), self.channel_name)
            await self.channel_layer.group_discard(user_group(self.user_id), self.channel_name)
            self.joined = False

    async def farm_event(self, event: dict) -> None:
        if not getattr(self, "joined", False):
            return  # closed, but a queued event can still arrive
        if time.monotonic() - self.checked_at >= settings.CONFIG.live_recheck_s:
            if not await self._still_allowed():
                return
        await self.send_json(event.get("payload", {}))

    async def access_changed(self, event: dict) -> None:
        if not getattr(self, "joined", False):
            return
        if ends_session(event, self.session_key):
            await self._revoke()
        else:
            await self._still_allowed()

    async def _allowed(self) -> bool:
        allowed = await database_sync_to_async(may_read_farm)(
            self.user_id, self.session_key, self.farm_id
        )
        self.checked_at = time.monotonic()
        return allowed

    async def _still_allowed(self) -> bool:
        """Re-check; on refusal leave the groups and close (4403) so nothing more is sent."""
        if await self._allowed():
            return True
        await self._revoke()
        return False

    async def _revoke(self) -> None:
        await self.disconnect(CLOSE_REVOKED)
        await self.close(code=CLOSE_REVOKED)

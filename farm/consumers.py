"""Live updates for a farm's pages over WebSocket, scoped by ``farm.access``."""

from __future__ import annotations

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from farm import access


def farm_group(farm_id: int) -> str:
    """Channel-layer group that receives every live event of one farm."""
    return f"farm.{farm_id}"


class FarmLiveConsumer(AsyncJsonWebsocketConsumer):
    """Streams events (readings, alerts, detections) of one farm to its page.

    Producers call ``channel_layer.group_send(farm_group(id), {"type": "farm.event", ...})``.
    """

    async def connect(self) -> None:
        self.farm_id = int(self.scope["url_route"]["kwargs"]["farm_id"])
        user = self.scope.get("user")
        allowed = await database_sync_to_async(access.can_read_farm)(user, self.farm_id)
        if not allowed:
            await self.close(code=4404)
            return
        await self.channel_layer.group_add(farm_group(self.farm_id), self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "farm_id"):
            await self.channel_layer.group_discard(farm_group(self.farm_id), self.channel_name)

    async def farm_event(self, event: dict) -> None:
        await self.send_json(event.get("payload", {}))

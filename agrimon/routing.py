"""WebSocket routes of every app."""

from django.urls import path

from farm.consumers import FarmLiveConsumer
from farm.live import PageLiveConsumer

websocket_urlpatterns = [
    path("ws/farms/<int:farm_id>/", FarmLiveConsumer.as_asgi()),
    path("ws/live/", PageLiveConsumer.as_asgi()),
]

"""The Django project: settings, typed environment config, URL and WebSocket routing,
ASGI/WSGI entry points and the Celery application."""

from agrimon.celery import app as celery_app

__all__ = ["celery_app"]

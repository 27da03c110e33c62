"""The Django project and the shared farm domain."""

from farm.celery import app as celery_app

__all__ = ["celery_app"]

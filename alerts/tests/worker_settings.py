"""Settings for the Celery worker the delivery tests start: fast back-off, cheap hashing."""

from farm.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
ALERT_DELIVERY_BACKOFF_S = (0.2, 1.0)
ALERT_LINK_BASE = "https://agrimon.example.cn"

"""Settings for the Celery worker the delivery tests start: fast back-off, cheap hashing,
and the test's channels (``ALERT_TEST_TRANSPORTS``, JSON) when it gives them."""

import json
import os

from agrimon.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
ALERT_DELIVERY_BACKOFF_S = (0.2, 1.0)
ALERT_LINK_BASE = "https://agrimon.example.cn"
if os.environ.get("ALERT_TEST_TRANSPORTS"):
    ALERT_TRANSPORTS = json.loads(os.environ["ALERT_TEST_TRANSPORTS"])
if os.environ.get("ALERT_TEST_QUEUE"):  # tasks the worker queues itself stay on its queue
    CELERY_TASK_DEFAULT_QUEUE = os.environ["ALERT_TEST_QUEUE"]

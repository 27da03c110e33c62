"""Settings for the phone tests' server: the tests' server settings plus a web push key."""

import os

from tests.server_settings import *  # noqa: F403

if os.environ.get("PHONE_TEST_VAPID_PRIVATE_KEY"):
    ALERT_TRANSPORTS = {
        **globals().get("ALERT_TRANSPORTS", {}),
        "webpush": {
            "vapid_private_key": os.environ["PHONE_TEST_VAPID_PRIVATE_KEY"],
            "vapid_subject": "mailto:ops@example.cn",
        },
    }

"""The VAPID public key the phone subscribes with, read from the web push channel's settings."""

from __future__ import annotations

import logging

from django.conf import settings

from alerts.transports.webpush import vapid_public_key

log = logging.getLogger(__name__)


def application_server_key() -> str:
    """The ``applicationServerKey`` for ``pushManager.subscribe()``, or "" when web push is
    not configured (``settings.ALERT_TRANSPORTS["webpush"]`` has no private key)."""
    config = getattr(settings, "ALERT_TRANSPORTS", {}).get("webpush") or {}
    private = config.get("vapid_private_key", "")
    if not private:
        return ""
    try:
        return vapid_public_key(private)
    except Exception as exc:  # noqa: BLE001 - a broken key reads as "not configured"
        log.error("web push VAPID key unusable: %s", exc)
        return ""

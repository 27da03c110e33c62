"""The VAPID public key the phone subscribes with, from the alerts channel registry."""

from __future__ import annotations

import logging

from alerts import channels

log = logging.getLogger(__name__)


def application_server_key() -> str:
    """The ``applicationServerKey`` for ``pushManager.subscribe()``, or "" when web push is
    not configured (the page then says so instead of offering a switch that cannot work)."""
    try:
        return channels.webpush_public_key()
    except (channels.TransportNotConfigured, ValueError, OSError) as exc:
        log.error("web push is configured but its VAPID key is unusable: %s", exc)
        return ""

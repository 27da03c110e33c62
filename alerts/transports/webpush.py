"""Web Push to the farmers' installable web app.

The payload is encrypted for the subscription with the ``aes128gcm`` content coding of
RFC 8291 and the request carries a VAPID (RFC 8292) ``Authorization: vapid t=..., k=...``
header; pywebpush (with http-ece and py-vapid) does both. RFC 8030 headers: ``TTL``,
``Urgency`` (``high`` for critical alerts so a dozing phone wakes up) and ``Topic``
derived from the idempotency key, so a duplicate still queued at the push service
replaces the first instead of showing twice.

Outcome classification by the push service's status: 201/202 delivered (the
``Location`` header is the message id); 404 and 410 mean the subscription is gone
(failed, address invalid: delete it); 429 and 5xx retried; 413 and other 4xx (bad
VAPID key, malformed request) permanent.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid
from pywebpush import WebPusher, WebPushException

from alerts.transports.base import (
    DeliveryResult,
    Message,
    Recipient,
    Transport,
    http_status_result,
)

GONE_STATUSES = frozenset({404, 410})
# RFC 8291 §4: a push message must fit one 4096-byte record; aes128gcm adds an 86-byte
# header, a 16-byte tag and a padding delimiter.
MAX_PLAINTEXT_BYTES = 4096 - 86 - 16 - 1


@dataclass(frozen=True)
class WebPushConfig:
    vapid_private_key: str  # base64url of the raw 32-byte P-256 key (or of its DER form)
    vapid_subject: str  # "mailto:ops@example.cn" or an https URL (RFC 8292 §2.1)
    ttl: int = 3600  # seconds the push service keeps an undelivered alert
    timeout: float = 10.0


class WebPush(Transport):
    kind = "webpush"
    config_class = WebPushConfig

    def __init__(self, config: WebPushConfig) -> None:
        super().__init__(config)
        # Parsed once: a bad key is a deployment error and should fail at start-up.
        self._vapid = Vapid.from_string(private_key=config.vapid_private_key)

    def notify(self, message: Message, recipient: Recipient) -> DeliveryResult:
        cfg: WebPushConfig = self.config
        subscription = recipient.webpush_subscription
        if not subscription or not subscription.get("endpoint"):
            return DeliveryResult.failed("recipient has no push subscription", address_invalid=True)
        keys = subscription.get("keys") or {}
        if not keys.get("p256dh") or not keys.get("auth"):
            return DeliveryResult.failed("push subscription has no keys", address_invalid=True)
        headers = {"Urgency": "high" if message.severity == "critical" else "normal"}
        if message.idempotency_key:
            headers["Topic"] = topic(message.idempotency_key)
        headers.update(self._vapid_headers(subscription["endpoint"]))
        try:
            response = WebPusher(dict(subscription)).send(
                payload(message),
                headers,
                ttl=cfg.ttl,
                content_encoding="aes128gcm",
                timeout=cfg.timeout,
            )
        except (WebPushException, ValueError) as exc:
            # Raised while reading the keys or encrypting: they are not a P-256 point and
            # an auth secret, which no retry can fix.
            return DeliveryResult.failed(
                f"malformed push subscription: {exc}", address_invalid=True
            )
        except requests.Timeout as exc:
            return DeliveryResult.retry(f"push service timed out after {cfg.timeout}s: {exc}")
        except requests.RequestException as exc:
            return DeliveryResult.retry(f"push service unreachable: {exc}")
        status = response.status_code
        if status in (200, 201, 202):
            return DeliveryResult.delivered(
                response.headers.get("Location", ""), f"HTTP {status}", vendor_code=f"HTTP {status}"
            )
        if status in GONE_STATUSES:
            return DeliveryResult.failed(
                f"push subscription gone: HTTP {status}",
                address_invalid=True,
                vendor_code=f"HTTP {status}",
            )
        return http_status_result(response, "push service")

    def _vapid_headers(self, endpoint: str) -> dict[str, str]:
        parts = urlsplit(endpoint)
        claims = {
            "aud": f"{parts.scheme}://{parts.netloc}",
            # RFC 8292 §2: no more than 24 hours ahead.
            "exp": int(time.time()) + 12 * 3600,
            "sub": self.config.vapid_subject,
        }
        return self._vapid.sign(claims)


def generate_vapid_keys() -> tuple[str, str]:
    """A new (private, public) VAPID key pair, both base64url.

    The private key goes in ``WebPushConfig.vapid_private_key``; the public one is the
    ``applicationServerKey`` the web app subscribes with.
    """
    key = ec.generate_private_key(ec.SECP256R1())
    private = key.private_numbers().private_value.to_bytes(32, "big")
    return _b64url(private), vapid_public_key(_b64url(private))


def vapid_public_key(vapid_private_key: str) -> str:
    """The ``applicationServerKey`` the web app passes to ``pushManager.subscribe()``."""
    public = Vapid.from_string(private_key=vapid_private_key).public_key
    return _b64url(
        public.public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
    )


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def payload(message: Message) -> str:
    """The JSON the service worker shows; the body is cut so it fits one record."""
    data = {
        "title": message.title,
        "body": message.body,
        "url": message.incident_url,
        "incident": message.incident_id,
        "severity": message.severity,
        "tag": f"incident-{message.incident_id}",
    }
    text = json.dumps(data, ensure_ascii=False)
    while len(text.encode()) > MAX_PLAINTEXT_BYTES and data["body"]:
        data["body"] = data["body"][: len(data["body"]) // 2]
        text = json.dumps(data, ensure_ascii=False)
    return text


def topic(idempotency_key: str) -> str:
    """RFC 8030 §5.4: at most 32 characters of the URL-safe base64 alphabet."""
    digest = hashlib.sha256(idempotency_key.encode()).digest()[:24]
    return base64.urlsafe_b64encode(digest).decode()

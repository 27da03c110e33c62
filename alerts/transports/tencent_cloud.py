"""Tencent Cloud API 3.0 calls signed with TC3-HMAC-SHA256: the one client of SMS and voice.

Signing follows the API 3.0 "Signature v3" page (签名方法 v3), repeated in every
product's API documentation, SMS and VMS included:

- CanonicalRequest = ``POST``, ``/``, an empty query, the canonical headers
  (``content-type:...\\nhost:...\\n``), the signed header names ``content-type;host``
  and hex(SHA-256(body)), joined by newlines;
- StringToSign = ``TC3-HMAC-SHA256``, the timestamp, ``{date}/{service}/tc3_request``
  and hex(SHA-256(CanonicalRequest)), joined by newlines;
- the signing key is the HMAC-SHA256 chain ``"TC3" + SecretKey -> date -> service ->
  "tc3_request"``, the date being the UTC date of the timestamp.

Outcome classification: a reply with ``Response.Error`` is an API error —
``InternalError*`` and ``RequestLimitExceeded*`` are retried, everything else
(``AuthFailure.*``, ``InvalidParameter*``, ``FailedOperation.*``, ``UnauthorizedOperation.*``
...) is permanent. Tencent answers API errors with HTTP 200; a 5xx or a body that is not
an API reply is the gateway failing and is retried.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from alerts.transports.base import DeliveryResult, http_send, http_status_result, json_body

ALGORITHM = "TC3-HMAC-SHA256"
CONTENT_TYPE = "application/json; charset=utf-8"
RETRYABLE_PREFIXES = ("InternalError", "RequestLimitExceeded")


@dataclass(frozen=True)
class TencentCredentials:
    secret_id: str
    secret_key: str


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def canonical_request(host: str, payload: bytes, content_type: str = CONTENT_TYPE) -> str:
    return "\n".join(
        [
            "POST",
            "/",
            "",
            f"content-type:{content_type}\nhost:{host}\n",
            "content-type;host",
            hashlib.sha256(payload).hexdigest(),
        ]
    )


def string_to_sign(timestamp: int, service: str, canonical: str) -> str:
    date = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
    scope = f"{date}/{service}/tc3_request"
    return "\n".join(
        [ALGORITHM, str(timestamp), scope, hashlib.sha256(canonical.encode()).hexdigest()]
    )


def tc3_signature(secret_key: str, date: str, service: str, to_sign: str) -> str:
    secret_date = _hmac(("TC3" + secret_key).encode(), date)
    secret_service = _hmac(secret_date, service)
    secret_signing = _hmac(secret_service, "tc3_request")
    return hmac.new(secret_signing, to_sign.encode(), hashlib.sha256).hexdigest()


def authorization(
    credentials: TencentCredentials, service: str, host: str, payload: bytes, timestamp: int
) -> str:
    date = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
    to_sign = string_to_sign(timestamp, service, canonical_request(host, payload))
    sig = tc3_signature(credentials.secret_key, date, service, to_sign)
    return (
        f"{ALGORITHM} Credential={credentials.secret_id}/{date}/{service}/tc3_request, "
        f"SignedHeaders=content-type;host, Signature={sig}"
    )


def call(
    endpoint: str,
    service: str,
    action: str,
    version: str,
    region: str,
    payload: Mapping[str, Any],
    credentials: TencentCredentials,
    *,
    timeout: float,
    now: datetime | None = None,
) -> dict[str, Any] | DeliveryResult:
    """POST one signed request; returns ``Response`` on success, else a classified result."""
    host = urlsplit(endpoint).netloc
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    timestamp = int((now or datetime.now(UTC)).timestamp())
    reply = http_send(
        "POST",
        endpoint,
        timeout=timeout,
        data=body,
        headers={
            "Authorization": authorization(credentials, service, host, body, timestamp),
            "Content-Type": CONTENT_TYPE,
            "Host": host,
            "X-TC-Action": action,
            "X-TC-Version": version,
            "X-TC-Timestamp": str(timestamp),
            "X-TC-Region": region,
        },
    )
    if isinstance(reply, DeliveryResult):
        return reply
    data = json_body(reply)
    response = data.get("Response") if data else None
    if not isinstance(response, dict) or reply.status_code >= 500:
        return http_status_result(reply, f"Tencent {action}")
    error = response.get("Error")
    if isinstance(error, dict):
        code = str(error.get("Code", ""))
        detail = (
            f"Tencent {action}: {code} {error.get('Message', '')} "
            f"(RequestId {response.get('RequestId', '')})"
        )
        if code.startswith(RETRYABLE_PREFIXES):
            return DeliveryResult.retry(detail, vendor_code=code)
        return DeliveryResult.failed(
            detail,
            address_invalid=code == "InvalidParameterValue.IncorrectPhoneNumber",
            vendor_code=code,
        )
    return response


def send(
    cfg: Any, service: str, action: str, version: str, payload: Mapping[str, Any]
) -> dict[str, Any] | DeliveryResult:
    """``call`` for a transport whose config has the credentials, endpoint, region and timeout."""
    return call(
        cfg.endpoint,
        service,
        action,
        version,
        cfg.region,
        payload,
        TencentCredentials(cfg.secret_id, cfg.secret_key),
        timeout=cfg.timeout,
    )


def e164(phone: str) -> str:
    """Tencent wants +[country][number]; a bare 11-digit number is taken as mainland."""
    phone = phone.strip()
    if phone.startswith("+"):
        return phone
    return "+86" + phone if len(phone) == 11 else "+" + phone

"""Aliyun (Alibaba Cloud) RPC-style API calls: the one signing and request client of SMS and voice.

Two request signatures are implemented; V3 is the default because Aliyun recommends it
for new integrations, V1 is kept for accounts or gateways that still expect it.

V3, ACS3-HMAC-SHA256 ("V3 版本请求体&签名机制",
help.aliyun.com/zh/sdk/product-overview/v3-request-structure-and-signature): API
parameters go in the query string; the headers ``host``, ``x-acs-action``,
``x-acs-version``, ``x-acs-date``, ``x-acs-signature-nonce`` and
``x-acs-content-sha256`` (hex SHA-256 of the body) are signed. CanonicalRequest =
``METHOD\n/\n{sorted percent-encoded query}\n{name:value\n per header}\n{signed
header names joined by ;}\n{body hash}``; StringToSign = ``ACS3-HMAC-SHA256\n`` +
hex(SHA-256(CanonicalRequest)); Signature = hex(HMAC-SHA256(AccessKeySecret, StringToSign)).

V1, HMAC-SHA1 (the SendSms page "HTTP 协议及签名", help.aliyun.com/document_detail/56189):
add the common parameters (AccessKeyId, Format, SignatureMethod=HMAC-SHA1,
SignatureNonce, SignatureVersion=1.0, Timestamp, Action, Version, RegionId), sort and
percent-encode them into the canonicalized query, StringToSign = ``METHOD & %2F &
percent(query)``, Signature = Base64(HMAC-SHA1(AccessKeySecret + "&", StringToSign)).

Both percent-encode per RFC 3986 (space -> %20, ``*`` -> %2A, ``~`` kept).

Outcome classification (the reply's ``Code``; Aliyun also sets HTTP 4xx/5xx on errors):
``OK`` is delivered; throttling and the providers' own system errors are retried;
the per-number frequency limit (``isv.BUSINESS_LIMIT_CONTROL``, one a minute by default)
is retried after a minute; every other code (bad signature, template, sign name,
balance, daily quota ``isv.DAY_LIMIT_CONTROL``, number) is permanent, and an illegal
number marks the address invalid.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlsplit

from alerts.transports.base import (
    DeliveryResult,
    Message,
    http_send,
    http_status_result,
    json_body,
)

# Dysmsapi (SMS) and Dyvmsapi (voice) share this API version.
API_VERSION = "2017-05-25"

RETRYABLE_CODES = frozenset(
    {
        "Throttling",
        "Throttling.User",
        "Throttling.Api",
        "Throttling.Tenant",
        "ServiceUnavailable",
        "InternalError",
        "isp.SYSTEM_ERROR",
        "isp.GATEWAY_ERROR",
        "isv.BUSINESS_LIMIT_CONTROL",
    }
)
RATE_LIMIT_CODES = frozenset({"isv.BUSINESS_LIMIT_CONTROL"})
INVALID_NUMBER_CODES = frozenset({"isv.MOBILE_NUMBER_ILLEGAL", "isv.NUMBER_ILLEGAL"})


@dataclass(frozen=True)
class AliyunCredentials:
    access_key_id: str
    access_key_secret: str


def percent_encode(value: str) -> str:
    return quote(value, safe="~")


def canonicalized_query(params: Mapping[str, str]) -> str:
    return "&".join(
        f"{percent_encode(name)}={percent_encode(params[name])}"
        for name in sorted(params)
        if name != "Signature"
    )


def string_to_sign(method: str, params: Mapping[str, str]) -> str:
    return f"{method}&{percent_encode('/')}&{percent_encode(canonicalized_query(params))}"


def signature(method: str, params: Mapping[str, str], access_key_secret: str) -> str:
    digest = hmac.new(
        (access_key_secret + "&").encode(),
        string_to_sign(method, params).encode(),
        hashlib.sha1,
    ).digest()
    return base64.b64encode(digest).decode()


def signed_params(
    action: str,
    version: str,
    params: Mapping[str, str],
    credentials: AliyunCredentials,
    *,
    region: str = "cn-hangzhou",
    method: str = "POST",
    now: datetime | None = None,
    nonce: str | None = None,
) -> dict[str, str]:
    """The API parameters plus the common ones and their V1 signature."""
    all_params = {
        "AccessKeyId": credentials.access_key_id,
        "Action": action,
        "Format": "JSON",
        "RegionId": region,
        "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": nonce or uuid.uuid4().hex,
        "SignatureVersion": "1.0",
        "Timestamp": (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "Version": version,
        **params,
    }
    all_params["Signature"] = signature(method, all_params, credentials.access_key_secret)
    return all_params


ACS3 = "ACS3-HMAC-SHA256"


def v3_canonical_request(
    method: str, query: Mapping[str, str], headers: Mapping[str, str], body_hash: str
) -> tuple[str, str]:
    """(CanonicalRequest, SignedHeaders) for ACS3-HMAC-SHA256."""
    signed = {name.lower(): value.strip() for name, value in headers.items()}
    names = sorted(signed)
    canonical = "\n".join(
        [
            method,
            "/",
            canonicalized_query(query),
            "".join(f"{name}:{signed[name]}\n" for name in names),
            ";".join(names),
            body_hash,
        ]
    )
    return canonical, ";".join(names)


def v3_authorization(
    method: str,
    query: Mapping[str, str],
    headers: Mapping[str, str],
    body_hash: str,
    credentials: AliyunCredentials,
) -> str:
    canonical, signed_headers = v3_canonical_request(method, query, headers, body_hash)
    to_sign = f"{ACS3}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
    sig = hmac.new(
        credentials.access_key_secret.encode(), to_sign.encode(), hashlib.sha256
    ).hexdigest()
    return (
        f"{ACS3} Credential={credentials.access_key_id},"
        f"SignedHeaders={signed_headers},Signature={sig}"
    )


def v3_headers(
    host: str,
    action: str,
    version: str,
    query: Mapping[str, str],
    credentials: AliyunCredentials,
    *,
    body: bytes = b"",
    method: str = "POST",
    now: datetime | None = None,
    nonce: str | None = None,
) -> dict[str, str]:
    """The signed headers of one V3 request, ``Authorization`` included."""
    body_hash = hashlib.sha256(body).hexdigest()
    headers = {
        "host": host,
        "x-acs-action": action,
        "x-acs-content-sha256": body_hash,
        "x-acs-date": (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "x-acs-signature-nonce": nonce or uuid.uuid4().hex,
        "x-acs-version": version,
    }
    headers["Authorization"] = v3_authorization(method, query, headers, body_hash, credentials)
    return headers


def call(
    endpoint: str,
    action: str,
    version: str,
    params: Mapping[str, str],
    credentials: AliyunCredentials,
    *,
    timeout: float,
    id_field: str,
    region: str = "cn-hangzhou",
    signature_version: str = "v3",
) -> DeliveryResult:
    """POST one signed RPC request and classify the reply; ``id_field`` names the receipt."""
    if signature_version == "v3":
        host = urlsplit(endpoint).netloc
        reply = http_send(
            "POST",
            f"{endpoint.split('?')[0]}?{canonicalized_query(params)}",
            timeout=timeout,
            data=b"",
            headers=v3_headers(host, action, version, params, credentials),
        )
    elif signature_version == "v1":
        body = signed_params(action, version, params, credentials, region=region, method="POST")
        reply = http_send(
            "POST",
            endpoint,
            timeout=timeout,
            data=canonicalized_query(body) + "&Signature=" + percent_encode(body["Signature"]),
            headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
        )
    else:
        raise ValueError(f"unknown Aliyun signature version {signature_version!r}")
    if isinstance(reply, DeliveryResult):
        return reply
    data = json_body(reply)
    if data is None or "Code" not in data:
        return http_status_result(reply, f"Aliyun {action}")
    return classify(data, action=action, id_field=id_field)


def classify(data: Mapping[str, Any], *, action: str, id_field: str) -> DeliveryResult:
    code = str(data.get("Code", ""))
    detail = (
        f"Aliyun {action}: {code} {data.get('Message', '')} (RequestId {data.get('RequestId', '')})"
    )
    if code == "OK":
        return DeliveryResult.delivered(str(data.get(id_field, "")), detail, vendor_code=code)
    if code in RETRYABLE_CODES:
        return DeliveryResult.retry(
            detail, retry_after=60.0 if code in RATE_LIMIT_CODES else None, vendor_code=code
        )
    return DeliveryResult.failed(
        detail, address_invalid=code in INVALID_NUMBER_CODES, vendor_code=code
    )


def national_number(phone: str) -> str:
    """Aliyun wants mainland numbers without +86 and others as country code + number."""
    digits = phone.strip().removeprefix("+")
    if phone.strip().startswith("+86"):
        return digits[2:]
    return digits


def template_param_json(params: list[tuple[str, str]]) -> str:
    """A template's values as the compact JSON object SMS and TTS templates take."""
    return json.dumps(dict(params), ensure_ascii=False, separators=(",", ":"))


def send(
    cfg: Any, action: str, api_params: dict[str, str], message: Message, *, id_field: str
) -> DeliveryResult:
    """One SMS or voice request of a transport whose config has the credentials and endpoint.

    The idempotency key goes in ``OutId`` so receipts can be matched back to the attempt.
    """
    if message.idempotency_key:
        api_params["OutId"] = message.idempotency_key[:256]
    return call(
        cfg.endpoint,
        action,
        API_VERSION,
        api_params,
        AliyunCredentials(cfg.access_key_id, cfg.access_key_secret),
        timeout=cfg.timeout,
        id_field=id_field,
        region=cfg.region,
        signature_version=cfg.signature_version,
    )

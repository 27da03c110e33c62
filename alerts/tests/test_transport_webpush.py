"""Web push against a local push service that verifies VAPID and decrypts the payload.

The receiver below is written from RFC 8291 §3.4 and RFC 8188 §2 (decryption) and
RFC 8292 §2 (token check) with ``cryptography`` alone, independent of the sending code.
"""

from __future__ import annotations

import base64
import json
import os
import re
import time
from dataclasses import dataclass, field

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from alerts.transports.base import DeliveryStatus, Recipient, get_transport
from alerts.transports.messages import IncidentSummary, render
from alerts.transports.webpush import WebPushConfig, generate_vapid_keys, vapid_public_key

from .transport_servers import Received, serve, silent_endpoint


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64u(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def hkdf(salt: bytes, ikm: bytes, info: bytes, length: int) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=salt, info=info).derive(ikm)


def point(public_key: ec.EllipticCurvePublicKey) -> bytes:
    return public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )


def decrypt(body: bytes, ua_private: ec.EllipticCurvePrivateKey, auth_secret: bytes) -> bytes:
    """RFC 8291 §3.4 key derivation, RFC 8188 §2 aes128gcm single-record decoding."""
    salt, rs, idlen = body[:16], int.from_bytes(body[16:20], "big"), body[20]
    as_public = body[21 : 21 + idlen]
    ciphertext = body[21 + idlen :]
    assert idlen == 65 and len(ciphertext) <= rs, "one record with the sender's P-256 key"
    sender = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), as_public)
    ecdh_secret = ua_private.exchange(ec.ECDH(), sender)
    ua_public = point(ua_private.public_key())
    ikm = hkdf(auth_secret, ecdh_secret, b"WebPush: info\x00" + ua_public + as_public, 32)
    cek = hkdf(salt, ikm, b"Content-Encoding: aes128gcm\x00", 16)
    nonce = hkdf(salt, ikm, b"Content-Encoding: nonce\x00", 12)
    padded = AESGCM(cek).decrypt(nonce, ciphertext, None).rstrip(b"\x00")
    assert padded.endswith(b"\x02"), "the last record ends with delimiter 0x02"
    return padded[:-1]


def verify_vapid(header: str, audience: str | None, now: float | None) -> dict:
    """RFC 8292 §2-3: ES256 JWT signed by the key in ``k``; returns the claims."""
    match = re.fullmatch(r"vapid t=([\w-]+\.[\w-]+\.[\w-]+),\s*k=([\w-]+)", header)
    assert match, f"not a vapid Authorization header: {header!r}"
    token, key = match.groups()
    signing_input, _, signature = token.rpartition(".")
    head = json.loads(unb64u(signing_input.split(".")[0]))
    assert head == {"typ": "JWT", "alg": "ES256"}
    raw = unb64u(signature)
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64u(key))
    public.verify(der, signing_input.encode(), ec.ECDSA(hashes.SHA256()))
    claims = json.loads(unb64u(signing_input.split(".")[1]))
    if audience is not None:
        assert claims["aud"] == audience
    if now is not None:
        assert now < claims["exp"] <= now + 24 * 3600
    assert claims["sub"].startswith(("mailto:", "https:"))
    return claims


@dataclass
class Browser:
    """A subscribed user agent: its keys never leave the test's receiver."""

    private_key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    auth: bytes = field(default_factory=lambda: os.urandom(16))

    def subscription(self, endpoint: str) -> dict:
        return {
            "endpoint": endpoint,
            "keys": {"p256dh": b64u(point(self.private_key.public_key())), "auth": b64u(self.auth)},
        }


class PushServiceStub:
    def __init__(self, browser: Browser) -> None:
        self.browser = browser
        self.origin = ""
        self.status = 201
        self.extra_headers: dict[str, str] = {}
        self.delivered: list[dict] = []
        self.headers: list[dict[str, str]] = []

    def __call__(self, request: Received):
        self.headers.append(request.headers)
        try:
            verify_vapid(request.headers.get("authorization", ""), self.origin, time.time())
        except (AssertionError, InvalidSignature, ValueError, KeyError):
            return 403, {}, b"bad VAPID token"
        if request.headers.get("content-encoding") != "aes128gcm" or "ttl" not in request.headers:
            return 400, {}, b"bad headers"
        plaintext = decrypt(request.body, self.browser.private_key, self.browser.auth)
        self.delivered.append(json.loads(plaintext))
        headers = {"Location": f"{self.origin}/m/0001"} | self.extra_headers
        return self.status, headers, b""


@pytest.fixture
def browser() -> Browser:
    return Browser()


@pytest.fixture
def push_service(browser):
    stub = PushServiceStub(browser)
    with serve(stub) as server:
        stub.origin = server.url
        server.stub = stub
        server.subscription = browser.subscription(server.url + "/wpush/v2/gAAAAABk-sub")
        yield server


VAPID_KEY = ec.generate_private_key(ec.SECP256R1())


def push(timeout: float = 5.0):
    raw = VAPID_KEY.private_numbers().private_value.to_bytes(32, "big")
    return get_transport(
        "webpush",
        WebPushConfig(
            vapid_private_key=b64u(raw), vapid_subject="mailto:ops@example.cn", timeout=timeout
        ),
    )


INCIDENT = IncidentSummary(
    42, "https://agri.example.cn/i/42", "critical", "3号塘", "溶解氧", "2.1 mg/L", "3.0 mg/L"
)
MESSAGE = render("firing", INCIDENT, idempotency_key="incident:42:recipient:7:webpush:firing:0")


def test_receiver_decrypts_the_rfc8291_example_message():
    # RFC 8291 §5: user agent private key, auth secret and the encrypted body.
    ua_private = ec.derive_private_key(
        int.from_bytes(unb64u("q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94"), "big"),
        ec.SECP256R1(),
    )
    body = unb64u(
        "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27ml"
        "mlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPT"
        "pK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN"
    )

    plaintext = decrypt(body, ua_private, unb64u("BTBZMqHH6r4Tts7J_aSIgg"))

    assert plaintext == b"When I grow up, I want to be a watermelon"


# RFC 8292 §2.4, Figure 1 (token) and Figure 2 (key), split into the token's parts.
RFC8292_HEADER = "eyJ0eXAiOiJKV1QiLCJhbGciOiJFUzI1NiJ9"
RFC8292_CLAIMS = (
    "eyJhdWQiOiJodHRwczovL3B1c2guZXhhbXBsZS5uZXQiLCJleHAiOjE0NTM1MjM3NjgsInN1YiI6Im1haWx0"
    "bzpwdXNoQGV4YW1wbGUuY29tIn0"
)
RFC8292_SIGNATURE = (
    "i3CYb7t4xfxCDquptFOepC9GAu_HLGkMlMuCGSK2rpiUfnK9ojFwDXb1JrErtmysazNjjvW2L9OkSSHzvoD1oA"
)
RFC8292_KEY = (
    "BA1Hxzyi1RUM1b5wjxsn7nGxAszw2u61m164i3MrAIxHF6YK5h4SDYic-dRuU_RCPCfA5aq9ojSwk5Y2EmClBPs"
)


def test_receiver_accepts_the_rfc8292_example_token():
    # The example's exp lies in the past, so the time check is skipped.
    header = f"vapid t={RFC8292_HEADER}.{RFC8292_CLAIMS}.{RFC8292_SIGNATURE}, k={RFC8292_KEY}"

    claims = verify_vapid(header, "https://push.example.net", now=None)

    assert claims == {
        "aud": "https://push.example.net",
        "exp": 1453523768,
        "sub": "mailto:push@example.com",
    }


def test_receiver_rejects_a_token_whose_claims_were_altered():
    forged = b64u(b'{"aud":"https://evil.example","exp":1453523768,"sub":"mailto:a@b.c"}')
    header = f"vapid t={RFC8292_HEADER}.{forged}.{RFC8292_SIGNATURE}, k={RFC8292_KEY}"

    with pytest.raises(InvalidSignature):
        verify_vapid(header, None, now=None)


def test_push_is_delivered_and_decrypts_to_the_alert(push_service):
    recipient = Recipient(webpush_subscription=push_service.subscription)

    result = push().notify(MESSAGE, recipient)

    assert result.status is DeliveryStatus.DELIVERED, result.detail
    assert result.provider_id == push_service.url + "/m/0001"
    assert push_service.stub.delivered == [
        {
            "title": MESSAGE.title,
            "body": MESSAGE.body,
            "url": "https://agri.example.cn/i/42",
            "incident": "42",
            "severity": "critical",
            "tag": "incident-42",
        }
    ]


def test_critical_push_asks_for_high_urgency_with_a_topic_from_the_key(push_service):
    push().notify(MESSAGE, Recipient(webpush_subscription=push_service.subscription))

    headers = push_service.stub.headers[0]
    assert headers["urgency"] == "high"
    assert re.fullmatch(r"[A-Za-z0-9_-]{1,32}", headers["topic"])
    assert int(headers["ttl"]) == 3600


def test_same_idempotency_key_gives_the_same_topic(push_service):
    recipient = Recipient(webpush_subscription=push_service.subscription)

    push().notify(MESSAGE, recipient)
    push().notify(MESSAGE, recipient)

    first, second = push_service.stub.headers
    assert first["topic"] == second["topic"]


def test_gone_410_fails_and_marks_the_subscription_invalid(push_service):
    push_service.stub.status = 410

    result = push().notify(MESSAGE, Recipient(webpush_subscription=push_service.subscription))

    assert result.status is DeliveryStatus.FAILED
    assert result.address_invalid


def test_not_found_404_fails_and_marks_the_subscription_invalid(push_service):
    push_service.stub.status = 404

    result = push().notify(MESSAGE, Recipient(webpush_subscription=push_service.subscription))

    assert result.address_invalid


def test_too_many_requests_429_is_retried_when_the_service_says(push_service):
    push_service.stub.status = 429
    push_service.stub.extra_headers = {"Retry-After": "120"}

    result = push().notify(MESSAGE, Recipient(webpush_subscription=push_service.subscription))

    assert result.status is DeliveryStatus.RETRY
    assert result.retry_after == 120.0


def test_service_unavailable_503_is_retried(push_service):
    push_service.stub.status = 503

    result = push().notify(MESSAGE, Recipient(webpush_subscription=push_service.subscription))

    assert result.status is DeliveryStatus.RETRY


def test_rejected_vapid_403_is_a_permanent_failure_not_a_dead_subscription(push_service):
    other_browser_origin = push_service.subscription | {
        "endpoint": push_service.url.replace("127.0.0.1", "localhost") + "/wpush/v2/x"
    }

    result = push().notify(MESSAGE, Recipient(webpush_subscription=other_browser_origin))

    assert result.status is DeliveryStatus.FAILED
    assert not result.address_invalid


def test_subscription_without_keys_fails_before_any_request(push_service):
    broken = {"endpoint": push_service.url + "/wpush/v2/x"}

    result = push().notify(MESSAGE, Recipient(webpush_subscription=broken))

    assert result.status is DeliveryStatus.FAILED
    assert result.address_invalid
    assert push_service.received == []


def test_push_timeout_is_retried(browser):
    with silent_endpoint() as url:
        result = push(timeout=0.3).notify(
            MESSAGE, Recipient(webpush_subscription=browser.subscription(url + "wpush/x"))
        )

    assert result.status is DeliveryStatus.RETRY


def test_subscription_with_a_key_off_the_curve_fails_as_invalid_address(push_service):
    bad = push_service.subscription | {
        "keys": {"p256dh": b64u(b"\x04" + b"\x01" * 64), "auth": "x"}
    }

    result = push().notify(MESSAGE, Recipient(webpush_subscription=bad))

    assert result.status is DeliveryStatus.FAILED
    assert result.address_invalid
    assert push_service.received == []


def test_a_vapid_key_that_cannot_be_read_fails_when_the_transport_is_built():
    with pytest.raises(ValueError):
        get_transport(
            "webpush", WebPushConfig(vapid_private_key="bm90IGEga2V5", vapid_subject="mailto:a@b.c")
        )


def test_generated_vapid_keys_sign_tokens_the_service_accepts(push_service):
    private, public = generate_vapid_keys()
    transport = get_transport(
        "webpush", WebPushConfig(vapid_private_key=private, vapid_subject="mailto:ops@example.cn")
    )

    result = transport.notify(MESSAGE, Recipient(webpush_subscription=push_service.subscription))

    assert result.status is DeliveryStatus.DELIVERED, result.detail
    assert f"k={public}" in push_service.stub.headers[0]["authorization"]
    assert vapid_public_key(private) == public

"""The short-lived access token WeCom and the WeChat Official Account put on every call.

Both hand out a token valid for ``expires_in`` seconds (7200) from a rate-limited
endpoint (``gettoken`` / ``token``) and expect callers to keep it rather than fetch one
per message. Tokens are kept per process, keyed by API base and app, and dropped when
the API answers 40001/40014/42001 (invalid or expired token) so the next call fetches
a fresh one. A lock keeps threads of one worker from fetching at the same time.

``TokenTransport`` is the call both make with it: fetch or reuse the token, POST the
message, and on a stale-token answer fetch a new token and try once more.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from alerts.transports.base import (
    DeliveryResult,
    Message,
    Recipient,
    Transport,
    http_send,
    http_status_result,
    json_body,
)

# 40001 invalid credential / token, 40014 invalid access_token, 42001 access_token expired.
STALE_TOKEN_ERRCODES = frozenset({40001, 40014, 42001})
EARLY_REFRESH_S = 300.0  # renew five minutes before the provider's expiry


@dataclass
class _Token:
    value: str
    expires_at: float


_tokens: dict[tuple[str, ...], _Token] = {}
_lock = threading.Lock()


def get(
    key: tuple[str, ...], fetch: Callable[[], tuple[str, float] | DeliveryResult]
) -> str | DeliveryResult:
    """The cached token for ``key``, or a fresh one from ``fetch`` (token, expires_in)."""
    with _lock:
        token = _tokens.get(key)
        if token and token.expires_at > time.monotonic():
            return token.value
        got = fetch()
        if isinstance(got, DeliveryResult):
            return got
        value, expires_in = got
        _tokens[key] = _Token(value, time.monotonic() + max(expires_in - EARLY_REFRESH_S, 60.0))
        return value


def forget(key: tuple[str, ...], value: str) -> None:
    """Drop the token the API refused, unless another thread already replaced it."""
    with _lock:
        token = _tokens.get(key)
        if token and token.value == value:
            del _tokens[key]


def clear() -> None:
    with _lock:
        _tokens.clear()


class TokenTransport(Transport):
    """A transport whose API takes a kept access token on every call (WeCom app, WeChat).

    The config has ``api_base`` and ``timeout``; a subclass names its two endpoints and
    the ``errcode`` values to retry and those that mean the address is dead.
    """

    send_path: ClassVar[str]  # "/cgi-bin/message/send"
    send_name: ClassVar[str]  # "WeCom message/send", in every detail
    token_path: ClassVar[str]  # "/cgi-bin/gettoken"
    token_name: ClassVar[str]  # "WeCom gettoken"
    retryable_errcodes: ClassVar[dict[int, float | None]]  # errcode -> wait before retrying
    invalid_address_errcodes: ClassVar[frozenset[int]]

    def token_key(self) -> tuple[str, ...]:
        raise NotImplementedError

    def token_params(self) -> dict[str, str]:
        raise NotImplementedError

    def payload(self, message: Message, recipient: Recipient) -> dict[str, Any]:
        raise NotImplementedError

    def outcome(
        self, errcode: int, data: dict[str, Any], detail: str, recipient: Recipient
    ) -> DeliveryResult:
        code = str(errcode)
        if errcode == 0:
            return self.accepted(data, detail, recipient)
        if errcode in self.retryable_errcodes:
            return DeliveryResult.retry(
                detail, retry_after=self.retryable_errcodes[errcode], vendor_code=code
            )
        return DeliveryResult.failed(
            detail, address_invalid=errcode in self.invalid_address_errcodes, vendor_code=code
        )

    def accepted(self, data: dict[str, Any], detail: str, recipient: Recipient) -> DeliveryResult:
        """The reply of errcode 0."""
        return DeliveryResult.delivered(str(data.get("msgid", "")), detail, vendor_code="0")

    def _url(self, path: str) -> str:
        return f"{self.config.api_base.rstrip('/')}{path}"

    def _send(self, message: Message, recipient: Recipient, *, retry_token: bool) -> DeliveryResult:
        key = self.token_key()
        token = get(key, self._fetch_token)
        if isinstance(token, DeliveryResult):
            return token
        reply = http_send(
            "POST",
            self._url(self.send_path),
            timeout=self.config.timeout,
            params={"access_token": token},
            json=self.payload(message, recipient),
        )
        if isinstance(reply, DeliveryResult):
            return reply
        data = json_body(reply)
        if data is None or "errcode" not in data:
            return http_status_result(reply, self.send_name)
        errcode = int(data["errcode"])
        detail = f"{self.send_name}: {errcode} {data.get('errmsg', '')}"
        if errcode in STALE_TOKEN_ERRCODES and retry_token:
            forget(key, token)
            return self._send(message, recipient, retry_token=False)
        return self.outcome(errcode, data, detail, recipient)

    def _fetch_token(self) -> tuple[str, float] | DeliveryResult:
        reply = http_send(
            "GET",
            self._url(self.token_path),
            timeout=self.config.timeout,
            params=self.token_params(),
        )
        if isinstance(reply, DeliveryResult):
            return reply
        data = json_body(reply)
        if data is None:
            return http_status_result(reply, self.token_name)
        # WeCom answers errcode 0 with the token; WeChat leaves errcode out on success.
        errcode = int(data.get("errcode", 0) or 0)
        if errcode or not data.get("access_token"):
            detail = f"{self.token_name}: {errcode} {data.get('errmsg', '')}"
            if errcode in self.retryable_errcodes:
                return DeliveryResult.retry(detail, vendor_code=str(errcode))
            return DeliveryResult.failed(detail, vendor_code=str(errcode))
        return str(data["access_token"]), float(data.get("expires_in", 7200))

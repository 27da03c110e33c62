"""The short-lived access token WeCom and the WeChat Official Account put on every call.

Both hand out a token valid for ``expires_in`` seconds (7200) from a rate-limited
endpoint (``gettoken`` / ``token``) and expect callers to keep it rather than fetch one
per message. Tokens are kept per process, keyed by API base and app, and dropped when
the API answers 40001/40014/42001 (invalid or expired token) so the next call fetches
a fresh one. A lock keeps threads of one worker from fetching at the same time.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from alerts.transports.base import DeliveryResult

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

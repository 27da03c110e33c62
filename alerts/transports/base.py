"""The one interface every notification channel implements.

Shaped like healthchecks' ``hc/api/transports.py``: a channel is one class with one
``notify()``; adding a provider means adding a class, never touching the dispatcher.
A transport reports what the provider said as a :class:`DeliveryResult` and raises
only for programming errors, so the delivery task can log, retry or escalate without
guessing from exception types.
"""

from __future__ import annotations

import email.utils
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, ClassVar

import requests
from requests.exceptions import InvalidSchema, InvalidURL, MissingSchema


class DeliveryStatus(StrEnum):
    DELIVERED = "delivered"  # the provider accepted the message
    RETRY = "retry"  # transient: the same request may succeed later
    FAILED = "failed"  # permanent: retrying the same request cannot help


@dataclass(frozen=True)
class DeliveryResult:
    status: DeliveryStatus
    provider_id: str = ""
    detail: str = ""
    # Seconds the provider asked us to wait (HTTP Retry-After, documented rate limits).
    retry_after: float | None = None
    # The address itself is dead (push subscription gone, number or webhook invalid):
    # the caller should disable it rather than try it again for the next incident.
    address_invalid: bool = False
    # The provider's own verdict ("OK", "isv.BUSINESS_LIMIT_CONTROL", "0", "42001", "HTTP 410")
    # so the delivery log shows what the vendor said, apart from our reading of it.
    vendor_code: str = ""

    @classmethod
    def delivered(
        cls, provider_id: str = "", detail: str = "", *, vendor_code: str = ""
    ) -> DeliveryResult:
        return cls(
            DeliveryStatus.DELIVERED,
            provider_id=provider_id,
            detail=detail,
            vendor_code=vendor_code,
        )

    @classmethod
    def retry(
        cls, detail: str, retry_after: float | None = None, *, vendor_code: str = ""
    ) -> DeliveryResult:
        return cls(
            DeliveryStatus.RETRY, detail=detail, retry_after=retry_after, vendor_code=vendor_code
        )

    @classmethod
    def failed(
        cls, detail: str, *, address_invalid: bool = False, vendor_code: str = ""
    ) -> DeliveryResult:
        return cls(
            DeliveryStatus.FAILED,
            detail=detail,
            address_invalid=address_invalid,
            vendor_code=vendor_code,
        )

    @property
    def ok(self) -> bool:
        return self.status is DeliveryStatus.DELIVERED


@dataclass(frozen=True)
class Message:
    """One notification about one incident, already rendered (see ``messages.render``).

    ``body`` is the short text for push, chat and e-mail; SMS and voice send
    ``template`` (a logical name such as ``"firing"``) with ``template_params``
    because Chinese carriers only deliver pre-registered templates.
    """

    incident_id: str
    incident_url: str
    severity: str
    title: str
    body: str
    template: str
    template_params: Mapping[str, str] = field(default_factory=dict)
    idempotency_key: str = ""
    lang: str = "zh-hans"


@dataclass(frozen=True)
class Recipient:
    name: str = ""
    phone: str = ""  # E.164, e.g. "+8613711112222"
    email: str = ""
    wecom_webhook_url: str = ""
    wecom_userid: str = ""  # the person in the WeCom address book (application messages)
    wechat_openid: str = ""  # the person's openid for the Official Account
    # The browser's PushSubscription.toJSON(): {"endpoint": ..., "keys": {"p256dh", "auth"}}
    webpush_subscription: Mapping[str, Any] | None = None


def delivery_key(
    incident_id: object, recipient_id: object, channel: str, kind: str, sequence: int = 0
) -> str:
    """The idempotency key of one delivery; ``sequence`` numbers repeat reminders."""
    return f"incident:{incident_id}:recipient:{recipient_id}:{channel}:{kind}:{sequence}"


_REGISTRY: dict[str, type[Transport]] = {}


class Transport:
    """Base of every channel; subclasses set ``kind`` and ``config_class``."""

    kind: ClassVar[str]
    config_class: ClassVar[type]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        kind = cls.__dict__.get("kind")
        if kind:
            if kind in _REGISTRY:
                raise TypeError(f"transport kind {kind!r} registered twice")
            _REGISTRY[kind] = cls

    def __init__(self, config: Any) -> None:
        if not isinstance(config, self.config_class):
            raise TypeError(
                f"{type(self).__name__} needs {self.config_class.__name__}, "
                f"got {type(config).__name__}"
            )
        self.config = config

    def notify(self, message: Message, recipient: Recipient) -> DeliveryResult:
        raise NotImplementedError


class PhoneTemplateTransport(Transport):
    """SMS and voice: a template the vendor approved, filled with named values, to one phone.

    The config has ``templates`` (our template name -> the vendor's template id) and
    ``template_params`` (our template name -> the parameter names it takes, in order).
    """

    template_label: ClassVar[str]  # "Aliyun SMS", "Tencent voice": names the missing template

    def notify(self, message: Message, recipient: Recipient) -> DeliveryResult:
        cfg = self.config
        if not recipient.phone:
            return DeliveryResult.failed("recipient has no phone number", address_invalid=True)
        template_id = cfg.templates.get(message.template)
        if not template_id:
            return DeliveryResult.failed(
                f"no {self.template_label} template for {message.template!r}"
            )
        names = cfg.template_params.get(message.template, tuple(message.template_params))
        params = [(name, message.template_params.get(name, "")) for name in names]
        return self.send(message, recipient.phone, template_id, params)

    def send(
        self, message: Message, phone: str, template_id: str, params: list[tuple[str, str]]
    ) -> DeliveryResult:
        """Call the vendor with the template's ``(name, value)`` pairs in template order."""
        raise NotImplementedError


# Importing this module first runs the package's ``__init__``, which imports every
# transport module and so registers its class: the registry is full before any call.


def transport_kinds() -> list[str]:
    return sorted(_REGISTRY)


def get_transport(kind: str, config: Any) -> Transport:
    """Build the transport registered under ``kind`` with its typed config."""
    try:
        cls = _REGISTRY[kind]
    except KeyError:
        raise ValueError(f"unknown transport {kind!r}; known: {sorted(_REGISTRY)}") from None
    return cls(config)


# --- HTTP plumbing shared by the HTTP transports -------------------------------------


def http_send(
    method: str, url: str, *, timeout: float, **kwargs: Any
) -> requests.Response | DeliveryResult:
    """One HTTP call; a network failure (refused, reset, timeout) comes back as a retry.

    Redirects are not followed: a provider API that redirects is misconfigured, and
    following it would resend credentials or the payload somewhere unexpected.
    """
    try:
        return requests.request(method, url, timeout=timeout, allow_redirects=False, **kwargs)
    except (InvalidURL, MissingSchema, InvalidSchema) as exc:
        return DeliveryResult.failed(f"unusable URL {url!r}: {exc}")
    except requests.Timeout as exc:
        return DeliveryResult.retry(f"timed out after {timeout}s: {exc}")
    except requests.RequestException as exc:
        return DeliveryResult.retry(f"{type(exc).__name__}: {exc}")


def http_status_result(response: requests.Response, what: str) -> DeliveryResult:
    """Classify an HTTP error reply that carried no provider verdict we understand.

    429 and 5xx are the provider being busy or broken (retry); any other 4xx means
    the request itself is wrong and sending it again cannot help (failed).
    """
    detail = f"{what}: HTTP {response.status_code} {response.text[:200]}"
    code = f"HTTP {response.status_code}"
    if response.status_code == 429 or response.status_code >= 500:
        return DeliveryResult.retry(
            detail, retry_after=retry_after_seconds(response), vendor_code=code
        )
    return DeliveryResult.failed(detail, vendor_code=code)


def retry_after_seconds(response: requests.Response) -> float | None:
    """Parse Retry-After (RFC 9110 §10.2.3): delta-seconds or an HTTP date."""
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def json_body(response: requests.Response) -> dict[str, Any] | None:
    """The reply as a JSON object, or None when the provider sent something else."""
    try:
        data = response.json()
    except ValueError:
        return None
    return data if isinstance(data, dict) else None

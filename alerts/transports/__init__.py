"""Notification transports: one module per provider, one ``notify()`` per channel.

Use :func:`get_transport` with the channel's typed config; see ``base`` for the
interface and ``messages`` for the texts and the SMS/voice templates to register.
"""

from alerts.transports import (  # noqa: F401  (importing registers each transport)
    aliyun_sms,
    aliyun_voice,
    email,
    inapp,
    tencent_sms,
    tencent_voice,
    webpush,
    wechat,
    wecom,
    wecom_app,
)
from alerts.transports.base import (
    DeliveryResult,
    DeliveryStatus,
    Message,
    Recipient,
    Transport,
    delivery_key,
    get_transport,
    transport_kinds,
)
from alerts.transports.messages import IncidentSummary, Kind, render

__all__ = [
    "DeliveryResult",
    "DeliveryStatus",
    "IncidentSummary",
    "Kind",
    "Message",
    "Recipient",
    "Transport",
    "delivery_key",
    "get_transport",
    "render",
    "transport_kinds",
]

"""In-app: the incident already sits in the person's inbox and live pages.

Recording it as a delivery keeps the escalation ladder explicit in the log ("in-app
first, then WeCom/WeChat, SMS, voice") and costs nothing; it never fails.
"""

from __future__ import annotations

from dataclasses import dataclass

from alerts.transports.base import DeliveryResult, Message, Recipient, Transport


@dataclass(frozen=True)
class InAppConfig:
    pass


class InApp(Transport):
    kind = "inapp"
    config_class = InAppConfig

    def notify(self, message: Message, recipient: Recipient) -> DeliveryResult:
        return DeliveryResult.delivered("", "shown in the alert inbox")

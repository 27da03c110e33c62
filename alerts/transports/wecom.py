"""WeChat Work (企业微信) group robot webhook.

POST ``{"msgtype": "markdown", "markdown": {"content": ...}}`` (or ``text``) to the
robot's webhook URL (``https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=...``),
per the group-robot configuration guide (developer.work.weixin.qq.com/document/path/91770).
Markdown cannot @-mention by phone number, so severities in ``mention_severities`` are
sent as ``text`` with ``mentioned_mobile_list``: the person's phone then rings.

Outcome classification (``errcode``): 0 delivered; 45009 (over the robot's limit of
20 messages a minute) and -1 (system busy) retried; 93000 (invalid webhook URL/key)
is permanent and marks the address invalid; any other code is permanent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from alerts.transports.base import (
    DeliveryResult,
    Message,
    Recipient,
    Transport,
    http_send,
    http_status_result,
    json_body,
)

TEXT_MAX_BYTES = 2048
MARKDOWN_MAX_BYTES = 4096
RETRYABLE_ERRCODES = {45009: 60.0, -1: None}
INVALID_WEBHOOK_ERRCODES = frozenset({93000})

_COLOUR = {"critical": "warning", "warning": "warning", "info": "info"}


@dataclass(frozen=True)
class WeComConfig:
    timeout: float = 10.0
    mention_severities: frozenset[str] = frozenset({"critical"})


class WeComRobot(Transport):
    kind = "wecom"
    config_class = WeComConfig

    def notify(self, message: Message, recipient: Recipient) -> DeliveryResult:
        cfg: WeComConfig = self.config
        url = recipient.wecom_webhook_url
        if not url.startswith(("https://", "http://")):
            return DeliveryResult.failed(
                f"recipient has no usable WeCom webhook: {url!r}", address_invalid=True
            )
        reply = http_send("POST", url, timeout=cfg.timeout, json=self.payload(message, recipient))
        if isinstance(reply, DeliveryResult):
            return reply
        data = json_body(reply)
        if data is None or "errcode" not in data:
            return http_status_result(reply, "WeCom robot")
        errcode = int(data["errcode"])
        detail = f"WeCom robot: {errcode} {data.get('errmsg', '')}"
        code = str(errcode)
        if errcode == 0:
            return DeliveryResult.delivered("", detail, vendor_code=code)
        if errcode in RETRYABLE_ERRCODES:
            return DeliveryResult.retry(
                detail, retry_after=RETRYABLE_ERRCODES[errcode], vendor_code=code
            )
        return DeliveryResult.failed(
            detail, address_invalid=errcode in INVALID_WEBHOOK_ERRCODES, vendor_code=code
        )

    def payload(self, message: Message, recipient: Recipient) -> dict[str, Any]:
        more = "查看详情" if message.lang.startswith("zh") else "Details"
        if message.severity in self.config.mention_severities and recipient.phone:
            content = _cut_bytes(f"{message.title}\n{message.body}", TEXT_MAX_BYTES)
            return {
                "msgtype": "text",
                "text": {
                    "content": content,
                    "mentioned_mobile_list": [recipient.phone.removeprefix("+86")],
                },
            }
        colour = _COLOUR.get(message.severity, "comment")
        body = message.body.replace(message.incident_url, "").strip()
        link = f"[{more}]({message.incident_url})"
        head = f'**<font color="{colour}">{message.title}</font>**\n'
        room = MARKDOWN_MAX_BYTES - len((head + "\n" + link).encode())
        return {
            "msgtype": "markdown",
            "markdown": {"content": f"{head}{_cut_bytes(body, room)}\n{link}"},
        }


def _cut_bytes(text: str, limit: int) -> str:
    """Cut to ``limit`` UTF-8 bytes without splitting a character."""
    raw = text.encode()
    if len(raw) <= limit:
        return text
    return raw[: max(limit - 3, 0)].decode(errors="ignore") + "…"

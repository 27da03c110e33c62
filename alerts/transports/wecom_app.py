"""WeCom (企业微信) application messages to one person of the corporation.

``GET /cgi-bin/gettoken?corpid=&corpsecret=`` gives an access token (kept, see
``access_token``); ``POST /cgi-bin/message/send?access_token=`` with
``{"touser": <userid>, "msgtype": "textcard", "agentid": <id>, "textcard": {...}}``
sends a card with the incident link (developer.work.weixin.qq.com/document/path/91039,
/90236). Duplicate checking is switched on for 30 minutes so a retried task is not
shown twice.

Outcome classification (``errcode``): 0 delivered unless the person is listed in
``invaliduser``; 40001/40014/42001 (token refused or expired) fetch a new token and
try once more; -1 (busy), 45009 (API frequency limit) and 45033 (too many concurrent
calls) are retried; 60111/81013 (no such user id) mark the address invalid; any other
code is permanent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from alerts.transports.access_token import TokenTransport
from alerts.transports.base import DeliveryResult, Message, Recipient

RETRYABLE_ERRCODES = {-1: None, 45009: 60.0, 45033: 5.0}
INVALID_USER_ERRCODES = frozenset({60111, 81013})
DUPLICATE_CHECK_S = 1800


@dataclass(frozen=True)
class WeComAppConfig:
    corp_id: str
    agent_id: str
    secret: str  # the application's Secret
    api_base: str = "https://qyapi.weixin.qq.com"
    timeout: float = 10.0


class WeComApp(TokenTransport):
    kind = "wecom_app"
    config_class = WeComAppConfig
    send_path = "/cgi-bin/message/send"
    send_name = "WeCom message/send"
    token_path = "/cgi-bin/gettoken"
    token_name = "WeCom gettoken"
    retryable_errcodes = RETRYABLE_ERRCODES
    invalid_address_errcodes = INVALID_USER_ERRCODES

    def notify(self, message: Message, recipient: Recipient) -> DeliveryResult:
        if not recipient.wecom_userid:
            return DeliveryResult.failed("recipient has no WeCom user id", address_invalid=True)
        return self._send(message, recipient, retry_token=True)

    def token_key(self) -> tuple[str, ...]:
        cfg: WeComAppConfig = self.config
        return (cfg.api_base, cfg.corp_id, cfg.agent_id)

    def token_params(self) -> dict[str, str]:
        cfg: WeComAppConfig = self.config
        return {"corpid": cfg.corp_id, "corpsecret": cfg.secret}

    def accepted(self, data: dict[str, Any], detail: str, recipient: Recipient) -> DeliveryResult:
        """Accepted, unless the person is listed in ``invaliduser``."""
        if recipient.wecom_userid in str(data.get("invaliduser", "")).split("|"):
            return DeliveryResult.failed(
                f"{detail}; invaliduser {data['invaliduser']}",
                address_invalid=True,
                vendor_code="0",
            )
        return super().accepted(data, detail, recipient)

    def payload(self, message: Message, recipient: Recipient) -> dict[str, Any]:
        body = message.body.replace(message.incident_url, "").strip()
        return {
            "touser": recipient.wecom_userid,
            "msgtype": "textcard",
            "agentid": int(self.config.agent_id),
            "textcard": {
                "title": message.title[:128],
                "description": body[:512],
                "url": message.incident_url,
                "btntxt": "详情" if message.lang.startswith("zh") else "Details",
            },
            "enable_duplicate_check": 1,
            "duplicate_check_interval": DUPLICATE_CHECK_S,
        }

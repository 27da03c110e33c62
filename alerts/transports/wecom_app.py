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

from alerts.transports import access_token
from alerts.transports.base import (
    DeliveryResult,
    Message,
    Recipient,
    Transport,
    http_send,
    http_status_result,
    json_body,
)

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


class WeComApp(Transport):
    kind = "wecom_app"
    config_class = WeComAppConfig

    def notify(self, message: Message, recipient: Recipient) -> DeliveryResult:
        if not recipient.wecom_userid:
            return DeliveryResult.failed("recipient has no WeCom user id", address_invalid=True)
        result = self._send(message, recipient, retry_token=True)
        return result

    def _send(self, message: Message, recipient: Recipient, *, retry_token: bool) -> DeliveryResult:
        cfg: WeComAppConfig = self.config
        key = (cfg.api_base, cfg.corp_id, cfg.agent_id)
        token = access_token.get(key, self._fetch_token)
        if isinstance(token, DeliveryResult):
            return token
        reply = http_send(
            "POST",
            f"{cfg.api_base.rstrip('/')}/cgi-bin/message/send",
            timeout=cfg.timeout,
            params={"access_token": token},
            json=self.payload(message, recipient),
        )
        if isinstance(reply, DeliveryResult):
            return reply
        data = json_body(reply)
        if data is None or "errcode" not in data:
            return http_status_result(reply, "WeCom message/send")
        errcode = int(data["errcode"])
        code = str(errcode)
        detail = f"WeCom message/send: {errcode} {data.get('errmsg', '')}"
        if errcode in access_token.STALE_TOKEN_ERRCODES and retry_token:
            access_token.forget(key, token)
            return self._send(message, recipient, retry_token=False)
        if errcode == 0:
            invalid = str(data.get("invaliduser", "")).split("|")
            if recipient.wecom_userid in invalid:
                return DeliveryResult.failed(
                    f"{detail}; invaliduser {data['invaliduser']}",
                    address_invalid=True,
                    vendor_code=code,
                )
            return DeliveryResult.delivered(str(data.get("msgid", "")), detail, vendor_code=code)
        if errcode in RETRYABLE_ERRCODES:
            return DeliveryResult.retry(
                detail, retry_after=RETRYABLE_ERRCODES[errcode], vendor_code=code
            )
        return DeliveryResult.failed(
            detail, address_invalid=errcode in INVALID_USER_ERRCODES, vendor_code=code
        )

    def _fetch_token(self) -> tuple[str, float] | DeliveryResult:
        cfg: WeComAppConfig = self.config
        reply = http_send(
            "GET",
            f"{cfg.api_base.rstrip('/')}/cgi-bin/gettoken",
            timeout=cfg.timeout,
            params={"corpid": cfg.corp_id, "corpsecret": cfg.secret},
        )
        if isinstance(reply, DeliveryResult):
            return reply
        data = json_body(reply)
        if data is None:
            return http_status_result(reply, "WeCom gettoken")
        errcode = int(data.get("errcode", 0))
        if errcode or not data.get("access_token"):
            detail = f"WeCom gettoken: {errcode} {data.get('errmsg', '')}"
            if errcode in RETRYABLE_ERRCODES:
                return DeliveryResult.retry(detail, vendor_code=str(errcode))
            return DeliveryResult.failed(detail, vendor_code=str(errcode))
        return str(data["access_token"]), float(data.get("expires_in", 7200))

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

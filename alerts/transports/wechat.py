"""WeChat Official Account (微信公众号) template messages to a follower's openid.

``GET /cgi-bin/token?grant_type=client_credential&appid=&secret=`` gives an access
token (kept, see ``access_token``); ``POST /cgi-bin/message/template/send?access_token=``
with ``{"touser": <openid>, "template_id": ..., "url": ..., "data": {<key>: {"value":
...}}}`` sends it (developers.weixin.qq.com, 模板消息接口). Template keywords are set
per account, so ``fields`` maps each keyword of the approved template to one of our
values (site, subject, value, threshold, id, title, body); ``thing`` keywords take at
most 20 characters, so every value is cut to that.

Outcome classification (``errcode``): 0 delivered; 40001/40014/42001 fetch a new token
and try once more; -1 (busy) and 45009 (daily or frequency quota) retried; 40003
(invalid openid) and 43004 (the person unfollowed) mark the address invalid; any other
code (bad template id 40037, argument errors 47003) is permanent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from alerts.transports.access_token import TokenTransport
from alerts.transports.base import DeliveryResult, Message, Recipient

RETRYABLE_ERRCODES = {-1: None, 45009: 60.0}
INVALID_OPENID_ERRCODES = frozenset({40003, 43004})
MAX_VALUE_CHARS = 20
DEFAULT_FIELDS = {"thing1": "site", "thing2": "subject", "thing3": "value", "thing4": "threshold"}


@dataclass(frozen=True)
class WeChatConfig:
    app_id: str
    app_secret: str
    template_id: str
    fields: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_FIELDS))
    api_base: str = "https://api.weixin.qq.com"
    timeout: float = 10.0


class WeChatTemplate(TokenTransport):
    kind = "wechat"
    config_class = WeChatConfig
    send_path = "/cgi-bin/message/template/send"
    send_name = "WeChat template/send"
    token_path = "/cgi-bin/token"
    token_name = "WeChat token"
    retryable_errcodes = RETRYABLE_ERRCODES
    invalid_address_errcodes = INVALID_OPENID_ERRCODES

    def notify(self, message: Message, recipient: Recipient) -> DeliveryResult:
        if not recipient.wechat_openid:
            return DeliveryResult.failed("recipient has no WeChat openid", address_invalid=True)
        return self._send(message, recipient, retry_token=True)

    def token_key(self) -> tuple[str, ...]:
        return (self.config.api_base, self.config.app_id)

    def token_params(self) -> dict[str, str]:
        cfg: WeChatConfig = self.config
        return {"grant_type": "client_credential", "appid": cfg.app_id, "secret": cfg.app_secret}

    def payload(self, message: Message, recipient: Recipient) -> dict[str, Any]:
        values = dict(message.template_params)
        values.update(title=message.title, body=message.body.replace(message.incident_url, ""))
        data = {
            keyword: {"value": _cut(values.get(name, "").strip() or "-")}
            for keyword, name in self.config.fields.items()
        }
        return {
            "touser": recipient.wechat_openid,
            "template_id": self.config.template_id,
            "url": message.incident_url,
            "data": data,
        }


def _cut(text: str) -> str:
    return text if len(text) <= MAX_VALUE_CHARS else text[: MAX_VALUE_CHARS - 1] + "…"

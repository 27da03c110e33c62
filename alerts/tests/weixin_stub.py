"""A local stand-in for the WeCom and WeChat Official Account APIs.

Speaks their documented formats: ``GET .../gettoken`` (WeCom) or ``GET .../token``
(WeChat) checks the app's credentials and hands out an access token with
``expires_in``; the send endpoints accept only the current token (40014 for an unknown
one, 42001 once ``expire()`` was called), check the body's required fields and answer
``{"errcode": ..., "errmsg": ...}`` like the real services.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

from alerts.tests.transport_servers import Received

JSON = {"Content-Type": "application/json"}


class WeixinStub:
    def __init__(self, *, app_id: str, secret: str, wecom: bool) -> None:
        self.app_id, self.secret, self.wecom = app_id, secret, wecom
        self.tokens_issued = 0
        self.token = ""
        self.expired: set[str] = set()
        self.messages: list[dict] = []
        self.next_errcodes: list[int] = []  # answers for the next sends, then 0
        self.known_users = {"wangdm", "oAbCdEfG123"}

    def expire(self) -> None:
        self.expired.add(self.token)

    def __call__(self, request: Received):
        url = urlsplit(request.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        if request.method == "GET" and url.path == "/cgi-bin/gettoken" and self.wecom:
            return self._token(query.get("corpid"), query.get("corpsecret"))
        if request.method == "GET" and url.path == "/cgi-bin/token" and not self.wecom:
            if query.get("grant_type") != "client_credential":
                return self.reply(40002, "invalid grant_type")
            return self._token(query.get("appid"), query.get("secret"))
        send_path = "/cgi-bin/message/send" if self.wecom else "/cgi-bin/message/template/send"
        if request.method != "POST" or url.path != send_path:
            return 404, {}, b"not found"
        token = query.get("access_token", "")
        if token in self.expired:
            return self.reply(42001, "access_token expired")
        if token != self.token:
            return self.reply(40014, "invalid access_token")
        body = json.loads(request.body)
        self.messages.append(body)
        problem = self.check(body)
        if problem:
            return self.reply(problem, "invalid parameter")
        if self.next_errcodes:
            code = self.next_errcodes.pop(0)
            return self.reply(code, "error")
        extra = {"msgid": "m" + str(len(self.messages))}
        if self.wecom:
            extra["invaliduser"] = "" if body["touser"] in self.known_users else body["touser"]
        return self.reply(0, "ok", **extra)

    def check(self, body: dict) -> int:
        if self.wecom:
            if body.get("msgtype") != "textcard" or not isinstance(body.get("agentid"), int):
                return 40008
            card = body.get("textcard") or {}
            if not card.get("title") or not card.get("description") or not card.get("url"):
                return 44004
            return 0
        if body.get("touser") not in self.known_users:
            return 40003  # invalid openid
        data = body.get("data") or {}
        for item in data.values():
            value = item.get("value", "")
            if not value or len(value) > 20:
                return 47003  # argument invalid (thing.DATA over 20 characters)
        return 0 if body.get("template_id") else 40037

    def _token(self, app_id: str | None, secret: str | None):
        if app_id != self.app_id:
            return self.reply(40013 if not self.wecom else 40013, "invalid appid/corpid")
        if secret != self.secret:
            return self.reply(40001 if not self.wecom else 40001, "invalid credential")
        self.tokens_issued += 1
        self.token = f"token-{self.tokens_issued}"
        return self.reply(0, "ok", access_token=self.token, expires_in=7200)

    @staticmethod
    def reply(errcode: int, errmsg: str, **extra):
        return 200, JSON, json.dumps({"errcode": errcode, "errmsg": errmsg, **extra}).encode()

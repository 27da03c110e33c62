"""Print the addresses to enter in the SMS and voice vendors' consoles (with their tokens)."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand
from django.urls import reverse

from alerts import callbacks

ROUTES = {
    "aliyun_sms_up": ("alerts:callback-aliyun-sms", "阿里云短信 · 上行消息 HTTP 批量推送 (SmsUp)"),
    "tencent_sms_reply": ("alerts:callback-tencent-sms", "腾讯云短信 · 回复回调"),
    "aliyun_voice": ("alerts:callback-aliyun-voice", "阿里云语音 · 呼叫结果/中间状态 (dtmf)"),
    "tencent_voice": ("alerts:callback-tencent-voice", "腾讯云语音消息 · 按键回调"),
}


class Command(BaseCommand):
    help = "Show the callback URLs (acknowledge by SMS reply or keypress) for the vendors."

    def handle(self, *args, **opts) -> None:
        base = settings.CONFIG.site_url.rstrip("/")
        for vendor, (name, where) in ROUTES.items():
            url = f"{base}{reverse(name)}?token={callbacks.callback_token(vendor)}"
            self.stdout.write(f"{where}\n  {url}")

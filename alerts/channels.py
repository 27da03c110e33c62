"""Which notification channels this deployment has, built from ``settings.ALERT_TRANSPORTS``.

The one registry both sides read: delivery builds a channel's transport from it, and
every form offers only the channels it lists as configured (the others are shown as
"未配置" and refused). ``settings.ALERT_TRANSPORTS`` comes from the environment
(``agrimon.config.alert_transports``); a channel missing there is not configured.

Web push needs a VAPID key pair; unless one is given, it is generated on first use and
kept (mode 0600) in the state directory, so it survives restarts and every process of
one deployment signs with the same key.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from alerts.transports.aliyun_sms import AliyunSmsConfig
from alerts.transports.aliyun_voice import AliyunVoiceConfig
from alerts.transports.email import EmailConfig
from alerts.transports.inapp import InAppConfig
from alerts.transports.tencent_sms import TencentSmsConfig
from alerts.transports.tencent_voice import TencentVoiceConfig
from alerts.transports.webpush import WebPushConfig, generate_vapid_keys, vapid_public_key
from alerts.transports.wechat import WeChatConfig
from alerts.transports.wecom import WeComConfig
from alerts.transports.wecom_app import WeComAppConfig

CONFIG_CLASSES: dict[str, type] = {
    "inapp": InAppConfig,
    "wecom": WeComConfig,
    "wecom_app": WeComAppConfig,
    "wechat": WeChatConfig,
    "webpush": WebPushConfig,
    "aliyun_sms": AliyunSmsConfig,
    "tencent_sms": TencentSmsConfig,
    "aliyun_voice": AliyunVoiceConfig,
    "tencent_voice": TencentVoiceConfig,
    "email": EmailConfig,
}
# The order channels are tried in when one fails (domain facts of issue 12: in-app and
# WeCom/WeChat first, then SMS, then a voice call; web push only where its service is
# reachable, which in mainland China it often is not).
LADDER = list(CONFIG_CLASSES)
SMS = ("aliyun_sms", "tencent_sms")
VOICE = ("aliyun_voice", "tencent_voice")
PHONE = SMS + VOICE

LABELS = {
    "inapp": _("In-app inbox"),
    "wecom": _("WeCom group robot"),
    "wecom_app": _("WeCom message to the person"),
    "wechat": _("WeChat Official Account"),
    "webpush": _("Phone notification (Web Push)"),
    "aliyun_sms": _("SMS (Aliyun)"),
    "tencent_sms": _("SMS (Tencent Cloud)"),
    "aliyun_voice": _("Voice call (Aliyun)"),
    "tencent_voice": _("Voice call (Tencent Cloud)"),
    "email": _("Email"),
}

log = logging.getLogger(__name__)
_vapid_lock = threading.Lock()


class TransportNotConfigured(RuntimeError):
    """settings.ALERT_TRANSPORTS lacks what this channel needs."""


@dataclass(frozen=True)
class Channel:
    kind: str
    label: str
    configured: bool


def _settings() -> dict[str, dict[str, Any]]:
    return getattr(settings, "ALERT_TRANSPORTS", None) or {}


def is_configured(kind: str) -> bool:
    return kind in CONFIG_CLASSES and kind in _settings()


def configured_kinds() -> list[str]:
    """Configured channels in ladder order."""
    return [k for k in LADDER if is_configured(k)]


def all_channels() -> list[Channel]:
    return [Channel(k, str(LABELS.get(k, k)), is_configured(k)) for k in LADDER]


def label(kind: str) -> str:
    return str(LABELS.get(kind, kind))


def transport_config(kind: str):
    """The typed config of one configured channel; raises if it is not configured."""
    if kind not in CONFIG_CLASSES:
        raise TransportNotConfigured(f"unknown channel {kind!r}")
    values = _settings().get(kind)
    if values is None:
        raise TransportNotConfigured(f"channel {kind!r} is not configured")
    values = dict(values)
    if kind == "webpush":
        key_file = values.pop("vapid_key_file", "")
        if not values.get("vapid_private_key"):
            if not key_file:
                raise TransportNotConfigured("web push has neither a VAPID key nor a key file")
            values["vapid_private_key"] = ensure_vapid_key(Path(key_file))
    try:
        return CONFIG_CLASSES[kind](**values)
    except TypeError as exc:
        raise TransportNotConfigured(f"channel {kind!r}: {exc}") from None


def ensure_vapid_key(path: Path) -> str:
    """The deployment's VAPID private key, generated and stored on first use."""
    with _vapid_lock:
        if path.exists():
            return path.read_text().strip()
        path.parent.mkdir(parents=True, exist_ok=True)
        private, _public = generate_vapid_keys()
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(private + "\n")
        try:
            os.link(tmp, path)  # never replaces a key another process stored meanwhile
        except FileExistsError:
            pass
        finally:
            tmp.unlink(missing_ok=True)
        return path.read_text().strip()


def webpush_public_key() -> str:
    """The ``applicationServerKey`` pages subscribe with; "" when web push is off."""
    if not is_configured("webpush"):
        return ""
    try:
        return vapid_public_key(transport_config("webpush").vapid_private_key)
    except (TransportNotConfigured, ValueError) as exc:  # a deployment error, not the page's
        log.error("web push is configured but unusable: %s", exc)
        return ""

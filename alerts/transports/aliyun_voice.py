"""Aliyun voice notification (Dyvmsapi ``SingleCallByTts``, API version 2017-05-25).

The last escalation step: a phone call that reads an approved TTS template aloud.
Leaving ``called_show_number`` empty uses Aliyun's public number pool ("公共模式").
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

from alerts.transports import aliyun_rpc
from alerts.transports.base import DeliveryResult, Message, Recipient, Transport
from alerts.transports.messages import VOICE_TEMPLATE_PARAMS


@dataclass(frozen=True)
class AliyunVoiceConfig:
    access_key_id: str
    access_key_secret: str
    templates: Mapping[str, str]  # message template name -> "TTS_123456789"
    called_show_number: str = ""
    play_times: int = 2
    endpoint: str = "https://dyvmsapi.aliyuncs.com/"
    region: str = "cn-hangzhou"
    timeout: float = 10.0
    signature_version: str = "v3"  # "v3" (ACS3-HMAC-SHA256) or "v1" (HMAC-SHA1)
    template_params: Mapping[str, tuple[str, ...]] = field(
        default_factory=lambda: dict(VOICE_TEMPLATE_PARAMS)
    )


class AliyunVoice(Transport):
    kind = "aliyun_voice"
    config_class = AliyunVoiceConfig

    def notify(self, message: Message, recipient: Recipient) -> DeliveryResult:
        cfg: AliyunVoiceConfig = self.config
        if not recipient.phone:
            return DeliveryResult.failed("recipient has no phone number", address_invalid=True)
        code = cfg.templates.get(message.template)
        if not code:
            return DeliveryResult.failed(f"no Aliyun TTS template for {message.template!r}")
        names = cfg.template_params.get(message.template, tuple(message.template_params))
        params = {name: message.template_params.get(name, "") for name in names}
        api_params = {
            "CalledNumber": aliyun_rpc.national_number(recipient.phone),
            "TtsCode": code,
            "TtsParam": json.dumps(params, ensure_ascii=False, separators=(",", ":")),
            "PlayTimes": str(cfg.play_times),
        }
        if cfg.called_show_number:
            api_params["CalledShowNumber"] = cfg.called_show_number
        if message.idempotency_key:
            api_params["OutId"] = message.idempotency_key[:256]
        return aliyun_rpc.call(
            cfg.endpoint,
            "SingleCallByTts",
            "2017-05-25",
            api_params,
            aliyun_rpc.AliyunCredentials(cfg.access_key_id, cfg.access_key_secret),
            timeout=cfg.timeout,
            id_field="CallId",
            region=cfg.region,
            signature_version=cfg.signature_version,
        )

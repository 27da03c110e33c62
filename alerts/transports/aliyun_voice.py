"""Aliyun voice notification (Dyvmsapi ``SingleCallByTts``, API version 2017-05-25).

The last escalation step: a phone call that reads an approved TTS template aloud.
Leaving ``called_show_number`` empty uses Aliyun's public number pool ("公共模式").
Signing and the reading of the reply are ``aliyun_rpc``'s.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from alerts.transports import aliyun_rpc
from alerts.transports.base import DeliveryResult, Message, PhoneTemplateTransport
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


class AliyunVoice(PhoneTemplateTransport):
    kind = "aliyun_voice"
    config_class = AliyunVoiceConfig
    template_label = "Aliyun TTS"

    def send(
        self, message: Message, phone: str, template_id: str, params: list[tuple[str, str]]
    ) -> DeliveryResult:
        cfg: AliyunVoiceConfig = self.config
        api_params = {
            "CalledNumber": aliyun_rpc.national_number(phone),
            "TtsCode": template_id,
            "TtsParam": aliyun_rpc.template_param_json(params),
            "PlayTimes": str(cfg.play_times),
        }
        if cfg.called_show_number:
            api_params["CalledShowNumber"] = cfg.called_show_number
        return aliyun_rpc.send(cfg, "SingleCallByTts", api_params, message, id_field="CallId")

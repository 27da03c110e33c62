"""Tencent Cloud voice notification (VMS ``SendTtsVoice``, API version 2020-09-02).

Calls the number and reads an approved TTS template; ``SendStatus.CallId`` is the
receipt and ``SessionContext`` carries the idempotency key back in callbacks.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from alerts.transports import tencent_cloud
from alerts.transports.base import DeliveryResult, Message, PhoneTemplateTransport
from alerts.transports.messages import VOICE_TEMPLATE_PARAMS


@dataclass(frozen=True)
class TencentVoiceConfig:
    secret_id: str
    secret_key: str
    voice_sdk_app_id: str
    templates: Mapping[str, str]  # message template name -> template id
    play_times: int = 2
    endpoint: str = "https://vms.tencentcloudapi.com/"
    region: str = "ap-guangzhou"
    timeout: float = 10.0
    template_params: Mapping[str, tuple[str, ...]] = field(
        default_factory=lambda: dict(VOICE_TEMPLATE_PARAMS)
    )


class TencentVoice(PhoneTemplateTransport):
    kind = "tencent_voice"
    config_class = TencentVoiceConfig
    template_label = "Tencent voice"

    def send(
        self, message: Message, phone: str, template_id: str, params: list[tuple[str, str]]
    ) -> DeliveryResult:
        cfg: TencentVoiceConfig = self.config
        payload = {
            "TemplateId": template_id,
            "CalledNumber": tencent_cloud.e164(phone),
            "VoiceSdkAppid": cfg.voice_sdk_app_id,
            "TemplateParamSet": [value for _, value in params],
            "PlayTimes": cfg.play_times,
            "SessionContext": message.idempotency_key,
        }
        reply = tencent_cloud.send(cfg, "vms", "SendTtsVoice", "2020-09-02", payload)
        if isinstance(reply, DeliveryResult):
            return reply
        call_id = str((reply.get("SendStatus") or {}).get("CallId", ""))
        if not call_id:
            return DeliveryResult.retry(f"Tencent SendTtsVoice: no CallId in {reply}")
        return DeliveryResult.delivered(call_id, "Tencent SendTtsVoice: accepted", vendor_code="Ok")

"""Tencent Cloud voice notification (VMS ``SendTtsVoice``, API version 2020-09-02).

Calls the number and reads an approved TTS template; ``SendStatus.CallId`` is the
receipt and ``SessionContext`` carries the idempotency key back in callbacks.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from alerts.transports import tencent_cloud
from alerts.transports.base import DeliveryResult, Message, Recipient, Transport
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


class TencentVoice(Transport):
    kind = "tencent_voice"
    config_class = TencentVoiceConfig

    def notify(self, message: Message, recipient: Recipient) -> DeliveryResult:
        cfg: TencentVoiceConfig = self.config
        if not recipient.phone:
            return DeliveryResult.failed("recipient has no phone number", address_invalid=True)
        template_id = cfg.templates.get(message.template)
        if not template_id:
            return DeliveryResult.failed(f"no Tencent voice template for {message.template!r}")
        names = cfg.template_params.get(message.template, tuple(message.template_params))
        payload = {
            "TemplateId": template_id,
            "CalledNumber": tencent_cloud.e164(recipient.phone),
            "VoiceSdkAppid": cfg.voice_sdk_app_id,
            "TemplateParamSet": [message.template_params.get(name, "") for name in names],
            "PlayTimes": cfg.play_times,
            "SessionContext": message.idempotency_key,
        }
        reply = tencent_cloud.call(
            cfg.endpoint,
            "vms",
            "SendTtsVoice",
            "2020-09-02",
            cfg.region,
            payload,
            tencent_cloud.TencentCredentials(cfg.secret_id, cfg.secret_key),
            timeout=cfg.timeout,
        )
        if isinstance(reply, DeliveryResult):
            return reply
        call_id = str((reply.get("SendStatus") or {}).get("CallId", ""))
        if not call_id:
            return DeliveryResult.retry(f"Tencent SendTtsVoice: no CallId in {reply}")
        return DeliveryResult.delivered(call_id, "Tencent SendTtsVoice: accepted", vendor_code="Ok")

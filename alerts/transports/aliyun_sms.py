"""Aliyun SMS (Dysmsapi ``SendSms``, API version 2017-05-25).

Sends an approved template code with its parameters as JSON; the idempotency key goes
in ``OutId`` so delivery receipts can be matched back to the attempt. Signing and the
reading of the reply are ``aliyun_rpc``'s.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from alerts.transports import aliyun_rpc
from alerts.transports.base import DeliveryResult, Message, PhoneTemplateTransport
from alerts.transports.messages import SMS_TEMPLATE_PARAMS


@dataclass(frozen=True)
class AliyunSmsConfig:
    access_key_id: str
    access_key_secret: str
    sign_name: str  # the approved signature, shown as 【sign_name】
    templates: Mapping[str, str]  # message template name ("firing", ...) -> "SMS_123456789"
    endpoint: str = "https://dysmsapi.aliyuncs.com/"
    region: str = "cn-hangzhou"
    timeout: float = 10.0
    signature_version: str = "v3"  # "v3" (ACS3-HMAC-SHA256) or "v1" (HMAC-SHA1)
    template_params: Mapping[str, tuple[str, ...]] = field(
        default_factory=lambda: dict(SMS_TEMPLATE_PARAMS)
    )


class AliyunSms(PhoneTemplateTransport):
    kind = "aliyun_sms"
    config_class = AliyunSmsConfig
    template_label = "Aliyun SMS"

    def send(
        self, message: Message, phone: str, template_id: str, params: list[tuple[str, str]]
    ) -> DeliveryResult:
        cfg: AliyunSmsConfig = self.config
        api_params = {
            "PhoneNumbers": aliyun_rpc.national_number(phone),
            "SignName": cfg.sign_name,
            "TemplateCode": template_id,
            "TemplateParam": aliyun_rpc.template_param_json(params),
        }
        return aliyun_rpc.send(cfg, "SendSms", api_params, message, id_field="BizId")

"""Aliyun SMS (Dysmsapi ``SendSms``, API version 2017-05-25).

Sends an approved template code with its parameters as JSON; the idempotency key goes
in ``OutId`` so delivery receipts can be matched back to the attempt.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

from alerts.transports import aliyun_rpc
from alerts.transports.base import DeliveryResult, Message, Recipient, Transport
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


class AliyunSms(Transport):
    kind = "aliyun_sms"
    config_class = AliyunSmsConfig

    def notify(self, message: Message, recipient: Recipient) -> DeliveryResult:
        cfg: AliyunSmsConfig = self.config
        if not recipient.phone:
            return DeliveryResult.failed("recipient has no phone number", address_invalid=True)
        code = cfg.templates.get(message.template)
        if not code:
            return DeliveryResult.failed(f"no Aliyun SMS template for {message.template!r}")
        names = cfg.template_params.get(message.template, tuple(message.template_params))
        params = {name: message.template_params.get(name, "") for name in names}
        api_params = {
            "PhoneNumbers": aliyun_rpc.national_number(recipient.phone),
            "SignName": cfg.sign_name,
            "TemplateCode": code,
            "TemplateParam": json.dumps(params, ensure_ascii=False, separators=(",", ":")),
        }
        if message.idempotency_key:
            api_params["OutId"] = message.idempotency_key[:256]
        return aliyun_rpc.call(
            cfg.endpoint,
            "SendSms",
            "2017-05-25",
            api_params,
            aliyun_rpc.AliyunCredentials(cfg.access_key_id, cfg.access_key_secret),
            timeout=cfg.timeout,
            id_field="BizId",
            region=cfg.region,
            signature_version=cfg.signature_version,
        )

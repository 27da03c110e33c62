"""Tencent Cloud SMS (``SendSms``, API version 2021-01-11).

One number per request so each attempt has one outcome. The idempotency key rides in
``SessionContext``, which Tencent echoes back in the reply and in receipts.
The per-number ``SendStatusSet[].Code`` decides the outcome: ``Ok`` is delivered;
frequency limits per number (``LimitExceeded.PhoneNumberThirtySecondLimit`` /
``...OneHourLimit``) are retried after 30 s / 1 h (the task may judge that too late);
other codes (daily limits, sensitive words, bad or opted-out number, balance) are
permanent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from alerts.transports import tencent_cloud
from alerts.transports.base import DeliveryResult, Message, PhoneTemplateTransport
from alerts.transports.messages import SMS_TEMPLATE_PARAMS

# Per-number frequency limits that lift by themselves, with the wait they imply.
RETRYABLE_SEND_CODES = {
    "LimitExceeded.PhoneNumberThirtySecondLimit": 30.0,
    "LimitExceeded.PhoneNumberOneHourLimit": 3600.0,
}
INVALID_NUMBER_CODES = frozenset(
    {"InvalidParameterValue.IncorrectPhoneNumber", "FailedOperation.PhoneNumberInBlacklist"}
)


@dataclass(frozen=True)
class TencentSmsConfig:
    secret_id: str
    secret_key: str
    sdk_app_id: str  # "1400006666"
    sign_name: str
    templates: Mapping[str, str]  # message template name -> template id, e.g. "1110"
    endpoint: str = "https://sms.tencentcloudapi.com/"
    region: str = "ap-guangzhou"
    timeout: float = 10.0
    template_params: Mapping[str, tuple[str, ...]] = field(
        default_factory=lambda: dict(SMS_TEMPLATE_PARAMS)
    )


class TencentSms(PhoneTemplateTransport):
    kind = "tencent_sms"
    config_class = TencentSmsConfig
    template_label = "Tencent SMS"

    def send(
        self, message: Message, phone: str, template_id: str, params: list[tuple[str, str]]
    ) -> DeliveryResult:
        cfg: TencentSmsConfig = self.config
        payload = {
            "PhoneNumberSet": [tencent_cloud.e164(phone)],
            "SmsSdkAppId": cfg.sdk_app_id,
            "SignName": cfg.sign_name,
            "TemplateId": template_id,
            "TemplateParamSet": [value for _, value in params],
            "SessionContext": message.idempotency_key,
        }
        reply = tencent_cloud.send(cfg, "sms", "SendSms", "2021-01-11", payload)
        if isinstance(reply, DeliveryResult):
            return reply
        statuses = reply.get("SendStatusSet") or []
        if not statuses:
            return DeliveryResult.retry(f"Tencent SendSms: no SendStatusSet in {reply}")
        status = statuses[0]
        code = str(status.get("Code", ""))
        detail = f"Tencent SendSms: {code} {status.get('Message', '')}"
        if code == "Ok":
            return DeliveryResult.delivered(
                str(status.get("SerialNo", "")), detail, vendor_code=code
            )
        if code in RETRYABLE_SEND_CODES:
            return DeliveryResult.retry(
                detail, retry_after=RETRYABLE_SEND_CODES[code], vendor_code=code
            )
        return DeliveryResult.failed(
            detail, address_invalid=code in INVALID_NUMBER_CODES, vendor_code=code
        )

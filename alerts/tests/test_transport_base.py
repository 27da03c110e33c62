"""The shared transport interface: registry, typed configs, result helpers."""

from __future__ import annotations

import pytest
import requests

from alerts.transports.aliyun_sms import AliyunSms, AliyunSmsConfig
from alerts.transports.base import (
    DeliveryResult,
    DeliveryStatus,
    delivery_key,
    get_transport,
    http_status_result,
    transport_kinds,
)
from alerts.transports.email import EmailConfig
from alerts.transports.wecom import WeComConfig

from .transport_servers import serve


def test_every_channel_is_registered_under_its_kind():
    assert transport_kinds() == [
        "aliyun_sms",
        "aliyun_voice",
        "email",
        "inapp",
        "tencent_sms",
        "tencent_voice",
        "webpush",
        "wechat",
        "wecom",
        "wecom_app",
    ]


def test_get_transport_builds_the_class_with_its_config():
    config = AliyunSmsConfig("id", "secret", "农情监测", {"firing": "SMS_1"})

    transport = get_transport("aliyun_sms", config)

    assert isinstance(transport, AliyunSms)
    assert transport.config is config


def test_default_endpoints_are_the_real_providers():
    config = AliyunSmsConfig("id", "secret", "农情监测", {})

    assert config.endpoint == "https://dysmsapi.aliyuncs.com/"


def test_unknown_kind_is_rejected():
    with pytest.raises(ValueError, match="unknown transport"):
        get_transport("carrier_pigeon", WeComConfig())


def test_config_of_another_transport_is_rejected():
    with pytest.raises(TypeError, match="EmailConfig"):
        get_transport("email", WeComConfig())


def test_delivery_key_differs_per_channel_kind_and_repeat():
    keys = {
        delivery_key(1, 7, "aliyun_sms", "firing"),
        delivery_key(1, 7, "wecom", "firing"),
        delivery_key(1, 7, "aliyun_sms", "reminder"),
        delivery_key(1, 7, "aliyun_sms", "reminder", sequence=1),
    }

    assert len(keys) == 4
    assert delivery_key(1, 7, "email", "firing") == delivery_key(1, 7, "email", "firing")


def test_result_helpers_set_the_status():
    assert DeliveryResult.delivered("id-1").ok
    assert DeliveryResult.retry("busy", retry_after=5).status is DeliveryStatus.RETRY
    assert DeliveryResult.failed("bad", address_invalid=True).address_invalid


def reply_with(status: int, headers: dict[str, str]) -> requests.Response:
    with serve(lambda request: (status, headers, b"")) as server:
        return requests.post(server.url, timeout=5)


def test_http_429_is_retried_after_the_seconds_the_server_gives():
    result = http_status_result(reply_with(429, {"Retry-After": "30"}), "provider")

    assert result.status is DeliveryStatus.RETRY
    assert result.retry_after == 30.0


def test_http_retry_after_as_a_date_in_the_past_means_now():
    response = reply_with(503, {"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"})

    assert http_status_result(response, "provider").retry_after == 0.0


def test_http_400_is_a_permanent_failure():
    assert http_status_result(reply_with(400, {}), "provider").status is DeliveryStatus.FAILED


def test_configs_are_immutable_once_built():
    config = EmailConfig(host="smtp.example.cn", from_address="a@example.cn")

    with pytest.raises(AttributeError):
        config.host = "other"  # type: ignore[misc]

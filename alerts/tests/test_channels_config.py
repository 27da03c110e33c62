"""Channels come from the environment: only what is configured is offered and used."""

from __future__ import annotations

import stat

from agrimon.config import load
from alerts import channels
from alerts.channels import TransportNotConfigured

BASE = {"AGRIMON_STATE_DIR": "/tmp/agrimon-test-state"}


def test_without_vendor_settings_only_in_app_group_robot_and_web_push_are_configured():
    assert sorted(load(dict(BASE)).alert_transports) == ["inapp", "webpush", "wecom"]


def test_sms_needs_credentials_sign_and_templates():
    env = dict(BASE, ALIYUN_ACCESS_KEY_ID="id", ALIYUN_ACCESS_KEY_SECRET="secret")
    assert "aliyun_sms" not in load(env).alert_transports
    env.update(ALIYUN_SMS_SIGN_NAME="农情监测", ALIYUN_SMS_TEMPLATES="firing=SMS_1, verify=SMS_9")
    sms = load(env).alert_transports["aliyun_sms"]
    assert sms["templates"] == {"firing": "SMS_1", "verify": "SMS_9"}
    assert sms["sign_name"] == "农情监测"


def test_each_vendor_channel_appears_with_its_settings():
    env = dict(
        BASE,
        TENCENT_SECRET_ID="AKID",
        TENCENT_SECRET_KEY="k",
        TENCENT_VOICE_SDK_APP_ID="1400000000",
        TENCENT_VOICE_TEMPLATES="firing=1001",
        WECOM_CORP_ID="ww1",
        WECOM_AGENT_ID="1000002",
        WECOM_APP_SECRET="s",
        WECHAT_APP_ID="wx1",
        WECHAT_APP_SECRET="s",
        WECHAT_TEMPLATE_ID="T",
        WECHAT_TEMPLATE_FIELDS="thing1=site,thing2=subject",
        SMTP_HOST="smtp.example.cn",
        SMTP_FROM="alerts@example.cn",
        WEBPUSH_ENABLED="0",
    )
    got = load(env).alert_transports
    assert {"tencent_voice", "wecom_app", "wechat", "email"} <= set(got)
    assert "tencent_sms" not in got and "webpush" not in got
    assert got["wechat"]["fields"] == {"thing1": "site", "thing2": "subject"}


def test_an_unconfigured_channel_is_refused_by_the_registry(settings):
    settings.ALERT_TRANSPORTS = {"inapp": {}}
    assert channels.configured_kinds() == ["inapp"]
    assert [c.configured for c in channels.all_channels()].count(True) == 1
    try:
        channels.transport_config("aliyun_sms")
    except TransportNotConfigured as exc:
        assert "not configured" in str(exc)
    else:
        raise AssertionError("an unconfigured channel was built")


def test_vapid_key_is_generated_once_into_the_state_directory(settings, tmp_path):
    key_file = tmp_path / "state" / "vapid_private_key.txt"
    settings.ALERT_TRANSPORTS = {
        "webpush": {
            "vapid_private_key": "",
            "vapid_key_file": str(key_file),
            "vapid_subject": "mailto:ops@example.cn",
        }
    }
    first = channels.transport_config("webpush").vapid_private_key
    second = channels.transport_config("webpush").vapid_private_key
    assert first == second == key_file.read_text().strip()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert len(channels.webpush_public_key()) == 87  # base64url of a 65-byte P-256 point

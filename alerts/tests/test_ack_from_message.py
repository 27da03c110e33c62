"""Acknowledging from the message: SMS replies and voice keypresses in the vendors' formats.

The alert goes out through the real transport to a local server that checks the
vendor's request signature; the reply or keypress then arrives as the vendor pushes it
(Aliyun SmsUp / VoiceReport arrays, Tencent reply and ``voicekey_callback`` objects).
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from alerts import callbacks, delivery
from alerts.engine import evaluate
from alerts.models import Delivery, InboundCallback, Incident
from alerts.tests import alert_fixtures
from alerts.tests.alert_fixtures import ALL_TRANSPORTS, World
from alerts.tests.test_transport_aliyun import KEY_ID, SECRET, AliyunStub
from alerts.tests.test_transport_tencent import SECRET_ID, SECRET_KEY, TencentStub

from .transport_servers import serve

world = alert_fixtures.world
FARMER_PHONE = "+8613700000001"


@pytest.fixture
def vendors(settings):
    """Aliyun SMS and voice, Tencent voice: local servers checking each signature."""
    sms = AliyunStub("SendSms", ("PhoneNumbers", "SignName", "TemplateCode"))
    sms.reply = (200, {"Code": "OK", "Message": "OK", "BizId": "biz-1"})
    call = AliyunStub("SingleCallByTts", ("CalledNumber", "TtsCode"))
    call.reply = (200, {"Code": "OK", "Message": "OK", "CallId": "116012354148^10281378"})
    tvoice = TencentStub(
        "vms", "SendTtsVoice", "2020-09-02", ("TemplateId", "CalledNumber", "VoiceSdkAppid")
    )
    tvoice.response = {"SendStatus": {"CallId": "8a5d-tencent-call", "SessionContext": ""}}
    with serve(sms) as s, serve(call) as c, serve(tvoice) as t:
        transports = dict(ALL_TRANSPORTS)
        common = {"access_key_id": KEY_ID, "access_key_secret": SECRET}
        transports["aliyun_sms"] = {**ALL_TRANSPORTS["aliyun_sms"], **common, "endpoint": s.url}
        transports["aliyun_voice"] = {
            **ALL_TRANSPORTS["aliyun_voice"],
            **common,
            "endpoint": c.url,
        }
        transports["tencent_voice"] = {
            "secret_id": SECRET_ID,
            "secret_key": SECRET_KEY,
            "voice_sdk_app_id": "1400000000",
            "templates": {"firing": "1001", "escalation": "1002"},
            "endpoint": t.url + "/",
        }
        settings.ALERT_TRANSPORTS = transports
        yield {"sms": sms, "call": call, "tencent_voice": tvoice}


def alert_sent(world: World, channel: str, now=None) -> tuple[Incident, Delivery]:
    """A critical incident whose message went out on ``channel`` to the farmer."""
    world.policy(channels={"critical": [channel]}, recipient_roles=["operator"])
    world.rule(threshold=3.0, severity="critical")
    now = now or timezone.now()
    evaluate([world.reading(0, 2.0)], now=now)
    incident = Incident.objects.get()
    d = Delivery.objects.get(incident=incident, channel=channel)
    assert delivery.send(d.pk, now=now).outcome == "delivered"
    d.refresh_from_db()
    return incident, d


def post(name: str, payload, token: str | None = None):
    vendor = {
        "callback-aliyun-sms": "aliyun_sms_up",
        "callback-tencent-sms": "tencent_sms_reply",
        "callback-aliyun-voice": "aliyun_voice",
        "callback-tencent-voice": "tencent_voice",
    }[name]
    token = callbacks.callback_token(vendor) if token is None else token
    return Client().post(
        f"{reverse('alerts:' + name)}?token={token}",
        data=json.dumps(payload, ensure_ascii=False),
        content_type="application/json",
    )


def sms_up(text: str, phone: str = "13700000001", seq: int = 1001, when=None) -> list[dict]:
    when = (when or timezone.now()).astimezone(timezone.get_default_timezone())
    return [
        {
            "phone_number": phone,
            "send_time": when.strftime("%Y-%m-%d %H:%M:%S"),
            "content": text,
            "sign_name": "农情监测",
            "dest_code": "1234",
            "sequence_id": seq,
        }
    ]


def test_an_sms_reply_acknowledges_the_incident_as_the_sender_once(world, vendors):
    incident, d = alert_sent(world, "aliyun_sms")
    assert vendors["sms"].params[0]["PhoneNumbers"] == "13700000001"
    r = post("callback-aliyun-sms", sms_up("1"))
    assert (r.status_code, r.json()) == (200, {"code": 0, "msg": "接收成功"})
    incident.refresh_from_db()
    assert incident.acknowledged_by == world.farmer
    event = incident.events.get(kind="acknowledged")
    assert (event.actor, event.reason) == (world.farmer, "aliyun_sms_up: SMS reply")
    again = post("callback-aliyun-sms", sms_up("1"))  # the vendor's retry, or a replay
    assert again.json()["code"] == 1 and "replayed" in again.json()["msg"]
    assert incident.events.filter(kind="acknowledged").count() == 1
    outcomes = list(InboundCallback.objects.order_by("pk").values_list("outcome", flat=True))
    assert outcomes == ["acknowledged", "rejected"]


def test_a_forged_callback_without_the_token_is_refused_and_logged(world, vendors):
    incident, _d = alert_sent(world, "aliyun_sms")
    r = post("callback-aliyun-sms", sms_up("1"), token="0" * 32)
    assert (r.status_code, r.json()["code"]) == (401, 401)
    incident.refresh_from_db()
    assert incident.acknowledged_at is None
    logged = InboundCallback.objects.get()
    assert (logged.outcome, logged.reason) == ("rejected", "missing or wrong token")
    # The genuine callback with the same sequence id still counts afterwards.
    assert post("callback-aliyun-sms", sms_up("1")).json()["code"] == 0


def test_an_unknown_sender_is_refused_with_a_reason(world, vendors):
    incident, _d = alert_sent(world, "aliyun_sms")
    r = post("callback-aliyun-sms", sms_up("1", phone="13900000000"))
    assert r.json() == {"code": 1, "msg": "unknown sender"}
    incident.refresh_from_db()
    assert incident.acknowledged_at is None


def test_a_reply_that_is_not_an_acknowledgement_changes_nothing(world, vendors):
    incident, _d = alert_sent(world, "aliyun_sms")
    assert post("callback-aliyun-sms", sms_up("谁啊")).json()["code"] == 0
    incident.refresh_from_db()
    assert incident.acknowledged_at is None
    assert InboundCallback.objects.get().reason == "reply is not an acknowledgement"


def test_an_old_reply_is_refused(world, vendors):
    alert_sent(world, "aliyun_sms")
    old = timezone.now() - timedelta(days=2)
    assert "too old" in post("callback-aliyun-sms", sms_up("1", when=old)).json()["msg"]


def test_malformed_callback_bodies_are_400_not_500(world, vendors):
    for body in ({"not": "an array"}, [{"phone_number": "137"}], [1, 2]):
        r = post("callback-aliyun-sms", body)
        assert r.status_code in (200, 400)
        assert r.json()["code"] != 0
    r = Client().post(
        reverse("alerts:callback-tencent-sms")
        + "?token="
        + callbacks.callback_token("tencent_sms_reply"),
        data=b"\xff not json",
        content_type="application/json",
    )
    assert (r.status_code, r.json()["result"]) == (400, 400)


def test_a_tencent_sms_reply_acknowledges(world, vendors):
    incident, _d = alert_sent(world, "aliyun_sms")
    reply = {
        "extend": "",
        "mobile": "13700000001",
        "nationcode": "86",
        "sign": "农情监测",
        "text": f"确认{incident.pk}",
        "time": int(timezone.now().timestamp()),
    }
    r = post("callback-tencent-sms", reply)
    assert r.json() == {"result": 0, "errmsg": "OK"}
    incident.refresh_from_db()
    assert incident.acknowledged_by == world.farmer
    assert post("callback-tencent-sms", reply).json()["result"] == 1  # replay


def test_a_keypress_during_the_aliyun_call_acknowledges_as_the_person_called(world, vendors):
    incident, d = alert_sent(world, "aliyun_voice")
    assert d.provider_id == "116012354148^10281378"
    report = [
        {
            "call_id": d.provider_id,
            "status_code": "300000",
            "smart_status_code": "ANSWERED",
            "dtmf": "1",
            "status_time": "2026-07-20 10:01:12",
            "out_id": d.idempotency_key,
        }
    ]
    assert post("callback-aliyun-voice", report).json() == {"code": 0, "msg": "接收成功"}
    incident.refresh_from_db()
    assert incident.acknowledged_by == world.farmer
    assert incident.events.get(kind="acknowledged").reason == "aliyun_voice: key 1 pressed"
    assert post("callback-aliyun-voice", report).json()["code"] == 1


def test_a_tencent_keypress_acknowledges_and_another_key_does_not(world, vendors):
    incident, d = alert_sent(world, "tencent_voice")
    press = {
        "voicekey_callback": {
            "call_from": "",
            "callid": d.provider_id,
            "keypress": "2",
            "mobile": "13700000001",
            "nationcode": "86",
        }
    }
    assert post("callback-tencent-voice", press).json()["result"] == 0
    incident.refresh_from_db()
    assert incident.acknowledged_at is None
    press["voicekey_callback"]["keypress"] = "1"
    assert post("callback-tencent-voice", press).json()["result"] == 0
    incident.refresh_from_db()
    assert incident.acknowledged_by == world.farmer


def test_a_keypress_for_an_unknown_call_is_refused(world, vendors):
    press = {
        "voicekey_callback": {"callid": "nope", "keypress": "1", "mobile": "1", "nationcode": "86"}
    }
    assert post("callback-tencent-voice", press).json() == {"result": 1, "errmsg": "unknown call"}

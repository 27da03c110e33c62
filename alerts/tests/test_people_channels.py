"""People and their channels: numbers and their verification, preferences, who cannot be
reached, the next channel when one fails, the demo's policy and profiles."""

from __future__ import annotations

import json
from contextlib import contextmanager
from datetime import time, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from alerts import contacts, default_policy, delivery
from alerts.engine import evaluate
from alerts.forms import ContactForm, PolicyForm
from alerts.models import ContactProfile, Delivery, Incident, NotificationPolicy
from alerts.tests import alert_fixtures
from alerts.tests.alert_fixtures import ALL_TRANSPORTS, T0, World, at
from alerts.tests.test_transport_aliyun import KEY_ID, SECRET, AliyunStub
from demo import alerts as demo
from farm.models import Organisation

from .transport_servers import serve

world = alert_fixtures.world


@contextmanager
def refused(code: str):
    """A ValidationError with this code (its message is in the reader's language)."""
    with pytest.raises(ValidationError) as caught:
        yield
    assert caught.value.code == code, caught.value


@pytest.mark.parametrize(
    "raw", ["13712345678", "137 1234 5678", "+86 137-1234-5678", "008613712345678", "8613712345678"]
)
def test_mainland_mobiles_are_kept_in_e164(raw):
    assert contacts.normalise_phone(raw) == "+8613712345678"


@pytest.mark.parametrize("raw", ["12345", "23712345678", "+1 415 555 0100", "1371234567x", ""])
def test_malformed_numbers_are_refused_with_a_reason(raw):
    with refused("phone"):
        contacts.normalise_phone(raw)


@pytest.fixture
def sms_vendor(settings):
    stub = AliyunStub("SendSms", ("PhoneNumbers", "SignName", "TemplateCode"))
    stub.reply = (200, {"Code": "OK", "Message": "OK", "BizId": "biz-7"})
    with serve(stub) as server:
        sms = {
            **ALL_TRANSPORTS["aliyun_sms"],
            "access_key_id": KEY_ID,
            "access_key_secret": SECRET,
            "endpoint": server.url,
        }
        settings.ALERT_TRANSPORTS = {**ALL_TRANSPORTS, "aliyun_sms": sms}
        yield stub


def sent_code(stub: AliyunStub) -> str:
    params = stub.params[-1]
    assert params["TemplateCode"] == "SMS_9"
    return json.loads(params["TemplateParam"])["code"]


def test_a_number_is_verified_with_the_texted_code_which_is_stored_hashed(world, sms_vendor):
    profile = ContactProfile.objects.get(user=world.farmer)
    profile.phone, profile.phone_verified_at = "+8613711112222", None
    profile.save()
    assert not contacts.phone_usable(profile)  # an SMS channel exists: unverified counts not
    d = contacts.send_code(world.farmer, T0)
    code = sent_code(sms_vendor)
    assert (d.outcome, d.vendor_code, d.kind) == ("delivered", "OK", "verify")
    assert sms_vendor.params[-1]["PhoneNumbers"] == "13711112222"
    v = world.farmer.phone_verifications.get()
    assert len(v.code_hash) == 64 and v.code_hash != code  # HMAC-SHA256, not the code
    wrong = "000000" if code != "000000" else "111111"
    with refused("mismatch"):
        contacts.check_code(world.farmer, wrong, T0 + timedelta(minutes=1))
    profile = contacts.check_code(world.farmer, code, T0 + timedelta(minutes=2))
    assert profile.phone_verified_at == T0 + timedelta(minutes=2)
    assert contacts.phone_usable(profile)


def test_a_code_expires_and_allows_five_tries(world, sms_vendor):
    contacts.send_code(world.farmer, T0)
    code = sent_code(sms_vendor)
    with refused("expired"):
        contacts.check_code(world.farmer, code, T0 + timedelta(minutes=11))
    contacts.send_code(world.farmer, T0 + timedelta(minutes=12))
    code = sent_code(sms_vendor)
    for _ in range(5):
        with refused("mismatch"):
            contacts.check_code(world.farmer, "x", T0 + timedelta(minutes=13))
    with refused("attempts"):
        contacts.check_code(world.farmer, code, T0 + timedelta(minutes=13))


def test_at_most_three_codes_an_hour(world, sms_vendor):
    for i in range(3):
        contacts.send_code(world.farmer, T0 + timedelta(minutes=i))
    with refused("rate"):
        contacts.send_code(world.farmer, T0 + timedelta(minutes=4))


def test_a_vendor_refusal_of_the_code_sms_is_reported_with_its_code(world, sms_vendor):
    sms_vendor.reply = (200, {"Code": "isv.MOBILE_NUMBER_ILLEGAL", "Message": "非法手机号"})
    with refused("send_failed"):
        contacts.send_code(world.farmer, T0)
    d = Delivery.objects.get(kind="verify")
    assert (d.outcome, d.vendor_code) == ("failed", "isv.MOBILE_NUMBER_ILLEGAL")


def test_changing_the_number_needs_a_new_verification(world):
    profile = ContactProfile.objects.get(user=world.farmer)
    form = ContactForm({"phone": "139 0000 0001", "language": "zh-hans"}, instance=profile)
    assert form.is_valid(), form.errors
    form.save()
    profile.refresh_from_db()
    assert (profile.phone, profile.phone_verified_at) == ("+8613900000001", None)


def test_the_contact_form_refuses_bad_input_with_reasons(world):
    profile = ContactProfile.objects.get(user=world.farmer)
    form = ContactForm(
        {
            "phone": "12345",
            "wecom_userid": "王 德明",
            "wechat_openid": "short",
            "language": "zh-hans",
            "quiet_start": "22:00",
            "channels_critical": ["tencent_sms"],  # not configured in the fixtures
        },
        instance=profile,
    )
    assert not form.is_valid()
    assert set(form.errors) == {
        "phone",
        "wecom_userid",
        "wechat_openid",
        "quiet_end",
        "channels_critical",
    }


def test_the_policy_form_offers_unconfigured_channels_only_as_not_configured(world, settings):
    settings.ALERT_TRANSPORTS = {"inapp": {}, "wecom": {}}
    form = PolicyForm(
        {
            "name": "p",
            "roles": ["operator"],
            "channels_critical": ["inapp", "aliyun_sms"],
            "repeat_minutes": 30,
            "rate_limit_count": 3,
            "rate_limit_minutes": 10,
        },
        organisation=world.org,
    )
    assert not form.is_valid()
    assert "channels_critical" in form.errors
    html = str(form["channels_critical"])
    assert 'value="aliyun_sms"' in html and "disabled" in html


def fire(world: World, severity: str = "critical", minutes: float = 0) -> Incident:
    world.rule(threshold=3.0, severity=severity)
    evaluate([world.reading(minutes, 2.0)], now=at(minutes))
    return Incident.objects.get()


def test_a_person_no_channel_reaches_is_logged_and_their_manager_told(world):
    ContactProfile.objects.filter(user=world.farmer).update(phone_verified_at=None)
    world.policy(channels={"critical": ["inapp", "aliyun_sms"]}, recipient_roles=["operator"])
    incident = fire(world)
    rows = {(d.channel, d.kind, d.recipient_key): d for d in incident.deliveries.all()}
    farmer, manager = f"user:{world.farmer.pk}", f"user:{world.manager.pk}"
    none = rows[("none", "firing", farmer)]
    assert (none.outcome, none.detail) == ("failed", "unreachable: unverified mobile number")
    assert ("aliyun_sms", "firing", farmer) not in rows
    told = (
        rows[("wecom_app", "stand_in", manager)]
        if ("wecom_app", "stand_in", manager) in rows
        else rows[("aliyun_sms", "stand_in", manager)]
    )
    assert told.outcome == "queued" and "王德明" in told.detail


def test_a_channel_the_server_lacks_is_never_tried_but_logged(world, settings):
    settings.ALERT_TRANSPORTS = {k: v for k, v in ALL_TRANSPORTS.items() if k != "wechat"}
    world.policy(channels={"critical": ["wechat", "aliyun_sms"]}, recipient_roles=["operator"])
    incident = fire(world)
    wechat = incident.deliveries.get(channel="wechat")
    assert (wechat.outcome, wechat.detail) == ("failed", "channel not configured")
    assert incident.deliveries.get(channel="aliyun_sms").outcome == "queued"


def test_personal_choices_and_quiet_hours_narrow_what_the_policy_sends(world):
    ContactProfile.objects.filter(user=world.farmer).update(
        channels={"warning": ["aliyun_voice"], "critical": ["aliyun_sms"]},
        quiet_start=time(9, 0),
        quiet_end=time(12, 0),  # T0 is 10:00 in Asia/Shanghai
    )
    world.policy(
        channels={"warning": ["aliyun_sms", "aliyun_voice"], "critical": ["aliyun_sms"]},
        recipient_roles=["operator"],
    )
    incident = fire(world, "warning")
    [d] = incident.deliveries.exclude(channel="none")
    assert (d.channel, d.outcome) == ("aliyun_voice", "deferred")
    assert d.not_before.astimezone(timezone.get_default_timezone()).time() == time(12, 0)


def test_critical_ignores_the_persons_quiet_hours(world):
    ContactProfile.objects.filter(user=world.farmer).update(
        quiet_start=time(9, 0), quiet_end=time(12, 0)
    )
    world.policy(channels={"critical": ["aliyun_sms"]}, recipient_roles=["operator"])
    [d] = fire(world).deliveries.all()
    assert (d.outcome, d.not_before) == ("queued", None)


def test_a_permanently_failing_channel_hands_over_to_the_next_one(world, sms_vendor):
    ContactProfile.objects.filter(user=world.farmer).update(wecom_userid="wangdm")
    world.policy(channels={"critical": ["wecom_app"]}, recipient_roles=["operator"])
    incident = fire(world)
    d = incident.deliveries.get(channel="wecom_app")
    ALL = dict(ALL_TRANSPORTS)
    assert ALL["wecom_app"]["api_base"].endswith(":9/")  # nothing answers there
    for i in range(delivery.FALLBACK_AFTER):
        attempt = delivery.send(d.pk, now=at(i))
    d.refresh_from_db()
    assert attempt.outcome == "failed" and "next channel queued" in d.detail
    # WeChat has no openid for the farmer, web push no subscription: SMS is next.
    nxt = incident.deliveries.get(channel="aliyun_sms")
    assert nxt.outcome == "queued" and "after wecom_app failed" in nxt.detail
    assert delivery.send(nxt.pk, now=at(5)).outcome == "delivered"
    assert sms_vendor.params[-1]["PhoneNumbers"] == "13700000001"


def test_demo_seeding_gives_every_organisation_a_policy_and_is_idempotent(world, settings):
    settings.ALERT_TRANSPORTS = {"inapp": {}, "wecom": {}, "webpush": ALL_TRANSPORTS["webpush"]}
    orgs = list(Organisation.objects.all())
    assert demo.seed(orgs)[0] == len(orgs)
    assert demo.seed(orgs) == (0, 0)
    policy = NotificationPolicy.objects.get(organisation=world.org, farm=None)
    assert policy.channels["critical"] == ["inapp", "webpush"]
    assert not policy.steps.exists()  # no SMS or voice configured: no step that cannot work


def test_default_policy_escalates_to_sms_then_voice_when_configured(world):
    NotificationPolicy.objects.all().delete()
    policy, created = default_policy.ensure_default_policy(world.org)
    assert created
    assert policy.channels["critical"] == ["inapp", "wecom_app", "wechat", "webpush"]
    steps = [(s.order, s.after, s.channels) for s in policy.steps.all()]
    assert steps == [
        (1, timedelta(minutes=5), ["aliyun_sms"]),
        (2, timedelta(minutes=15), ["aliyun_voice"]),
    ]


def test_managers_see_who_is_unreachable_and_operators_only_a_hint(world):
    ContactProfile.objects.filter(user=world.farmer).update(phone_verified_at=None)
    manager = Client()
    manager.force_login(world.manager)
    page = manager.get(reverse("alerts:reachability")).content.decode()
    assert 'data-testid="unreachable"' in page and "王德明" in page
    assert "li" not in [r for r in page.split() if r == "li"]  # another organisation's person
    operator = Client()
    operator.force_login(world.farmer)
    page = operator.get(reverse("alerts:reachability")).content.decode()
    assert 'data-testid="reachability"' not in page


def test_the_own_page_saves_a_number_and_shows_unconfigured_channels(world, settings):
    settings.ALERT_TRANSPORTS = {"inapp": {}, "wecom": {}}
    client = Client()
    client.force_login(world.stranger)
    page = client.get(reverse("alerts:me")).content.decode()
    assert "未配置" in page
    r = client.post(reverse("alerts:me"), {"phone": "1371234567", "language": "zh-hans"})
    assert r.status_code == 200 and "11" in r.content.decode()
    r = client.post(reverse("alerts:me"), {"phone": "13712345678", "language": "zh-hans"})
    assert r.status_code == 302
    assert ContactProfile.objects.get(user=world.stranger).phone == "+8613712345678"


def test_a_person_the_policys_channels_miss_gets_the_channel_that_reaches_them(world):
    ContactProfile.objects.filter(user=world.farmer).update(
        phone_verified_at=None, wecom_userid="wangdm"
    )
    world.policy(channels={"critical": ["inapp", "aliyun_sms"]}, recipient_roles=["operator"])
    incident = fire(world)
    d = incident.deliveries.get(channel="wecom_app")
    assert (d.address, d.outcome) == ("wangdm", "queued")
    assert d.detail == "the policy's channels do not reach this person"
    assert not incident.deliveries.filter(channel="none").exists()


def test_our_delivery_reasons_are_translated_and_the_vendors_reply_kept_verbatim():
    from django.utils import translation

    from alerts.delivery_text import detail_text

    with translation.override("zh-hans"):
        assert detail_text("channel not configured").note == "本服务器未配置该渠道。"
        t = detail_text("gave up after 3 attempts, next channel queued: WeCom message/send: 45009")
        assert (t.note, t.raw) == ("重试 3 次后放弃，已改用下一渠道。", "WeCom message/send: 45009")
        t = detail_text("after wecom_app failed: WeCom message/send: 45009 freq out of limit")
        assert t.note == "因企业微信应用消息（个人）发送失败而改用此渠道。"
        t = detail_text("Aliyun SendSms: OK OK (RequestId req-1)")
        assert (t.note, t.raw) == ("", "Aliyun SendSms: OK OK (RequestId req-1)")
        assert detail_text("for 王德明: unverified mobile number").note == (
            "代王德明接收。无法联系：手机号码未验证。"
        )


def test_a_gone_push_subscription_hands_the_alert_to_the_next_channel(world, settings, tmp_path):
    import base64
    import os

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    from alerts.models import PushSubscription

    webpush = {**ALL_TRANSPORTS["webpush"], "vapid_key_file": str(tmp_path / "vapid.txt")}
    settings.ALERT_TRANSPORTS = {**ALL_TRANSPORTS, "webpush": webpush}
    point = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    )

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    with serve(lambda request: (410, {}, b"")) as push_service:
        PushSubscription.objects.create(
            user=world.farmer,
            endpoint=f"{push_service.url}/push/expired",
            p256dh=b64(point),
            auth=b64(os.urandom(16)),
        )
        world.policy(channels={"critical": ["webpush"]}, recipient_roles=["operator"])
        incident = fire(world)
        push = incident.deliveries.get(channel="webpush")
        assert delivery.send(push.pk, now=at(1)).outcome == "failed"
    push.refresh_from_db()
    assert (push.vendor_code, push.detail) == (
        "HTTP 410",
        "push subscription gone: HTTP 410 (next channel queued)",
    )
    assert incident.deliveries.get(channel="aliyun_sms").address == "+8613700000001"


def test_at_most_five_tests_an_hour(world):
    for i in range(5):
        contacts.send_test(world.farmer, "aliyun_sms", T0 + timedelta(minutes=i))
    with refused("rate"):
        contacts.send_test(world.farmer, "aliyun_sms", T0 + timedelta(minutes=6))
    contacts.send_test(world.farmer, "aliyun_sms", T0 + timedelta(minutes=61))

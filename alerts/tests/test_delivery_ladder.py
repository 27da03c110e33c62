"""Down the ladder with a real Celery worker: a throttled vendor hands over to the next
channel, and a person's test message goes out through the worker."""

from __future__ import annotations

import time

import pytest
from django.test import Client
from django.urls import reverse

from alerts.engine import evaluate
from alerts.models import ContactProfile, Delivery, Incident
from alerts.tests import alert_fixtures
from alerts.tests.alert_fixtures import ALL_TRANSPORTS, World, at
from alerts.tests.test_transport_aliyun import KEY_ID, SECRET, AliyunStub
from alerts.tests.worker import celery_worker
from alerts.transports import access_token

from .transport_servers import serve
from .weixin_stub import WeixinStub

pytestmark = pytest.mark.django_db(transaction=True)
world_committed = alert_fixtures.world_committed


def poll(condition, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met in time")
        time.sleep(0.1)


@pytest.fixture
def vendors(settings):
    access_token.clear()
    wecom = WeixinStub(app_id="ww1", secret="s", wecom=True)
    wechat = WeixinStub(app_id="wx1", secret="s", wecom=False)
    sms = AliyunStub("SendSms", ("PhoneNumbers", "SignName", "TemplateCode"))
    sms.reply = (200, {"Code": "OK", "Message": "OK", "BizId": "biz-9"})
    with serve(wecom) as w, serve(wechat) as c, serve(sms) as s:
        transports = {
            **ALL_TRANSPORTS,
            "wecom_app": {**ALL_TRANSPORTS["wecom_app"], "api_base": w.url},
            "wechat": {**ALL_TRANSPORTS["wechat"], "api_base": c.url},
            "aliyun_sms": {
                **ALL_TRANSPORTS["aliyun_sms"],
                "access_key_id": KEY_ID,
                "access_key_secret": SECRET,
                "endpoint": s.url,
            },
        }
        settings.ALERT_TRANSPORTS = transports
        yield {"wecom": wecom, "wechat": wechat, "sms": sms, "transports": transports}


def test_a_throttled_wecom_app_hands_over_to_sms_after_backing_off(
    world_committed: World, vendors, tmp_path
):
    ContactProfile.objects.filter(user=world_committed.farmer).update(wecom_userid="wangdm")
    vendors["wecom"].next_errcodes = [45009] * 10  # over the API frequency limit throughout
    world_committed.policy(channels={"critical": ["wecom_app"]}, recipient_roles=["operator"])
    world_committed.rule(threshold=3.0, severity="critical")
    with celery_worker(tmp_path, transports=vendors["transports"]):
        evaluate([world_committed.reading(0, 2.0)], now=at(0))
        poll(lambda: len(vendors["sms"].params) == 1)
        poll(lambda: Delivery.objects.filter(channel="aliyun_sms", outcome="delivered").exists())
    incident = Incident.objects.get()
    wecom = incident.deliveries.get(channel="wecom_app")
    assert (wecom.outcome, wecom.attempts, wecom.vendor_code) == ("failed", 3, "45009")
    assert wecom.detail.startswith("gave up after 3 attempts, next channel queued")
    sms = incident.deliveries.get(channel="aliyun_sms")
    assert (sms.vendor_code, sms.provider_id, sms.address) == ("OK", "biz-9", "+8613700000001")
    assert len(vendors["wecom"].messages) == 3


def test_send_me_a_test_goes_through_the_worker_and_logs_the_vendors_reply(
    world_committed: World, vendors, tmp_path
):
    ContactProfile.objects.filter(user=world_committed.farmer).update(wechat_openid="oAbCdEfG123")
    client = Client()
    client.force_login(world_committed.farmer)
    with celery_worker(tmp_path, transports=vendors["transports"]):
        r = client.post(reverse("alerts:me-test"), {"channel": "wechat"})
        assert r.status_code == 302
        poll(lambda: Delivery.objects.filter(kind="test", outcome="delivered").exists())
    d = Delivery.objects.get(kind="test")
    assert (d.channel, d.vendor_code, d.incident) == ("wechat", "0", None)
    [sent] = vendors["wechat"].messages
    assert sent["touser"] == "oAbCdEfG123" and sent["data"]["thing2"]["value"] == "通知测试"
    page = client.get(reverse("alerts:me")).content.decode()
    assert "WeChat template/send: 0 ok" in page


def test_a_test_on_an_unconfigured_channel_is_refused(world_committed: World, vendors):
    client = Client()
    client.force_login(world_committed.farmer)
    r = client.post(reverse("alerts:me-test"), {"channel": "tencent_sms"}, follow=True)
    assert "该渠道未配置" in r.content.decode()
    assert not Delivery.objects.filter(kind="test").exists()

"""WeCom application messages and WeChat template messages against local API servers."""

from __future__ import annotations

import pytest

from alerts.transports import access_token
from alerts.transports.base import DeliveryStatus, Recipient, get_transport
from alerts.transports.messages import IncidentSummary, render
from alerts.transports.wechat import WeChatConfig
from alerts.transports.wecom_app import WeComAppConfig

from .transport_servers import closed_port_url, serve
from .weixin_stub import WeixinStub

MESSAGE = render(
    "firing",
    IncidentSummary(
        41,
        "https://agrimon.example.cn/i/41",
        "critical",
        "大沙湖草鱼养殖场1号塘",
        "溶解氧",
        "2.1 mg/L",
        "3.0 mg/L",
    ),
    idempotency_key="incident:41:recipient:user:7:wecom_app:firing:0",
)


@pytest.fixture(autouse=True)
def fresh_tokens():
    access_token.clear()
    yield
    access_token.clear()


@pytest.fixture
def wecom():
    stub = WeixinStub(app_id="ww1234", secret="app-secret", wecom=True)
    with serve(stub) as server:
        yield (
            stub,
            get_transport(
                "wecom_app",
                WeComAppConfig(
                    corp_id="ww1234", agent_id="1000002", secret="app-secret", api_base=server.url
                ),
            ),
        )


@pytest.fixture
def wechat():
    stub = WeixinStub(app_id="wx5678", secret="oa-secret", wecom=False)
    with serve(stub) as server:
        yield (
            stub,
            get_transport(
                "wechat",
                WeChatConfig(
                    app_id="wx5678", app_secret="oa-secret", template_id="TPL1", api_base=server.url
                ),
            ),
        )


def test_wecom_app_sends_a_card_to_the_person_and_reuses_the_token(wecom):
    stub, transport = wecom
    first = transport.notify(MESSAGE, Recipient(wecom_userid="wangdm"))
    second = transport.notify(MESSAGE, Recipient(wecom_userid="wangdm"))
    assert (first.status, first.vendor_code, first.provider_id) == ("delivered", "0", "m1")
    assert second.ok and stub.tokens_issued == 1
    card = stub.messages[0]
    assert (card["touser"], card["agentid"]) == ("wangdm", 1000002)
    assert card["textcard"]["url"] == "https://agrimon.example.cn/i/41"
    assert "溶解氧" in card["textcard"]["title"]


@pytest.mark.parametrize("code", [42001, 40014])
def test_wecom_app_refetches_an_expired_or_refused_token_once(wecom, code):
    stub, transport = wecom
    assert transport.notify(MESSAGE, Recipient(wecom_userid="wangdm")).ok
    if code == 42001:
        stub.expire()
    else:
        stub.token = "rotated-elsewhere"
    result = transport.notify(MESSAGE, Recipient(wecom_userid="wangdm"))
    assert result.ok
    assert stub.tokens_issued == 2


def test_wecom_app_marks_an_unknown_user_id_invalid(wecom):
    _stub, transport = wecom
    result = transport.notify(MESSAGE, Recipient(wecom_userid="nobody"))
    assert (result.status, result.address_invalid) == (DeliveryStatus.FAILED, True)
    assert "invaliduser nobody" in result.detail


def test_wecom_app_throttled_is_retried_after_a_minute(wecom):
    stub, transport = wecom
    stub.next_errcodes = [45009]
    result = transport.notify(MESSAGE, Recipient(wecom_userid="wangdm"))
    assert (result.status, result.retry_after, result.vendor_code) == ("retry", 60.0, "45009")


def test_wecom_app_with_a_wrong_secret_fails_with_the_vendor_code():
    stub = WeixinStub(app_id="ww1234", secret="right", wecom=True)
    with serve(stub) as server:
        transport = get_transport(
            "wecom_app",
            WeComAppConfig(corp_id="ww1234", agent_id="1", secret="wrong", api_base=server.url),
        )
        result = transport.notify(MESSAGE, Recipient(wecom_userid="wangdm"))
    assert (result.status, result.vendor_code) == (DeliveryStatus.FAILED, "40001")
    assert stub.messages == []


def test_wecom_app_unreachable_is_retried():
    transport = get_transport(
        "wecom_app",
        WeComAppConfig(corp_id="c", agent_id="1", secret="s", api_base=closed_port_url()),
    )
    assert transport.notify(MESSAGE, Recipient(wecom_userid="wangdm")).status == "retry"


def test_wechat_template_message_fills_the_keywords_within_20_characters(wechat):
    stub, transport = wechat
    result = transport.notify(MESSAGE, Recipient(wechat_openid="oAbCdEfG123"))
    assert (result.status, result.vendor_code) == ("delivered", "0")
    body = stub.messages[0]
    assert (body["touser"], body["template_id"]) == ("oAbCdEfG123", "TPL1")
    assert body["url"] == "https://agrimon.example.cn/i/41"
    assert body["data"]["thing2"]["value"] == "溶解氧"
    assert body["data"]["thing3"]["value"] == "2.1 mg/L"


def test_wechat_refetches_an_expired_token_once(wechat):
    stub, transport = wechat
    assert transport.notify(MESSAGE, Recipient(wechat_openid="oAbCdEfG123")).ok
    stub.expire()
    assert transport.notify(MESSAGE, Recipient(wechat_openid="oAbCdEfG123")).ok
    assert stub.tokens_issued == 2


def test_wechat_unknown_openid_is_an_invalid_address(wechat):
    _stub, transport = wechat
    result = transport.notify(MESSAGE, Recipient(wechat_openid="oGone"))
    assert (result.status, result.address_invalid, result.vendor_code) == ("failed", True, "40003")


def test_wechat_without_an_openid_fails_before_calling(wechat):
    stub, transport = wechat
    result = transport.notify(MESSAGE, Recipient(name="王师傅"))
    assert result.address_invalid and stub.tokens_issued == 0

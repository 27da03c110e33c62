"""WeChat Work group robot against a local webhook that checks the message format."""

from __future__ import annotations

import dataclasses
import json
from urllib.parse import parse_qs, urlsplit

import pytest

from alerts.transports.base import DeliveryStatus, Recipient, get_transport
from alerts.transports.messages import IncidentSummary, render
from alerts.transports.wecom import MARKDOWN_MAX_BYTES, TEXT_MAX_BYTES, WeComConfig

from .transport_servers import Received, serve, silent_endpoint


class RobotStub:
    """Validates the body like qyapi.weixin.qq.com/cgi-bin/webhook/send does."""

    def __init__(self) -> None:
        self.errcode = 0
        self.messages: list[dict] = []

    def __call__(self, request: Received):
        url = urlsplit(request.path)
        if url.path != "/cgi-bin/webhook/send" or not parse_qs(url.query).get("key"):
            return self.reply(93000, "invalid webhook url")
        message = json.loads(request.body)
        self.messages.append(message)
        errcode = self.check(message)
        return self.reply(errcode or self.errcode, "ok" if not errcode else "invalid")

    @staticmethod
    def check(message: dict) -> int:
        kind = message.get("msgtype")
        if kind not in ("text", "markdown"):
            return 40008  # invalid message type
        content = message.get(kind, {}).get("content", "")
        limit = TEXT_MAX_BYTES if kind == "text" else MARKDOWN_MAX_BYTES
        if not content or len(content.encode()) > limit:
            return 40058  # invalid content
        mentions = message[kind].get("mentioned_mobile_list", [])
        if not isinstance(mentions, list) or not all(isinstance(m, str) for m in mentions):
            return 40058
        return 0

    @staticmethod
    def reply(errcode: int, errmsg: str):
        body = json.dumps({"errcode": errcode, "errmsg": errmsg}).encode()
        return 200, {"Content-Type": "application/json"}, body


@pytest.fixture
def robot():
    stub = RobotStub()
    with serve(stub) as server:
        server.stub = stub
        server.webhook = (
            server.url + "/cgi-bin/webhook/send?key=693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"
        )
        yield server


def incident(severity: str = "warning", site: str = "3号塘") -> IncidentSummary:
    return IncidentSummary(
        42, "https://agri.example.cn/i/42", severity, site, "溶解氧", "2.1 mg/L", "3.0 mg/L"
    )


def robot_transport(timeout: float = 5.0):
    return get_transport("wecom", WeComConfig(timeout=timeout))


def test_warning_is_delivered_as_markdown_with_incident_link(robot):
    result = robot_transport().notify(
        render("firing", incident()), Recipient(wecom_webhook_url=robot.webhook)
    )

    assert result.status is DeliveryStatus.DELIVERED, result.detail
    message = robot.stub.messages[0]
    assert message["msgtype"] == "markdown"
    assert "[查看详情](https://agri.example.cn/i/42)" in message["markdown"]["content"]
    assert "3号塘溶解氧" in message["markdown"]["content"]


def test_critical_alert_is_text_that_mentions_the_recipient_by_phone(robot):
    recipient = Recipient(phone="+8613711112222", wecom_webhook_url=robot.webhook)

    robot_transport().notify(render("firing", incident("critical")), recipient)

    message = robot.stub.messages[0]
    assert message["msgtype"] == "text"
    assert message["text"]["mentioned_mobile_list"] == ["13711112222"]
    assert "https://agri.example.cn/i/42" in message["text"]["content"]


def test_english_markdown_link_is_labelled_in_english(robot):
    robot_transport().notify(
        render("resolved", incident(), lang="en"), Recipient(wecom_webhook_url=robot.webhook)
    )

    assert (
        "[Details](https://agri.example.cn/i/42)" in robot.stub.messages[0]["markdown"]["content"]
    )


def test_over_the_robot_rate_limit_45009_is_retried_after_a_minute(robot):
    robot.stub.errcode = 45009

    result = robot_transport().notify(
        render("firing", incident()), Recipient(wecom_webhook_url=robot.webhook)
    )

    assert result.status is DeliveryStatus.RETRY
    assert result.retry_after == 60.0


def test_invalid_webhook_93000_fails_and_marks_the_address_invalid(robot):
    recipient = Recipient(wecom_webhook_url=robot.url + "/cgi-bin/webhook/send")

    result = robot_transport().notify(render("firing", incident()), recipient)

    assert result.status is DeliveryStatus.FAILED
    assert result.address_invalid


def test_other_errcode_is_a_permanent_failure(robot):
    robot.stub.errcode = 40008

    result = robot_transport().notify(
        render("firing", incident()), Recipient(wecom_webhook_url=robot.webhook)
    )

    assert result.status is DeliveryStatus.FAILED
    assert not result.address_invalid


def test_http_500_from_the_webhook_is_retried():
    def broken(request):
        return 500, {"Content-Type": "text/plain"}, b"internal error"

    with serve(broken) as server:
        result = robot_transport().notify(
            render("firing", incident()),
            Recipient(wecom_webhook_url=server.url + "/cgi-bin/webhook/send?key=k"),
        )

    assert result.status is DeliveryStatus.RETRY


def test_webhook_timeout_is_retried():
    with silent_endpoint() as url:
        result = robot_transport(timeout=0.3).notify(
            render("firing", incident()), Recipient(wecom_webhook_url=url)
        )

    assert result.status is DeliveryStatus.RETRY


def test_oversized_body_is_cut_to_the_markdown_byte_limit(robot):
    message = render("firing", incident())
    huge = dataclasses.replace(message, body="溶" * 3000)

    result = robot_transport().notify(huge, Recipient(wecom_webhook_url=robot.webhook))

    assert result.status is DeliveryStatus.DELIVERED, result.detail
    content = robot.stub.messages[0]["markdown"]["content"]
    assert len(content.encode()) <= MARKDOWN_MAX_BYTES
    assert content.endswith("(https://agri.example.cn/i/42)")


def test_recipient_without_webhook_fails_as_invalid_address():
    result = robot_transport().notify(render("firing", incident()), Recipient(name="无群"))

    assert result.status is DeliveryStatus.FAILED
    assert result.address_invalid


def test_webhook_that_is_not_a_url_fails_as_invalid_address():
    recipient = Recipient(wecom_webhook_url="693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa")

    result = robot_transport().notify(render("firing", incident()), recipient)

    assert result.status is DeliveryStatus.FAILED
    assert result.address_invalid

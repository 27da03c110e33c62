"""Tencent Cloud SMS and voice against a local server that verifies TC3-HMAC-SHA256."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
from datetime import UTC, datetime

import pytest

from alerts.transports import tencent_cloud
from alerts.transports.base import DeliveryStatus, Recipient, get_transport
from alerts.transports.messages import IncidentSummary, render
from alerts.transports.tencent_sms import TencentSmsConfig
from alerts.transports.tencent_voice import TencentVoiceConfig

from .transport_servers import Received, serve, silent_endpoint

SECRET_ID = "AKIDtest0000000000000000000000000000"
SECRET_KEY = "tencent-test-key"

AUTH = re.compile(
    r"^TC3-HMAC-SHA256 Credential=(?P<id>[^/]+)/(?P<date>\d{4}-\d{2}-\d{2})/(?P<service>\w+)"
    r"/tc3_request, SignedHeaders=(?P<signed>[a-z0-9;-]+), Signature=(?P<sig>[0-9a-f]{64})$"
)


def expected_signature(request: Received, service: str, date: str, signed: str) -> str:
    """TC3-HMAC-SHA256 from the Signature v3 page, recomputed from what arrived."""
    names = signed.split(";")
    canonical_headers = "".join(f"{n}:{request.headers[n].strip().lower()}\n" for n in names)
    canonical = "\n".join(
        [
            "POST",
            "/",
            "",
            canonical_headers,
            signed,
            hashlib.sha256(request.body).hexdigest(),
        ]
    )
    to_sign = "\n".join(
        [
            "TC3-HMAC-SHA256",
            request.headers["x-tc-timestamp"],
            f"{date}/{service}/tc3_request",
            hashlib.sha256(canonical.encode()).hexdigest(),
        ]
    )

    def h(key: bytes, msg: str) -> bytes:
        return hmac.new(key, msg.encode(), hashlib.sha256).digest()

    key = h(h(h(("TC3" + SECRET_KEY).encode(), date), service), "tc3_request")
    return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()


class TencentStub:
    """Answers like a Tencent Cloud API 3.0 endpoint (errors inside HTTP 200 replies)."""

    def __init__(self, service: str, action: str, version: str, required: tuple[str, ...]):
        self.service, self.action, self.version, self.required = service, action, version, required
        self.response: dict = {}
        self.payloads: list[dict] = []

    def __call__(self, request: Received):
        payload = json.loads(request.body)
        self.payloads.append(payload)
        code = self.check(request, payload)
        if code:
            return self.reply({"Error": {"Code": code, "Message": code}})
        return self.reply(self.response)

    def check(self, request: Received, payload: dict) -> str | None:
        match = AUTH.match(request.headers.get("authorization", ""))
        if not match or match["id"] != SECRET_ID or match["service"] != self.service:
            return "AuthFailure.SecretIdNotFound"
        if not {"content-type", "host"} <= set(match["signed"].split(";")):
            return "AuthFailure.SignatureFailure"
        timestamp = int(request.headers.get("x-tc-timestamp", "0"))
        if abs(time.time() - timestamp) > 300:
            return "AuthFailure.SignatureExpire"
        if datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d") != match["date"]:
            return "AuthFailure.SignatureFailure"
        expected = expected_signature(request, self.service, match["date"], match["signed"])
        if not hmac.compare_digest(expected, match["sig"]):
            return "AuthFailure.SignatureFailure"
        if request.headers.get("x-tc-action") != self.action:
            return "InvalidAction"
        if request.headers.get("x-tc-version") != self.version:
            return "NoSuchVersion"
        if not request.headers.get("x-tc-region"):
            return "MissingParameter"
        if any(name not in payload for name in self.required):
            return "MissingParameter"
        return None

    @staticmethod
    def reply(response: dict):
        body = {"Response": {**response, "RequestId": "a0aabda6-cf91-4f3e-a7f5-3d1a7c3ad5cd"}}
        return 200, {"Content-Type": "application/json"}, json.dumps(body).encode()


def sms_ok(session: str = "") -> dict:
    return {
        "SendStatusSet": [
            {
                "SerialNo": "5000:1045710669157053657849499619",
                "PhoneNumber": "+8613711112222",
                "Fee": 1,
                "SessionContext": session,
                "Code": "Ok",
                "Message": "send success",
                "IsoCode": "CN",
            }
        ]
    }


def sms_status(code: str) -> dict:
    status = sms_ok()["SendStatusSet"][0] | {"Code": code, "Message": code, "SerialNo": ""}
    return {"SendStatusSet": [status]}


INCIDENT = IncidentSummary(
    incident_id=42,
    url="https://agri.example.cn/i/42",
    severity="critical",
    site="3号塘",
    subject="溶解氧",
    value="2.1 mg/L",
    threshold="3.0 mg/L",
    minutes_unacknowledged=15,
)
MESSAGE = render("escalation", INCIDENT, idempotency_key="incident:42:recipient:7:sms:escalation:0")
FARMER = Recipient(name="王师傅", phone="+8613711112222")


@pytest.fixture
def sms_server():
    stub = TencentStub(
        "sms",
        "SendSms",
        "2021-01-11",
        ("PhoneNumberSet", "SmsSdkAppId", "TemplateId", "SignName", "TemplateParamSet"),
    )
    stub.response = sms_ok()
    with serve(stub) as server:
        server.stub = stub
        yield server


@pytest.fixture
def voice_server():
    stub = TencentStub(
        "vms", "SendTtsVoice", "2020-09-02", ("TemplateId", "CalledNumber", "VoiceSdkAppid")
    )
    stub.response = {"SendStatus": {"CallId": "12582bce-4ab3-48b5-a2a9-45d1f4b3b8d6"}}
    with serve(stub) as server:
        server.stub = stub
        yield server


def sms(endpoint: str, timeout: float = 5.0):
    return get_transport(
        "tencent_sms",
        TencentSmsConfig(
            secret_id=SECRET_ID,
            secret_key=SECRET_KEY,
            sdk_app_id="1400006666",
            sign_name="农情监测",
            templates={"escalation": "1110"},
            endpoint=endpoint,
            timeout=timeout,
        ),
    )


def voice(endpoint: str):
    return get_transport(
        "tencent_voice",
        TencentVoiceConfig(
            secret_id=SECRET_ID,
            secret_key=SECRET_KEY,
            voice_sdk_app_id="1400006666",
            templates={"escalation": "4356"},
            endpoint=endpoint,
        ),
    )


def test_tc3_signature_reproduces_the_signature_v3_documentation_example():
    # Signature v3 page, CVM DescribeInstances example (SecretKey ...EXAMPLE, 1551113065).
    payload = (
        b'{"Limit": 1, "Filters": [{"Values": ["\\u672a\\u547d\\u540d"], "Name": "instance-name"}]}'
    )
    canonical = tencent_cloud.canonical_request("cvm.tencentcloudapi.com", payload)
    assert canonical.endswith("35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064")
    to_sign = tencent_cloud.string_to_sign(1551113065, "cvm", canonical)
    assert to_sign == (
        "TC3-HMAC-SHA256\n1551113065\n2019-02-25/cvm/tc3_request\n"
        "5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031"
    )
    signature = tencent_cloud.tc3_signature(
        "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE", "2019-02-25", "cvm", to_sign
    )
    assert signature == "72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168"


def test_sms_is_delivered_with_a_signature_the_server_verifies(sms_server):
    result = sms(sms_server.url + "/").notify(MESSAGE, FARMER)

    assert result.status is DeliveryStatus.DELIVERED, result.detail
    assert result.provider_id == "5000:1045710669157053657849499619"


def test_sms_sends_template_params_in_registered_order_and_session_context(sms_server):
    sms(sms_server.url + "/").notify(MESSAGE, FARMER)

    payload = sms_server.stub.payloads[0]
    assert payload["PhoneNumberSet"] == ["+8613711112222"]
    assert payload["TemplateId"] == "1110"
    assert payload["TemplateParamSet"] == ["3号塘", "溶解氧", "15", "2.1 mg/L", "42"]
    assert payload["SessionContext"] == "incident:42:recipient:7:sms:escalation:0"


def test_sms_bare_mainland_number_is_sent_in_e164(sms_server):
    sms(sms_server.url + "/").notify(MESSAGE, Recipient(phone="13711112222"))

    assert sms_server.stub.payloads[0]["PhoneNumberSet"] == ["+8613711112222"]


def test_sms_auth_failure_error_is_permanent(sms_server):
    sms_server.stub.response = {
        "Error": {"Code": "AuthFailure.SecretIdNotFound", "Message": "The SecretId is not found"}
    }

    result = sms(sms_server.url + "/").notify(MESSAGE, FARMER)

    assert result.status is DeliveryStatus.FAILED
    assert "AuthFailure.SecretIdNotFound" in result.detail


def test_sms_internal_error_is_retried(sms_server):
    sms_server.stub.response = {"Error": {"Code": "InternalError.Timeout", "Message": "timeout"}}

    assert sms(sms_server.url + "/").notify(MESSAGE, FARMER).status is DeliveryStatus.RETRY


def test_sms_request_limit_exceeded_is_retried(sms_server):
    sms_server.stub.response = {"Error": {"Code": "RequestLimitExceeded", "Message": "limit"}}

    assert sms(sms_server.url + "/").notify(MESSAGE, FARMER).status is DeliveryStatus.RETRY


def test_sms_incorrect_number_fails_and_marks_the_address_invalid(sms_server):
    sms_server.stub.response = sms_status("InvalidParameterValue.IncorrectPhoneNumber")

    result = sms(sms_server.url + "/").notify(MESSAGE, FARMER)

    assert result.status is DeliveryStatus.FAILED
    assert result.address_invalid


def test_sms_thirty_second_number_limit_is_retried(sms_server):
    sms_server.stub.response = sms_status("LimitExceeded.PhoneNumberThirtySecondLimit")

    result = sms(sms_server.url + "/").notify(MESSAGE, FARMER)

    assert result.status is DeliveryStatus.RETRY
    assert result.retry_after == 30.0


def test_sms_daily_number_limit_is_permanent(sms_server):
    sms_server.stub.response = sms_status("LimitExceeded.PhoneNumberDailyLimit")

    assert sms(sms_server.url + "/").notify(MESSAGE, FARMER).status is DeliveryStatus.FAILED


def test_sms_gateway_502_is_retried():
    def gateway(request):
        return 502, {"Content-Type": "text/html"}, b"<html>502 Bad Gateway</html>"

    with serve(gateway) as server:
        assert sms(server.url + "/").notify(MESSAGE, FARMER).status is DeliveryStatus.RETRY


def test_sms_timeout_is_retried():
    with silent_endpoint() as url:
        result = sms(url, timeout=0.3).notify(MESSAGE, FARMER)

    assert result.status is DeliveryStatus.RETRY


def test_voice_call_is_delivered_with_call_id_and_voice_params(voice_server):
    result = voice(voice_server.url + "/").notify(MESSAGE, FARMER)

    assert result.status is DeliveryStatus.DELIVERED, result.detail
    assert result.provider_id == "12582bce-4ab3-48b5-a2a9-45d1f4b3b8d6"
    payload = voice_server.stub.payloads[0]
    assert payload["CalledNumber"] == "+8613711112222"
    assert payload["TemplateParamSet"] == ["3号塘", "溶解氧", "15", "2.1 mg/L"]
    assert payload["SessionContext"] == MESSAGE.idempotency_key


def test_voice_unauthorized_operation_is_permanent(voice_server):
    voice_server.stub.response = {
        "Error": {"Code": "UnauthorizedOperation.SdkAppIdNotFound", "Message": "no app"}
    }

    assert voice(voice_server.url + "/").notify(MESSAGE, FARMER).status is DeliveryStatus.FAILED


def test_sms_signed_with_the_wrong_key_is_refused_as_permanent(sms_server):
    transport = get_transport(
        "tencent_sms",
        TencentSmsConfig(
            secret_id=SECRET_ID,
            secret_key="not-the-key",
            sdk_app_id="1400006666",
            sign_name="农情监测",
            templates={"escalation": "1110"},
            endpoint=sms_server.url + "/",
        ),
    )

    result = transport.notify(MESSAGE, FARMER)

    assert result.status is DeliveryStatus.FAILED
    assert "AuthFailure.SignatureFailure" in result.detail


def test_sms_one_hour_number_limit_is_retried_after_an_hour(sms_server):
    sms_server.stub.response = sms_status("LimitExceeded.PhoneNumberOneHourLimit")

    result = sms(sms_server.url + "/").notify(MESSAGE, FARMER)

    assert result.status is DeliveryStatus.RETRY
    assert result.retry_after == 3600.0

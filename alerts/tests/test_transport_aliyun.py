"""Aliyun SMS and voice against a local server that verifies the V1 RPC signature."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, quote, urlsplit

import pytest

from alerts.transports import aliyun_rpc
from alerts.transports.aliyun_sms import AliyunSmsConfig
from alerts.transports.aliyun_voice import AliyunVoiceConfig
from alerts.transports.base import DeliveryStatus, Recipient, get_transport
from alerts.transports.messages import IncidentSummary, render

from .transport_servers import Received, closed_port_url, serve, silent_endpoint

KEY_ID = "LTAI-test-id"
SECRET = "test-secret-123"

# Worked example of the SendSms documentation ("HTTP 协议及签名",
# help.aliyun.com/document_detail/56189): GET request, AccessKeySecret "testSecret".
SMS_DOC_PARAMS = {
    "AccessKeyId": "testId",
    "Action": "SendSms",
    "Format": "XML",
    "OutId": "123",
    "PhoneNumbers": "15300000001",
    "RegionId": "cn-hangzhou",
    "SignName": "阿里云短信测试专用",
    "SignatureMethod": "HMAC-SHA1",
    "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466",
    "SignatureVersion": "1.0",
    "TemplateCode": "SMS_71390007",
    "TemplateParam": '{"customer":"test"}',
    "Timestamp": "2017-07-12T02:42:19Z",
    "Version": "2017-05-25",
}


def doc_signature(method: str, params: dict[str, str], secret: str) -> str:
    """The provider's algorithm, written out again here so the test has its own oracle."""

    def enc(value: str) -> str:
        return quote(value.encode("utf-8"), safe="-_.~")

    query = "&".join(f"{enc(k)}={enc(v)}" for k, v in sorted(params.items()))
    to_sign = method + "&" + enc("/") + "&" + enc(query)
    mac = hmac.new((secret + "&").encode(), to_sign.encode(), hashlib.sha1)
    return base64.b64encode(mac.digest()).decode()


def doc_v3_signature(request: Received, query: dict[str, str], signed: list[str]) -> str:
    """ACS3-HMAC-SHA256 recomputed from what arrived, per the V3 signature page."""

    def enc(value: str) -> str:
        return quote(value.encode("utf-8"), safe="-_.~")

    canonical = "\n".join(
        [
            request.method,
            urlsplit(request.path).path,
            "&".join(f"{enc(k)}={enc(v)}" for k, v in sorted(query.items())),
            "".join(f"{name}:{request.headers[name].strip()}\n" for name in signed),
            ";".join(signed),
            hashlib.sha256(request.body).hexdigest(),
        ]
    )
    to_sign = "ACS3-HMAC-SHA256\n" + hashlib.sha256(canonical.encode()).hexdigest()
    return hmac.new(SECRET.encode(), to_sign.encode(), hashlib.sha256).hexdigest()


V3_AUTH = re.compile(
    r"^ACS3-HMAC-SHA256 Credential=(?P<id>[^,]+),SignedHeaders=(?P<signed>[a-z0-9;-]+),"
    r"Signature=(?P<sig>[0-9a-f]{64})$"
)


class AliyunStub:
    """Checks each request like Dysmsapi/Dyvmsapi (V3 or V1 signed) and answers ``reply``."""

    def __init__(self, action: str, required: tuple[str, ...]) -> None:
        self.action = action
        self.required = required
        self.reply: tuple[int, dict] = (200, {"Code": "OK", "Message": "OK"})
        self.params: list[dict[str, str]] = []
        self.nonces: set[str] = set()

    def __call__(self, request: Received):
        if "authorization" in request.headers:
            params = dict(parse_qsl(request.query, keep_blank_values=True))
            error = self.check_v3(request, params)
        else:
            params = dict(parse_qsl(request.body.decode(), keep_blank_values=True))
            error = self.check_v1(params)
        self.params.append(params)
        if not error and any(not params.get(name) for name in self.required):
            error = ("MissingParameter", 400)
        if error:
            code, status = error
            return self.json(status, {"Code": code, "Message": code, "RequestId": "req-1"})
        status, body = self.reply
        return self.json(status, {"RequestId": "req-1", **body})

    def check_v3(self, request: Received, params: dict[str, str]) -> tuple[str, int] | None:
        match = V3_AUTH.match(request.headers["authorization"])
        if not match or match["id"] != KEY_ID:
            return ("InvalidAccessKeyId.NotFound", 404)
        signed = match["signed"].split(";")
        needed = {"host", "x-acs-action", "x-acs-version", "x-acs-date", "x-acs-signature-nonce"}
        if not needed <= set(signed) or "x-acs-content-sha256" not in signed:
            return ("IncompleteSignature", 400)
        if request.headers["x-acs-content-sha256"] != hashlib.sha256(request.body).hexdigest():
            return ("IncompleteSignature", 400)
        expected = doc_v3_signature(request, params, signed)
        if not hmac.compare_digest(expected, match["sig"]):
            return ("SignatureDoesNotMatch", 400)
        if (request.headers["x-acs-action"], request.headers["x-acs-version"]) != (
            self.action,
            "2017-05-25",
        ):
            return ("InvalidAction.NotFound", 400)
        return self.fresh(request.headers["x-acs-signature-nonce"], request.headers["x-acs-date"])

    def check_v1(self, params: dict[str, str]) -> tuple[str, int] | None:
        signature = params.pop("Signature", "")
        expected = doc_signature("POST", params, SECRET)
        if not hmac.compare_digest(signature, expected):
            return ("SignatureDoesNotMatch", 400)
        common = {
            "AccessKeyId": KEY_ID,
            "Action": self.action,
            "Format": "JSON",
            "SignatureMethod": "HMAC-SHA1",
            "SignatureVersion": "1.0",
            "Version": "2017-05-25",
        }
        if any(params.get(k) != v for k, v in common.items()):
            return ("MissingParameter", 400)
        return self.fresh(params["SignatureNonce"], params["Timestamp"])

    def fresh(self, nonce: str, timestamp: str) -> tuple[str, int] | None:
        if nonce in self.nonces:
            return ("SignatureNonceUsed", 400)
        self.nonces.add(nonce)
        sent = datetime.strptime(timestamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        if abs(datetime.now(UTC) - sent) > timedelta(minutes=15):
            return ("InvalidTimeStamp.Expired", 400)
        return None

    @staticmethod
    def json(status: int, body: dict):
        headers = {"Content-Type": "application/json;charset=utf-8"}
        return status, headers, json.dumps(body).encode()


INCIDENT = IncidentSummary(
    incident_id=42,
    url="https://agri.example.cn/i/42",
    severity="critical",
    site="3号塘",
    subject="溶解氧",
    value="2.1 mg/L",
    threshold="3.0 mg/L",
)
MESSAGE = render("firing", INCIDENT, idempotency_key="incident:42:recipient:7:sms:firing:0")
FARMER = Recipient(name="王师傅", phone="+8613711112222")


@pytest.fixture
def sms_server():
    stub = AliyunStub("SendSms", ("PhoneNumbers", "SignName", "TemplateCode"))
    with serve(stub) as server:
        server.stub = stub
        yield server


@pytest.fixture
def voice_server():
    stub = AliyunStub("SingleCallByTts", ("CalledNumber", "TtsCode"))
    with serve(stub) as server:
        server.stub = stub
        yield server


def sms(endpoint: str, secret: str = SECRET, timeout: float = 5.0, signature_version="v3"):
    return get_transport(
        "aliyun_sms",
        AliyunSmsConfig(
            access_key_id=KEY_ID,
            access_key_secret=secret,
            sign_name="农情监测",
            templates={"firing": "SMS_100000001"},
            endpoint=endpoint,
            timeout=timeout,
            signature_version=signature_version,
        ),
    )


def voice(endpoint: str):
    return get_transport(
        "aliyun_voice",
        AliyunVoiceConfig(
            access_key_id=KEY_ID,
            access_key_secret=SECRET,
            templates={"firing": "TTS_100000001"},
            endpoint=endpoint,
        ),
    )


def test_signature_reproduces_the_sendsms_documentation_example():
    assert (
        aliyun_rpc.signature("GET", SMS_DOC_PARAMS, "testSecret") == "zJDF+Lrzhj/ThnlvIToysFRq6t4="
    )


def test_signature_reproduces_the_rpc_signature_documentation_example():
    # RPC signature mechanism page, DescribeRegions example, AccessKeySecret "testsecret".
    params = {
        "AccessKeyId": "testid",
        "Action": "DescribeRegions",
        "Format": "XML",
        "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf",
        "SignatureVersion": "1.0",
        "Timestamp": "2016-02-23T12:46:24Z",
        "Version": "2014-05-26",
    }
    assert aliyun_rpc.signature("GET", params, "testsecret") == "OLeaidS1JvxuMvnyHOwuJ+uX5qY="


def test_v3_signature_reproduces_the_v3_signature_documentation_example():
    # V3 request structure and signature page: RunInstances, every input fixed.
    headers = aliyun_rpc.v3_headers(
        "ecs.cn-shanghai.aliyuncs.com",
        "RunInstances",
        "2014-05-26",
        {
            "ImageId": "win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd",
            "RegionId": "cn-shanghai",
        },
        aliyun_rpc.AliyunCredentials("YourAccessKeyId", "YourAccessKeySecret"),
        now=datetime(2023, 10, 26, 10, 22, 32, tzinfo=UTC),
        nonce="3156853299f313e23d1673dc12e1703d",
    )

    assert headers["Authorization"] == (
        "ACS3-HMAC-SHA256 Credential=YourAccessKeyId,SignedHeaders=host;x-acs-action;"
        "x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,"
        "Signature=06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0"
    )


def test_percent_encoding_follows_rfc3986_as_aliyun_requires():
    assert aliyun_rpc.percent_encode("a b*~/") == "a%20b%2A~%2F"


def test_sms_is_delivered_with_a_signature_the_server_verifies(sms_server):
    sms_server.stub.reply = (200, {"Code": "OK", "Message": "OK", "BizId": "900619746936498440^0"})

    result = sms(sms_server.url + "/").notify(MESSAGE, FARMER)

    assert result.status is DeliveryStatus.DELIVERED, result.detail
    assert result.provider_id == "900619746936498440^0"


def test_sms_sends_template_code_params_and_idempotency_key_as_out_id(sms_server):
    sms(sms_server.url + "/").notify(MESSAGE, FARMER)

    params = sms_server.stub.params[0]
    assert params["PhoneNumbers"] == "13711112222"
    assert params["SignName"] == "农情监测"
    assert params["TemplateCode"] == "SMS_100000001"
    assert json.loads(params["TemplateParam"]) == {
        "site": "3号塘",
        "subject": "溶解氧",
        "value": "2.1 mg/L",
        "threshold": "3.0 mg/L",
        "id": "42",
    }
    assert params["OutId"] == "incident:42:recipient:7:sms:firing:0"


@pytest.mark.parametrize("version", ["v3", "v1"])
def test_sms_signed_either_way_is_verified_and_delivered(sms_server, version):
    result = sms(sms_server.url + "/", signature_version=version).notify(MESSAGE, FARMER)

    assert result.status is DeliveryStatus.DELIVERED, result.detail
    assert sms_server.stub.params[0]["TemplateCode"] == "SMS_100000001"


@pytest.mark.parametrize("version", ["v3", "v1"])
def test_sms_signed_with_the_wrong_secret_is_refused_either_way(sms_server, version):
    result = sms(sms_server.url + "/", "not-the-secret", signature_version=version).notify(
        MESSAGE, FARMER
    )

    assert result.status is DeliveryStatus.FAILED
    assert "SignatureDoesNotMatch" in result.detail


def test_sms_business_limit_control_is_retried_after_a_minute(sms_server):
    sms_server.stub.reply = (
        200,
        {"Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "触发分钟级流控"},
    )

    result = sms(sms_server.url + "/").notify(MESSAGE, FARMER)

    assert result.status is DeliveryStatus.RETRY
    assert result.retry_after == 60.0


def test_sms_throttling_is_retried(sms_server):
    sms_server.stub.reply = (400, {"Code": "Throttling.User", "Message": "Request was denied"})

    assert sms(sms_server.url + "/").notify(MESSAGE, FARMER).status is DeliveryStatus.RETRY


def test_sms_illegal_number_fails_and_marks_the_address_invalid(sms_server):
    sms_server.stub.reply = (200, {"Code": "isv.MOBILE_NUMBER_ILLEGAL", "Message": "非法手机号"})

    result = sms(sms_server.url + "/").notify(MESSAGE, FARMER)

    assert result.status is DeliveryStatus.FAILED
    assert result.address_invalid


def test_sms_unapproved_template_is_a_permanent_failure(sms_server):
    sms_server.stub.reply = (200, {"Code": "isv.SMS_TEMPLATE_ILLEGAL", "Message": "模板不合法"})

    result = sms(sms_server.url + "/").notify(MESSAGE, FARMER)

    assert result.status is DeliveryStatus.FAILED
    assert not result.address_invalid


def test_sms_http_503_without_an_api_code_is_retried():
    def broken(request):
        return 503, {"Content-Type": "text/html"}, b"<html>Service Unavailable</html>"

    with serve(broken) as server:
        result = sms(server.url + "/").notify(MESSAGE, FARMER)

    assert result.status is DeliveryStatus.RETRY


def test_sms_timeout_is_retried():
    with silent_endpoint() as url:
        result = sms(url, timeout=0.3).notify(MESSAGE, FARMER)

    assert result.status is DeliveryStatus.RETRY
    assert "timed out" in result.detail


def test_sms_connection_refused_is_retried():
    assert sms(closed_port_url()).notify(MESSAGE, FARMER).status is DeliveryStatus.RETRY


def test_sms_without_a_registered_template_fails_before_any_request(sms_server):
    reminder = render("reminder", INCIDENT)

    result = sms(sms_server.url + "/").notify(reminder, FARMER)

    assert result.status is DeliveryStatus.FAILED
    assert sms_server.received == []


def test_sms_to_a_recipient_without_phone_fails_as_invalid_address(sms_server):
    result = sms(sms_server.url + "/").notify(MESSAGE, Recipient(name="无号码"))

    assert result.status is DeliveryStatus.FAILED
    assert result.address_invalid
    assert sms_server.received == []


def test_voice_call_is_delivered_with_tts_code_params_and_call_id(voice_server):
    voice_server.stub.reply = (
        200,
        {"Code": "OK", "Message": "OK", "CallId": "116012354148^10281378"},
    )

    result = voice(voice_server.url + "/").notify(MESSAGE, FARMER)

    assert result.status is DeliveryStatus.DELIVERED, result.detail
    assert result.provider_id == "116012354148^10281378"
    params = voice_server.stub.params[0]
    assert params["CalledNumber"] == "13711112222"
    assert params["TtsCode"] == "TTS_100000001"
    assert json.loads(params["TtsParam"]) == {
        "site": "3号塘",
        "subject": "溶解氧",
        "value": "2.1 mg/L",
        "threshold": "3.0 mg/L",
    }
    assert params["OutId"] == MESSAGE.idempotency_key


def test_voice_system_error_is_retried(voice_server):
    voice_server.stub.reply = (500, {"Code": "isp.SYSTEM_ERROR", "Message": "系统错误"})

    assert voice(voice_server.url + "/").notify(MESSAGE, FARMER).status is DeliveryStatus.RETRY


def test_sms_daily_quota_exhausted_is_permanent(sms_server):
    sms_server.stub.reply = (200, {"Code": "isv.DAY_LIMIT_CONTROL", "Message": "触发日发送限额"})

    assert sms(sms_server.url + "/").notify(MESSAGE, FARMER).status is DeliveryStatus.FAILED

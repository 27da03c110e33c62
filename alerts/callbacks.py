"""Acknowledging from the message: SMS replies and keypresses during the alert call.

The vendors push these to an HTTP address set in their consoles:

* Aliyun SMS "上行短信" (SmsUp, HTTP batch push): a JSON array of ``{phone_number,
  send_time, content, sign_name, dest_code, sequence_id}``; answer ``{"code": 0, "msg":
  ...}`` (help.aliyun.com/zh/sms/developer-reference/smsup-http);
* Tencent Cloud SMS reply ("短信回复"): ``{extend, mobile, nationcode, sign, text, time}``;
  answer ``{"result": 0, "errmsg": "OK"}`` (cloud.tencent.com/document/product/382/5809);
* Aliyun voice call report (VoiceReport / VoiceCallReport): a JSON array of ``{call_id,
  status_code, dtmf, out_id, ...}``; ``out_id`` is the ``OutId`` we sent (the delivery's
  idempotency key);
* Tencent Cloud voice keypress ("语音通知按键通知"): ``{"voicekey_callback": {callid,
  keypress, mobile, nationcode, call_from}}`` (cloud.tencent.com/document/product/216/37726).

None of these pushes carries a vendor signature, so the address itself is the secret:
each has a token derived from the site's secret key (``callback_token``), given in the
console as ``?token=``, and checked in constant time; a request without it or with
another one is refused (401) and logged. Every callback is recorded as an
``InboundCallback`` keyed by the vendor's message identity (Aliyun's ``sequence_id``,
the call id with its key, a hash of a Tencent reply), so a replayed one is refused and
an incident is acknowledged once. Replies older than ``MAX_AGE`` are refused too.

A reply acknowledges when it starts with 1, 确认, 收到, OK or Y (an incident number in it
picks that incident); the sender must be a person whose verified number the alert was
sent to. A keypress of 1 during the alert call acknowledges as the person called.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.crypto import salted_hmac

from alerts import channels, incidents
from alerts.contacts import phone_usable
from alerts.models import ContactProfile, Delivery, InboundCallback, Incident
from farm import access

log = logging.getLogger(__name__)

VENDORS = ("aliyun_sms_up", "tencent_sms_reply", "aliyun_voice", "tencent_voice")
MAX_AGE = timedelta(hours=24)
SENT_WITHIN = timedelta(hours=24)  # a reply refers to an alert sent this recently
ACK_KEY = "1"
_ACK_WORDS = re.compile(
    r"^\s*(?:1(?!\d)|确认|收到|好|ok(?![a-z])|yes(?![a-z])|y(?![a-z]))", re.IGNORECASE
)
_NUMBER = re.compile(r"\d+")
Outcome = InboundCallback.Outcome


class CallbackRejected(ValueError):
    """A request that is not a well-formed vendor callback; the message says why."""


@dataclass(frozen=True)
class Result:
    outcome: str
    reason: str
    incident_id: int | None = None

    @property
    def accepted(self) -> bool:
        return self.outcome in (Outcome.ACKNOWLEDGED, Outcome.ALREADY, Outcome.IGNORED)


def callback_token(vendor: str) -> str:
    return salted_hmac("alerts.callback", vendor).hexdigest()[:32]


def token_ok(vendor: str, token: str) -> bool:
    return hmac.compare_digest(callback_token(vendor), token or "")


def log_rejected(vendor: str, reason: str, payload: bytes, now: datetime) -> None:
    """A refused request (bad token, unreadable body): kept with no key, so never a replay."""
    InboundCallback.objects.create(
        vendor=vendor[:32],
        received_at=now,
        outcome=Outcome.REJECTED,
        reason=reason[:255],
        payload=payload[:4096].decode(errors="replace"),
    )
    log.warning("callback %s rejected: %s", vendor, reason)


def handle(vendor: str, body: bytes, now: datetime) -> list[Result]:
    """Process one verified callback body; one result per message it carries."""
    try:
        data = json.loads(body)
    except ValueError:
        raise CallbackRejected("body is not JSON") from None
    if vendor == "aliyun_sms_up":
        return [_aliyun_sms(item, now) for item in _array(data)]
    if vendor == "tencent_sms_reply":
        return [_tencent_sms(_object(data), now)]
    if vendor == "aliyun_voice":
        return [_aliyun_voice(item, now) for item in _array(data)]
    if vendor == "tencent_voice":
        return [_tencent_voice(_object(data), now)]
    raise CallbackRejected(f"unknown vendor {vendor!r}")


def _array(data) -> list[dict]:
    if not isinstance(data, list) or not all(isinstance(i, dict) for i in data):
        raise CallbackRejected("expected a JSON array of objects")
    return data


def _object(data) -> dict:
    if not isinstance(data, dict):
        raise CallbackRejected("expected a JSON object")
    return data


def _field(item: dict, name: str) -> str:
    value = item.get(name)
    if value is None or isinstance(value, dict | list):
        raise CallbackRejected(f"field {name!r} missing or not a value")
    return str(value)


# --- the four vendor formats ------------------------------------------------------------


def _aliyun_sms(item: dict, now: datetime) -> Result:
    try:
        phone, text = _field(item, "phone_number"), _field(item, "content")
        key = _field(item, "sequence_id")
        sent = _local_time(_field(item, "send_time"))
    except CallbackRejected as exc:
        return _record("aliyun_sms_up", "", item, now, Result(Outcome.REJECTED, str(exc)))
    return _sms_reply("aliyun_sms_up", f"seq:{key}", "+86" + phone[-11:], text, sent, item, now)


def _tencent_sms(item: dict, now: datetime) -> Result:
    try:
        mobile, code = _field(item, "mobile"), _field(item, "nationcode")
        text, stamp = _field(item, "text"), _field(item, "time")
        sent = datetime.fromtimestamp(int(stamp), UTC)
    except (CallbackRejected, ValueError, OverflowError) as exc:
        return _record("tencent_sms_reply", "", item, now, Result(Outcome.REJECTED, str(exc)))
    digest = hashlib.sha256(f"{code}|{mobile}|{stamp}|{text}".encode()).hexdigest()[:40]
    phone = f"+{code}{mobile}"
    return _sms_reply("tencent_sms_reply", f"sha:{digest}", phone, text, sent, item, now)


def _aliyun_voice(item: dict, now: datetime) -> Result:
    try:
        call_id = _field(item, "call_id")
    except CallbackRejected as exc:
        return _record("aliyun_voice", "", item, now, Result(Outcome.REJECTED, str(exc)))
    dtmf = str(item.get("dtmf") or "")
    key = f"{call_id}:{dtmf or item.get('status_code', '')}"
    d = Delivery.objects.filter(channel="aliyun_voice", idempotency_key=item.get("out_id") or "-")
    d = d.first() or Delivery.objects.filter(channel="aliyun_voice", provider_id=call_id).first()
    return _keypress("aliyun_voice", key, d, dtmf, item, now)


def _tencent_voice(data: dict, now: datetime) -> Result:
    item = data.get("voicekey_callback")
    if not isinstance(item, dict):  # status or failure reports: nothing to acknowledge
        kinds = ",".join(sorted(data))[:60]
        return _record(
            "tencent_voice", "", data, now, Result(Outcome.IGNORED, f"not a keypress: {kinds}")
        )
    try:
        call_id, key = _field(item, "callid"), _field(item, "keypress")
    except CallbackRejected as exc:
        return _record("tencent_voice", "", data, now, Result(Outcome.REJECTED, str(exc)))
    d = Delivery.objects.filter(channel="tencent_voice", provider_id=call_id).first()
    return _keypress("tencent_voice", f"{call_id}:{key}", d, key, data, now)


# --- what a reply or a keypress does ----------------------------------------------------


def _sms_reply(
    vendor: str, key: str, phone: str, text: str, sent: datetime, item: dict, now: datetime
) -> Result:
    def decide() -> tuple[Result, object | None]:
        if now - sent > MAX_AGE:
            return Result(Outcome.REJECTED, f"reply from {sent.isoformat()} is too old"), None
        profile = _verified_owner(phone)
        if profile is None:
            return Result(Outcome.REJECTED, "unknown sender"), None
        if not _ACK_WORDS.match(text):
            return Result(Outcome.IGNORED, "reply is not an acknowledgement"), profile.user
        incident = _replied_incident(profile, phone, text, now)
        if incident is None:
            return Result(Outcome.IGNORED, "no open alert was sent to this number"), profile.user
        return _acknowledge(incident, profile.user, now, f"{vendor}: SMS reply"), profile.user

    return _once(vendor, key, phone, item, now, decide)


def _keypress(vendor: str, key: str, d: Delivery | None, pressed: str, item: dict, now) -> Result:
    def decide() -> tuple[Result, object | None]:
        if d is None or d.incident_id is None or d.user_id is None:
            return Result(Outcome.REJECTED, "unknown call"), None
        if not pressed:
            return Result(Outcome.IGNORED, "no key pressed"), d.user
        if pressed[:1] != ACK_KEY:
            return Result(Outcome.IGNORED, f"key {pressed} is not the acknowledge key"), d.user
        return _acknowledge(d.incident, d.user, now, f"{vendor}: key {ACK_KEY} pressed"), d.user

    sender = d.address if d else ""
    return _once(vendor, key, sender, item, now, decide)


def _once(vendor: str, key: str, sender: str, item: dict, now: datetime, decide) -> Result:
    """Record the callback under its key first: a second one with the key is a replay."""
    try:
        with transaction.atomic():
            row = InboundCallback.objects.create(
                vendor=vendor,
                dedup_key=key[:200],
                received_at=now,
                sender=sender[:32],
                outcome=Outcome.IGNORED,
                payload=json.dumps(item, ensure_ascii=False)[:4096],
            )
            result, user = decide()
            row.outcome, row.reason, row.user = result.outcome, result.reason[:255], user
            row.incident_id = result.incident_id
            row.save(update_fields=["outcome", "reason", "user", "incident"])
    except IntegrityError:
        return _record(vendor, "", item, now, Result(Outcome.REJECTED, f"replayed callback {key}"))
    if result.outcome == Outcome.REJECTED:
        log.warning("callback %s %s rejected: %s", vendor, key, result.reason)
    return result


def _record(vendor: str, key: str, item: dict, now: datetime, result: Result) -> Result:
    InboundCallback.objects.create(
        vendor=vendor,
        dedup_key=key,
        received_at=now,
        outcome=result.outcome,
        reason=result.reason[:255],
        payload=json.dumps(item, ensure_ascii=False)[:4096],
    )
    if result.outcome == Outcome.REJECTED:
        log.warning("callback %s rejected: %s", vendor, result.reason)
    return result


def _acknowledge(incident: Incident, user, now: datetime, reason: str) -> Result:
    if not access.can_read_farm(user, incident.farm_id):
        return Result(Outcome.REJECTED, "sender may not see this incident", incident.pk)
    if not incident.is_open:
        return Result(Outcome.IGNORED, "incident already resolved", incident.pk)
    if incidents.acknowledge(incident, user, now, reason=reason):
        return Result(Outcome.ACKNOWLEDGED, reason, incident.pk)
    return Result(Outcome.ALREADY, "already acknowledged", incident.pk)


def _verified_owner(phone: str) -> ContactProfile | None:
    """The person whose number this is, if it counts (verified, see contacts)."""
    for profile in ContactProfile.objects.filter(phone=phone).select_related("user"):
        if profile.user.is_active and phone_usable(profile):
            return profile
    return None


def _replied_incident(profile: ContactProfile, phone: str, text: str, now) -> Incident | None:
    """The incident an SMS reply means: one it names, else the last alert sent to it."""
    sent = (
        Delivery.objects.filter(
            channel__in=channels.SMS,
            address=phone,
            user=profile.user,
            outcome=Delivery.Outcome.DELIVERED,
            delivered_at__gte=now - SENT_WITHIN,
            incident__resolved_at__isnull=True,
        )
        .select_related("incident")
        .order_by("-delivered_at", "-pk")
    )
    words = _ACK_WORDS.match(text)
    rest = text[words.end() :] if words else text
    named = {int(n) for n in _NUMBER.findall(rest)}
    if named:
        for d in sent:
            if d.incident_id in named:
                return d.incident
        return None
    open_unacked = [d.incident for d in sent if d.incident.acknowledged_at is None]
    if open_unacked:
        return open_unacked[0]
    first = sent.first()
    return first.incident if first else None


def _local_time(text: str) -> datetime:
    """Aliyun's ``send_time`` is Beijing time: "2017-09-01 00:00:00" (or "20170901000000")."""
    tz = ZoneInfo(settings.TIME_ZONE)
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y%m%d%H%M%S"):
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=tz)
        except ValueError:
            continue
    raise CallbackRejected(f"send_time {text!r} is not a time")

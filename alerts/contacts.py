"""People and how to reach them: mobile numbers, their verification, and reachability.

A mainland mobile number is kept in E.164 (``+86`` and 11 digits starting with 1);
anything else is refused with a reason. A verification code is six digits, stored
only as a keyed hash (HMAC with the site's secret key), valid for ten minutes and for
five tries; a new code replaces the old one, and at most three are sent an hour.
"""

from __future__ import annotations

import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from alerts import channels, dispatch
from alerts.models import ContactProfile, Delivery, PhoneVerification
from alerts.transports import Message, Recipient, get_transport

User = get_user_model()

CODE_TTL = timedelta(minutes=10)
MAX_CODE_ATTEMPTS = 5
MAX_CODES_PER_HOUR = 3
MAX_TESTS_PER_HOUR = 5
_MOBILE = re.compile(r"1[3-9]\d{9}")


class VerificationError(ValidationError):
    """A code that cannot be sent or does not match; the message is for the person."""


def normalise_phone(raw: str) -> str:
    """``"137 0000 0001"``, ``"+86-13700000001"``, ``"8613700000001"`` -> ``"+8613700000001"``."""
    digits = re.sub(r"[\s\-()]", "", raw or "")
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    if not _MOBILE.fullmatch(digits):
        raise ValidationError(
            _("Enter a mainland mobile number: 11 digits starting with 1, e.g. 13712345678."),
            code="phone",
        )
    return "+86" + digits


def profile_of(user) -> ContactProfile:
    profile, _created = ContactProfile.objects.get_or_create(user=user)
    return profile


def phone_usable(profile: ContactProfile) -> bool:
    """A number counts once verified, or as given when no SMS channel could verify it."""
    if not profile.phone:
        return False
    if profile.phone_verified_at is not None:
        return True
    return not any(channels.is_configured(k) for k in channels.SMS)


def address_for(profile: ContactProfile | None, kind: str) -> str:
    """The person's address on one channel, or "" (push subscriptions are looked up apart)."""
    if kind == "inapp":
        return "inbox"
    if profile is None:
        return ""
    if kind in channels.PHONE:
        return profile.phone if phone_usable(profile) else ""
    if kind == "wecom_app":
        return profile.wecom_userid
    if kind == "wechat":
        return profile.wechat_openid
    return ""


@dataclass(frozen=True)
class Reach:
    """Which configured channels reach one person outside the app."""

    user: object
    channels: tuple[str, ...]
    unverified_phone: bool

    @property
    def reachable(self) -> bool:
        return bool(self.channels)


def address_of(user, channel: str, profile: ContactProfile | None = None) -> str:
    """Where ``channel`` reaches ``user``, or "" (unverified numbers do not count)."""
    if channel == "email":
        return user.email
    if channel == "webpush":
        sub = user.push_subscriptions.order_by("-created").first()
        return sub.endpoint if sub else ""
    if profile is None:
        profile = ContactProfile.objects.filter(user=user).first()
    return address_for(profile, channel)


def reach_of(user, profile: ContactProfile | None = None) -> Reach:
    if profile is None:
        profile = ContactProfile.objects.filter(user=user).first()
    found = []
    for kind in channels.configured_kinds():
        if kind in ("inapp", "wecom"):
            continue  # the inbox reaches nobody asleep; the group robot is no one person
        if kind == "webpush":
            if user.push_subscriptions.exists():
                found.append(kind)
        elif kind == "email":
            if user.email:
                found.append(kind)
        elif address_for(profile, kind):
            found.append(kind)
    unverified = bool(profile and profile.phone and not phone_usable(profile))
    return Reach(user, tuple(found), unverified)


# --- verification codes ---------------------------------------------------------------


def _hash(code: str, phone: str) -> str:
    return salted_hmac(
        "alerts.phone-verification", f"{phone}:{code}", algorithm="sha256"
    ).hexdigest()


def sms_channel() -> str:
    """The SMS channel that sends codes: the first configured one with a "verify" template."""
    for kind in channels.SMS:
        if channels.is_configured(kind) and "verify" in channels.transport_config(kind).templates:
            return kind
    return ""


@transaction.atomic
def start_verification(user, phone: str, now: datetime) -> tuple[PhoneVerification, str]:
    """Record a new code for ``phone`` and return it with the plain code to send."""
    recent = PhoneVerification.objects.filter(user=user, created__gt=now - timedelta(hours=1))
    if recent.count() >= MAX_CODES_PER_HOUR:
        raise VerificationError(_("Too many codes this hour; try again later."), code="rate")
    PhoneVerification.objects.filter(user=user, verified_at__isnull=True).update(
        expires_at=now
    )  # a new code replaces the old ones
    code = f"{secrets.randbelow(10**6):06d}"
    v = PhoneVerification.objects.create(
        user=user,
        phone=phone,
        code_hash=_hash(code, phone),
        created=now,
        expires_at=now + CODE_TTL,
    )
    return v, code


def check_code(user, code: str, now: datetime) -> ContactProfile:
    """Verify the person's number with ``code``; raises with the reason when it fails.

    A wrong try is counted (and committed) before the refusal is raised.
    """
    with transaction.atomic():
        v = (
            PhoneVerification.objects.select_for_update()
            .filter(user=user, verified_at__isnull=True)
            .order_by("-created", "-id")
            .first()
        )
        if v is None or v.expires_at <= now:
            raise VerificationError(_("The code has expired; ask for a new one."), code="expired")
        if v.attempts >= MAX_CODE_ATTEMPTS:
            raise VerificationError(_("Too many wrong codes; ask for a new one."), code="attempts")
        v.attempts += 1
        matches = hmac.compare_digest(v.code_hash, _hash((code or "").strip(), v.phone))
        if matches:
            v.verified_at = now
        v.save(update_fields=["attempts", "verified_at"])
        profile = profile_of(user)
        if matches and profile.phone == v.phone:
            profile.phone_verified_at = now
            profile.save(update_fields=["phone_verified_at", "updated"])
            # Whoever proves the number now holds it: SMS replies from it are theirs.
            ContactProfile.objects.filter(phone=v.phone).exclude(pk=profile.pk).update(
                phone_verified_at=None
            )
    if not matches:
        raise VerificationError(_("The code does not match."), code="mismatch")
    if profile.phone != v.phone:
        raise VerificationError(_("The number changed after the code was sent."), code="changed")
    return profile


def set_phone(profile: ContactProfile, phone: str) -> None:
    """A changed number must be verified again."""
    if phone != profile.phone:
        profile.phone = phone
        profile.phone_verified_at = None


def wanted(profile: ContactProfile | None, severity: str, offered: list[str]) -> list[str]:
    """The policy's channels for ``severity`` narrowed to the ones the person chose."""
    if profile is None or severity not in (profile.channels or {}):
        return list(offered)
    chosen = set(profile.channels[severity])
    chosen.add("inapp")  # the inbox always shows it
    return [k for k in offered if k in chosen]


# --- sending: a verification code, a test ---------------------------------------------


def send_code(user, now: datetime) -> Delivery:
    """Text a new code to the person's number; the delivery row records what the vendor said.

    Sent at once (the person is waiting for it) and never queued: the plain code exists
    only in this call and in the SMS.
    """
    profile = profile_of(user)
    if not profile.phone:
        raise VerificationError(_("Enter your mobile number first."), code="no_phone")
    kind = sms_channel()
    if not kind:
        raise VerificationError(
            _("No SMS channel with a verification template is configured."), code="no_sms"
        )
    v, code = start_verification(user, profile.phone, now)
    message = Message(
        incident_id="0",
        incident_url="",
        severity="info",
        title="验证码",
        body=f"验证码{code}，10分钟内有效。",
        template="verify",
        template_params={"code": code},
        idempotency_key=f"verify:{v.pk}",
    )
    transport = get_transport(kind, channels.transport_config(kind))
    result = transport.notify(message, Recipient(name=_label(user), phone=profile.phone))
    d = Delivery.objects.create(
        user=user,
        recipient_key=f"user:{user.pk}",
        recipient_label=_label(user),
        address=profile.phone,
        channel=kind,
        kind="verify",
        idempotency_key=f"verify:{v.pk}",
        created=now,
        attempts=1,
        last_attempt_at=now,
        outcome=Delivery.Outcome.DELIVERED if result.ok else Delivery.Outcome.FAILED,
        delivered_at=now if result.ok else None,
        detail=result.detail[:2000],
        provider_id=result.provider_id[:128],
        vendor_code=result.vendor_code[:64],
    )
    if not result.ok:
        raise VerificationError(
            _("The SMS could not be sent: %(reason)s"),
            params={"reason": result.vendor_code or result.detail[:80]},
            code="send_failed",
        )
    return d


def send_test(user, kind: str, now: datetime) -> Delivery:
    """Queue a test message to the person on one channel; the log shows the vendor's answer."""
    if not channels.is_configured(kind) or kind == "wecom":
        raise ValidationError(_("This channel is not configured."), code="not_configured")
    recent = Delivery.objects.filter(user=user, kind="test", created__gt=now - timedelta(hours=1))
    if recent.count() >= MAX_TESTS_PER_HOUR:  # SMS and calls cost money
        raise ValidationError(_("Too many tests this hour; try again later."), code="rate")
    address = address_of(user, kind)
    if not address:
        raise ValidationError(
            _("You have no verified address for this channel yet."), code="no_address"
        )
    d = Delivery.objects.create(
        user=user,
        recipient_key=f"user:{user.pk}",
        recipient_label=_label(user),
        address=address,
        channel=kind,
        kind="test",
        idempotency_key=f"test:{user.pk}:{kind}:{secrets.token_hex(8)}",
        created=now,
    )
    dispatch.queue([d.pk])
    return d


def _label(user) -> str:
    return user.get_full_name() or user.get_username()

"""The organisation-wide notification policy an organisation gets when it adopts the rule
templates and has none: the default for farms in China.

In-app, WeCom/WeChat and web push at once (people read those first), an SMS after 5 minutes
without acknowledgement, then a voice call after 15 — using only the channels this
deployment has configured, so no step is created that cannot deliver. An existing
organisation-wide policy is left as it is.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from django.db import transaction

from alerts import channels
from alerts.models import EscalationStep, NotificationPolicy
from farm.models import Organisation, Role

FIRST = ("inapp", "wecom_app", "wechat", "webpush")
STEPS = ((1, timedelta(minutes=5), channels.SMS), (2, timedelta(minutes=15), channels.VOICE))
ROLES = [Role.OPERATOR.value, Role.MANAGER.value]
NAME = "默认通知（先应用内与企业微信/微信，再短信，再电话）"


def first_channels() -> dict[str, list[str]]:
    """Channels per severity for the first round: the configured ones of ``FIRST``."""
    first = [k for k in FIRST if channels.is_configured(k)]
    return {"critical": first, "warning": first, "info": ["inapp"]}


@transaction.atomic
def ensure_default_policy(org: Organisation) -> tuple[NotificationPolicy, bool]:
    """The organisation-wide policy, created with the default if there is none."""
    policy, created = NotificationPolicy.objects.get_or_create(
        organisation=org,
        farm=None,
        defaults={
            "name": NAME,
            "recipient_roles": ROLES,
            "channels": first_channels(),
            "repeat_interval": timedelta(minutes=30),
        },
    )
    if created:
        for order, after, kinds in STEPS:
            chosen = [k for k in kinds if channels.is_configured(k)][:1]
            if chosen:
                EscalationStep.objects.create(
                    policy=policy, order=order, after=after, roles=ROLES, channels=chosen
                )
    return policy, created


def ensure_default_policies(orgs: Iterable[Organisation]) -> int:
    """Policies created; the web push key is made now if it is missing."""
    channels.webpush_public_key()
    return sum(ensure_default_policy(org)[1] for org in orgs)

"""The demo's alerting set-up: a default notification policy for every organisation and
a contact profile for every demo person. Running it again changes nothing.

The default follows the domain facts of issue 12 for China: in-app and WeCom/WeChat
(and web push, where its service is reachable) at once, an SMS after 5 minutes
without acknowledgement, then a voice call after 15 — using only the channels this
deployment has configured. An existing organisation-wide policy is left as it is.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction

from alerts import channels
from alerts.models import ContactProfile, EscalationStep, NotificationPolicy
from farm.models import Organisation, Role

FIRST = ("inapp", "wecom_app", "wechat", "webpush")
STEPS = ((1, timedelta(minutes=5), channels.SMS), (2, timedelta(minutes=15), channels.VOICE))
ROLES = [Role.OPERATOR.value, Role.MANAGER.value]
# Demo people's numbers: the 1370000xxxx block is the one the fixtures use, never a real one.
DEMO_PHONES = {
    "manager_honghu": "+8613700000102",
    "manager_jianli": "+8613700000103",
    "manager_gongan": "+8613700000104",
    "farmer_wang": "+8613700000201",
    "farmer_li": "+8613700000202",
    "farmer_zhang": "+8613700000203",
}


def default_channels() -> dict[str, list[str]]:
    first = [k for k in FIRST if channels.is_configured(k)]
    return {"critical": first, "warning": first, "info": ["inapp"]}


@transaction.atomic
def seed_policy(org: Organisation) -> tuple[NotificationPolicy, bool]:
    """The organisation-wide policy, created with the China default if there is none."""
    policy, created = NotificationPolicy.objects.get_or_create(
        organisation=org,
        farm=None,
        defaults={
            "name": "默认通知（先应用内与企业微信/微信，再短信，再电话）",
            "recipient_roles": ROLES,
            "channels": default_channels(),
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


def seed_contacts() -> int:
    """A contact profile with a demo number for each demo person that has none."""
    users = get_user_model().objects.filter(username__in=DEMO_PHONES)
    made = 0
    for user in users:
        _profile, created = ContactProfile.objects.get_or_create(
            user=user, defaults={"phone": DEMO_PHONES[user.username]}
        )
        made += created
    return made


def seed(orgs: list[Organisation]) -> tuple[int, int]:
    """(policies created, profiles created); the web push key is made now if it is missing."""
    channels.webpush_public_key()
    policies = sum(seed_policy(org)[1] for org in orgs)
    return policies, seed_contacts()

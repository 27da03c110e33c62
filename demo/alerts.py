"""The demo's alerting set-up: the default notification policy for every demo organisation
(``alerts.default_policy``) and a contact profile with a demo number for every demo person.
Running it again changes nothing.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model

from alerts.default_policy import ensure_default_policies
from alerts.models import ContactProfile
from farm.models import Organisation

# Demo people's numbers: the 1370000xxxx block is the one the fixtures use, never a real one.
DEMO_PHONES = {
    "manager_honghu": "+8613700000102",
    "manager_jianli": "+8613700000103",
    "manager_gongan": "+8613700000104",
    "farmer_wang": "+8613700000201",
    "farmer_li": "+8613700000202",
    "farmer_zhang": "+8613700000203",
}


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
    """(policies created, profiles created)."""
    return ensure_default_policies(orgs), seed_contacts()

"""Small factories for the alerts tests: one organisation, a farm, ponds and plots."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from alerts.models import ContactProfile, NotificationPolicy, Rule
from farm.models import Farm, Membership, Organisation, Plot, Pond, Region, Role
from vocabulary.events import ReadingEvent

T0 = datetime(2026, 7, 20, 2, 0, tzinfo=UTC)  # 10:00 in Hubei
NOWHERE = "http://127.0.0.1:9/"  # discard port: nothing answers

# Every channel configured (with endpoints nobody answers), as a deployment with all
# vendor credentials would have them; tests that send start their own servers.
ALL_TRANSPORTS: dict[str, dict] = {
    "inapp": {},
    "wecom": {},
    "webpush": {
        "vapid_private_key": "",
        "vapid_key_file": "",
        "vapid_subject": "mailto:ops@example.cn",
    },
    "wecom_app": {"corp_id": "ww1", "agent_id": "1000002", "secret": "s", "api_base": NOWHERE},
    "wechat": {"app_id": "wx1", "app_secret": "s", "template_id": "T1", "api_base": NOWHERE},
    "aliyun_sms": {
        "access_key_id": "id",
        "access_key_secret": "secret",
        "sign_name": "农情监测",
        "templates": {"firing": "SMS_1", "escalation": "SMS_2", "verify": "SMS_9"},
        "endpoint": NOWHERE,
    },
    "aliyun_voice": {
        "access_key_id": "id",
        "access_key_secret": "secret",
        "templates": {"firing": "TTS_1", "escalation": "TTS_2"},
        "endpoint": NOWHERE,
    },
    "email": {"host": "127.0.0.1", "port": 9, "from_address": "alerts@example.cn"},
}


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


class World:
    """An organisation with one fish farm (two grass-carp ponds, a shrimp pond, a plot)."""

    def __init__(self) -> None:
        region, _ = Region.objects.get_or_create(
            code="421083", defaults={"name": "洪湖市", "level": "county"}
        )
        self.org = Organisation.objects.create(name="清水湖合作社", region=region)
        self.other_org = Organisation.objects.create(name="别的合作社", region=region)
        self.farm = Farm.objects.create(
            organisation=self.org, region=region, name="大沙湖草鱼养殖场", kind="aquaculture"
        )
        self.other_farm = Farm.objects.create(
            organisation=self.other_org, region=region, name="别人的鱼场", kind="aquaculture"
        )
        pond = {"area_m2": Decimal(6700), "depth_m": Decimal("2.0")}
        self.pond1 = Pond.objects.create(farm=self.farm, name="1号塘", species="草鱼", **pond)
        self.pond3 = Pond.objects.create(farm=self.farm, name="3号塘", species="草鱼", **pond)
        self.shrimp = Pond.objects.create(farm=self.farm, name="虾塘", species="南美白对虾", **pond)
        self.plot = Plot.objects.create(
            farm=self.farm, name="大棚", crop="番茄", cultivation="greenhouse", area_m2=4000
        )
        User = get_user_model()
        self.farmer = User.objects.create_user("wang", first_name="王德明", password="x")
        self.manager = User.objects.create_user("zhou", first_name="周建国", password="x")
        self.stranger = User.objects.create_user("li", password="x")
        m = Membership.objects.create(
            user=self.farmer, role=Role.OPERATOR, organisation=self.org, phone="+8613700000001"
        )
        m.farms.set([self.farm])
        Membership.objects.create(
            user=self.manager, role=Role.MANAGER, organisation=self.org, phone="+8613700000002"
        )
        for user, phone in ((self.farmer, "+8613700000001"), (self.manager, "+8613700000002")):
            ContactProfile.objects.create(user=user, phone=phone, phone_verified_at=T0)
        o = Membership.objects.create(
            user=self.stranger, role=Role.OPERATOR, organisation=self.other_org
        )
        o.farms.set([self.other_farm])

    def rule(self, **kw) -> Rule:
        kw.setdefault("organisation", self.org)
        kw.setdefault("name", "溶解氧低")
        kw.setdefault("metric", "do")
        kw.setdefault("condition", Rule.Condition.BELOW)
        return Rule.objects.create(**kw)

    def reading(
        self,
        minutes: float,
        value: float | None,
        *,
        site=None,
        metric="do",
        eui="a000000000000001",
        fault=None,
    ) -> ReadingEvent:
        site = site or self.pond1
        return ReadingEvent.at(at(minutes), site.farm_id, site.pk, eui, metric, value, fault)

    def policy(self, **kw) -> NotificationPolicy:
        kw.setdefault("name", "默认")
        kw.setdefault("recipient_roles", ["operator"])
        kw.setdefault("channels", {"info": ["wecom"], "warning": ["wecom"], "critical": ["wecom"]})
        kw.setdefault("wecom_webhook_url", "http://127.0.0.1:9/hook")
        return NotificationPolicy.objects.create(organisation=self.org, **kw)


@pytest.fixture
def world(db, settings) -> World:
    settings.ALERT_TRANSPORTS = ALL_TRANSPORTS
    return World()


@pytest.fixture
def world_committed(transactional_db, settings) -> World:
    settings.ALERT_TRANSPORTS = ALL_TRANSPORTS
    return World()

"""Rules, policies and silences are seen only where their scope lies within the
reader's farms: an operator of one farm, or a county's bureau reviewer, never sees
the thresholds and recipients set for another farm of the same organisation, and
their pages answer 404, not 403."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from alerts.models import NotificationPolicy, Rule, Silence
from demo.farm import DEMO_PASSWORD, seed_demo
from farm import access
from farm.models import Farm, Organisation, Pond, Region
from sensors.models import Device, DeviceProfile

pytestmark = pytest.mark.django_db

HONGHU_COOP = "洪湖市清水湖水产养殖专业合作社"
WANG_FARM = "大沙湖草鱼养殖场"  # farmer_wang's only farm
CRAB_FARM = "清水湖河蟹养殖基地"  # same cooperative, not farmer_wang's


class Scene:
    """The demo, a Honghu-cooperative farm across the border in Jianli, and alerting
    scoped to each place."""

    def __init__(self) -> None:
        seed_demo()
        self.org = Organisation.objects.get(name=HONGHU_COOP)
        self.wang_farm = Farm.objects.get(name=WANG_FARM)
        self.crab_farm = Farm.objects.get(name=CRAB_FARM)
        self.jianli_farm = Farm.objects.create(
            organisation=self.org, region=Region.objects.get(code="421088"), name="监利分场"
        )
        crab_pond = Pond.objects.filter(farm=self.crab_farm).first()
        profile = DeviceProfile.objects.create(id="scope-test", name="test")
        crab_node = Device.objects.create(
            dev_eui="a1b2c3d4e5f60718", farm=self.crab_farm, site=crab_pond, profile=profile
        )

        def rule(name: str, **scope) -> Rule:
            return Rule.objects.create(
                organisation=self.org,
                name=name,
                metric="do",
                condition="below",
                threshold=3,
                **scope,
            )

        self.rules = {
            "org-wide": rule("全社溶解氧"),
            "own farm": rule("草鱼场溶解氧", farm=self.wang_farm),
            "other farm": rule("蟹场溶解氧", farm=self.crab_farm),
            "other site": rule("蟹塘溶解氧", site=crab_pond),
            "other device": rule("蟹塘探头", device_eui=crab_node.dev_eui),
            "jianli farm": rule("监利分场溶解氧", farm=self.jianli_farm),
        }

        def policy(name: str, farm: Farm | None) -> NotificationPolicy:
            return NotificationPolicy.objects.create(organisation=self.org, farm=farm, name=name)

        self.policies = {
            "org-wide": policy("全社默认", None),
            "own farm": policy("草鱼场通知", self.wang_farm),
            "other farm": policy("蟹场通知", self.crab_farm),
            "jianli farm": policy("监利分场通知", self.jianli_farm),
        }
        now = timezone.now()

        def silence(farm: Farm | None, rule: Rule | None = None) -> Silence:
            return Silence.objects.create(
                organisation=self.org,
                farm=farm,
                rule=rule,
                starts_at=now,
                ends_at=now + timedelta(hours=2),
                reason=f"检修 {farm.name if farm else '全社'}",
            )

        self.silences = {
            "org-wide": silence(None),
            "own farm": silence(self.wang_farm),
            "other farm": silence(self.crab_farm),
            "jianli farm": silence(self.jianli_farm),
            "own farm, other farm's rule": silence(self.wang_farm, self.rules["other farm"]),
        }


@pytest.fixture
def scene() -> Scene:
    return Scene()


# which scopes each role sees (independent of farm.access: from the roles' definitions)
SEES = {
    "farmer_wang": {"org-wide", "own farm"},
    "bureau_honghu": {"org-wide", "own farm", "other farm", "other site", "other device"},
    "bureau_jingzhou": {"org-wide", "own farm", "other farm", "other site", "other device",
                        "jianli farm"},
    "manager_honghu": {"org-wide", "own farm", "other farm", "other site", "other device",
                       "jianli farm"},
    "manager_gongan": set(),
}  # fmt: skip


def client_for(username: str) -> Client:
    c = Client(HTTP_ACCEPT_LANGUAGE="en")
    assert c.login(username=username, password=DEMO_PASSWORD)
    return c


def _user(username: str):
    return get_user_model().objects.get(username=username)


@pytest.mark.parametrize("username", list(SEES))
def test_rules_are_visible_only_within_the_readers_farms(scene: Scene, username: str):
    want = {scene.rules[k].pk for k in SEES[username]}
    got = set(access.visible_rules(_user(username)).values_list("pk", flat=True))
    assert got == want


@pytest.mark.parametrize("username", list(SEES))
def test_the_rules_page_lists_only_rules_within_the_readers_farms(scene: Scene, username: str):
    page = client_for(username).get("/alerts/rules/").content.decode()
    shown = {k for k, r in scene.rules.items() if r.name in page}
    assert shown == SEES[username]


@pytest.mark.parametrize("username", ["farmer_wang", "bureau_honghu", "manager_gongan"])
def test_a_rule_outside_the_readers_farms_is_not_found(scene: Scene, username: str):
    c = client_for(username)
    for key, rule in scene.rules.items():
        if key in SEES[username]:
            continue
        assert c.get(f"/alerts/rule/{rule.pk}/").status_code == 404, key
        assert c.post(f"/alerts/rule/{rule.pk}/toggle/").status_code == 404, key
        assert c.post(f"/alerts/rule/{rule.pk}/delete/").status_code == 404, key
    assert Rule.objects.filter(organisation=scene.org, enabled=True).count() == len(scene.rules)


def test_a_rule_in_scope_but_not_managed_is_forbidden(scene: Scene):
    assert (
        client_for("bureau_honghu").get(f"/alerts/rule/{scene.rules['other farm'].pk}/").status_code
        == 403
    )
    assert (
        client_for("farmer_wang").get(f"/alerts/rule/{scene.rules['own farm'].pk}/").status_code
        == 403
    )


@pytest.mark.parametrize("username", list(SEES))
def test_policies_are_visible_only_within_the_readers_farms(scene: Scene, username: str):
    want = {scene.policies[k].pk for k in SEES[username] if k in scene.policies}
    got = set(access.visible_policies(_user(username)).values_list("pk", flat=True))
    assert got == want
    page = client_for(username).get("/alerts/policies/").content.decode()
    shown = {k for k, p in scene.policies.items() if p.name in page}
    assert shown == SEES[username] & set(scene.policies)


@pytest.mark.parametrize("username", ["farmer_wang", "bureau_honghu"])
def test_a_policy_outside_the_readers_farms_is_not_found(scene: Scene, username: str):
    c = client_for(username)
    for key, policy in scene.policies.items():
        want = 403 if key in SEES[username] else 404
        assert c.get(f"/alerts/policy/{policy.pk}/").status_code == want, key
        assert c.post(f"/alerts/policy/{policy.pk}/delete/").status_code == want, key
    assert NotificationPolicy.objects.filter(organisation=scene.org).count() == 4


@pytest.mark.parametrize("username", list(SEES))
def test_silences_are_visible_only_within_the_readers_farms(scene: Scene, username: str):
    sees = SEES[username]
    want = {k for k in scene.silences if k in sees}
    if "own farm" in sees and "other farm" in sees:
        want.add("own farm, other farm's rule")
    got = set(access.visible_silences(_user(username)).values_list("pk", flat=True))
    assert got == {scene.silences[k].pk for k in want}


def test_an_operator_cannot_end_a_silence_on_another_farm(scene: Scene):
    c = client_for("farmer_wang")
    for key in ("other farm", "jianli farm", "own farm, other farm's rule"):
        assert c.post(f"/alerts/silence/{scene.silences[key].pk}/end/").status_code == 404, key
    assert c.post(f"/alerts/silence/{scene.silences['own farm'].pk}/end/").status_code == 302


def test_a_managers_rule_form_offers_only_the_organisations_farms(scene: Scene):
    page = client_for("manager_honghu").get(f"/alerts/rules/{scene.org.pk}/new/").content.decode()
    assert CRAB_FARM in page and "监利分场" in page and "埠河番茄大棚基地" not in page

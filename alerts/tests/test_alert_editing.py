"""Managing rules, notification policies and silences through the pages, scoped by
``farm.access``: managers change their organisation's alerting, operators silence on
their farms, bureau reviewers only read, other organisations see nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from alerts import checks, editing, notify, rule_templates
from alerts.engine import evaluate
from alerts.models import (
    AlertState,
    Delivery,
    EscalationStep,
    Incident,
    IncidentEvent,
    NotificationPolicy,
    Rule,
    Silence,
)
from alerts.tests import alert_fixtures
from alerts.tests.alert_fixtures import World, at
from farm.models import Membership, Region, Role
from vocabulary.events import ReadingEvent

world = alert_fixtures.world


def client_for(user) -> Client:
    """English pages, so the assertions can name Django's own validation messages."""
    c = Client(HTTP_ACCEPT_LANGUAGE="en")
    c.force_login(user)
    return c


@pytest.fixture
def bureau(world: World):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user("honghu_bureau", password="x")
    Membership.objects.create(user=user, role=Role.BUREAU, region=Region.objects.get(code="421083"))
    return user


@pytest.fixture
def rule(world: World) -> Rule:
    return world.rule(threshold=3.0, clear_threshold=3.5, severity="critical")


@pytest.fixture
def incident(world: World, rule: Rule) -> Incident:
    evaluate([world.reading(0, 2.0)], now=at(0))
    return Incident.objects.get()


def rule_data(**kw) -> dict:
    data = {
        "name": "1号塘 溶解氧低",
        "condition": "below",
        "source": "metric",
        "metric": "do",
        "threshold": "3",
        "threshold_high": "",
        "clear_threshold": "3.5",
        "clear_threshold_high": "",
        "window_minutes": "",
        "for_minutes": "5",
        "for_readings": "1",
        "severity": "critical",
        "farm": "",
        "site": "",
        "device_eui": "",
        "match_kind": "",
        "match_text": "",
        "match_cultivation": "",
        "enabled": "on",
        "description": "",
    }
    data.update(kw)
    return data


def reading(world: World, when, value: float, site=None) -> ReadingEvent:
    site = site or world.pond1
    return ReadingEvent.at(when, site.farm_id, site.pk, "a000000000000001", "do", value)


# --- rules ----------------------------------------------------------------------------


def test_a_manager_creates_a_rule_for_one_pond(world: World):
    url = f"/alerts/rules/{world.org.pk}/new/"
    c = client_for(world.manager)
    assert c.get(url).status_code == 200
    r = c.post(url, rule_data(site=str(world.pond1.pk), for_minutes="10"))
    assert r.status_code == 302 and r.url == "/alerts/rules/"
    rule = Rule.objects.get(name="1号塘 溶解氧低")
    assert (rule.organisation, rule.site_id, rule.threshold, rule.clear_threshold) == (
        world.org,
        world.pond1.pk,
        3.0,
        3.5,
    )
    assert rule.for_duration == timedelta(minutes=10) and rule.enabled
    page = c.get("/alerts/rules/").content.decode()
    assert "1号塘 溶解氧低" in page and f"/alerts/rule/{rule.pk}/" in page


def test_a_rule_started_from_a_template_keeps_its_parameters(world: World):
    url = f"/alerts/rules/{world.org.pk}/new/?template=gc.do.dawn"
    c = client_for(world.manager)
    page = c.get(url).content.decode()
    assert "草鱼塘 黎明溶解氧预测" in page
    data = rule_data(
        name="草鱼塘 黎明溶解氧预测",
        condition="dawn_forecast",
        threshold="4",
        clear_threshold="",
        for_minutes="0",
        match_kind="pond",
        match_text="草鱼",
    )
    assert c.post(url, data).status_code == 302
    rule = Rule.objects.get(organisation=world.org, template_key="gc.do.dawn")
    assert rule.params["critical_below"] == 2.0
    # A second rule from the same template does not take the key: adopt() needs one per key.
    assert c.post(url, {**data, "name": "3号塘 黎明预测"}).status_code == 302
    assert Rule.objects.get(name="3号塘 黎明预测").template_key == ""
    rule_templates.adopt(world.org.pk, ["grass_carp_pond"])
    assert Rule.objects.filter(organisation=world.org, template_key="gc.do.dawn").count() == 1


@pytest.mark.parametrize("key", [t.key for t in rule_templates.TEMPLATES])
def test_every_template_passes_the_rule_checks(world: World, key: str):
    """The checks must not refuse what the shipped defaults already do."""
    rule = Rule(organisation=world.org, **rule_templates.fields_of(key))
    assert editing.check_rule(rule) == {}


def test_an_unknown_template_is_a_bad_request(world: World):
    url = f"/alerts/rules/{world.org.pk}/new/?template=no.such"
    assert client_for(world.manager).get(url).status_code == 400


@pytest.mark.parametrize(
    ("changes", "field_text"),
    [
        ({"condition": "outside", "threshold": "6.5"}, "A band needs an upper threshold"),
        (
            {"condition": "outside", "threshold": "8.5", "threshold_high": "6.5"},
            "must be above the lower one",
        ),
        ({"clear_threshold": "2.5"}, "clear at or above the threshold"),
        ({"condition": "above", "clear_threshold": "4"}, "clear at or below the threshold"),
        (
            {
                "condition": "outside",
                "threshold": "6.5",
                "threshold_high": "8.5",
                "clear_threshold": "6",
            },
            "lower clear level must be at or above",
        ),
        ({"condition": "no_data", "threshold": "", "clear_threshold": ""}, "needs a window"),
        ({"threshold": "three"}, "Enter a number"),
        ({"threshold": "nan"}, "Enter a number"),
        ({"threshold": ""}, "needs a threshold"),
        ({"threshold_high": "9"}, "Only a band"),
        ({"for_readings": "0"}, "greater than or equal to 1"),
        ({"window_minutes": "-5"}, "greater than or equal to 1"),
        ({"name": "塘" * 129}, "at most 128 characters"),
        ({"description": "x" * 5000}, "at most 4000 characters"),
        ({"device_eui": "not-an-eui"}, "16 lowercase hexadecimal"),
        ({"device_eui": "a000000000000009"}, "No device with this EUI"),
        ({"match_kind": "barn"}, "Select a valid choice"),
    ],
)
def test_a_bad_rule_is_sent_back_with_the_reason(world: World, changes: dict, field_text: str):
    r = client_for(world.manager).post(f"/alerts/rules/{world.org.pk}/new/", rule_data(**changes))
    assert r.status_code == 200
    assert field_text in r.content.decode()
    assert not Rule.objects.exists()


def test_a_site_of_another_organisation_cannot_be_the_scope(world: World):
    from farm.models import Pond

    theirs = Pond.objects.create(
        farm=world.other_farm, name="别人的塘", species="草鱼", area_m2=100, depth_m=2
    )
    c = client_for(world.manager)
    r = c.post(f"/alerts/rules/{world.org.pk}/new/", rule_data(site=str(theirs.pk)))
    assert r.status_code == 200 and "Select a valid choice" in r.content.decode()
    r = c.post(f"/alerts/rules/{world.org.pk}/new/", rule_data(farm=str(world.other_farm.pk)))
    assert r.status_code == 200 and not Rule.objects.exists()
    # The service refuses it too, whoever calls it.
    bad = Rule(organisation=world.org, name="x", metric="do", condition="below", threshold=3)
    bad.site = theirs
    assert "site" in editing.check_rule(bad)


def test_changing_thresholds_restarts_pending_alerts_and_keeps_firing_ones(
    world: World, rule: Rule, incident: Incident
):
    rule.for_readings = 2
    rule.save()
    evaluate([world.reading(1, 2.0, site=world.pond3)], now=at(1))
    pending = AlertState.objects.get(target_key=f"site:{world.pond3.pk}")
    assert pending.state == "pending"
    r = client_for(world.manager).post(
        f"/alerts/rule/{rule.pk}/",
        rule_data(threshold="2.5", clear_threshold="3", for_readings="2"),
    )
    assert r.status_code == 302
    pending.refresh_from_db()
    assert (pending.state, pending.breach_count) == ("ok", 0)
    firing = AlertState.objects.get(target_key=f"site:{world.pond1.pk}")
    incident.refresh_from_db()
    assert firing.state == "firing" and incident.is_open
    # The firing alert clears by the new clear level (3.0), not the old one (3.5).
    evaluate([world.reading(2, 3.1)], now=at(2))
    incident.refresh_from_db()
    assert not incident.is_open


def test_watching_another_metric_closes_the_open_incident_on_the_trail(
    world: World, rule: Rule, incident: Incident
):
    r = client_for(world.manager).post(
        f"/alerts/rule/{rule.pk}/",
        rule_data(metric="water_temp", condition="above", threshold="32", clear_threshold="31"),
    )
    assert r.status_code == 302
    incident.refresh_from_db()
    assert not incident.is_open
    closed = incident.events.get(kind="resolved")
    assert closed.actor == world.manager and "watches something else" in closed.reason
    state = AlertState.objects.get(rule=rule)
    assert (state.state, state.last_seen, state.memory) == ("ok", None, {})
    assert not Delivery.objects.filter(kind="resolved").exists()


def test_disable_and_enable_a_rule(world: World, rule: Rule, incident: Incident):
    c = client_for(world.manager)
    assert c.post(f"/alerts/rule/{rule.pk}/toggle/").status_code == 302
    rule.refresh_from_db()
    incident.refresh_from_db()
    assert not rule.enabled and not incident.is_open
    assert evaluate([world.reading(5, 1.0)], now=at(5)) == []  # the engine ignores it now
    assert c.post(f"/alerts/rule/{rule.pk}/toggle/").status_code == 302
    rule.refresh_from_db()
    assert rule.enabled
    evaluate([world.reading(6, 1.0)], now=at(6))
    assert Incident.objects.filter(rule=rule, resolved_at__isnull=True).count() == 1
    assert c.get(f"/alerts/rule/{rule.pk}/toggle/").status_code == 405


def test_a_rule_without_incidents_is_deleted_and_one_with_incidents_is_kept(
    world: World, rule: Rule, incident: Incident
):
    c = client_for(world.manager)
    r = c.post(f"/alerts/rule/{rule.pk}/delete/", follow=True)
    assert r.status_code == 200 and "disable it instead" in r.content.decode()
    assert Rule.objects.filter(pk=rule.pk).exists()
    spare = world.rule(name="备用", threshold=2.0)
    assert c.post(f"/alerts/rule/{spare.pk}/delete/").status_code == 302
    assert not Rule.objects.filter(pk=spare.pk).exists()


def test_unknown_ids_are_not_found(world: World):
    c = client_for(world.manager)
    for url in [
        "/alerts/rule/999999/",
        "/alerts/rules/999999/new/",
        "/alerts/policy/999999/",
        "/alerts/policies/999999/new/",
        "/alerts/incidents/999999/silence/",
        "/alerts/silence/999999/end/",
    ]:
        assert c.post(url).status_code == 404, url


# --- policies -------------------------------------------------------------------------


def policy_data(world: World, steps: list[dict] | None = None, initial: int = 0, **kw) -> dict:
    data = {
        "name": "合作社默认",
        "farm": "",
        "roles": ["operator"],
        "recipient_users": [],
        "channels_info": ["webpush"],
        "channels_warning": ["webpush", "wecom"],
        "channels_critical": ["webpush", "wecom", "aliyun_sms"],
        "wecom_webhook_url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc",
        "repeat_minutes": "60",
        "quiet_start": "22:00",
        "quiet_end": "06:00",
        "rate_limit_count": "3",
        "rate_limit_minutes": "10",
    }
    data.update(kw)
    steps = steps or []
    data.update(
        {
            "steps-TOTAL_FORMS": str(len(steps)),
            "steps-INITIAL_FORMS": str(initial),
            "steps-MIN_NUM_FORMS": "0",
            "steps-MAX_NUM_FORMS": "10",
        }
    )
    for i, step in enumerate(steps):
        for key, value in step.items():
            data[f"steps-{i}-{key}"] = value
    return data


def step(order: int, after: int, **kw) -> dict:
    return {
        "order": str(order),
        "after_minutes": str(after),
        "step_roles": ["manager"],
        "step_channels": ["aliyun_sms"],
        **kw,
    }


def test_a_manager_writes_a_policy_with_escalation_steps(world: World):
    c = client_for(world.manager)
    url = f"/alerts/policies/{world.org.pk}/new/"
    assert c.get(url).status_code == 200
    data = policy_data(
        world,
        [step(1, 10), step(2, 30, step_roles=[], users=[str(world.manager.pk)])],
    )
    r = c.post(url, data)
    assert r.status_code == 302, r.content.decode()
    policy = NotificationPolicy.objects.get(organisation=world.org, farm=None)
    assert policy.recipient_roles == ["operator"]
    assert policy.channels["critical"] == ["webpush", "wecom", "aliyun_sms"]
    assert policy.repeat_interval == timedelta(hours=1)
    assert str(policy.quiet_start) == "22:00:00"
    s1, s2 = policy.steps.all()
    assert (s1.order, s1.after, s1.roles) == (1, timedelta(minutes=10), ["manager"])
    assert list(s2.users.all()) == [world.manager]
    # Swap the two steps' numbers and times in one save.
    edit = policy_data(
        world,
        [
            step(2, 30, id=str(s1.pk), policy=str(policy.pk)),
            step(1, 5, id=str(s2.pk), policy=str(policy.pk), step_roles=["operator"]),
        ],
        initial=2,
    )
    r = c.post(f"/alerts/policy/{policy.pk}/", edit)
    assert r.status_code == 302, r.content.decode()
    assert [(s.order, s.roles) for s in policy.steps.all()] == [(1, ["operator"]), (2, ["manager"])]
    page = c.get("/alerts/policies/").content.decode()
    assert "合作社默认" in page and f"/alerts/policy/{policy.pk}/" in page


@pytest.mark.parametrize(
    ("changes", "steps", "text"),
    [
        ({"quiet_end": ""}, None, "both ends of the quiet hours"),
        ({"quiet_end": "22:00"}, None, "must not start and end at the same time"),
        ({"quiet_start": "25:99"}, None, "Enter a valid time"),
        ({"wecom_webhook_url": ""}, None, "give the group robot webhook"),
        ({"wecom_webhook_url": "not a url"}, None, "Enter a valid URL"),
        ({"repeat_minutes": "soon"}, None, "Enter a whole number"),
        ({"rate_limit_count": "0"}, None, "greater than or equal to 1"),
        ({"channels_info": ["pigeon"]}, None, "Select a valid choice"),
        ({"name": "x" * 200}, None, "at most 128 characters"),
        (
            {"channels_info": [], "channels_warning": [], "channels_critical": []},
            None,
            "Choose at least one channel",
        ),
        (
            {"roles": [], "channels_warning": ["webpush"], "channels_critical": ["webpush"]},
            None,
            "Choose whom to tell",
        ),
        ({}, [step(1, 10), step(1, 20)], "Each step needs its own number"),
        ({}, [step(1, 30), step(2, 10)], "A later step must come after"),
        ({}, [step(1, 10, step_channels=[])], "This field is required"),
        ({}, [step(1, 10, step_roles=[])], "Choose whom this step tells"),
        (
            {"wecom_webhook_url": "", "channels_warning": [], "channels_critical": []},
            [step(1, 10, step_channels=["wecom"])],
            "An escalation step uses WeCom",
        ),
    ],
)
def test_a_bad_policy_is_sent_back_with_the_reason(
    world: World, changes: dict, steps: list | None, text: str
):
    url = f"/alerts/policies/{world.org.pk}/new/"
    r = client_for(world.manager).post(url, policy_data(world, steps, **changes))
    assert r.status_code == 200
    assert text in r.content.decode()
    assert not NotificationPolicy.objects.exists()


def test_one_organisation_wide_policy_and_one_per_farm(world: World):
    world.policy()
    c = client_for(world.manager)
    url = f"/alerts/policies/{world.org.pk}/new/"
    r = c.post(url, policy_data(world))
    assert "already has an organisation-wide policy" in r.content.decode()
    assert c.post(url, policy_data(world, farm=str(world.farm.pk))).status_code == 302
    r = c.post(url, policy_data(world, farm=str(world.farm.pk)))
    assert "This farm already has a policy" in r.content.decode()
    r = c.post(url, policy_data(world, farm=str(world.other_farm.pk)))
    assert "Select a valid choice" in r.content.decode()
    assert NotificationPolicy.objects.count() == 2


# --- silences -------------------------------------------------------------------------


def test_an_operator_silences_a_rule_on_a_pond_and_messages_stop(world: World, rule: Rule):
    world.policy()
    now = timezone.now()
    evaluate([reading(world, now, 2.0)], now=now)
    first = Incident.objects.get()
    assert Delivery.objects.filter(incident=first).count() == 1
    c = client_for(world.farmer)
    page = c.get(f"/alerts/incidents/{first.pk}/").content.decode()
    assert 'data-testid="silence-form"' in page
    r = c.post(
        f"/alerts/incidents/{first.pk}/silence/",
        {"scope": "target", "hours": "4", "reason": "清塘消毒，探头取出"},
    )
    assert r.status_code == 302
    silence = Silence.objects.get()
    assert (silence.rule, silence.site_id, silence.farm, silence.created_by) == (
        rule,
        world.pond1.pk,
        world.farm,
        world.farmer,
    )
    assert timedelta(hours=3, minutes=59) < silence.ends_at - now <= timedelta(hours=4, minutes=1)
    event = first.events.get(kind="silenced")
    assert event.actor == world.farmer and "清塘消毒" in event.reason
    assert 'data-testid="silenced"' in c.get(f"/alerts/incidents/{first.pk}/").content.decode()
    # No reminder, no escalation and no message for the next incident on the same pond.
    assert notify.plan(first, "reminder", now + timedelta(hours=1), sequence=9) == []
    assert checks.remind(now + timedelta(hours=2)) == 0
    evaluate([reading(world, now + timedelta(minutes=1), 4.0)], now=now + timedelta(minutes=1))
    evaluate([reading(world, now + timedelta(minutes=2), 2.0)], now=now + timedelta(minutes=2))
    second = Incident.objects.exclude(pk=first.pk).get()
    assert not Delivery.objects.filter(incident=second).exists()
    # Another pond is not covered.
    evaluate([reading(world, now, 2.0, site=world.pond3)], now=now)
    third = Incident.objects.get(site=world.pond3)
    assert Delivery.objects.filter(incident=third).exists()
    # Ending it lets reminders resume.
    assert c.post(f"/alerts/silence/{silence.pk}/end/").status_code == 302
    silence.refresh_from_db()
    assert silence.ends_at <= timezone.now()
    ended = second.events.get(kind="silence_ended")
    assert ended.actor == world.farmer
    assert checks.remind(now + timedelta(hours=2)) >= 1


@pytest.mark.parametrize(
    ("data", "text"),
    [
        ({"scope": "target", "hours": "4", "reason": "  "}, "This field is required"),
        ({"scope": "target", "hours": "0", "reason": "清塘"}, "greater than or equal to 1"),
        ({"scope": "target", "hours": "four", "reason": "清塘"}, "Enter a whole number"),
        ({"scope": "target", "hours": "100000", "reason": "清塘"}, "less than or equal to 720"),
        ({"scope": "target", "hours": "4", "reason": "清" * 201}, "at most 200 characters"),
        ({"scope": "everything", "hours": "4", "reason": "清塘"}, "Select a valid choice"),
        ({"hours": "4", "reason": "清塘"}, "This field is required"),
    ],
)
def test_a_silence_needs_an_expiry_and_a_reason(
    world: World, incident: Incident, data: dict, text: str
):
    r = client_for(world.farmer).post(f"/alerts/incidents/{incident.pk}/silence/", data)
    assert r.status_code == 200
    assert text in r.content.decode()
    assert not Silence.objects.exists()


def test_the_silence_list_shows_what_is_in_force(world: World, incident: Incident, bureau):
    now = timezone.now()
    kept = editing.create_silence(
        organisation=world.org,
        farm=world.farm,
        site=world.pond1,
        rule=None,
        ends_at=now + timedelta(hours=2),
        reason="投放鱼苗",
        user=world.manager,
        now=now,
    )
    old = Silence.objects.create(
        organisation=world.org,
        farm=world.farm,
        starts_at=now - timedelta(days=2),
        ends_at=now - timedelta(days=1),
        reason="已过期",
    )
    assert incident.events.filter(kind="silenced", actor=world.manager).exists()
    page = client_for(world.farmer).get("/alerts/silences/").content.decode()
    assert "投放鱼苗" in page and "已过期" not in page and 'data-testid="end-silence"' in page
    read_only = client_for(bureau).get("/alerts/silences/").content.decode()
    assert "投放鱼苗" in read_only and 'data-testid="end-silence"' not in read_only
    assert "投放鱼苗" not in client_for(world.stranger).get("/alerts/silences/").content.decode()
    assert old.pk != kept.pk


def test_ending_a_silence_that_covers_nothing_open_is_still_recorded(world: World):
    now = timezone.now()
    s = editing.create_silence(
        organisation=world.org,
        farm=world.farm,
        site=None,
        rule=None,
        ends_at=now + timedelta(hours=1),
        reason="检修网关",
        user=world.manager,
        now=now,
    )
    assert editing.end_silence(s, world.farmer, now + timedelta(minutes=5))
    assert not editing.end_silence(s, world.farmer, now + timedelta(minutes=6))
    ended = IncidentEvent.objects.get(kind="silence_ended")
    assert ended.incident is None and ended.actor == world.farmer and "检修网关" in ended.reason


# --- who may do what --------------------------------------------------------------------


@pytest.fixture
def urls(world: World, rule: Rule, incident: Incident) -> dict[str, str]:
    policy = world.policy()
    EscalationStep.objects.create(
        policy=policy, order=1, after=timedelta(minutes=10), roles=["manager"], channels=["wecom"]
    )
    silence = Silence.objects.create(
        organisation=world.org,
        farm=world.farm,
        starts_at=timezone.now(),
        ends_at=timezone.now() + timedelta(hours=1),
        reason="检修",
    )
    return {
        "rule_create": f"/alerts/rules/{world.org.pk}/new/",
        "rule_edit": f"/alerts/rule/{rule.pk}/",
        "rule_toggle": f"/alerts/rule/{rule.pk}/toggle/",
        "rule_delete": f"/alerts/rule/{rule.pk}/delete/",
        "policy_create": f"/alerts/policies/{world.org.pk}/new/",
        "policy_edit": f"/alerts/policy/{policy.pk}/",
        "policy_delete": f"/alerts/policy/{policy.pk}/delete/",
        "silence": f"/alerts/incidents/{incident.pk}/silence/",
        "silence_end": f"/alerts/silence/{silence.pk}/end/",
    }


MANAGE = ["rule_create", "rule_edit", "rule_toggle", "rule_delete"]
MANAGE += ["policy_create", "policy_edit", "policy_delete"]
SILENCE = ["silence", "silence_end"]


@pytest.mark.parametrize("who", ["farmer", "bureau", "stranger"])
def test_only_managers_change_rules_and_policies(world: World, urls, bureau, who: str):
    user = bureau if who == "bureau" else getattr(world, who)
    expected = 404 if who == "stranger" else 403
    c = client_for(user)
    for name in MANAGE:
        assert c.post(urls[name], {}).status_code == expected, name
    for name in ["rule_create", "rule_edit", "policy_create", "policy_edit"]:
        assert c.get(urls[name]).status_code == expected, name
    assert Rule.objects.get().enabled and NotificationPolicy.objects.exists()


def test_a_manager_may_open_every_management_page(world: World, urls):
    c = client_for(world.manager)
    for name in ["rule_create", "rule_edit", "policy_create", "policy_edit"]:
        assert c.get(urls[name]).status_code == 200, name
    for page in ["/alerts/rules/", "/alerts/policies/", "/alerts/silences/"]:
        assert c.get(page).status_code == 200


@pytest.mark.parametrize(("who", "expected"), [("bureau", 403), ("stranger", 404)])
def test_reviewers_and_strangers_cannot_silence(world: World, urls, bureau, who, expected):
    user = bureau if who == "bureau" else getattr(world, who)
    c = client_for(user)
    data = {"scope": "target", "hours": "2", "reason": "看看"}
    assert c.post(urls["silence"], data).status_code == expected
    assert c.post(urls["silence_end"]).status_code == expected
    assert Silence.objects.count() == 1 and Silence.objects.get().ends_at > timezone.now()


def test_reviewers_read_rules_and_policies_without_edit_links(world: World, urls, bureau):
    c = client_for(bureau)
    rules = c.get("/alerts/rules/").content.decode()
    assert "溶解氧低" in rules and "/alerts/rule/" not in rules and "new-rule" not in rules
    policies = c.get("/alerts/policies/").content.decode()
    assert "默认" in policies and "/alerts/policy/" not in policies
    detail = c.get(urls["silence"].replace("silence/", "")).content.decode()
    assert "silence-form" not in detail and "edit-rule" not in detail


def test_an_operator_silences_but_an_organisation_wide_silence_is_for_managers(world: World, urls):
    c = client_for(world.farmer)
    assert (
        c.post(urls["silence"], {"scope": "farm", "hours": "2", "reason": "换水"}).status_code
        == 302
    )
    org_wide = Silence.objects.create(
        organisation=world.org,
        starts_at=timezone.now(),
        ends_at=timezone.now() + timedelta(hours=1),
        reason="全社检修",
    )
    assert c.post(f"/alerts/silence/{org_wide.pk}/end/").status_code == 403
    assert client_for(world.manager).post(f"/alerts/silence/{org_wide.pk}/end/").status_code == 302


def test_pages_need_a_login(world: World, urls):
    for name in MANAGE + SILENCE:
        r = Client().post(urls[name])
        assert r.status_code == 302 and "/login" in r.url, name


def test_the_demo_roles_with_their_passwords(db):
    """The demo users as a tester would log in: manager, operator and county bureau."""
    from demo.farm import DEMO_PASSWORD, seed_demo
    from farm.models import Organisation

    seed_demo()
    org = Organisation.objects.get(memberships__user__username="manager_honghu")
    url = f"/alerts/rules/{org.pk}/new/"
    codes = {}
    for username in ["manager_honghu", "farmer_wang", "bureau_honghu", "farmer_li"]:
        c = Client(HTTP_ACCEPT_LANGUAGE="en")
        assert c.login(username=username, password=DEMO_PASSWORD)
        codes[username] = (c.get(url).status_code, c.post(url, rule_data()).status_code)
    assert codes == {
        "manager_honghu": (200, 302),
        "farmer_wang": (403, 403),
        "bureau_honghu": (403, 403),
        "farmer_li": (404, 404),
    }
    assert Rule.objects.filter(organisation=org, name="1号塘 溶解氧低").count() == 1

"""Time-based checks: no data, silent gateways, escalation, reminders, expiry, grouping."""

from __future__ import annotations

from datetime import time, timedelta

from alerts import checks, incidents, notify
from alerts.engine import evaluate
from alerts.models import AlertState, Delivery, EscalationStep, Incident, Rule, Silence
from alerts.tests import alert_fixtures
from alerts.tests.alert_fixtures import World, at
from sensors.models import Device, DeviceProfile, Gateway

world = alert_fixtures.world
C = Rule.Condition


def no_data_rule(world: World) -> Rule:
    return world.rule(name="无数据", condition=C.NO_DATA, window=timedelta(minutes=30))


def test_no_data_fires_once_the_window_passes_without_a_reading(world: World):
    no_data_rule(world)
    evaluate([world.reading(0, 6.0)], now=at(0))
    assert checks.check_no_data(at(20)) == []
    [t] = checks.check_no_data(at(31))
    assert t.new == "firing"
    assert Incident.objects.get().title == "1号塘 溶解氧无数据"


def test_a_reading_resolves_a_no_data_incident(world: World):
    no_data_rule(world)
    evaluate([world.reading(0, 6.0)], now=at(0))
    checks.check_no_data(at(31))
    [t] = evaluate([world.reading(40, 6.1)], now=at(40))
    assert t.new == "resolved"
    assert Incident.objects.get().resolved_at == at(40)


def test_silent_gateway_is_one_incident_and_holds_back_the_no_data_alerts(world: World):
    no_data_rule(world)
    world.rule(name="网关离线", metric="", condition=C.GATEWAY_SILENT, window=timedelta(minutes=15))
    Gateway.objects.create(gateway_eui="00000000000000aa", farm=world.farm, last_seen=at(0))
    readings = [
        world.reading(0, 6.0, site=site, eui=f"a00000000000000{i}")
        for i, site in enumerate([world.pond1, world.pond3, world.shrimp])
    ]
    evaluate(readings, now=at(0))
    [t] = checks.check_gateways(at(16))
    assert t.new == "firing"
    assert checks.check_no_data(at(31)) == []
    [incident] = Incident.objects.all()
    assert incident.title == "大沙湖草鱼养殖场00000000000000aa 网关离线"
    held = AlertState.objects.filter(rule__condition=C.NO_DATA)
    assert {s.inhibited_by for s in held} == {incident.title}


def test_low_battery_check_reads_the_device_register(world: World):
    world.rule(name="电池", metric="battery_v", condition=C.BATTERY_BELOW, threshold=2.7)
    profile = DeviceProfile.objects.create(id="agrimon-water", name="water")
    Device.objects.create(
        dev_eui="a000000000000009",
        farm=world.farm,
        site=world.pond1,
        profile=profile,
        battery_v=2.6,
        last_seen=at(0),
    )
    [t] = checks.check_low_battery(at(1))
    assert t.new == "firing"


def fire(world: World, severity: str = "critical") -> Incident:
    world.rule(threshold=3.0, severity=severity)
    evaluate([world.reading(0, 2.0)], now=at(0))
    return Incident.objects.get()


def test_firing_plans_one_delivery_per_channel_and_recipient(world: World):
    policy = world.policy(
        channels={"critical": ["wecom", "aliyun_sms"]}, recipient_roles=["operator", "manager"]
    )
    incident = fire(world)
    rows = Delivery.objects.filter(incident=incident, kind="firing")
    assert sorted((d.channel, d.recipient_key) for d in rows) == [
        ("aliyun_sms", f"user:{world.farmer.pk}"),
        ("aliyun_sms", f"user:{world.manager.pk}"),
        ("wecom", f"wecom:policy:{policy.pk}"),
    ]
    assert {d.address for d in rows if d.channel == "aliyun_sms"} == {
        "+8613700000001",
        "+8613700000002",
    }


def test_escalation_reaches_the_next_person_after_n_minutes_unacknowledged(world: World):
    policy = world.policy()
    step = EscalationStep.objects.create(
        policy=policy, order=1, after=timedelta(minutes=15), channels=["aliyun_voice"]
    )
    step.users.set([world.manager])
    incident = fire(world)
    assert checks.escalate(at(14)) == 0
    assert checks.escalate(at(15)) == 1
    assert checks.escalate(at(16)) == 0  # a step is taken once
    [d] = Delivery.objects.filter(kind="escalation")
    assert (d.channel, d.user, d.address) == ("aliyun_voice", world.manager, "+8613700000002")
    incident.refresh_from_db()
    assert incident.escalation_step == 1
    assert incident.events.filter(kind="escalated").count() == 1


def test_acknowledged_incident_is_not_escalated_or_reminded(world: World):
    policy = world.policy(repeat_interval=timedelta(minutes=30))
    EscalationStep.objects.create(
        policy=policy, order=1, after=timedelta(minutes=15), channels=["wecom"]
    )
    incident = fire(world)
    assert incidents.acknowledge(incident, world.farmer, at(5))
    assert checks.escalate(at(60)) == 0
    assert checks.remind(at(60)) == 0
    event = incident.events.get(kind="acknowledged")
    assert event.actor == world.farmer


def test_reminder_repeats_every_interval_while_unacknowledged(world: World):
    world.policy(repeat_interval=timedelta(minutes=30))
    fire(world)
    assert checks.remind(at(29)) == 0
    assert checks.remind(at(30)) == 1
    assert checks.remind(at(31)) == 0
    assert checks.remind(at(61)) == 1
    keys = sorted(
        Delivery.objects.filter(kind="reminder").values_list("idempotency_key", flat=True)
    )
    assert [k.rsplit(":", 1)[1] for k in keys] == ["1", "2"]


def test_snooze_holds_reminders_until_it_expires_then_reminds(world: World):
    world.policy(repeat_interval=timedelta(minutes=30))
    incident = fire(world)
    incidents.snooze(incident, world.farmer, at(90), "正在开增氧机", at(1))
    assert checks.remind(at(60)) == 0
    assert checks.expire(at(90)) == 1
    incident.refresh_from_db()
    assert incident.snoozed_until is None
    assert [e.kind for e in incident.events.all()] == [
        "firing",
        "snoozed",
        "snooze_ended",
        "reminded",
    ]
    assert Delivery.objects.filter(kind="reminder").count() == 1


def test_quiet_hours_defer_warnings_but_not_critical_alerts(world: World):
    # 02:00 UTC is 10:00 in Hubei; quiet 09:00–12:00 local
    world.policy(quiet_start=time(9), quiet_end=time(12))
    world.rule(name="警告", threshold=4.0, severity="warning")
    evaluate([world.reading(0, 3.5)], now=at(0))
    warning = Delivery.objects.get()
    assert warning.outcome == "deferred"
    assert warning.not_before == at(120)
    world.rule(name="严重", threshold=3.0, severity="critical")
    evaluate([world.reading(1, 2.5)], now=at(1))
    critical = Delivery.objects.exclude(pk=warning.pk).get()
    assert critical.outcome == "queued"


def test_a_burst_over_the_rate_limit_is_grouped_into_one_message(world: World):
    world.policy(rate_limit_count=1, rate_limit_window=timedelta(minutes=10))
    for i, site in enumerate([world.pond1, world.pond3, world.shrimp]):
        world.rule(name=f"r{i}", threshold=3.0, site=site)
    readings = [
        world.reading(0, 2.0, site=s, eui=f"a00000000000000{i}")
        for i, s in enumerate([world.pond1, world.pond3, world.shrimp])
    ]
    evaluate(readings, now=at(0))
    outcomes = sorted(Delivery.objects.values_list("outcome", flat=True))
    assert outcomes == ["deferred", "deferred", "queued"]
    assert notify.group_due(at(5)) == []
    [lead] = notify.group_due(at(10))
    assert Delivery.objects.get(pk=lead).grouped.count() == 1


def test_a_delivery_whose_task_was_lost_is_queued_again(world: World):
    world.policy()
    fire(world)
    [d] = Delivery.objects.all()
    assert checks.requeue_stalled(at(5)) == 0
    assert checks.requeue_stalled(at(11)) == 1
    d.outcome = "delivered"
    d.save()
    assert checks.requeue_stalled(at(30)) == 0


def test_escalation_happens_on_time_while_the_first_channel_is_still_failing(world: World):
    policy = world.policy()
    EscalationStep.objects.create(
        policy=policy, order=1, after=timedelta(minutes=5), roles=["manager"], channels=["email"]
    )
    world.manager.email = "zhou@example.cn"
    world.manager.save()
    incident = fire(world)
    Delivery.objects.filter(incident=incident).update(outcome="retrying", attempts=4)
    assert checks.escalate(at(5)) == 1
    [d] = Delivery.objects.filter(kind="escalation")
    assert (d.channel, d.address, d.outcome) == ("email", "zhou@example.cn", "queued")


def test_an_active_silence_holds_back_notifications_for_matching_incidents(world: World):
    world.policy()
    Silence.objects.create(
        organisation=world.org,
        site=world.pond1,
        starts_at=at(-10),
        ends_at=at(60),
        reason="清塘消毒",
        created_by=world.manager,
    )
    fire(world)
    assert not Delivery.objects.exists()
